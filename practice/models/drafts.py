from django.conf import settings
from django.db import models
from django.utils import timezone

from communities.models import Community
from practice.models.threads import TITLE_MAX_LENGTH

NEW_THREAD = "new-thread"
TAGS_MAX_LENGTH = 500


class Draft(models.Model):
    """A member's unsent text for one place: a new thread in a community ("new-thread") or a
    reply to a thread (the thread's id). Kept on the server so it follows the member."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    # "new-thread" is per community; a thread's id is unique across communities.
    place = models.CharField(max_length=20)
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    tags = models.CharField(max_length=TAGS_MAX_LENGTH, blank=True)
    body = models.TextField(blank=True)
    # Set by the service (``at=``, or now).
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community", "place"], name="draft_once_per_place"
            ),
        ]

    def __str__(self):
        return f"draft of {self.user_id} at {self.community_id}/{self.place}"
