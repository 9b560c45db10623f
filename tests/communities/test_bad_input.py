"""Input nobody should send, on whatever database the suite runs on: never a 500.

PostgreSQL rejects NUL characters in text where SQLite stores them silently, so this module is
also run on PostgreSQL in CI.
"""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from communities import services
from communities.models import (
    Community,
    Invitation,
    Membership,
    MembershipEvent,
    ProfessionalGroup,
    Profile,
)
from tests.core.test_markdown import XSS_PAYLOADS, assert_inert
from tests.factories import CommunityFactory, UserFactory, make_admin, make_member

pytestmark = pytest.mark.django_db

State = Membership.State
Role = Membership.Role

LONG = "x" * 10_000
NUL = "a\x00b"
LONE_SURROGATE_QS = "%ED%A0%80"  # the UTF-8 bytes of U+D800, which is not a character
RAW_SURROGATE = "\ud800"


@pytest.fixture
def world():
    """A request-to-join community with a moderator, a pending request, members with tags and
    a group, and an invitation."""
    community = CommunityFactory(slug="physics", visibility="request")
    moderator = make_member(community, role=Role.MODERATOR).user
    group = ProfessionalGroup.objects.create(name="Teachers", slug="teachers")
    for i in range(3):
        member = make_member(community).user
        services.profile_update(
            profile=member.profile, professional_group=group, expertise=[f"topic {i}"]
        )
    pending = services.membership_request(community=community, user=UserFactory())
    target = make_member(community)
    invitation = services.invitation_create(community=community, by=moderator)
    return {
        "community": community,
        "moderator": moderator,
        "pending": pending,
        "target": target,
        "invitation": invitation,
        "group": group,
    }


@pytest.fixture
def many(world):
    """Enough members and communities for several pages of each list."""
    for _ in range(35):
        make_member(world["community"])
    for i in range(30):
        CommunityFactory(name=f"Extra {i:02}", slug=f"extra-{i:02}")
    return world


def _writes():
    """Everything a form on these pages could write."""
    return (
        Membership.objects.count(),
        MembershipEvent.objects.count(),
        Invitation.objects.count(),
        list(Invitation.objects.values_list("revoked_at", "use_count")),
        list(Profile.objects.order_by("pk").values_list(*_PROFILE_FIELDS)),
        list(Membership.objects.order_by("pk").values_list("state", "role", "request_message")),
        Community.objects.count(),
    )


_PROFILE_FIELDS = [
    "display_name",
    "occupation",
    "organisation",
    "location",
    "bio",
    "details_visible_to",
    "professional_group",
]


# --- unknown slugs and ids ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("communities:home", ["no-such"], "get"),
        ("communities:members", ["no-such"], "get"),
        ("communities:moderate", ["no-such"], "get"),
        ("communities:join", ["no-such"], "post"),
        ("communities:request", ["no-such"], "post"),
        ("communities:leave", ["no-such"], "post"),
        ("communities:decide", ["no-such", 1, "approve"], "post"),
        ("communities:ban", ["no-such", 1], "post"),
        ("communities:unban", ["no-such", 1], "post"),
        ("communities:invitation_create", ["no-such"], "post"),
        ("communities:invitation_revoke", ["no-such", 1], "post"),
        ("communities:invitation", ["no-such-token"], "get"),
        ("communities:invitation", ["no-such-token"], "post"),
        ("communities:profile", ["no-such-user"], "get"),
    ],
)
def test_unknown_slug_is_404(client, name, args, method):
    client.force_login(UserFactory(is_staff=True))
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["decide", "ban", "unban", "invitation_revoke"])
def test_unknown_or_foreign_ids_are_404_for_moderators(client, world, action):
    other = CommunityFactory()
    foreign = make_member(other, state=State.PENDING)
    foreign_invitation = services.invitation_create(community=other, by=make_admin())
    client.force_login(world["moderator"])
    slug = world["community"].slug
    for object_id in (
        999_999,
        foreign.pk if action != "invitation_revoke" else foreign_invitation.pk,
    ):
        args = [slug, object_id, "approve"] if action == "decide" else [slug, object_id]
        before = _writes()
        response = client.post(reverse(f"communities:{action}", args=args))
        assert response.status_code == 404
        assert _writes() == before


