"""Activity signals that the apps above add to communities' lists (practice: threads and posts).

Communities owns no content, so the front page's "My communities" (what is new since the
member's last visit) and the directory's signals (posts in the last 30 days, last activity) are
annotations registered from ``ready()``. Each annotator adds subqueries to the one queryset the
page already runs, so the page's query count does not grow with the number of communities.

The attributes they provide:

- on memberships (``annotate_since_last_visit``): ``new_threads`` and ``new_posts``, counted from
  ``last_seen_at`` (or ``joined_at`` before the first visit), the member's own left out;
- on communities (``annotate_recent_activity``): ``recent_posts`` (the last RECENT_DAYS days)
  and ``last_activity_at``. Rows the viewer may not read get None (the annotator receives the
  readable-communities Q and wraps its subqueries in it), so a private community's signals never
  leave the database for an outsider.
"""

from collections.abc import Callable
from datetime import datetime

from django.db.models import Q, QuerySet, Value
from django.db.models.fields import DateTimeField, IntegerField

RECENT_DAYS = 30

SinceAnnotator = Callable[[QuerySet], QuerySet]
RecentAnnotator = Callable[..., QuerySet]

_since: dict[str, SinceAnnotator] = {}
_recent: dict[str, RecentAnnotator] = {}


def register_since_last_visit(name: str, annotate: SinceAnnotator) -> None:
    """*annotate(memberships)* adds ``new_threads`` and ``new_posts`` to a Membership queryset."""
    _since[name] = annotate


def register_recent_activity(name: str, annotate: RecentAnnotator) -> None:
    """*annotate(communities, since=datetime, readable=Q)* adds ``recent_posts`` and
    ``last_activity_at`` to a Community queryset, None where *readable* does not hold."""
    _recent[name] = annotate


def annotate_since_last_visit(memberships: QuerySet) -> QuerySet:
    if not _since:
        return memberships.annotate(
            new_threads=Value(None, output_field=IntegerField()),
            new_posts=Value(None, output_field=IntegerField()),
        )
    for annotate in _since.values():
        memberships = annotate(memberships)
    return memberships


def annotate_recent_activity(communities: QuerySet, *, since: datetime, readable: Q) -> QuerySet:
    if not _recent:
        return communities.annotate(
            recent_posts=Value(None, output_field=IntegerField()),
            last_activity_at=Value(None, output_field=DateTimeField()),
        )
    for annotate in _recent.values():
        communities = annotate(communities, since=since, readable=readable)
    return communities
