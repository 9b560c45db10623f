"""The weekly digest's "New in the library" section: items published this week, readable ones
only, in a query count that does not depend on how many there are."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowledge.digests import new_in_library_section
from knowledge.models import Item
from notifications import digests
from notifications import email as notification_email
from tests.knowledge.kb_helpers import proposed_item, published_item
from tests.practice.factories import member_of, moderator_of

pytestmark = pytest.mark.django_db


def test_weekly_digest_lists_items_published_this_week(
    open_community, django_capture_on_commit_callbacks
):
    community = open_community
    subscriber = member_of(community)
    notification_email.digest_subscribe(user=subscriber, community=community)
    moderator, author = moderator_of(community), member_of(community)
    fresh = published_item(community, author, moderator, title="Fresh heel method")
    old = published_item(community, author, moderator, title="Old heel method")
    Item.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=9))
    proposed_item(community, author, title="Only proposed")
    with django_capture_on_commit_callbacks(execute=True):
        assert digests.weekly_digests_send() == 1
    body = mail.outbox[0].body
    assert "New in the library" in body and "Fresh heel method" in body
    assert fresh.get_absolute_url() in body
    assert "Old heel method" not in body and "Only proposed" not in body


def test_new_in_library_section_queries_do_not_grow(open_community):
    community = open_community
    reader, moderator, author = member_of(community), moderator_of(community), member_of(community)
    since = timezone.now() - timedelta(days=7)
    counts = []
    for n in (3, 25):
        while Item.objects.count() < n:
            published_item(community, author, moderator, title=f"Item {Item.objects.count()}")
        reader.__dict__.pop("_practica_memberships", None)
        with CaptureQueriesContext(connection) as ctx:
            section = new_in_library_section(user=reader, community=community, since=since)
        counts.append(len(ctx.captured_queries))
        assert len(section.items) == min(n, 10) and section.more == max(0, n - 10)
    assert counts[0] == counts[1], counts
