"""Search test data: content made through the real services; items through the ORM (the
repertoire services are written in parallel) followed by ``item_changed``, as they will call it."""

from django.utils import timezone

from knowledge.models import Item
from search import indexing
from search.models import SearchEntry


def make_item(
    community,
    author,
    *,
    title,
    summary="A summary.",
    body="",
    state="published",
    kind="tool",
    tags=(),
):
    now = timezone.now()
    item = Item.objects.create(
        community=community,
        kind=kind,
        title=title,
        summary=summary,
        body=body,
        body_html=f"<p>{body}</p>" if body else "",
        state=state,
        proposed_by=author,
        created_at=now,
        updated_at=now,
        published_at=now if state == "published" else None,
    )
    if tags:
        item.tags.set(list(tags))
    indexing.item_changed(item.pk)
    return item


def entries(**filters):
    return SearchEntry.objects.filter(**filters)


def kinds_and_ids(qs=None):
    qs = SearchEntry.objects.all() if qs is None else qs
    return sorted(qs.values_list("kind", "object_id"))
