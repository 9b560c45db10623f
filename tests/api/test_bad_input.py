"""Bad input through the API: 400 in the one error shape, and nothing written."""

import pytest
from django.test import override_settings

from practice.models import Post, Thread
from tests.api.conftest import ApiClient, token_for
from tests.factories import CommunityFactory, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(db):
    community = CommunityFactory(slug="open", visibility="open")
    user = make_member(community).user
    api = ApiClient(token_for(user))
    thread = api.post(
        "/communities/open/threads", {"kind": "question", "title": "A title", "body": "Body"}
    ).json()
    return api, thread["id"]


def _counts():
    return Thread.objects.count(), Post.objects.count()


def _assert_error(response, code=None, field=None):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if code:
        assert error["code"] == code
    if field:
        assert field in error["fields"], error


VALID = {"kind": "question", "title": "Fine title", "body": "Fine body"}


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        ("{bad json", "malformed_json", None),
        ("[1, 2]", "malformed_json", None),
        ('"a string"', "malformed_json", None),
        (b"\xff\xfe{}", "malformed_json", None),
        ('{"kind": "question", "title": "T", "body": "a\\u0000b"}', "unstorable_text", "body"),
        ('{"kind": "question", "title": "T\\ud800", "body": "b"}', "unstorable_text", "title"),
        ('{"kind": "question", "title": "T", "body": "b", "tags": ["\\udfff"]}', None, None),
        ('{"kind": "question", "title": "T", "body": "b", "extra": 1}', "invalid", "extra"),
        ('{"kind": "poem", "title": "T", "body": "b"}', "invalid", "kind"),
        ('{"kind": "question", "title": 5, "body": "b"}', "invalid", "title"),
        ('{"kind": "question", "title": "T", "body": ["b"]}', "invalid", "body"),
        ('{"kind": "question", "title": "T"}', "invalid", "body"),
        ('{"kind": "question", "title": "   ", "body": "b"}', "invalid", "title"),
        ('{"kind": "question", "title": "T", "body": "b", "tags": "x"}', "invalid", "tags"),
        ('{"kind": "question", "title": "T", "body": "b", "tags": [1,2,3,4,5,6]}', None, None),
        ("{}", "invalid", "kind"),
    ],
)
def test_thread_create_refuses_bad_bodies(setup, raw, code, field):
    api, _ = setup
    before = _counts()
    _assert_error(api.post("/communities/open/threads", raw=raw), code, field)
    assert _counts() == before


def test_empty_body_is_a_400(setup):
    api, _ = setup
    response = api.client.post(
        "/api/v1/communities/open/threads", b"", content_type="application/json"
    )
    _assert_error(response)


def test_titles_and_bodies_over_the_limits(setup):
    api, thread_id = setup
    before = _counts()
    _assert_error(
        api.post("/communities/open/threads", {**VALID, "title": "x" * 201}), "invalid", "title"
    )
    _assert_error(
        api.post(f"/communities/open/threads/{thread_id}/posts", {"body": "x" * 50_001}),
        "invalid",
        "body",
    )
    assert _counts() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_huge_bodies_are_a_400(setup):
    api, thread_id = setup
    before = _counts()
    response = api.post(f"/communities/open/threads/{thread_id}/posts", {"body": "x" * 20_000})
    _assert_error(response, "too_large")
    assert _counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "hi", "reply_to": "x"}, "reply_to"),
        ({"body": "hi", "reply_to": 10**30}, "reply_to"),
        ({"body": "hi", "reply_to": 999999}, "reply_to"),
        ({"body": "hi", "reply_to": -1}, "reply_to"),
        ({"body": "hi", "reply_to": None, "helpful": True}, "helpful"),
        ({"body": ""}, "body"),
    ],
)
def test_post_create_refuses_bad_bodies(setup, body, field):
    api, thread_id = setup
    before = _counts()
    _assert_error(api.post(f"/communities/open/threads/{thread_id}/posts", body), None, field)
    assert _counts() == before


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "best"},
        {"kind": "poem"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"unanswered": "perhaps"},
        {"cursor": "not-a-cursor"},
        {"cursor": "eyJrIjoicG9zdHMiLCJ2IjpbMSwyXX0"},  # a posts cursor on the thread list
        {"tag": "x" * 51},
    ],
)
def test_thread_list_filters_are_validated(setup, query):
    api, _ = setup
    _assert_error(api.get("/communities/open/threads", **query))


