"""ThreadCapabilities (one pass per page) answers as practice.permissions does per post, and the
thread page's own SQL shows the posts the gatekeeper lets each reader see."""

import pytest
from django.contrib.auth.models import AnonymousUser

from communities.models import Membership
from practice import permissions
from practice.capabilities import ThreadCapabilities
from practice.selectors.threads import _page_posts
from practice.services import endorsements, moderation
from practice.services import threads as thread_services
from tests.factories import UserFactory, make_admin, make_member
from tests.practice.factories import answer, ask, discuss, member_of, moderator_of

pytestmark = pytest.mark.django_db

VIEWERS = ["anonymous", "outsider", "left", "pending", "banned", "member", "asker", "helper"]
VIEWERS += ["moderator", "admin"]


def expected_rights(user, post) -> dict:
    """The per-post rules, asked one by one as the thread page used to ask them."""
    thread, community = post.thread, post.community
    authenticated = user.is_authenticated
    can_accept = authenticated and permissions.can_accept(user, thread)
    is_accepted = post.pk == thread.accepted_post_id
    return {
        "can_vote": authenticated and permissions.can_vote(user, post),
        "can_edit": authenticated and permissions.can_edit_post(user, post),
        "can_hide": authenticated and permissions.can_hide_post(user, post),
        "can_restore": post.is_hidden and permissions.can_restore(user, community),
        "can_accept": can_accept and post.is_answer and not post.is_hidden,
        "can_unaccept": is_accepted and can_accept,
        "can_report": not post.is_opening
        and authenticated
        and permissions.can_report_adoption(user, post),
        "can_quote": authenticated and permissions.can_reply(user, thread) and not post.is_hidden,
        "can_flag": permissions.can_flag(user, community)
        and not post.is_opening
        and not post.is_hidden,
    }


@pytest.fixture
def world(open_community):
    community = open_community
    asker = member_of(community, username="asker")
    helper = member_of(community, username="helper")
    moderator = moderator_of(community, username="mod")
    viewers = {
        "anonymous": AnonymousUser(),
        "outsider": UserFactory(),
        "left": make_member(community, state=Membership.State.LEFT).user,
        "pending": make_member(community, state=Membership.State.PENDING).user,
        "banned": make_member(community, state=Membership.State.BANNED).user,
        "member": member_of(community),
        "asker": asker,
        "helper": helper,
        "moderator": moderator,
        "admin": make_admin(),
    }
    question = ask(community, asker)
    accepted = answer(question, helper, body="Foam.")
    answer(question, asker, body="My own answer.")
    hidden = answer(question, helper, body="Spam.")
    answer(question, helper, body="A quote.", reply_to=accepted)
    endorsements.answer_accept(answer=accepted, by=asker)
    thread_services.post_hide(post=hidden, by=moderator, reason="")
    locked = ask(community, helper, title="A locked one")
    answer(locked, asker)
    moderation.thread_set_locked(thread=locked, by=moderator, locked=True, reason="")
    talk = discuss(community, asker)
    answer(talk, helper)
    return {"community": community, "viewers": viewers, "threads": [question, locked, talk]}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_thread_capabilities_agree_with_the_permission_rules(world, viewer):
    user = world["viewers"][viewer]
    for thread in world["threads"]:
        thread.refresh_from_db()
        capabilities = ThreadCapabilities.for_thread(user=user, thread=thread)
        posts = list(thread.posts.select_related("community"))
        assert posts
        for post in posts:
            post.thread = thread
            rights = capabilities.post_rights(post)
            assert {k: getattr(rights, k) for k in expected_rights(user, post)} == expected_rights(
                user, post
            ), (viewer, thread.title, post.body)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_thread_page_query_shows_what_the_gatekeeper_allows(world, viewer):
    user = world["viewers"][viewer]
    for thread in world["threads"]:
        thread.refresh_from_db()
        capabilities = ThreadCapabilities.for_thread(user=user, thread=thread)
        posts, number, num_pages = _page_posts(thread, 1, include_hidden=capabilities.can_moderate)
        assert (number, num_pages) == (1, 1)
        visible = set(
            permissions.thread_posts_visible_to(user, thread).values_list("pk", flat=True)
        )
        assert {p.pk for p in posts} == visible, (viewer, thread.title)
        assert posts[0].is_opening
