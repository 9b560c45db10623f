"""The weekly community digest's practice sections: new threads and unanswered questions
(registered with ``notifications.digests`` in apps.py)."""

from datetime import datetime

from django.conf import settings

from notifications.digests import SECTION_LIMIT, DigestItem, DigestSection
from practice import permissions
from practice.models import Thread


def _thread_items(threads, limit: int) -> tuple[list[DigestItem], int]:
    rows = list(threads.order_by("-created_at", "-pk")[:limit])
    total = threads.count()  # always: the digest's query count does not depend on its size
    items = [
        DigestItem(
            title=t.title,
            url=settings.SITE_URL + t.get_absolute_url(),
            note=t.get_kind_display(),
        )
        for t in rows[:limit]
    ]
    return items, total - len(items)


def new_threads_section(*, user, community, since: datetime) -> DigestSection:
    """Threads started in *community* since *since* that *user* may read."""
    threads = (
        permissions.threads_visible_to(user, community)
        .filter(is_hidden=False, created_at__gte=since)
        .select_related("community")
    )
    items, more = _thread_items(threads, SECTION_LIMIT)
    return DigestSection(key="new_threads", title="New threads", items=items, more=more)


def unanswered_questions_section(*, user, community, since: datetime) -> DigestSection:
    """Questions asked since *since* that nobody has answered yet."""
    threads = (
        permissions.threads_visible_to(user, community)
        .filter(
            is_hidden=False,
            is_locked=False,
            kind=Thread.Kind.QUESTION,
            answer_count=0,
            created_at__gte=since,
        )
        .select_related("community")
    )
    items, more = _thread_items(threads, SECTION_LIMIT)
    return DigestSection(
        key="unanswered", title="Questions waiting for an answer", items=items, more=more
    )


# The sections of the weekly community digest, in order. Each is called with keyword arguments
# ``user``, ``community`` and ``since`` and returns a DigestSection; sections without items are
# left out, and a digest without any section is not sent. New repertoire items (the knowledge
# app) append their section here.
WEEKLY_DIGEST_SECTIONS = [new_threads_section, unanswered_questions_section]
