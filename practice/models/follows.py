from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from communities.models import Community


class Follow(models.Model):
    """A member follows a thread, a tag within a community, or a whole community."""

    class Target(models.TextChoices):
        THREAD = "thread", "Thread"
        TAG = "tag", "Tag"
        COMMUNITY = "community", "Community"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=10, choices=Target.choices)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(
        "practice.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="follows"
    )
    tag = models.ForeignKey(
        "practice.ThreadTag", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Set by the service (``at=``, or now); not auto_now_add, which would overrule it.
    created_at = models.DateTimeField(default=timezone.now, editable=False, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"], condition=Q(target="thread"), name="follow_thread_once"
            ),
            models.UniqueConstraint(
                fields=["user", "community", "tag"],
                condition=Q(target="tag"),
                name="follow_tag_once",
            ),
            models.UniqueConstraint(
                fields=["user", "community"],
                condition=Q(target="community"),
                name="follow_community_once",
            ),
            models.CheckConstraint(
                condition=(
                    Q(target="thread", thread__isnull=False, tag__isnull=True)
                    | Q(target="tag", thread__isnull=True, tag__isnull=False)
                    | Q(target="community", thread__isnull=True, tag__isnull=True)
                ),
                name="follow_target_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "user"]),
            models.Index(fields=["community", "target", "tag"]),
        ]

    def __str__(self):
        return f"{self.user_id} follows {self.target}"
