"""Reads for drafts: the reader's draft for the page they are on."""

from communities.models import Community
from practice.models import Draft, Thread
from practice.models.drafts import NEW_THREAD


def reader_draft(*, user, community: Community, thread: Thread | None = None) -> Draft | None:
    """*user*'s draft for a new thread in *community* or a reply to *thread*: one query, none
    for visitors."""
    if not user.is_authenticated:
        return None
    place = NEW_THREAD if thread is None else str(thread.pk)
    return Draft.objects.filter(user=user, community=community, place=place).first()
