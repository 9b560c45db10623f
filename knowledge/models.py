"""The shared repertoire: curated items, their revisions, curation history and evidence of use."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from taggit.managers import TaggableManager
from taggit.models import GenericTaggedItemBase, TagBase

from communities.models import Community
from knowledge.storage import attachment_storage, attachment_upload_to

TITLE_MAX_LENGTH = 200
SUMMARY_MAX_LENGTH = 1_000
BODY_MAX_LENGTH = 100_000
NOTE_MAX_LENGTH = 2_000
COMMENT_MAX_LENGTH = 2_000
SUBMISSION_KEY_LENGTH = 40


class RepertoireTag(TagBase):
    """Tags of repertoire items (kept apart from thread and expertise tags)."""

    class Meta:
        verbose_name = "library tag"


class TaggedItem(GenericTaggedItemBase):
    tag = models.ForeignKey(RepertoireTag, on_delete=models.CASCADE, related_name="items")

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]


class Item(models.Model):
    """One piece of the community's repertoire: a story, tool, concept, case, method, artefact or
    the record of an event. Only published items are in the library."""

    class Kind(models.TextChoices):
        STORY = "story", "Story"
        TOOL = "tool", "Tool"
        CONCEPT = "concept", "Concept"
        CASE = "case", "Case"
        METHOD = "method", "Method"
        ARTEFACT = "artefact", "Artefact"
        EVENT_RECORD = "event_record", "Event record"

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    summary = models.TextField(max_length=SUMMARY_MAX_LENGTH)
    body = models.TextField(max_length=BODY_MAX_LENGTH, blank=True)
    body_html = models.TextField(editable=False, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED)
    is_featured = models.BooleanField(default=False)
    featured_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposed_items"
    )
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ItemContributor", related_name="contributed_items"
    )
    # Provenance: the discussion an item was promoted from.
    source_thread = models.ForeignKey(
        "practice.Thread",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repertoire_items",
    )
    source_post = models.ForeignKey(
        "practice.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    # When a moderator last looked at it (publish, feature, review); drives "not reviewed for N
    # months" in the content-health queue.
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    revision_count = models.PositiveIntegerField(default=0)
    # Evidence counters are denormalised for lists and recomputable from Evidence rows.
    worked_count = models.PositiveIntegerField(default=0)
    partly_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    used_count = models.PositiveIntegerField(default=0)
    tags = TaggableManager(through=TaggedItem, blank=True)
    # Set when the proposal form is rendered: submitting the same form twice makes one item.
    submission_key = models.CharField(max_length=SUBMISSION_KEY_LENGTH, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposed_by", "submission_key"],
                condition=~Q(submission_key=""),
                name="one_item_per_submission",
            )
        ]
        indexes = [
            models.Index(fields=["community", "state", "-updated_at"]),
            models.Index(fields=["community", "state", "kind", "-updated_at"]),
            models.Index(fields=["community", "state", "is_featured", "-featured_at"]),
            models.Index(fields=["community", "state", "-used_count"]),
            models.Index(fields=["community", "state", "last_reviewed_at"]),
            models.Index(fields=["community", "state", "-failed_count"]),
            models.Index(fields=["proposed_by", "-created_at"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("knowledge:item", args=[self.community.slug, self.pk])

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class ItemContributor(models.Model):
    """A member credited on an item: its proposer, an editor, or an author of a source post."""

    class Role(models.TextChoices):
        AUTHOR = "author", "Author"
        EDITOR = "editor", "Editor"
        SOURCE = "source", "Source discussion"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="credits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=8, choices=Role.choices)
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="one_credit_per_contributor")
        ]
        indexes = [models.Index(fields=["user", "item"])]

    def __str__(self):
        return f"{self.user_id} on {self.item_id} ({self.role})"


class ItemLink(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=1_000)
    label = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "position", "pk"]

    def __str__(self):
        return self.label or self.url


class ItemAttachment(models.Model):
    """An uploaded file. Served only through a permission-checked view, as a download with
    ``Content-Disposition: attachment``, ``nosniff`` and a sandboxing CSP: never inline."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(
        upload_to=attachment_upload_to, storage=attachment_storage, max_length=200
    )
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "uploaded_at", "pk"]

    def __str__(self):
        return self.original_name


