"""The moderation queue and log make the same number of queries for 5 and for 50 rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.models import Membership
from practice.models import Flag, ModerationAction
from practice.services import moderation
from practice.services import threads as thread_services
from tests.factories import CommunityFactory, make_member

pytestmark = pytest.mark.django_db


def veteran(community, role=Membership.Role.MEMBER):
    membership = make_member(community, role=role)
    Membership.objects.filter(pk=membership.pk).update(
        joined_at=timezone.now() - timedelta(days=365)
    )
    return membership.user


def fill_queue(community, mod, n):
    """*n* flagged replies, *n* flags on the thread itself, *n* hidden posts, *n* requests."""
    author = veteran(community)
    thread = thread_services.thread_create(
        community=community, author=author, kind="question", title="Busy thread", body="Body"
    )
    for i in range(n):
        post = thread_services.post_create(thread=thread, author=author, body=f"Reply {i}")
        reporter = veteran(community)
        moderation.flag_create(reporter=reporter, thread=thread, post=post, reason="spam")
        moderation.flag_create(
            reporter=reporter, thread=thread, post=None, reason="rude", note=f"note {i}"
        )
        hidden = thread_services.post_create(thread=thread, author=author, body=f"Bad {i}")
        thread_services.post_hide(post=hidden, by=mod)
        make_member(community, state=Membership.State.PENDING)
    # Another community's targets for the move select.
    for _ in range(n // 5):
        make_member(CommunityFactory(), mod, role=Membership.Role.MODERATOR)


def fill_log(community, mod, n):
    author = veteran(community)
    thread = thread_services.thread_create(
        community=community, author=author, kind="discussion", title="Heated", body="Body"
    )
    for i in range(n):
        moderation.thread_set_locked(thread=thread, by=mod, locked=i % 2 == 0, reason=f"r{i}")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_queue_query_count_is_the_same_for_5_and_50_rows(
    client, open_community, request_community, django_assert_max_num_queries
):
    small_mod = veteran(open_community, role=Membership.Role.MODERATOR)
    fill_queue(open_community, small_mod, 5)
    client.force_login(small_mod)
    small = count_queries(client, reverse("practice:moderation_queue", args=["wound-care"]))

    big_mod = veteran(request_community, role=Membership.Role.MODERATOR)
    fill_queue(request_community, big_mod, 50)
    assert Flag.objects.filter(community=request_community).count() == 100
    client.force_login(big_mod)
    with django_assert_max_num_queries(small):
        response = client.get(reverse("practice:moderation_queue", args=["physics"]))
    assert len(response.context["groups"]) == 20  # one page of the 51 flagged items
    assert response.context["hidden_count"] == 50
    assert response.context["pending_count"] == 50
    assert small <= 20


def test_queue_query_count_is_the_same_for_5_and_50_flags_on_one_post(
    client, open_community, request_community, django_assert_max_num_queries
):
    counts = []
    for community, n in ((open_community, 5), (request_community, 50)):
        mod = veteran(community, role=Membership.Role.MODERATOR)
        author = veteran(community)
        thread = thread_services.thread_create(
            community=community, author=author, kind="question", title="One", body="Body"
        )
        for _ in range(n):
            moderation.flag_create(
                reporter=veteran(community), thread=thread, post=None, reason="spam"
            )
        client.force_login(mod)
        url = reverse("practice:moderation_queue", args=[community.slug])
        if n == 5:
            counts.append(count_queries(client, url))
        else:
            with django_assert_max_num_queries(counts[0]):
                response = client.get(url)
            assert len(response.context["groups"][0].flags) == 50


def test_log_query_count_is_the_same_for_5_and_50_actions(
    client, open_community, request_community, django_assert_max_num_queries
):
    small_mod = veteran(open_community, role=Membership.Role.MODERATOR)
    fill_log(open_community, small_mod, 5)
    client.force_login(small_mod)
    small = count_queries(client, reverse("practice:moderation_log", args=["wound-care"]))

    big_mod = veteran(request_community, role=Membership.Role.MODERATOR)
    fill_log(request_community, big_mod, 50)
    assert ModerationAction.objects.filter(community=request_community).count() == 50
    client.force_login(big_mod)
    with django_assert_max_num_queries(small):
        response = client.get(reverse("practice:moderation_log", args=["physics"]))
    assert len(response.context["page"].object_list) == 50
    assert small <= 12
