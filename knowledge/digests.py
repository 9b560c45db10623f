"""The weekly community digest's "New in the library" section (registered in apps.py)."""

from datetime import datetime

from django.conf import settings

from knowledge import permissions
from knowledge.models import Item
from notifications.digests import SECTION_LIMIT, DigestItem, DigestSection


def new_in_library_section(*, user, community, since: datetime) -> DigestSection:
    """Items published in *community* since *since* that *user* may read (two queries)."""
    items = permissions.items_visible_to(user, community).filter(
        state=Item.State.PUBLISHED, published_at__gte=since
    )
    rows = list(items.select_related("community").order_by("-published_at", "-pk")[:SECTION_LIMIT])
    total = items.count()  # always: the digest's query count does not depend on its size
    return DigestSection(
        key="new_in_library",
        title="New in the library",
        items=[
            DigestItem(
                title=item.title,
                url=settings.SITE_URL + item.get_absolute_url(),
                note=item.get_kind_display(),
            )
            for item in rows
        ],
        more=total - len(rows),
    )
