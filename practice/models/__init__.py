from practice.models.events import RSVP, Event
from practice.models.follows import Follow
from practice.models.moderation import Flag, ModerationAction
from practice.models.notifications import DigestSubscription, Notification, NotificationPreference
from practice.models.threads import (
    AdoptionReport,
    Post,
    PostMention,
    PostRevision,
    TaggedThread,
    Thread,
    ThreadTag,
    Vote,
)

__all__ = [
    "RSVP",
    "AdoptionReport",
    "DigestSubscription",
    "Event",
    "Flag",
    "Follow",
    "ModerationAction",
    "Notification",
    "NotificationPreference",
    "Post",
    "PostMention",
    "PostRevision",
    "TaggedThread",
    "ThreadTag",
    "Thread",
    "Vote",
]
