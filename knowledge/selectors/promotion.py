"""Provenance reads: the repertoire items that came from a discussion."""

from knowledge import permissions
from knowledge.models import Item
from knowledge.selectors.experts import likely_answerers


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


def thread_knowledge(*, user, thread, tag_names: list[str]) -> dict:
    """What the thread page shows from the repertoire: the items that came from the thread,
    whether the viewer may promote it, and, on an unanswered question, the members most likely
    to answer it. One query, plus five on an unanswered tagged question."""
    answerers = []
    if thread.is_question and not thread.answer_count and not thread.is_hidden and tag_names:
        answerers = likely_answerers(thread=thread, tag_names=tag_names, viewer=user)
    return {
        "repertoire": items_from_thread(user=user, thread=thread),
        "can_promote": permissions.can_promote(user, thread),
        "likely_answerers": answerers,
    }
