"""Regenerate, from item revisions alone, the co-edit interactions the item services log.

Revision *n* of an item ties the editors of revisions 1..n together: a symmetric group among
the distinct editors so far (both directions of every pair, ``group_size`` = how many), caused
by revision *n* at its time. ``knowledge.services.items.log_co_edit`` writes the same rows when
the revision is made; a test checks that ``rebuild_interactions`` reproduces them exactly.
"""

from communities.interactions import group_specs
from communities.models import Interaction
from knowledge.models import ItemRevision

# Revisions read per round trip while rebuilding a large community.
CHUNK = 2000


def co_edit_source(community_ids):
    qs = ItemRevision.objects.all()
    if community_ids is not None:
        qs = qs.filter(item__community_id__in=community_ids)
    rows = qs.order_by("item_id", "number").values_list(
        "pk", "item_id", "item__community_id", "editor_id", "created_at"
    )
    current_item, editors = None, set()
    for pk, item_id, community_id, editor_id, at in rows.iterator(CHUNK):
        if item_id != current_item:
            current_item, editors = item_id, set()
        if editor_id is not None:
            editors.add(editor_id)
        if len(editors) > 1:
            yield from group_specs(
                community_id=community_id,
                member_ids=editors,
                kind=Interaction.Kind.CO_EDIT,
                occurred_at=at,
                source=ItemRevision(pk=pk),
            )
