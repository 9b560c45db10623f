"""Who reaches which thread page and action: 7 viewers x 3 visibilities.

Content a viewer may not know about is a 404; an action on something they can see is a 403;
an anonymous visitor is sent to log in. A private community never leaks to non-members.
"""

import re

import pytest
from django.urls import reverse

from communities.models import Community, Membership
from practice.models import Follow, Post, Thread, Vote
from practice.services import moderation
from tests.factories import CommunityFactory, UserFactory, make_admin, make_member
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db

VIEWERS = ["anonymous", "outsider", "pending", "banned", "member", "moderator", "staff"]
VISIBILITIES = ["open", "request", "private"]
INSIDERS = {"member", "moderator", "staff"}
CANARY = "CANARY-thread-text"


@pytest.fixture
def world():
    """One community per visibility, each with a question, an answer and a hidden answer."""
    data = {}
    for visibility in VISIBILITIES:
        community = CommunityFactory(slug=f"c-{visibility}", visibility=visibility)
        asker, helper = member_of(community), member_of(community)
        mod = make_member(community, role=Membership.Role.MODERATOR).user
        thread = ask(community, asker, title=f"{CANARY} title", body=f"{CANARY} body")
        post = answer(thread, helper, body=f"{CANARY} answer")
        hidden = answer(thread, helper, body="hidden answer")
        moderation.content_hide(post=hidden, by=mod)
        data[visibility] = {"community": community, "thread": thread, "post": post, "mod": mod}
    return data


def viewer_for(role, community):
    if role == "anonymous":
        return None
    if role == "staff":
        return make_admin()
    if role == "member":
        return member_of(community)
    user = UserFactory()
    states = {"pending": Membership.State.PENDING, "banned": Membership.State.BANNED}
    if role in states:
        make_member(community, user, state=states[role])
    elif role == "moderator":
        make_member(community, user, role=Membership.Role.MODERATOR)
    return user


def reads(role, visibility) -> bool:
    return visibility != Community.Visibility.PRIVATE or role in INSIDERS


def login(client, role, community):
    user = viewer_for(role, community)
    if user is not None:
        client.force_login(user)
    return user


def read_urls(slug, thread, post):
    return [
        reverse("practice:thread_list", args=[slug]),
        reverse("practice:unanswered", args=[slug]),
        reverse("practice:thread", args=[slug, thread.pk]),
        reverse("practice:post_history", args=[slug, post.pk]),
    ]


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", VIEWERS)
def test_read_pages_follow_visibility(client, world, role, visibility):
    w = world[visibility]
    login(client, role, w["community"])
    for url in read_urls(w["community"].slug, w["thread"], w["post"]):
        response = client.get(url)
        if reads(role, visibility):
            assert response.status_code == 200, url
        else:
            assert response.status_code == 404, url
            assert CANARY not in response.content.decode()


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", VIEWERS)
def test_hidden_post_only_for_moderators(client, world, role, visibility):
    w = world[visibility]
    login(client, role, w["community"])
    hidden = Post.objects.get(thread=w["thread"], is_hidden=True)
    page = client.get(reverse("practice:thread", args=[w["community"].slug, w["thread"].pk]))
    history = client.get(reverse("practice:post_history", args=[w["community"].slug, hidden.pk]))
    if role in ("moderator", "staff"):
        assert "hidden answer" in page.content.decode()
        assert history.status_code == 200
    else:
        assert "hidden answer" not in page.content.decode()
        assert history.status_code == 404


