"""Test data for items and curation, made through the real services (bulk rows only where a
test needs hundreds of them to show that a page's query count does not grow)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import Membership, Profile
from knowledge.models import (
    ChangeProposal,
    CurationEvent,
    Evidence,
    Item,
    ItemAttachment,
    ItemContributor,
    ItemLink,
    ItemRevision,
    RepertoireTag,
    TaggedItem,
)
from knowledge.services import curation, items

User = get_user_model()

ITEM_DATA = {
    "kind": "method",
    "title": "Two-nurse check for heel wounds",
    "summary": "A short check at every shift change.",
    "body": "1. Look\n2. Measure\n3. Write it down",
    "tag_names": ["heels", "pressure"],
}


def propose(community, by, **kwargs):
    return items.item_propose(community=community, by=by, **(ITEM_DATA | kwargs))


def publish(community, by, moderator, **kwargs):
    item = propose(community, by, **kwargs)
    return curation.item_publish(item=item, by=moderator)


def content_of(item, **changes) -> dict:
    item.refresh_from_db()
    data = {
        "kind": item.kind,
        "title": item.title,
        "summary": item.summary,
        "body": item.body,
        "tag_names": list(item.tags.names()),
    }
    return data | changes


def edit(item, by, **changes):
    comment = changes.pop("comment", "")
    links = changes.pop("links", None)
    return items.item_edit(
        item=item, by=by, comment=comment, links=links, **content_of(item, **changes)
    )


def propose_change(item, by, note="", **changes):
    return items.change_propose(item=item, by=by, note=note, **content_of(item, **changes))


def bulk_members(community, n: int, prefix: str) -> list:
    """*n* active members, in bulk (fast enough for 200)."""
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org") for i in range(n)]
    )
    Profile.objects.bulk_create(
        [Profile(user=u, display_name=f"Member {i}") for i, u in enumerate(users)]
    )
    Membership.objects.bulk_create(
        [Membership(community=community, user=u, state="active", role="member") for u in users]
    )
    return users


def bulk_items(community, proposer, n: int, *, state="published", tags=("a", "b", "c")) -> list:
    """*n* items with tags and counters, in bulk (the services make one at a time)."""
    now = timezone.now()
    rows = Item.objects.bulk_create(
        [
            Item(
                community=community,
                kind=Item.Kind.values[i % len(Item.Kind.values)],
                title=f"Item {i}",
                summary=f"Summary {i}",
                body=f"Body {i}",
                body_html=f"<p>Body {i}</p>",
                state=state,
                is_featured=i % 7 == 0,
                featured_at=now if i % 7 == 0 else None,
                proposed_by=proposer,
                created_at=now - timedelta(minutes=i),
                updated_at=now - timedelta(minutes=i),
                published_at=now if state == "published" else None,
                revision_count=1,
                used_count=i % 5,
                worked_count=i % 3,
                failed_count=i % 2,
            )
            for i in range(n)
        ]
    )
    tag_rows = [RepertoireTag.objects.get_or_create(name=t, defaults={"slug": t})[0] for t in tags]
    item_type = ContentType.objects.get_for_model(Item)
    TaggedItem.objects.bulk_create(
        [
            TaggedItem(tag=tag, content_type=item_type, object_id=row.pk)
            for row in rows
            for tag in tag_rows
        ]
    )
    return rows


def fill_item(item, users, n: int) -> None:
    """Give *item* n contributors, links, attachments, revisions, events, change proposals and
    evidence reports (bulk rows, as if made over years)."""
    now = timezone.now()
    ItemContributor.objects.bulk_create(
        [ItemContributor(item=item, user=u, role="editor", added_at=now) for u in users[:n]],
        ignore_conflicts=True,
    )
    ItemLink.objects.bulk_create(
        [
            ItemLink(item=item, url=f"https://example.org/{i}", label=f"Link {i}", position=i)
            for i in range(n)
        ]
    )
    ItemAttachment.objects.bulk_create(
        [
            ItemAttachment(
                item=item, file=f"2026/01/{i}.pdf", original_name=f"file {i}.pdf",
                content_type="application/pdf", size=1000 + i, uploaded_by=users[0],
                uploaded_at=now,
            )
            for i in range(n)
        ]
    )  # fmt: skip
    start = item.revision_count
    ItemRevision.objects.bulk_create(
        [
            ItemRevision(
                item=item, number=start + i + 1, kind=item.kind, title=item.title,
                summary=item.summary, body=f"{item.body}\nline {i}", tag_names=["a"],
                editor=users[i % len(users)], comment=f"edit {i}", created_at=now,
            )
            for i in range(n)
        ]
    )  # fmt: skip
    Item.objects.filter(pk=item.pk).update(revision_count=start + n)
    CurationEvent.objects.bulk_create(
        [
            CurationEvent(item=item, actor=users[i % len(users)], action="edited", created_at=now)
            for i in range(n)
        ]
    )
    ChangeProposal.objects.bulk_create(
        [
            ChangeProposal(
                item=item, proposed_by=u, kind=item.kind, title=f"{item.title} {i}",
                summary=item.summary, body=item.body, tag_names=[], created_at=now,
            )
            for i, u in enumerate(users[:n])
        ]
    )  # fmt: skip
    Evidence.objects.bulk_create(
        [
            Evidence(item=item, member=u, outcome=("worked", "partly", "failed")[i % 3],
                     note=f"note {i}", created_at=now, updated_at=now)
            for i, u in enumerate(users[:n])
        ]
    )  # fmt: skip


def count_queries(client, url, status=200) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return len(ctx.captured_queries)