class ItemRevision(models.Model):
    """A complete version of an item's editable content (revision 1 is the first proposal)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Item.Kind.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    summary = models.TextField(max_length=SUMMARY_MAX_LENGTH)
    body = models.TextField(max_length=BODY_MAX_LENGTH, blank=True)
    tag_names = models.JSONField(default=list)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="one_item_revision_number")
        ]

    def __str__(self):
        return f"Revision {self.number} of item {self.item_id}"


class ChangeProposal(models.Model):
    """A member's proposed change to a published item, waiting for a moderator."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="change_proposals")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Item.Kind.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    summary = models.TextField(max_length=SUMMARY_MAX_LENGTH)
    body = models.TextField(max_length=BODY_MAX_LENGTH, blank=True)
    tag_names = models.JSONField(default=list)
    note = models.TextField(max_length=COMMENT_MAX_LENGTH, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    # The item's revision the proposal was written against (to tell the moderator if the item
    # has changed since).
    base_revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    moderator_comment = models.TextField(max_length=COMMENT_MAX_LENGTH, blank=True)

    class Meta:
        constraints = [
            # One open proposal per member and item: proposing again updates it.
            models.UniqueConstraint(
                fields=["item", "proposed_by"],
                condition=Q(state__in=["pending", "changes_requested"]),
                name="one_open_change_per_member",
            )
        ]
        indexes = [
            models.Index(fields=["item", "state"]),
            models.Index(fields=["proposed_by", "-created_at"]),
        ]

    def __str__(self):
        return f"Change to {self.item_id} by {self.proposed_by_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.PENDING, self.State.CHANGES_REQUESTED)


class CurationEvent(models.Model):
    """The item's history: every curation step, with who did it and why."""

    class Action(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        PROMOTED = "promoted", "Promoted from a discussion"
        EDITED = "edited", "Edited"
        RESUBMITTED = "resubmitted", "Resubmitted"
        CHANGES_REQUESTED = "changes_requested", "Asked for changes"
        PUBLISHED = "published", "Published"
        FEATURED = "featured", "Featured"
        UNFEATURED = "unfeatured", "No longer featured"
        ARCHIVED = "archived", "Archived"
        UNARCHIVED = "unarchived", "Brought back from the archive"
        REVIEWED = "reviewed", "Reviewed"
        CHANGE_PROPOSED = "change_proposed", "Change proposed"
        CHANGE_ACCEPTED = "change_accepted", "Change accepted"
        CHANGE_DECLINED = "change_declined", "Change declined"
        REVISION_RESTORED = "revision_restored", "Old revision restored"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="curation_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    comment = models.TextField(max_length=COMMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "created_at", "pk"]
        indexes = [models.Index(fields=["item", "created_at"])]

    def __str__(self):
        return f"{self.action} {self.item_id}"


class Evidence(models.Model):
    """A member's report of using an item in their own practice ("I used this")."""

    class Outcome(models.TextChoices):
        WORKED = "worked", "Worked"
        PARTLY = "partly", "Partly worked"
        FAILED = "failed", "Did not work"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="evidence")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="item_evidence"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    note = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="one_evidence_per_member")
        ]
        indexes = [models.Index(fields=["item", "-updated_at"])]

    def __str__(self):
        return f"{self.member_id}: {self.outcome} ({self.item_id})"


class ExpertSource(models.Model):
    """What one thread or one repertoire item last added to the stored expert scores.

    ``scores``: ``[community_id, tag_key, user_id, accepted, helpful, items, edits]`` rows;
    ``tags``: ``[community_id, tag_name, questions, unanswered]`` rows. A change subtracts this
    and adds the new contribution (``knowledge.services.experts``).
    """

    class Kind(models.TextChoices):
        THREAD = "thread", "Thread"
        ITEM = "item", "Item"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    scores = models.JSONField(default=list)
    tags = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="expert_source_unique")
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id}"


class TagExpertScore(models.Model):
    """A member's score on one tag (case-folded name) of a community, all members counted: the
    page keeps only the active ones. Kept up to date by deltas in the content's transaction."""

    # No database constraint: a cascade deleting the community or the user may still subtract
    # from these rows; their own post_delete then removes them (knowledge.services.experts).
    community = models.ForeignKey(
        Community, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    tag_key = models.CharField(max_length=255)  # casefold may lengthen a name
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    accepted = models.IntegerField(default=0)
    helpful = models.IntegerField(default=0)
    items = models.IntegerField(default=0)
    edits = models.IntegerField(default=0)
    points = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "tag_key", "user"], name="tag_expert_score_unique"
            )
        ]
        indexes = [
            models.Index(
                "community",
                "tag_key",
                models.F("points").desc(),
                models.F("accepted").desc(),
                models.F("helpful").desc(),
                "user",
                name="tag_expert_score_rank",
            )
        ]

    def __str__(self):
        return f"{self.tag_key}: user {self.user_id}, {self.points} points"


class TagUse(models.Model):
    """Per community and tag name: visible questions, those unanswered, and how many threads and
    published items count it (``uses``)."""

    community = models.ForeignKey(
        Community, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    name = models.CharField(max_length=100)
    questions = models.IntegerField(default=0)
    unanswered = models.IntegerField(default=0)
    uses = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="tag_use_unique")]

    def __str__(self):
        return self.name


class ExpertRankingVersion(models.Model):
    """Per community, a token the database replaces whenever an input of the experts' ranking
    changes (a score, a membership, an account's ``is_active``): triggers from migration
    ``knowledge.0006``, so every writer (services, bulk paths, admin, raw SQL) changes it; on
    PostgreSQL at commit (``ExpertRankingChange``). The page caches its ranking under the token
    read before it ranks."""

    community = models.OneToOneField(
        Community,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    token = models.CharField(max_length=32)

    def __str__(self):
        return f"{self.community_id}: {self.token}"


class ExpertRankingChange(models.Model):
    """A ranking input of *community* changed in the open transaction *xact* (PostgreSQL only;
    migration ``knowledge.0007``; one row per transaction and community, a new token per
    writing statement). The triggers write these rows instead of the version row, so a writer
    locks no shared row while it works; at commit one deferred trigger replaces the
    tokens of all the transaction's communities, in the order of their ids, and deletes its
    rows. Other transactions never see them; the writer itself reads its ranking under the
    latest token here (its own, uncommitted state)."""

    community = models.ForeignKey(
        Community, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    token = models.CharField(max_length=32)
    xact = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["xact", "community"], name="expert_ranking_change_xact")]

    def __str__(self):
        return f"{self.community_id}: {self.token} ({self.xact})"
