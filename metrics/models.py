"""Stored results of metric runs. A run writes one complete snapshot (with its member rows and the
current tie table) in one transaction; readers always see the last committed one."""

from django.conf import settings
from django.db import models

from communities.models import Community


class Level(models.TextChoices):
    CORE = "core", "Core"
    ACTIVE = "active", "Active"
    OCCASIONAL = "occasional", "Occasional"
    PERIPHERAL = "peripheral", "Peripheral"
    DORMANT = "dormant", "Dormant"


class Trajectory(models.TextChoices):
    NONE = "", "—"
    INBOUND = "inbound", "Inbound"
    INSIDER = "insider", "Insider"
    PERIPHERAL = "peripheral", "Peripheral"
    OUTBOUND = "outbound", "Outbound"
    BOUNDARY = "boundary", "Boundary"


class TieClass(models.TextChoices):
    STRONG = "strong", "Strong"
    WEAK = "weak", "Weak"
    LATENT = "latent", "Latent"


class MetricsState(models.Model):
    """Bookkeeping for one community's computation: coalesced requests, the running run, the
    watermark of the interaction log already folded into the tie table, the last error."""

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="metrics_state"
    )
    # Set when a recompute is requested and not yet started: further requests add nothing.
    pending_since = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Highest Interaction.pk folded into TieStrength, and the as-of of the run that wrote it.
    interactions_watermark = models.BigIntegerField(default=0)
    ties_as_of = models.DateTimeField(null=True, blank=True)
    # The reference time the tie table's sums are scaled to (metrics.compute.pairs): a run in a
    # later era rebuilds the table. Null: no table yet (or one from before the reference).
    ties_ref_at = models.DateTimeField(null=True, blank=True)
    # Changed by every run that writes the tie table: a worker's cached copy of the table is used
    # only while this still matches (metrics.pipeline.cache).
    ties_token = models.CharField(max_length=32, blank=True)
    # Set when the log changed under the tie table (interactions retracted or moved): the next
    # run rebuilds the table from the whole log instead of folding in only new rows.
    full_requested_at = models.DateTimeField(null=True, blank=True)
    last_full_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Metrics state of {self.community_id}"


class MetricsSnapshot(models.Model):
    """The complete dashboard of a community as of one moment (``data`` follows the schema in
    docs/METRICS.md). The history of snapshots is the time series the trend charts draw."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="metrics_snapshots"
    )
    as_of = models.DateTimeField()
    computed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    betweenness_exact = models.BooleanField(default=True)
    config = models.JSONField(default=dict)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "as_of"], name="one_snapshot_per_moment")
        ]
        indexes = [models.Index(fields=["community", "-as_of"])]

    def __str__(self):
        return f"Metrics of {self.community_id} as of {self.as_of:%Y-%m-%d %H:%M}"


class MemberMetrics(models.Model):
    """One member's figures in one snapshot: level, trajectory and network position."""

    # No single-column indexes: the unique (snapshot, user) and the (user, snapshot) index lead
    # with each, and every index is maintained for the 10,000 rows each run writes. No foreign
    # key to the snapshot in the database (Django still deletes the rows with it, as it does the
    # edges): the run writes its snapshot and the rows in one transaction, and the check, one
    # per row at the commit, was about 45 ms of server time for 10,000 rows.
    snapshot = models.ForeignKey(
        MetricsSnapshot,
        on_delete=models.CASCADE,
        related_name="members",
        db_index=False,
        db_constraint=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    level = models.CharField(max_length=10, choices=Level.choices)
    previous_level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    trajectory = models.CharField(max_length=10, choices=Trajectory.choices, blank=True)
    active_days = models.PositiveIntegerField(default=0)
    helps = models.PositiveIntegerField(default=0)
    contributions = models.PositiveIntegerField(default=0)
    presence = models.PositiveIntegerField(default=0)
    strong_ties = models.PositiveIntegerField(default=0)
    weak_ties = models.PositiveIntegerField(default=0)
    degree = models.PositiveIntegerField(default=0)
    strength = models.FloatField(default=0.0)
    betweenness = models.FloatField(default=0.0)
    professional_group_id = models.IntegerField(null=True, blank=True)
    # Position in the network drawing (0..1), computed with the snapshot so pages do no layout.
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "user"], name="one_member_row_per_snapshot")
        ]
        indexes = [
            models.Index(fields=["snapshot", "level"]),
            models.Index(fields=["snapshot", "-betweenness"]),
            models.Index(fields=["user", "snapshot"]),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.level} in {self.snapshot_id}"