def test_odd_paths_are_404_not_500(client):
    for path in [
        "/c/",
        "/c/%2e%2e/",
        "/c/" + "a" * 5000 + "/",
        "/u/" + "a" * 5000 + "/",
        "/invite/" + "a" * 5000 + "/",
    ]:
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("huge", ["99999999999999999999", "9223372036854775808"])
def test_ids_beyond_bigint_are_404(client, world, huge):
    """Ids past the database's integer range must not overflow into a 500 on PostgreSQL."""
    client.force_login(world["moderator"])
    slug = world["community"].slug
    for path in [
        f"/c/{slug}/moderate/requests/{huge}/approve/",
        f"/c/{slug}/moderate/ban/{huge}/",
        f"/c/{slug}/moderate/unban/{huge}/",
        f"/c/{slug}/moderate/invitations/{huge}/revoke/",
    ]:
        assert client.post(path).status_code == 404, path


# --- pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page", ["abc", "-1", "0", "99999999999999999999", "1.5", "1e9", "", "%20"]
)
@pytest.mark.parametrize("where", ["directory", "members"])
def test_bad_page_numbers_give_a_real_page(client, many, where, page):
    world = many
    url = (
        reverse("communities:directory")
        if where == "directory"
        else reverse("communities:members", args=[world["community"].slug])
    )
    response = client.get(f"{url}?page={page}")
    assert response.status_code == 200
    assert response.context["page"].object_list  # a real page with rows
    assert re.search(rb"Page \d+ of \d+", response.content)


# --- very long input ---------------------------------------------------------------------------


@pytest.mark.parametrize("param", ["q", "tag", "group"])
def test_long_member_filters_are_handled(client, world, param):
    url = reverse("communities:members", args=[world["community"].slug])
    response = client.get(url, {param: LONG})
    assert response.status_code == 200
    assert response.context["form"].errors or param == "group"


def test_long_directory_query_is_a_form_error(client, world):
    response = client.get(reverse("communities:directory"), {"q": LONG})
    assert response.status_code == 200
    assert "q" in response.context["form"].errors
    search_box = re.search(rb'<input type="search" name="q"[^>]*>', response.content).group()
    assert LONG.encode() not in search_box


def test_long_join_request_message_is_a_form_error_and_writes_nothing(client, world):
    client.force_login(UserFactory())
    before = _writes()
    response = client.post(
        reverse("communities:request", args=[world["community"].slug]), {"message": LONG}
    )
    assert response.status_code == 400
    assert response.context["request_form"].errors["message"]
    assert _writes() == before


@pytest.mark.parametrize(
    "field", ["display_name", "occupation", "organisation", "location", "bio", "expertise"]
)
def test_long_profile_field_is_a_form_error_and_writes_nothing(client, world, field):
    user = UserFactory()
    client.force_login(user)
    before = _writes()
    data = {"display_name": "Ana", "details_visible_to": "everyone", field: LONG}
    response = client.post(reverse("communities:profile_edit"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert _writes() == before
    assert not user.profile.expertise.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"note": LONG, "max_uses": 1, "days": 7},
        {"note": "ok", "max_uses": LONG, "days": 7},
        {"note": "ok", "max_uses": 99999999999999999999, "days": 7},
        {"note": "ok", "max_uses": 1, "days": 99999999999999999999},
        {"note": "ok", "max_uses": -1, "days": 7},
        {"note": "ok", "max_uses": 1, "days": "abc"},
    ],
)
def test_bad_invitation_form_writes_nothing(client, world, data):
    client.force_login(world["moderator"])
    before = _writes()
    response = client.post(
        reverse("communities:invitation_create", args=[world["community"].slug]), data, follow=True
    )
    assert response.status_code == 200
    assert b"The invitation was not created" in response.content
    assert _writes() == before


@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_long_decision_message_writes_nothing(client, world, decision):
    client.force_login(world["moderator"])
    before = _writes()
    url = reverse(
        "communities:decide", args=[world["community"].slug, world["pending"].pk, decision]
    )
    response = client.post(url, {"message": LONG}, follow=True)
    assert response.status_code == 200
    assert b"Nothing was decided" in response.content
    assert _writes() == before


def test_long_ban_reason_writes_nothing(client, world):
    client.force_login(world["moderator"])
    before = _writes()
    url = reverse("communities:ban", args=[world["community"].slug, world["target"].pk])
    response = client.post(url, {"reason": LONG}, follow=True)
    assert response.status_code == 200
    assert b"Nobody was banned" in response.content
    assert _writes() == before


# --- NUL characters and lone surrogates --------------------------------------------------------


