"""The header's unread count is kept in the cache between a member's requests
(notifications.unread): it changes at once after a notice and after marking read, follows what
the member may read, and one member's count never shows to another."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Membership
from notifications.models import Notification
from notifications.services import notices_move, notifications_mark_read, notify
from tests.factories import CommunityFactory
from tests.practice.factories import member_of

pytestmark = pytest.mark.django_db

PAGE = reverse("communities:directory")


def badge(client) -> str | None:
    html = client.get(PAGE).content.decode()
    marker = '<span class="count-badge">'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split("<", 1)[0]


def note(user, community, n: int = 1, target=None) -> None:
    for i in range(n):
        notify(
            recipient_ids=[user.pk],
            kind=Notification.Kind.NEW_THREAD,
            community=community,
            text=f"Note {i}",
            url="/",
            target=target,
        )


def notice_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        client.get(PAGE)
    return sum("practice_notification" in q["sql"] for q in ctx.captured_queries)


def test_second_page_reuses_the_count(client, open_community):
    me = member_of(open_community)
    note(me, open_community, 2)
    client.force_login(me)
    assert notice_queries(client) == 1
    assert notice_queries(client) == 0
    assert badge(client) == "2"


def test_count_changes_at_once_after_a_notice_and_after_marking_read(client, open_community):
    me = member_of(open_community)
    client.force_login(me)
    assert badge(client) is None
    note(me, open_community)
    assert badge(client) == "1"
    note(me, open_community, 2)
    assert badge(client) == "3"
    one = Notification.objects.filter(recipient=me).first()
    client.get(reverse("notifications:notification_open", args=[one.pk]))
    assert badge(client) == "2"
    notifications_mark_read(user=me)
    assert badge(client) is None
    client.post(reverse("notifications:notifications_read_all"))
    note(me, open_community)
    assert badge(client) == "1"
    client.post(reverse("notifications:notifications_read_all"))
    assert badge(client) is None


def test_one_members_count_never_shows_to_another(client, open_community):
    ann, bob = member_of(open_community), member_of(open_community)
    note(ann, open_community, 4)
    client.force_login(ann)
    assert badge(client) == "4"
    client.force_login(bob)
    assert badge(client) is None
    note(bob, open_community)
    assert badge(client) == "1"
    client.force_login(ann)
    assert badge(client) == "4"


def test_count_follows_leaving_a_private_community(client, private_community):
    member = member_of(private_community)
    note(member, private_community, 2)
    client.force_login(member)
    assert badge(client) == "2"
    membership = Membership.objects.get(user=member, community=private_community)
    membership.state = Membership.State.LEFT
    membership.save()
    assert badge(client) is None


def test_count_follows_a_community_turning_private_and_notices_moving(client, open_community):
    member = member_of(open_community)
    other = CommunityFactory(slug="elsewhere", visibility="open")
    note(member, other, 3, target=other)
    client.force_login(member)
    assert badge(client) == "3"
    other.visibility = "private"
    other.save()
    assert badge(client) is None
    notices_move(targets={type(other): [other.pk]}, to_community=open_community)
    assert badge(client) == "3"