class TieStrength(models.Model):
    """The state of one pair's tie (user_a < user_b): decayed directed sums scaled to the table's
    reference time (``MetricsState.ties_ref_at``), so ageing rewrites nothing and new interactions
    add to them; and the score as of the row's last write (for the member's own ties page)."""

    # No index of its own on the community, nor on (community, user_a): ``one_tie`` (community,
    # user_a, user_b) covers both, and every upserted row maintained them (bench/README.md,
    # "The log folded in numpy": the upsert about a quarter faster without them). Nor on
    # (community, user_b): a member's ties are found by ``one_tie`` and the ``user_b`` index.
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    user_a = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_b = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Σ round(w · 2^((t − ref)/h) · 2^40) over the pair's interactions each way (exact integers).
    units_ab = models.BigIntegerField(default=0)
    units_ba = models.BigIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    # Last use of each channel (epoch seconds; null: never).
    channel_discussion = models.FloatField(null=True, blank=True)
    channel_qa = models.FloatField(null=True, blank=True)
    channel_mention = models.FloatField(null=True, blank=True)
    channel_endorsement = models.FloatField(null=True, blank=True)
    channel_event = models.FloatField(null=True, blank=True)
    channel_co_edit = models.FloatField(null=True, blank=True)
    # Months with contact: bit k is month metrics.compute.pairs.month_base(ref) + k.
    month_bits = models.BigIntegerField(default=0)
    score = models.FloatField(default=0.0)
    reciprocity = models.FloatField(default=0.0)
    multiplexity = models.FloatField(default=0.0)
    duration = models.FloatField(default=0.0)
    tie_class = models.CharField(max_length=6, choices=TieClass.choices, default=TieClass.LATENT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "user_a", "user_b"], name="one_tie"),
            models.CheckConstraint(
                condition=models.Q(user_a__lt=models.F("user_b")), name="tie_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["community", "tie_class"])]

    def __str__(self):
        return f"{self.user_a_id}–{self.user_b_id} ({self.tie_class})"


# Channel columns in metrics.compute.ties.CHANNELS order.
CHANNEL_COLUMNS = (
    "channel_discussion",
    "channel_qa",
    "channel_mention",
    "channel_endorsement",
    "channel_event",
    "channel_co_edit",
)
# A pair's state in the tie table, in ``metrics.compute.pairs.PairTable``'s order: what a run
# reads back (``collect.load_tie_table``) and every current run writes (``pipeline.store``).
TIE_STATE_COLUMNS = (
    "user_a_id",
    "user_b_id",
    "units_ab",
    "units_ba",
    "first_at",
    "last_at",
    *CHANNEL_COLUMNS,
    "month_bits",
)
# A whole tie table row as runs write it.
TIE_COLUMNS = (
    "community_id",
    *TIE_STATE_COLUMNS,
    "score",
    "reciprocity",
    "multiplexity",
    "duration",
    "tie_class",
)
# A network edge's own columns: what a run writes (``pipeline.store``, after the snapshot id, in
# this order) and the exports read back.
NETWORK_EDGE_COLUMNS = (
    "user_a_id",
    "user_b_id",
    "score",
    "tie_class",
    "reciprocity",
    "multiplexity",
    "duration",
)


class NetworkEdge(models.Model):
    """One edge of a snapshot's network, exactly as the run computed it: a tie with a score at or
    above the network threshold between two members of the snapshot.

    The network measures, the exports and the drawing all read these, so a file exported hours
    later still carries the network the snapshot's figures were computed on (the tie table moves
    on with every run and keeps scores only to within ``SCORE_REFRESH``). User ids without
    foreign keys, as in the snapshot's ``data``: edges are written in bulk on every run, and a
    departed member's edges drop out with their member row.
    """

    # Indexed by the unique constraint, which leads with it: no second index to maintain. No
    # foreign key in the database (Django still deletes the edges with their snapshot): its
    # check, one per row at the commit, took 0.7 s of a run writing 54,000 edges.
    snapshot = models.ForeignKey(
        MetricsSnapshot,
        on_delete=models.CASCADE,
        related_name="edges",
        db_index=False,
        db_constraint=False,
    )
    user_a_id = models.BigIntegerField()
    user_b_id = models.BigIntegerField()
    score = models.FloatField()
    tie_class = models.CharField(max_length=6, choices=TieClass.choices)
    reciprocity = models.FloatField()
    multiplexity = models.FloatField()
    duration = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "user_a_id", "user_b_id"], name="one_edge_per_snapshot"
            ),
            models.CheckConstraint(
                condition=models.Q(user_a_id__lt=models.F("user_b_id")), name="edge_pair_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.user_a_id}–{self.user_b_id} in {self.snapshot_id}"


class ActivityMark(models.Model):
    """A day of a community whose activity changed under the kept per-day activity: written by
    database triggers on the activity sources (``migrations/0005``) whenever a row is added,
    removed or changed (a post hidden, a vote retracted, an RSVP or an item moved), read and
    deleted by the next current run (``metrics.pipeline.activity``). ``day`` null: the whole
    window (a thread, item or event moved between communities, a thread's author changed).

    No unique (community, day): a run deletes exactly the marks it read, so a change that commits
    while the run computes leaves its own mark for the next run.
    """

    id = models.BigAutoField(primary_key=True)
    community_id = models.BigIntegerField(db_index=True)
    day = models.DateField(null=True)

    def __str__(self):
        return f"Activity of {self.community_id} changed on {self.day or 'every day'}"


class ThreadMark(models.Model):
    """A thread of a community whose record changed under the kept thread records: written by
    database triggers (``migrations/0009``) whenever one of its posts is added, removed or
    changed in a column the record reads (hidden, moved, opening, answer, author, date) or the
    thread itself is (accepted answer, kind, title, hidden, moved, author, date), read and
    deleted by the next current run (``metrics.pipeline.threads``).

    No unique (community, thread): a run deletes exactly the marks it read, so a change that
    commits while the run computes leaves its own mark for the next run.
    """

    id = models.BigAutoField(primary_key=True)
    community_id = models.BigIntegerField(db_index=True)
    thread_id = models.BigIntegerField()

    def __str__(self):
        return f"Thread {self.thread_id} of {self.community_id} changed"


class KeptActivityState(models.Model):
    """Which run's activity ``KeptActivityDay`` holds for a community: that run's tie-table
    token (``MetricsState.ties_token``) and as-of, written with the rows and the token in the
    run's store transaction. The rows are used only while this token is still the state's
    (``metrics.pipeline.kept_activity``): a stale table is unused, never wrong."""

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    ties_token = models.CharField(max_length=32)
    as_of = models.DateTimeField()

    def __str__(self):
        return f"Activity of {self.community_id} kept as of {self.as_of:%Y-%m-%d %H:%M}"


class KeptActivityDay(models.Model):
    """One member's activity on one UTC day (``collect.DayActivity``) as the community's last
    current run computed it, so that a worker without it in memory reads it in one indexed read
    instead of 90 days of sources (``metrics.pipeline.kept_activity``)."""

    # The key is the only index: every read and delete filters on the community and a day range.
    # No foreign key checks (80,000 rows written by a run reading the whole window): a deleted
    # user's rows go when the days their deleted posts and votes marked are read again.
    pk = models.CompositePrimaryKey("community_id", "day", "user_id")
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField()
    user_id = models.BigIntegerField()
    posts = models.IntegerField()
    helps = models.IntegerField()
    contributions = models.IntegerField()
    presence = models.IntegerField()

    def __str__(self):
        return f"{self.user_id} on {self.day} in {self.community_id}"