def _forms(world):
    """Every form and query: (name, method, url, valid data, who is logged in)."""
    slug = world["community"].slug
    moderator = world["moderator"]
    return [
        ("directory", "get", reverse("communities:directory"), {"q": "phys", "page": "1"}, None),
        (
            "members",
            "get",
            reverse("communities:members", args=[slug]),
            {"q": "user", "tag": "topic 1", "group": "teachers", "page": "1"},
            None,
        ),
        ("home", "get", reverse("communities:home", args=[slug]), {"next": "/"}, None),
        (
            "profile",
            "get",
            reverse("communities:profile", args=[moderator.username]),
            {"x": "1"},
            None,
        ),
        ("join", "post", reverse("communities:join", args=[slug]), {"x": "1"}, "outsider"),
        (
            "request",
            "post",
            reverse("communities:request", args=[slug]),
            {"message": "hi"},
            "outsider",
        ),
        ("leave", "post", reverse("communities:leave", args=[slug]), {"x": "1"}, "outsider"),
        (
            "decide",
            "post",
            reverse("communities:decide", args=[slug, world["pending"].pk, "approve"]),
            {"message": "welcome"},
            "moderator",
        ),
        (
            "ban",
            "post",
            reverse("communities:ban", args=[slug, world["target"].pk]),
            {"reason": "spam"},
            "moderator",
        ),
        (
            "invitation_create",
            "post",
            reverse("communities:invitation_create", args=[slug]),
            {"note": "for Ana", "max_uses": "1", "days": "7"},
            "moderator",
        ),
        (
            "invitation_accept",
            "post",
            world["invitation"].get_absolute_url(),
            {"x": "1"},
            "outsider",
        ),
        (
            "profile_edit",
            "post",
            reverse("communities:profile_edit"),
            {
                "display_name": "Ana",
                "occupation": "nurse",
                "professional_group": str(world["group"].pk),
                "organisation": "UZ",
                "location": "Gent",
                "bio": "Hello",
                "details_visible_to": "everyone",
                "expertise": "triage, wounds",
            },
            "outsider",
        ),
        ("login", "post", reverse("account_login"), {"login": "someone", "password": "pw"}, None),
        (
            "signup",
            "post",
            reverse("account_signup"),
            {
                "email": "a@example.org",
                "username": "newbie",
                "password1": "Xk39-long-pass",
                "password2": "Xk39-long-pass",
            },
            None,
        ),
    ]


FIELD_IDS = [
    ("directory", "q"), ("directory", "page"), ("members", "q"), ("members", "tag"),
    ("members", "group"), ("members", "page"), ("home", "next"), ("profile", "x"),
    ("join", "x"), ("request", "message"), ("leave", "x"), ("decide", "message"),
    ("ban", "reason"), ("invitation_create", "note"), ("invitation_create", "max_uses"),
    ("invitation_create", "days"), ("invitation_accept", "x"), ("profile_edit", "display_name"),
    ("profile_edit", "occupation"), ("profile_edit", "professional_group"),
    ("profile_edit", "organisation"), ("profile_edit", "location"), ("profile_edit", "bio"),
    ("profile_edit", "details_visible_to"), ("profile_edit", "expertise"), ("login", "login"),
    ("login", "password"), ("signup", "email"), ("signup", "username"), ("signup", "password1"),
    ("signup", "password2"),
]  # fmt: skip


def _prepare(client, world, form_name):
    """Log in whoever submits *form_name*; return its method, URL and valid data."""
    name, method, url, data, who = next(f for f in _forms(world) if f[0] == form_name)
    if who == "moderator":
        client.force_login(world["moderator"])
    elif who == "outsider":
        client.force_login(UserFactory())
    return method, url, dict(data)


def _stored_text_has(bad: str) -> bool:
    texts = [
        *Profile.objects.values_list("display_name", "occupation", "organisation", "bio"),
        *Membership.objects.values_list("request_message", "state"),
        *MembershipEvent.objects.values_list("message", "kind"),
        *Invitation.objects.values_list("note", "token"),
    ]
    return any(bad in value for row in texts for value in row)


def test_every_form_field_is_covered(world):
    assert {(n, f) for n, _, _, data, _ in _forms(world) for f in data} == set(FIELD_IDS)


@pytest.mark.parametrize(("form_name", "field"), FIELD_IDS)
def test_nul_character_in_any_field_is_400(client, world, form_name, field):
    method, url, data = _prepare(client, world, form_name)
    data[field] = NUL
    before = _writes()
    response = getattr(client, method)(url, data)
    assert response.status_code == 400
    assert b"nothing was saved" in response.content
    assert _writes() == before


