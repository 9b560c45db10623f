"""New members are rate-limited in the services (so no path goes around the limits)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from communities import services as community_services
from communities.models import Membership
from practice.models import Post, Thread
from practice.rate_limits import RateLimited
from practice.services import threads as thread_services
from tests.factories import UserFactory, make_admin, make_member

pytestmark = pytest.mark.django_db


def newcomer(community):
    """A member who joined just now, through the real join service."""
    user = UserFactory()
    community_services.membership_join(community=community, user=user)
    return user


def veteran(community, days=30):
    membership = make_member(community)
    Membership.objects.filter(pk=membership.pk).update(
        joined_at=timezone.now() - timedelta(days=days)
    )
    return membership.user


def start(community, author, n=0, **kwargs):
    return thread_services.thread_create(
        community=community,
        author=author,
        kind="discussion",
        title=f"Thread {n}",
        body="What do you think?",
        **kwargs,
    )


def reply(thread, author, n=0):
    return thread_services.post_create(thread=thread, author=author, body=f"Reply {n}")


@pytest.fixture
def community(open_community):
    return open_community


def test_thread_create_refuses_the_fourth_thread_of_a_new_member_within_an_hour(community):
    user = newcomer(community)
    for n in range(3):
        start(community, user, n)
    with pytest.raises(RateLimited) as caught:
        start(community, user, 3)
    message = caught.value.messages[0]
    assert "New members can start 3 threads an hour" in message
    assert "first 7 days" in message
    assert Thread.objects.filter(author=user).count() == 3


def test_rate_limited_is_a_validation_error_with_a_code(community):
    user = newcomer(community)
    with (
        override_settings(PRACTICA_NEW_MEMBER_THREADS_PER_HOUR=0),
        pytest.raises(ValidationError) as caught,
    ):
        start(community, user)
    assert caught.value.code == "rate_limited"


def test_thread_create_counts_only_the_last_hour(community):
    user = newcomer(community)
    for n in range(3):
        start(community, user, n)
    Thread.objects.filter(author=user).update(created_at=timezone.now() - timedelta(minutes=61))
    start(community, user, 4)
    assert Thread.objects.filter(author=user).count() == 4


def test_thread_create_counts_per_community(community, request_community):
    user = newcomer(community)
    make_member(request_community, user)  # joined_at empty: a new member there too
    for n in range(3):
        start(community, user, n)
    start(request_community, user, 9)
    assert Thread.objects.filter(author=user, community=request_community).count() == 1


def test_thread_create_second_submit_of_an_accepted_form_is_not_refused(community):
    user = newcomer(community)
    for n in range(2):
        start(community, user, n)
    third = start(community, user, 2, submission_key="k3")
    assert start(community, user, 2, submission_key="k3") == third


def test_moderators_are_not_limited(community):
    mod = make_member(community, role=Membership.Role.MODERATOR).user  # joined_at empty
    for n in range(6):
        start(community, mod, n)
    thread = Thread.objects.filter(author=mod).first()
    for n in range(12):
        reply(thread, mod, n)
    assert Post.objects.filter(author=mod, is_opening=False).count() == 12


def test_admins_are_not_limited(community):
    admin = make_admin()
    for n in range(5):
        start(community, admin, n)
    assert Thread.objects.filter(author=admin).count() == 5


def test_long_standing_members_are_not_limited(community):
    user = veteran(community, days=8)
    for n in range(5):
        start(community, user, n)
    assert Thread.objects.filter(author=user).count() == 5


def test_post_create_refuses_the_eleventh_reply_of_a_new_member_within_an_hour(community):
    thread = start(community, veteran(community))
    user = newcomer(community)
    for n in range(10):
        reply(thread, user, n)
    with pytest.raises(RateLimited) as caught:
        reply(thread, user, 10)
    assert "New members can post 10 answers or replies an hour" in caught.value.messages[0]
    assert Post.objects.filter(author=user).count() == 10


def test_post_create_limit_ignores_the_members_own_opening_posts(community):
    user = newcomer(community)
    with override_settings(PRACTICA_NEW_MEMBER_POSTS_PER_HOUR=1):
        thread = start(community, user)
        reply(thread, user, 1)
        with pytest.raises(RateLimited):
            reply(thread, user, 2)


@override_settings(PRACTICA_NEW_MEMBER_THREADS_PER_HOUR=1)
def test_threads_per_hour_setting_is_honoured(community):
    user = newcomer(community)
    start(community, user)
    with pytest.raises(RateLimited) as caught:
        start(community, user, 1)
    assert "1 thread an hour" in caught.value.messages[0]


@override_settings(PRACTICA_NEW_MEMBER_POSTS_PER_HOUR=2)
def test_posts_per_hour_setting_is_honoured(community):
    thread = start(community, veteran(community))
    user = newcomer(community)
    reply(thread, user, 1)
    reply(thread, user, 2)
    with pytest.raises(RateLimited) as caught:
        reply(thread, user, 3)
    assert "2 answers or replies an hour" in caught.value.messages[0]


@override_settings(PRACTICA_NEW_MEMBER_DAYS=0)
def test_new_member_days_setting_is_honoured(community):
    user = newcomer(community)
    for n in range(5):
        start(community, user, n)
    assert Thread.objects.filter(author=user).count() == 5


@override_settings(PRACTICA_NEW_MEMBER_DAYS=60)
def test_a_longer_new_member_window_limits_older_members(community):
    user = veteran(community, days=30)
    for n in range(3):
        start(community, user, n)
    with pytest.raises(RateLimited):
        start(community, user, 3)


def test_new_thread_page_shows_the_limit_as_a_form_error_and_keeps_the_text(client, community):
    user = newcomer(community)
    for n in range(3):
        start(community, user, n)
    client.force_login(user)
    response = client.post(
        reverse("practice:thread_new", args=[community.slug]),
        {
            "kind": "question",
            "title": "My fourth question",
            "body": "Typed with care",
            "tags": "",
            "submission_key": "fresh-key",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "New members can start 3 threads an hour" in content
    assert "My fourth question" in content and "Typed with care" in content
    assert Thread.objects.filter(author=user).count() == 3
