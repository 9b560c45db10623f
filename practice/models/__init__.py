from practice.models.drafts import Draft
from practice.models.events import RSVP, Event
from practice.models.follows import Follow
from practice.models.moderation import Flag, ModerationAction
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
    "Draft",
    "Event",
    "Flag",
    "Follow",
    "ModerationAction",
    "Post",
    "PostMention",
    "PostRevision",
    "TaggedThread",
    "ThreadTag",
    "Thread",
    "Vote",
]