@pytest.mark.parametrize(
    "path",
    [
        "/communities/open/threads?tag=a%00b",
        "/communities/a%00b/threads",
        "/search?q=a%00b",
    ],
)
def test_nul_and_surrogates_in_the_query_string_are_a_json_400(setup, path):
    api, _ = setup
    response = api.client.get(f"/api/v1{path}")
    _assert_error(response)


def test_ids_out_of_range_are_400_or_404_never_500(setup):
    api, _ = setup
    assert api.get(f"/communities/open/threads/{10**30}").status_code == 400
    assert api.get("/communities/open/threads/0").status_code == 400
    assert api.get("/communities/open/threads/abc").status_code == 400
    response = api.post("/notifications/read", {"ids": [10**30]})
    _assert_error(response, "invalid")


def test_search_filters_are_validated(setup):
    api, _ = setup
    _assert_error(api.get("/search", community="nope"), "invalid", "community")
    _assert_error(api.get("/search", solved="maybe"), "invalid", "solved")


def test_moderators_writes_refuse_bad_input_and_write_nothing(settings):
    """The newer writes (webhooks, events, item edits, lock, move, join decisions): malformed
    JSON, NUL, lone surrogates and unknown fields are 400s in the error shape, nothing written."""
    from datetime import timedelta

    from django.utils import timezone

    from api import webhooks
    from api.models import WebhookEndpoint
    from communities.models import Membership
    from knowledge.models import Item
    from knowledge.services import items as item_services
    from practice.models import Event
    from practice.services import events as event_services

    settings.PRACTICA_WEBHOOKS_ALLOW_PRIVATE = True
    community = CommunityFactory(slug="mod", visibility="request")
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    pending = make_member(community, state=Membership.State.PENDING)
    api = ApiClient(token_for(moderator, ("read", "write", "moderate")))
    thread = api.post("/communities/mod/threads", VALID).json()["id"]
    item = item_services.item_propose(
        community=community, by=moderator, kind="tool", title="Ruler", summary="Measures."
    )
    start = timezone.now() + timedelta(days=2)
    event = event_services.event_create(
        community=community,
        by=moderator,
        title="Clinic",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        timezone="UTC",
        place="Ward 4",
    )
    hook = webhooks.endpoint_create(
        community=community, by=moderator, url="http://127.0.0.1:9/x", events=["thread.created"]
    )
    writes = [
        ("post", "/communities/mod/webhooks", "url"),
        ("patch", f"/communities/mod/webhooks/{hook.pk}", "description"),
        ("post", "/communities/mod/events", "title"),
        ("patch", f"/communities/mod/events/{event.pk}", "title"),
        ("post", f"/communities/mod/events/{event.pk}/cancel", "reason"),
        ("patch", f"/communities/mod/library/{item.pk}", "title"),
        ("put", f"/communities/mod/threads/{thread}/lock", "reason"),
        ("post", f"/communities/mod/threads/{thread}/move", "to"),
        ("post", f"/communities/mod/join-requests/{pending.pk}/approve", "message"),
    ]

    def state():
        return (
            list(WebhookEndpoint.objects.values_list("url", "description", "secret")),
            list(Event.objects.values_list("title", "cancelled_at")),
            list(Item.objects.values_list("title", "revision_count")),
            list(Thread.objects.values_list("is_locked", "community_id")),
            Membership.objects.get(pk=pending.pk).state,
        )

    before = state()
    for method, path, field in writes:
        _assert_error(api.send(method, path, raw="{bad json"), "malformed_json")
        _assert_error(api.send(method, path, raw=f'{{"{field}": "a\\u0000b"}}'), "unstorable_text")
        _assert_error(api.send(method, path, raw=f'{{"{field}": "x\\ud800"}}'), "unstorable_text")
        _assert_error(api.send(method, path, {"unknown": 1}), "invalid", "unknown")
    assert state() == before
