"""A home for members: "My communities" with what is new since the last visit, the welcome on
the first visit after joining, and the directory's activity signals (private ones only for
those who may read them), in queries that do not grow with the number of communities."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities import selectors, services
from communities.models import Community, Membership
from practice.services.threads import post_create, post_hide, thread_create
from tests.factories import CommunityFactory, UserFactory, make_admin, make_member
from tests.knowledge.kb_helpers import published_item

pytestmark = pytest.mark.django_db

State = Membership.State


def _seen(membership, at):
    Membership.objects.filter(pk=membership.pk).update(last_seen_at=at)


def _thread(community, author, at, title="How do you keep dressings dry?"):
    return thread_create(
        community=community, author=author, kind="question", title=title, body="Body " * 5, at=at
    )


@pytest.fixture
def place():
    community = CommunityFactory(slug="wound-care", name="Wound care")
    me = make_member(community).user
    other = make_member(community).user
    return community, me, other


# --- what is new since the last visit ------------------------------------------------------------


def test_my_communities_counts_others_threads_and_posts_since_last_visit(place):
    community, me, other = place
    now = timezone.now()
    membership = Membership.objects.get(community=community, user=me)
    old = _thread(community, other, now - timedelta(days=3), title="An old question here")
    _seen(membership, now - timedelta(days=2))
    new = _thread(community, other, now - timedelta(hours=5), title="A new question here")
    post_create(thread=old, author=other, body="A new answer to the old one", at=now)
    post_create(thread=new, author=other, body="And another answer, later", at=now)
    mine = _thread(community, me, now - timedelta(hours=4), title="My own question today")
    post_create(thread=mine, author=me, body="My own reply does not count", at=now)
    hidden = post_create(thread=old, author=other, body="A hidden post is not news", at=now)
    post_hide(post=hidden, by=make_admin())

    [row] = selectors.my_communities(user=me)
    assert row.community == community
    assert (row.new_threads, row.new_posts) == (1, 2)


def test_my_communities_counts_from_joining_before_the_first_visit(place):
    community, me, other = place
    now = timezone.now()
    Membership.objects.filter(user=me).update(joined_at=now - timedelta(days=1), last_seen_at=None)
    _thread(community, other, now - timedelta(days=2), title="Before I joined it")
    _thread(community, other, now - timedelta(hours=1), title="After I joined it")
    [row] = selectors.my_communities(user=me)
    assert row.new_threads == 1


def test_my_communities_only_active_memberships(place):
    community, me, _other = place
    left = CommunityFactory()
    make_member(left, me, state=State.LEFT)
    assert [m.community for m in selectors.my_communities(user=me)] == [community]
    assert selectors.my_communities(user=AnonymousUser()) == []


def test_membership_seen_writes_at_most_every_two_minutes(place):
    community, me, _other = place
    membership = Membership.objects.get(community=community, user=me)
    start = timezone.now()
    services.membership_seen(membership=membership, at=start)
    membership.refresh_from_db()
    assert membership.last_seen_at == start
    with CaptureQueriesContext(connection) as captured:
        services.membership_seen(membership=membership, at=start + timedelta(seconds=100))
    assert len(captured) == 0
    services.membership_seen(membership=membership, at=start + timedelta(minutes=3))
    membership.refresh_from_db()
    assert membership.last_seen_at == start + timedelta(minutes=3)


def test_membership_seen_ignores_non_members(place):
    community, _me, _other = place
    pending = make_member(community, state=State.PENDING)
    services.membership_seen(membership=pending)
    services.membership_seen(membership=None)
    pending.refresh_from_db()
    assert pending.last_seen_at is None


def test_front_page_shows_my_communities_with_news(client, place):
    community, me, other = place
    now = timezone.now()
    _seen(Membership.objects.get(community=community, user=me), now - timedelta(days=1))
    _thread(community, other, now - timedelta(hours=2))
    client.force_login(me)
    html = client.get(reverse("communities:directory")).content.decode()
    mine = html.split('id="mine-heading"', 1)[1].split("</section>", 1)[0]
    assert "Wound care" in mine and "1 new thread" in mine
    # Visiting the community moves "last visit" on: nothing is new afterwards.
    client.get(community.get_absolute_url())
    html = client.get(reverse("communities:directory")).content.decode()
    assert "Nothing new since your last visit" in html


def test_front_page_for_visitors_has_no_my_communities(client, place):
    html = client.get(reverse("communities:directory")).content.decode()
    assert 'id="mine-heading"' not in html


def test_front_page_query_count_does_not_grow_with_my_communities(
    client, django_assert_max_num_queries
):
    me = UserFactory()
    other = UserFactory()
    client.force_login(me)

    def join(n):
        for _ in range(n):
            community = CommunityFactory()
            make_member(community, me)
            make_member(community, other)
            _thread(community, other, timezone.now())

    join(1)
    client.get(reverse("communities:directory"))  # warm per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("communities:directory")).status_code == 200
    join(12)
    with django_assert_max_num_queries(len(captured)):
        html = client.get(reverse("communities:directory")).content.decode()
    assert html.count('class="mine-row"') == 13


# --- the welcome ----------------------------------------------------------------------------------


def test_join_shows_the_welcome_once(client):
    community = CommunityFactory(slug="physics", name="Physics teachers", domain="Teaching physics")
    author = make_member(community).user
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    published_item(community, author, moderator, title="Marble-run kinematics lab")
    me = UserFactory()
    client.force_login(me)
    response = client.post(reverse("communities:join", args=[community.slug]), follow=True)
    html = response.content.decode()
    assert "Welcome to Physics teachers" in html
    assert "Teaching physics" in html and "How to ask" in html
    assert reverse("practice:thread_new", args=[community.slug]) in html
    assert "Marble-run kinematics lab" in html
    again = client.get(community.get_absolute_url()).content.decode()
    assert "Welcome to Physics teachers" not in again


def test_rejoining_welcomes_again_and_old_members_are_not_welcomed(client, place):
    community, me, _other = place
    _seen(Membership.objects.get(community=community, user=me), timezone.now())
    client.force_login(me)
    assert "Welcome to" not in client.get(community.get_absolute_url()).content.decode()
    services.membership_leave(community=community, user=me)
    services.membership_join(community=community, user=me)
    assert "Welcome to Wound care" in client.get(community.get_absolute_url()).content.decode()


# --- the directory's activity signals ------------------------------------------------------------


def test_directory_signals_and_private_ones_only_for_readers(client):
    now = timezone.now()
    open_one = CommunityFactory(name="Open one")
    private = CommunityFactory(name="Private one", visibility=Community.Visibility.PRIVATE)
    member = UserFactory()
    for community in (open_one, private):
        author = make_member(community).user
        make_member(community, member)
        _thread(community, author, now - timedelta(days=40), title="An old thread, long ago")
        _thread(community, author, now - timedelta(days=2), title="A recent thread this week")

    def rows(user):
        return {c.name: c for c in selectors.community_directory(user=user, now=now)}

    outsider = rows(UserFactory())
    assert outsider["Open one"].recent_posts == 1
    assert outsider["Open one"].last_activity_at is not None
    assert outsider["Private one"].recent_posts is None
    assert outsider["Private one"].last_activity_at is None
    inside = rows(member)
    assert inside["Private one"].recent_posts == 1
    assert rows(make_admin())["Private one"].recent_posts == 1

    client.force_login(UserFactory())
    html = client.get(reverse("communities:directory")).content.decode()
    private_card = html.split("Private one", 1)[1].split("</li>", 1)[0]
    assert "in the last 30 days" not in private_card and "Last activity" not in private_card
    open_card = html.split("Open one", 1)[1].split("</li>", 1)[0]
    assert "1 post in the last 30 days" in open_card and "Last activity" in open_card


def test_directory_query_count_does_not_grow_with_communities(
    client, django_assert_max_num_queries
):
    author = UserFactory()

    def add(n):
        for _ in range(n):
            community = CommunityFactory()
            make_member(community, author)
            _thread(community, author, timezone.now())

    add(2)
    client.force_login(author)
    client.get(reverse("communities:directory"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("communities:directory"))
    add(15)
    with django_assert_max_num_queries(len(captured)):
        assert client.get(reverse("communities:directory")).status_code == 200
