from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.urls import reverse
from taggit.managers import TaggableManager
from taggit.models import GenericTaggedItemBase, TagBase

from communities.models import Community

# Bodies longer than this are refused with a form error (a clear limit, not a 500).
BODY_MAX_LENGTH = 50_000
TITLE_MAX_LENGTH = 200


class ThreadTag(TagBase):
    """Tags of threads, kept apart from expertise tags so suggestions stay on topic."""

    class Meta:
        verbose_name = "thread tag"


class TaggedThread(GenericTaggedItemBase):
    tag = models.ForeignKey(ThreadTag, on_delete=models.CASCADE, related_name="items")

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]


class Thread(models.Model):
    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        DISCUSSION = "discussion", "Discussion"
        STORY = "story", "Story"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SOLVED = "solved", "Solved"
        LOCKED = "locked", "Locked"
        HIDDEN = "hidden", "Hidden"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="threads")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.QUESTION)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads"
    )
    opening_post = models.OneToOneField(
        "practice.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_post = models.OneToOneField(
        "practice.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    # status is derived from the three facts below by services.thread_refresh_status.
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    is_locked = models.BooleanField(default=False)
    is_hidden = models.BooleanField(default=False)
    # Counters are denormalised for lists and recomputable from their rows.
    reply_count = models.PositiveIntegerField(default=0)
    answer_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    last_activity_at = models.DateTimeField()
    tags = TaggableManager(through=TaggedThread, blank=True)
    # Notices about this thread (notifications' generic target): no column, but Django's delete
    # (services, admin, a community's cascade) removes them with it, as a foreign key's
    # CASCADE did. Practice names notifications here, never the other way round.
    notices = GenericRelation(
        "notifications.Notification", content_type_field="target_type", object_id_field="target_id"
    )

    class Meta:
        indexes = [
            models.Index(fields=["community", "is_hidden", "-last_activity_at"]),
            models.Index(fields=["community", "is_hidden", "-created_at"]),
            models.Index(fields=["community", "is_hidden", "-helpful_count"]),
            models.Index(fields=["community", "kind", "status"]),
            models.Index(fields=["community", "kind", "answer_count"]),
            models.Index(fields=["author", "-created_at"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("practice:thread", args=[self.community.slug, self.pk])

    @property
    def is_question(self) -> bool:
        return self.kind == self.Kind.QUESTION

    @property
    def is_solved(self) -> bool:
        return self.accepted_post_id is not None


class Post(models.Model):
    """A message in a thread: the opening post, an answer to a question, or a reply."""

    # No index of their own: the composite indexes below start with each of them.
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="posts", db_index=False
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts", db_index=False
    )
    is_opening = models.BooleanField(default=False)
    # An answer: a post in a question thread that is not the opening post and quotes no post.
    is_answer = models.BooleanField(default=False)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    helpful_count = models.PositiveIntegerField(default=0)
    worked_count = models.PositiveIntegerField(default=0)
    did_not_work_count = models.PositiveIntegerField(default=0)
    # A random key each rendered form carries, so a second submit of it makes no second post.
    submission_key = models.CharField(max_length=40, blank=True)
    # Notices about this post (notifications' generic target): no column, but Django's delete
    # (services, admin, a community's cascade) removes them with it, as a foreign key's
    # CASCADE did. Practice names notifications here, never the other way round.
    notices = GenericRelation(
        "notifications.Notification", content_type_field="target_type", object_id_field="target_id"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["author", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="one_post_per_submission",
            )
        ]
        indexes = [
            models.Index(fields=["thread", "is_hidden", "created_at"]),
            models.Index(fields=["community", "created_at"]),
            models.Index(fields=["author", "-created_at"]),
        ]

    def __str__(self):
        return f"Post {self.pk} in {self.thread_id}"

    def get_absolute_url(self):
        # Its own address: it redirects to the page of the thread where the reader finds it.
        return reverse("practice:post", args=[self.thread.community.slug, self.pk])


class PostMention(models.Model):
    """A member mentioned in a post; kept so the interaction log can be rebuilt exactly."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="one_mention")]

    def __str__(self):
        return f"@{self.user_id} in {self.post_id}"


class PostRevision(models.Model):
    """A previous version of a post (and of the thread title, for opening posts)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="one_revision_number")
        ]

    def __str__(self):
        return f"Revision {self.number} of post {self.post_id}"


class Vote(models.Model):
    """One "helpful" vote per member per post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "voter"], name="one_vote")]
        indexes = [models.Index(fields=["voter", "post"])]

    def __str__(self):
        return f"{self.voter_id} found {self.post_id} helpful"


class AdoptionReport(models.Model):
    """A member says whether a piece of knowledge worked in their own practice."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="adoption_reports")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="adoption_reports"
    )
    worked = models.BooleanField()
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], name="one_adoption_report")
        ]

    def __str__(self):
        return f"{self.member_id}: {'worked' if self.worked else 'did not work'} ({self.post_id})"
