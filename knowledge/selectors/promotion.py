"""Provenance reads: the repertoire items that came from a discussion."""

from core import rows as model_rows
from knowledge import permissions
from knowledge.models import Item
from knowledge.selectors.experts import likely_answerers


def items_from_thread(*, user, thread) -> list[Item]:
    """Items promoted from *thread* that *user* may open, in one query.

    Readers see the published ones ("now part of the repertoire"); moderators also see
    proposals still in curation, so they do not promote the same discussion twice.
    """
    community = thread.community
    # The thread's items are few (nearly always none) and every thread page asks: read them with
    # a plain query and let the gatekeeper decide each one, rather than compose the permission
    # filter in the ORM, which cost more CPU than the answer.
    columns, rows = model_rows.fetch(
        Item,
        "SELECT id, community_id, kind, title, state, published_at, proposed_by_id "
        f"FROM {Item._meta.db_table} WHERE source_thread_id = %s AND community_id = %s "
        "ORDER BY id",
        [thread.pk, community.pk],
    )
    items = model_rows.instances(Item, columns, rows)
    curates = permissions.can_curate(user, community)
    return [
        item
        for item in items
        if permissions.can_open_item(user, item, community)
        and (item.state != Item.State.ARCHIVED if curates else item.state == Item.State.PUBLISHED)
    ]


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