@pytest.mark.parametrize(("form_name", "field"), FIELD_IDS)
def test_nul_character_in_a_field_name_is_400(client, world, form_name, field):
    method, url, data = _prepare(client, world, form_name)
    data["bad\x00name"] = "1"
    before = _writes()
    response = getattr(client, method)(url, data)
    assert _writes() == before
    assert response.status_code == 400


@pytest.mark.parametrize(("form_name", "field"), FIELD_IDS)
def test_percent_encoded_lone_surrogate_in_any_field_is_never_500(client, world, form_name, field):
    method, url, data = _prepare(client, world, form_name)
    data[field] = "PLACEHOLDER"
    encoded = urlencode(data).replace("PLACEHOLDER", f"a{LONE_SURROGATE_QS}b")
    if method == "get":
        response = client.get(f"{url}?{encoded}")
    else:
        response = client.post(url, encoded, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302, 400, 403), response.status_code
    assert not _stored_text_has(RAW_SURROGATE)


# Forms read from the query string (GET) are covered by the percent-encoded test above.
GET_FORMS = {"directory", "members", "home", "profile"}
POST_FIELD_IDS = [(form, field) for form, field in FIELD_IDS if form not in GET_FORMS]


@pytest.mark.parametrize(("form_name", "field"), POST_FIELD_IDS)
def test_raw_lone_surrogate_in_post_body_is_never_500(client, world, form_name, field):
    method, url, data = _prepare(client, world, form_name)
    assert method == "post", f"{form_name} is a GET form: list it in GET_FORMS"
    pairs = [(k, f"a{RAW_SURROGATE}b" if k == field else str(v)) for k, v in data.items()]
    # The bytes a broken client sends: the surrogate encoded as if it were a character.
    body = "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8", "surrogatepass")
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302, 400, 403), response.status_code
    assert not _stored_text_has(RAW_SURROGATE)


def test_nul_and_surrogate_in_path_are_400_or_404(client, world):
    for path in [
        "/c/ph%00ysics/",
        "/u/a%00b/",
        "/invite/a%00b/",
        f"/u/a{LONE_SURROGATE_QS}/",
        f"/c/{LONE_SURROGATE_QS}/",
        f"/invite/{LONE_SURROGATE_QS}/",
    ]:
        assert client.get(path).status_code in (400, 404), path


# --- double submits ----------------------------------------------------------------------------


def test_double_join_is_one_membership_and_one_event(client):
    community = CommunityFactory(visibility="open")
    user = UserFactory()
    client.force_login(user)
    for _ in range(2):
        assert client.post(reverse("communities:join", args=[community.slug])).status_code == 302
    assert Membership.objects.filter(user=user).count() == 1
    assert MembershipEvent.objects.filter(user=user).count() == 1


def test_double_request_is_one_membership_and_one_event(client, world):
    user = UserFactory()
    client.force_login(user)
    url = reverse("communities:request", args=[world["community"].slug])
    for _ in range(2):
        assert client.post(url, {"message": "hello"}).status_code == 302
    assert Membership.objects.filter(user=user).count() == 1
    assert MembershipEvent.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_double_decision_is_one_event(client, world, decision):
    client.force_login(world["moderator"])
    pending = world["pending"]
    url = reverse("communities:decide", args=[world["community"].slug, pending.pk, decision])
    for _ in range(2):
        assert client.post(url, {"message": ""}).status_code == 302
    kinds = list(MembershipEvent.objects.filter(membership=pending).values_list("kind", flat=True))
    assert kinds == ["requested", "approved" if decision == "approve" else "declined"]


def test_double_invitation_accept_is_one_use(client, world):
    user = UserFactory()
    client.force_login(user)
    for _ in range(2):
        assert client.post(world["invitation"].get_absolute_url()).status_code == 302
    world["invitation"].refresh_from_db()
    assert world["invitation"].use_count == 1
    assert MembershipEvent.objects.filter(user=user).count() == 1


# --- XSS in a community's about text -----------------------------------------------------------


def test_about_markdown_xss_is_neutralised_on_the_page(client):
    community = CommunityFactory(visibility="open", about="\n\n".join(XSS_PAYLOADS))
    response = client.get(community.get_absolute_url())
    assert response.status_code == 200
    about = re.search(
        r'<section class="prose" aria-labelledby="about-heading">(.*?)</section>',
        response.content.decode(),
        re.S,
    )
    assert about, "the about section is on the page"
    html = about.group(1).replace('<h2 id="about-heading">About</h2>', "")
    assert_inert(html)
    assert "alert(1)" in html  # shown as text, not dropped silently