def expected_for_write(role, visibility, allowed: set) -> int:
    """The status of a write attempt: success 302, login 302, otherwise 403 or 404."""
    if role == "anonymous":
        return 302
    if not reads(role, visibility):
        return 404
    return 302 if role in allowed else 403


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", VIEWERS)
def test_writes_follow_the_permission_layer(client, world, role, visibility):
    w = world[visibility]
    slug, thread, post = w["community"].slug, w["thread"], w["post"]
    user = login(client, role, w["community"])
    posters = {"member", "moderator", "staff"}
    # Start a thread (GET form): members only.
    response = client.get(reverse("practice:thread_new", args=[slug]))
    new_expected = expected_for_write(role, visibility, posters)
    assert response.status_code == (200 if new_expected == 302 and user else new_expected)
    if role == "anonymous":
        assert "/accounts/login/" in response["Location"]
    # Reply, vote, worked-for-me: members only.
    before = Post.objects.count()
    response = client.post(
        reverse("practice:post_reply", args=[slug, thread.pk]),
        {"body": "hello", "submission_key": "k"},
    )
    assert response.status_code == expected_for_write(role, visibility, posters)
    assert Post.objects.count() == before + (1 if role in posters else 0)
    response = client.post(reverse("practice:post_vote", args=[slug, post.pk]), {"helpful": "1"})
    assert response.status_code == expected_for_write(role, visibility, posters)
    assert Vote.objects.filter(post=post).count() == (1 if role in posters else 0)
    response = client.post(
        reverse("practice:post_adoption", args=[slug, post.pk]), {"worked": "yes"}
    )
    assert response.status_code == expected_for_write(role, visibility, posters)
    # Accept, edit, restore: the asker or moderators (our viewer is never the asker).
    moderators = {"moderator", "staff"}
    response = client.post(reverse("practice:post_accept", args=[slug, post.pk]))
    assert response.status_code == expected_for_write(role, visibility, moderators)
    response = client.get(reverse("practice:post_edit", args=[slug, post.pk]))
    edit = expected_for_write(role, visibility, moderators)
    assert response.status_code == (200 if edit == 302 and user else edit)
    response = client.get(reverse("practice:post_hide", args=[slug, post.pk]))
    assert response.status_code == (200 if edit == 302 and user else edit)
    hidden = Post.objects.get(thread=thread, is_hidden=True)
    response = client.post(reverse("practice:post_restore", args=[slug, hidden.pk]))
    if role == "anonymous" or role in moderators:
        assert response.status_code == 302
    else:
        assert response.status_code == 404  # a hidden post does not exist for them
    # Follow: any signed-in reader.
    response = client.post(
        reverse("practice:thread_follow", args=[slug, thread.pk]), {"follow": "1"}
    )
    readers_signed_in = {r for r in VIEWERS if r != "anonymous" and reads(r, visibility)}
    assert response.status_code == expected_for_write(role, visibility, readers_signed_in)
    if user is not None:
        assert Follow.objects.filter(user=user, thread=thread).exists() == (
            role in readers_signed_in
        )


@pytest.mark.parametrize("role", VIEWERS)
def test_private_thread_ids_are_indistinguishable_from_missing_ones(client, world, role):
    w = world["private"]
    login(client, role, w["community"])
    slug = w["community"].slug
    missing = Thread.objects.order_by("-pk").first().pk + 100
    real_url = reverse("practice:thread", args=[slug, w["thread"].pk])
    fake_url = reverse("practice:thread", args=[slug, missing])
    real, fake = client.get(real_url), client.get(fake_url)
    assert fake.status_code == 404
    if role not in INSIDERS:
        assert real.status_code == 404

        # Equal but for the page's own address (the "log in" link's next=) and CSRF tokens.
        def normalise(response, url):
            html = response.content.decode().replace(url, "URL")
            return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

        assert normalise(real, real_url) == normalise(fake, fake_url)


def test_a_thread_is_only_reached_through_its_own_community(client, world):
    """A private thread's id under a public community's slug is a 404, not a leak."""
    private_thread = world["private"]["thread"]
    response = client.get(reverse("practice:thread", args=["c-open", private_thread.pk]))
    assert response.status_code == 404
    post = world["private"]["post"]
    response = client.get(reverse("practice:post_history", args=["c-open", post.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", VIEWERS)
def test_activity_page_never_shows_private_content_to_outsiders(client, world, role):
    w = world["private"]
    author = w["post"].author
    login(client, role, w["community"])
    html = client.get(reverse("practice:member_activity", args=[author.username])).content
    assert (CANARY.encode() in html) == (role in INSIDERS)


def test_unknown_community_slug_is_404_on_every_page(client):
    for name, args in [
        ("thread_list", ["nope"]),
        ("unanswered", ["nope"]),
        ("thread", ["nope", 1]),
        ("post_history", ["nope", 1]),
        ("feed", ["nope"]),
        ("tag_feed", ["nope", "x"]),
    ]:
        assert client.get(reverse(f"practice:{name}", args=args)).status_code == 404


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", VIEWERS)
def test_can_view_thread_agrees_with_threads_visible_to(world, role, visibility):
    """The one-thread predicate the thread page's gatekeeper uses decides as the queryset does:
    a visible thread, a hidden one, and one of another community."""
    from django.contrib.auth.models import AnonymousUser

    from practice import permissions

    community, thread, mod = (world[visibility][k] for k in ("community", "thread", "mod"))
    hidden = ask(community, member_of(community), title="To be hidden", body="Hidden thread")
    moderation.content_hide(post=hidden.opening_post, by=mod)
    elsewhere = world["open" if visibility != "open" else "request"]["thread"]
    user = viewer_for(role, community) or AnonymousUser()
    visible = set(permissions.threads_visible_to(user, community).values_list("pk", flat=True))
    for candidate in (thread, hidden, elsewhere):
        candidate = Thread.objects.get(pk=candidate.pk)
        assert permissions.can_view_thread(user, candidate, community) == (
            candidate.pk in visible
        ), candidate.title
    assert elsewhere.pk not in visible


def test_thread_page_with_an_impossible_id_is_404(client, world):
    response = client.get(reverse("practice:thread", args=["c-open", 2**64]))
    assert response.status_code == 404
