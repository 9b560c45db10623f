"""Flags through the API: moderators only (404 for who may not read the community, 403 for
its members, 401 without credentials), the open flags as the moderation queue groups them,
dismissing and hiding through the moderation services, bad input, and query counts constant
in the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import Membership
from practice.models import Flag, Post
from practice.rate_limits import rate_limits_suspended
from practice.services import moderation
from practice.services import threads as thread_services
from tests.api.conftest import CANARY, ApiClient, token_for
from tests.api.test_permissions import VIEWERS
from tests.factories import CommunityFactory, make_member

pytestmark = pytest.mark.django_db
MODERATE = ("read", "write", "moderate")


@pytest.fixture
def flagged(canary):
    member = canary["viewers"]["member"]
    thread, answer = canary["thread"], canary["answer"]
    moderation.flag_create(reporter=member, thread=thread, post=answer, reason="spam", note="ads")
    moderation.flag_create(reporter=member, thread=thread, post=None, reason="off_topic")
    return canary


def _open():
    return Flag.objects.filter(resolved_at__isnull=True).count()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_flags_are_for_moderators(flagged, viewer):
    user = flagged["viewers"][viewer]
    api = ApiClient(token_for(user, MODERATE) if user else None)
    expected = {"anon": 401, "member": 403, "moderator": 200}.get(viewer, 404)
    response = api.get("/communities/sre/flags")
    assert response.status_code == expected, viewer
    if expected == 404:
        assert response.content == api.get("/communities/nope/flags").content
    if expected != 200:
        assert CANARY not in response.content.decode()
    before = _open()
    body = {"thread": flagged["thread"].pk, "action": "dismiss"}
    assert api.post("/communities/sre/flags/resolve", body).status_code == expected
    if expected != 200:
        assert _open() == before


def test_list_dismiss_and_hide(flagged):
    moderator = flagged["viewers"]["moderator"]
    thread, answer = flagged["thread"], flagged["answer"]
    # Without the moderate scope a moderator's token is refused.
    assert ApiClient(token_for(moderator)).get("/communities/sre/flags").status_code == 403
    api = ApiClient(token_for(moderator, MODERATE))
    rows = api.get("/communities/sre/flags").json()["items"]
    assert {(row["thread"], row["post"]) for row in rows} == {
        (thread.pk, answer.pk),
        (thread.pk, None),
    }
    about_answer = next(row for row in rows if row["post"] == answer.pk)
    assert about_answer["reasons"] == ["spam"] and about_answer["flags"][0]["note"] == "ads"
    dismissed = api.post(
        "/communities/sre/flags/resolve",
        {"thread": thread.pk, "action": "dismiss", "reason": "fine"},
    )
    assert dismissed.json() == {"action": "dismiss", "closed": 1, "is_hidden": False}
    again = api.post("/communities/sre/flags/resolve", {"thread": thread.pk, "action": "dismiss"})
    assert again.json()["closed"] == 0
    hidden = api.post(
        "/communities/sre/flags/resolve",
        {"thread": thread.pk, "post": answer.pk, "action": "hide", "reason": "ads"},
    )
    assert hidden.json() == {"action": "hide", "closed": 1, "is_hidden": True}
    assert Post.objects.get(pk=answer.pk).is_hidden
    assert api.get("/communities/sre/flags").json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "dismiss"}, "thread"),
        ({"thread": 1, "action": "delete"}, "action"),
        ({"thread": "x", "action": "hide"}, "thread"),
        ({"thread": 1, "action": "hide", "extra": True}, "extra"),
        ({"thread": 1, "action": "hide", "reason": "x" * 501}, "reason"),
        ({"thread": 1, "post": 10**9, "action": "hide"}, "post"),
    ],
)
def test_resolve_bad_input_is_a_400(flagged, body, field):
    api = ApiClient(token_for(flagged["viewers"]["moderator"], MODERATE))
    if body.get("thread") == 1:
        body = {**body, "thread": flagged["thread"].pk}
    before = _open()
    response = api.post("/communities/sre/flags/resolve", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert _open() == before


ROWS = 11


def test_flag_list_query_count_and_cursor(db, django_assert_max_num_queries):
    community = CommunityFactory(slug="busy", visibility="open")
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    author = make_member(community).user
    reporters = [make_member(community).user for _ in range(2)]
    with rate_limits_suspended():
        for i in range(ROWS):
            thread = thread_services.thread_create(
                community=community, author=author, kind="story", title=f"T{i}", body="b"
            )
            for reporter in reporters[: 1 + i % 2]:
                moderation.flag_create(reporter=reporter, thread=thread, post=None, reason="spam")
    api = ApiClient(token_for(moderator, MODERATE))
    api.get("/me")
    counts = []
    for limit in (2, ROWS):
        with CaptureQueriesContext(connection) as queries:
            page = api.get("/communities/busy/flags", limit=limit).json()
        counts.append(len(queries))
    assert counts[0] == counts[1] and len(page["items"]) == ROWS
    with django_assert_max_num_queries(counts[0]):
        api.get("/communities/busy/flags", limit=ROWS)
    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        chunk = api.get("/communities/busy/flags", **params).json()
        seen += [row["thread"] for row in chunk["items"]]
        cursor = chunk["next_cursor"]
        if not cursor:
            break
    assert seen == [row["thread"] for row in page["items"]]
    assert [row["flag_count"] for row in page["items"]][:1] == [2]
