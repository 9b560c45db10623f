"""A private community's content never reaches anyone outside it through search."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from communities import services as community_services
from communities.models import Membership
from search import selectors
from tests.factories import UserFactory, make_admin, make_member
from tests.practice.factories import answer, ask, member_of, moderator_of
from tests.search.helpers import make_item

pytestmark = pytest.mark.django_db
CANARY = "zqxcanary"
State = Membership.State


@pytest.fixture
def canary(private_community, open_community):
    """Every kind of entry in the private community carries the canary word."""
    author = member_of(private_community)
    thread = ask(private_community, author, title=f"Secret {CANARY} thread", body="Private body")
    answer(thread, member_of(private_community), body=f"The {CANARY} answer")
    make_item(private_community, author, title=f"Secret {CANARY} item")
    expert = member_of(private_community)
    community_services.profile_update(
        profile=expert.profile, expertise=[CANARY], details_visible_to="everyone"
    )
    # The same person in an open community too: only that membership may be found.
    community_services.membership_join(community=open_community, user=expert)
    return {"community": private_community, "expert": expert}


def _viewer(kind, community):
    if kind == "anonymous":
        return AnonymousUser()
    if kind == "admin":
        return make_admin()
    if kind == "member":
        return member_of(community)
    user = UserFactory()
    if kind != "non-member":
        make_member(
            community,
            user,
            state={
                "pending": State.PENDING,
                "banned": State.BANNED,
                "ex-member": State.LEFT,
                "declined": State.DECLINED,
            }[kind],
        )
    return user


def _found(user, q=CANARY, **filters):
    outcome = selectors.search(user=user, q=q, filters=selectors.SearchFilters(**filters))
    return list(outcome.entries.values_list("kind", "community__slug"))


OUTSIDERS = ["anonymous", "non-member", "pending", "banned", "ex-member", "declined"]


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_outsiders_never_find_the_private_canary(canary, kind):
    user = _viewer(kind, canary["community"])
    found = _found(user)
    # The expert's open-community membership names the canary tag: only that one is found.
    assert found == [("member", "wound-care")]
    assert _found(user, tag=CANARY) == [("member", "wound-care")]


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_outsiders_never_see_the_canary_on_the_page(client, canary, kind):
    user = _viewer(kind, canary["community"])
    if kind != "anonymous":
        client.force_login(user)
    for params in ({"q": CANARY}, {"q": "secret"}, {"tag": CANARY}, {"q": "private body"}):
        response = client.get(reverse("search:search"), params)
        assert response.status_code == 200
        body = response.content.decode()
        assert f"Secret {CANARY}" not in body and f"The {CANARY} answer" not in body
        assert "Secret <mark>" not in body and "SRE circle" not in body


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_naming_the_private_community_as_a_filter_is_refused_like_an_unknown_one(
    client, canary, kind
):
    user = _viewer(kind, canary["community"])
    if kind != "anonymous":
        client.force_login(user)
    url = reverse("search:search")
    private = client.get(url, {"q": CANARY, "community": canary["community"].slug})
    unknown = client.get(url, {"q": CANARY, "community": "no-such-community"})
    assert private.status_code == unknown.status_code == 200
    message = "Choose one of the communities you can read."
    assert message in private.content.decode() and message in unknown.content.decode()
    assert "page" not in private.context


@pytest.mark.parametrize("kind", ["member", "admin"])
def test_members_and_admins_find_every_private_canary(client, canary, kind):
    user = _viewer(kind, canary["community"])
    found = _found(user)
    assert sorted(found) == sorted(
        [
            ("thread", "sre"),
            ("post", "sre"),
            ("item", "sre"),
            ("member", "sre"),
            ("member", "wound-care"),
        ]
    )
    client.force_login(user)
    response = client.get(reverse("search:search"), {"q": CANARY, "community": "sre"})
    body = response.content.decode()
    assert response.context["page"].paginator.count == 4
    assert "SRE circle" in body and "answer" in body


def test_leaving_ends_access_at_once(client, canary):
    user = member_of(canary["community"])
    assert len(_found(user)) == 5
    community_services.membership_leave(community=canary["community"], user=user)
    user = type(user).objects.get(pk=user.pk)  # a new request: no cached memberships
    assert _found(user) == [("member", "wound-care")]


def test_moderators_do_not_find_hidden_posts_either(canary, private_community):
    """Search shows what every reader sees; moderators reach hidden posts from moderation."""
    from practice.models import Post
    from practice.services import threads as thread_services

    moderator = moderator_of(private_community)
    post = Post.objects.get(body=f"The {CANARY} answer")
    thread_services.post_hide(post=post, by=moderator)
    assert ("post", "sre") not in _found(moderator)


@pytest.mark.parametrize("kind", [*OUTSIDERS, "member", "admin", "staff", "site-admin"])
def test_searchable_communities_are_the_readable_ones(
    open_community, request_community, private_community, kind
):
    """search.permissions reads the reader's communities with a plain statement
    (communities.permissions.readable_communities_named): the same communities, in the same
    order, as the ORM's readable_communities, for every kind of reader."""
    from django.contrib.auth.models import Permission

    from communities.permissions import SITE_ADMIN_PERMISSION, readable_communities
    from search import permissions
    from tests.factories import CommunityFactory

    other_private = CommunityFactory(name="A private circle", slug="a-circle", visibility="private")
    if kind in ("staff", "site-admin"):
        user = UserFactory(is_staff=True)
        if kind == "site-admin":
            app_label, codename = SITE_ADMIN_PERMISSION.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
            user = type(user).objects.get(pk=user.pk)  # permissions are cached per object
    else:
        user = _viewer(kind, private_community)
    if kind in ("member", "ex-member"):
        make_member(other_private, user, state=State.LEFT)  # not a member there (any more)
    expected = [(c.pk, c.slug, c.name) for c in readable_communities(user)]
    named = permissions.searchable_communities(user)
    assert [(c.pk, c.slug, c.name) for c in named.values()] == expected
    assert ("sre" in named) is (kind in ("member", "admin", "site-admin"))
    assert ("a-circle" in named) is (kind in ("admin", "site-admin"))
    assert {"wound-care", "physics"} <= set(named)
    # The other fields are deferred (read on access), not a new instance's defaults.
    community = named["sre" if "sre" in named else "wound-care"]
    assert community.get_deferred_fields() >= {"visibility", "about"}
    assert community.visibility == ("private" if "sre" in named else "open")
