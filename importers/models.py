"""What the importers remember: each imported row's source, and each run."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from communities.models import Community


class Source(models.TextChoices):
    STACKEXCHANGE = "stackexchange", "Stack Exchange data dump"
    MBOX = "mbox", "Mailing-list archive"


class SourceRecord(models.Model):
    """One row of a source (a post, a comment, an edit, a person...) and what it became here.

    The unique key makes a second run add nothing and lets an interrupted one resume: a record
    is written in the same transaction as the object it points at.
    """

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        QUESTION = "question", "Question (thread)"
        ANSWER = "answer", "Answer"
        COMMENT = "comment", "Comment"
        REVISION = "revision", "Revision"
        ACCEPT = "accept", "Accepted answer"
        CLOSE = "close", "Closed question"
        # Mailing lists: a thread (keyed by its first message) and each message.
        THREAD = "thread", "Thread (mailing list)"
        MESSAGE = "message", "Message"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    # The site (e.g. "cooking.stackexchange.com") or archive the row came from.
    site = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source_id = models.CharField(max_length=100)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    # The source's own score (Stack Exchange's votes carry no voter: kept as a number, never
    # turned into member votes).
    score = models.IntegerField(null=True, blank=True)
    # What the source said that has no column here (original link, closed date, name...).
    data = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey(
        "importers.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "source", "site", "kind", "source_id"],
                name="importers_one_record_per_source_row",
            )
        ]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            # A verified address finds its mailing-list people in every community.
            models.Index(fields=["source", "kind", "source_id"], name="importers_record_by_key"),
        ]

    def __str__(self):
        return f"{self.site} {self.kind} {self.source_id}"


class ImportRun(models.Model):
    """One run of an importer: what it was asked, how far it got, what it skipped."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    site = models.CharField(max_length=200)
    path = models.CharField(max_length=1000, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Rows read, imported, already there and skipped, by kind.
    counts = models.JSONField(default=dict, blank=True)
    # One line per skipped row and why (also written to --report FILE).
    report = models.TextField(blank=True)
    error = models.TextField(blank=True)
    # Progress, for the admin page: threads (or questions) done of the total, written every
    # few dozen threads by the run (importers.common.RunProgress).
    total = models.PositiveIntegerField(null=True, blank=True)
    processed = models.PositiveIntegerField(default=0)
    progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.get_source_display()} {self.site} → {self.community_id} ({self.status})"
