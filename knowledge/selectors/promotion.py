"""Provenance reads: the repertoire items that came from a discussion."""

from communities import permissions
from knowledge.models import Item


def items_from_thread(*, user, thread) -> list[Item]:
    """Items promoted from *thread* that *user* may open, in one query.

    Readers see the published ones ("now part of the repertoire"); moderators also see
    proposals still in curation, so they do not promote the same discussion twice.
    """
    qs = permissions.items_visible_to(user, thread.community).filter(source_thread=thread)
    if permissions.can_curate(user, thread.community):
        qs = qs.exclude(state=Item.State.ARCHIVED)
    else:
        qs = qs.filter(state=Item.State.PUBLISHED)
    return list(qs.only("pk", "title", "kind", "state", "community_id").order_by("pk"))
