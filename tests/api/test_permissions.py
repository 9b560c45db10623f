"""The permission matrix through the API, against a private community with a canary: every
kind of caller, every endpoint. Whoever may not read the community gets exactly what an
unknown slug or id gives (404, the same body), lists and search never include it, and
nothing is written."""

import pytest

from practice.models import AdoptionReport, Follow, Post, PostRevision, Thread, Vote
from tests.api.conftest import CANARY, ApiClient, token_for
from tests.factories import CommunityFactory, make_member

pytestmark = pytest.mark.django_db

READERS = {"member", "moderator"}
VIEWERS = [
    "anon",
    "outsider",
    "pending",
    "banned",
    "former",
    "other_moderator",
    "member",
    "moderator",
]


def _reads(data):
    thread, answer = data["thread"], data["answer"]
    return (
        [
            "/communities/sre/threads",
            "/communities/sre/threads?sort=newest&kind=question",
            f"/communities/sre/threads/{thread.pk}",
            f"/communities/sre/threads/{thread.pk}/posts",
        ],
        {
            # The same paths for an object that does not exist.
            "/communities/sre/threads": "/communities/nope/threads",
            "/communities/sre/threads?sort=newest&kind=question": "/communities/nope/threads",
            f"/communities/sre/threads/{thread.pk}": f"/communities/sre/threads/{thread.pk + 999}",
            f"/communities/sre/threads/{thread.pk}/posts": "/communities/nope/threads/1/posts",
        },
        answer,
    )


def _writes(data):
    thread, answer = data["thread"], data["answer"]
    return [
        ("post", "/communities/sre/threads", {"kind": "question", "title": "t", "body": "b"}),
        ("post", f"/communities/sre/threads/{thread.pk}/posts", {"body": "an answer"}),
        ("put", f"/communities/sre/posts/{answer.pk}/vote", {"helpful": True}),
        ("post", f"/communities/sre/posts/{answer.pk}/accept", {}),
        ("patch", f"/communities/sre/posts/{answer.pk}", {"body": "changed"}),
        ("post", f"/communities/sre/posts/{answer.pk}/hide", {}),
        ("post", f"/communities/sre/posts/{answer.pk}/restore", {}),
        ("put", f"/communities/sre/posts/{answer.pk}/worked", {"worked": True}),
        ("put", f"/communities/sre/threads/{thread.pk}/follow", {}),
    ]


def _snapshot():
    return (
        Thread.objects.count(),
        Post.objects.count(),
        Vote.objects.count(),
        Thread.objects.filter(accepted_post__isnull=False).count(),
        Post.objects.filter(is_hidden=True).count(),
        PostRevision.objects.count(),
        AdoptionReport.objects.count(),
        Follow.objects.count(),
    )


@pytest.mark.parametrize("viewer", VIEWERS)
def test_private_community_through_the_api(canary, viewer):
    user = canary["viewers"][viewer]
    api = ApiClient(token_for(user) if user else None)
    reads, missing, _ = _reads(canary)

    for path in reads:
        response = api.get(path)
        if viewer in READERS:
            assert response.status_code == 200, path
            assert CANARY in response.content.decode(), path
        else:
            assert response.status_code == 404, (viewer, path)
            assert response.content == api.get(missing[path]).content, path
            assert CANARY not in response.content.decode()

    # The directory and the community's own card: listed by name, never its content.
    directory = api.get("/communities").content.decode()
    detail = api.get("/communities/sre")
    assert detail.status_code == 200
    assert "SRE circle" in directory
    if viewer in READERS:
        assert CANARY in detail.content.decode()
    else:
        assert CANARY not in directory + detail.content.decode()
        assert detail.json()["about_html"] is None and detail.json()["member_count"] is None

    # Search finds the canary only for those who may read it.
    found = api.get("/search", q=CANARY.split("-")[-1]).json()["items"]
    found += api.get("/search", q="secret", kind="thread").json()["items"]
    if viewer in READERS:
        assert any(CANARY in hit["title"] for hit in found)
    else:
        assert found == [] or all(CANARY not in hit["title"] for hit in found)

    # Writes: nothing is written by anyone who may not read; 401 for no credentials.
    before = _snapshot()
    for method, path, body in _writes(canary):
        response = api.send(method, path, body)
        if viewer == "anon":
            assert response.status_code == 401, path
        elif path.endswith("/restore"):
            # Refused for the missing scope before any lookup: the same for any post id.
            assert response.status_code == 403, (viewer, path)
            missing = api.send(method, "/communities/sre/posts/999999/restore", body)
            assert response.content == missing.content
        elif viewer not in READERS:
            assert response.status_code == 404, (viewer, path)
            assert CANARY not in response.content.decode()
    if viewer not in READERS:
        assert _snapshot() == before


def test_members_write_through_the_services(canary):
    member, moderator = canary["viewers"]["member"], canary["viewers"]["moderator"]
    thread, answer = canary["thread"], canary["answer"]
    as_member, as_moderator = ApiClient(token_for(member)), ApiClient(token_for(moderator))
    response = as_member.send("put", f"/communities/sre/posts/{answer.pk}/vote", {"helpful": True})
    assert response.json() == {"voted": True, "helpful_count": 1}
    # Voting on one's own post is refused by practice.permissions: 403, nothing written.
    own = as_moderator.send("put", f"/communities/sre/posts/{answer.pk}/vote", {"helpful": True})
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "forbidden"
    accepted = as_member.post(f"/communities/sre/posts/{answer.pk}/accept")
    assert accepted.status_code == 200 and accepted.json()["accepted_post"] == answer.pk
    # Only the asker or a moderator accepts: another member is refused (403).
    other = ApiClient(token_for(make_member(canary["community"]).user))
    refused = other.send("delete", f"/communities/sre/threads/{thread.pk}/accepted")
    assert refused.status_code == 403
    assert Thread.objects.get(pk=thread.pk).accepted_post_id == answer.pk
    undone = as_moderator.send("delete", f"/communities/sre/threads/{thread.pk}/accepted")
    assert undone.status_code == 200 and undone.json()["accepted_post"] is None
    reply = as_member.post(
        f"/communities/sre/threads/{thread.pk}/posts", {"body": "thanks", "reply_to": answer.pk}
    )
    assert reply.status_code == 201
    assert reply.json()["reply_to"] == answer.pk and reply.json()["is_answer"] is False


def test_token_without_the_read_scope_reads_nothing(canary):
    member = canary["viewers"]["member"]
    api = ApiClient(token_for(member, scopes=["write"]))
    for path in ("/communities", "/communities/sre", "/communities/sre/threads", "/search"):
        response = api.get(path, q="x") if path == "/search" else api.get(path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"
        assert CANARY not in response.content.decode()


def test_read_only_token_of_a_member_writes_nothing(canary):
    api = ApiClient(token_for(canary["viewers"]["member"], scopes=["read"]))
    before = _snapshot()
    for method, path, body in _writes(canary):
        assert api.send(method, path, body).status_code == 403, path
    assert _snapshot() == before


def test_hidden_threads_are_listed_for_moderators_only(canary):
    Thread.objects.filter(pk=canary["thread"].pk).update(is_hidden=True)
    as_member = ApiClient(token_for(canary["viewers"]["member"]))
    as_moderator = ApiClient(token_for(canary["viewers"]["moderator"]))
    assert as_member.get("/communities/sre/threads").json()["items"] == []
    assert as_member.get(f"/communities/sre/threads/{canary['thread'].pk}").status_code == 404
    listed = as_moderator.get("/communities/sre/threads").json()["items"]
    assert [row["id"] for row in listed] == [canary["thread"].pk]


def test_join_request_and_leave_follow_the_web_rules(canary):
    outsider = ApiClient(token_for(canary["viewers"]["outsider"]))
    # A private community takes requests, not joins (403 as on the web).
    assert outsider.post("/communities/sre/join").status_code == 403
    response = outsider.post("/communities/sre/request", {"message": "Hello"})
    assert response.json()["state"] == "pending"
    assert outsider.post("/communities/other/join").json()["state"] == "active"
    assert outsider.post("/communities/other/leave").json()["state"] == "left"
    banned = ApiClient(token_for(canary["viewers"]["banned"]))
    assert banned.post("/communities/sre/leave").status_code == 403
    assert banned.post("/communities/sre/request").status_code == 403
    memberships = outsider.get("/me/memberships").json()["items"]
    assert [(m["community"], m["state"]) for m in memberships] == [("sre", "pending")]


def test_edit_hide_restore_need_moderate_for_others_posts(canary):
    member, moderator = canary["viewers"]["member"], canary["viewers"]["moderator"]
    thread, answer = canary["thread"], canary["answer"]
    opening = thread.opening_post_id
    as_member = ApiClient(token_for(member))
    edited = as_member.send(
        "patch",
        f"/communities/sre/posts/{opening}",
        {"body": "Clearer question", "title": "Clearer title", "tags": ["sre"]},
    )
    assert edited.status_code == 200 and edited.json()["edited_at"]
    detail = as_member.get(f"/communities/sre/threads/{thread.pk}").json()
    assert detail["title"] == "Clearer title" and detail["tags"] == ["sre"]
    # A member may not edit someone else's post (practice.permissions: 403).
    refused = as_member.send("patch", f"/communities/sre/posts/{answer.pk}", {"body": "mine now"})
    assert refused.status_code == 403
    # A moderator's write-only token cannot moderate; with the moderate scope it can.
    write_only = ApiClient(token_for(moderator, scopes=["read", "write"]))
    assert write_only.post(f"/communities/sre/posts/{opening}/hide").status_code == 403
    moderating = ApiClient(token_for(moderator, scopes=["read", "write", "moderate"]))
    hidden = moderating.post(f"/communities/sre/posts/{opening}/hide", {"reason": "spam"})
    assert hidden.json() == {"id": opening, "is_hidden": True}
    assert as_member.get(f"/communities/sre/threads/{thread.pk}").status_code == 404
    assert as_member.post(f"/communities/sre/posts/{opening}/restore").status_code == 403
    restored = moderating.post(f"/communities/sre/posts/{opening}/restore")
    assert restored.status_code == 200 and restored.json()["is_hidden"] is False
    assert as_member.get(f"/communities/sre/threads/{thread.pk}").status_code == 200


def test_worked_for_me_and_follows(canary):
    member = canary["viewers"]["member"]
    thread, answer = canary["thread"], canary["answer"]
    api = ApiClient(token_for(member))
    path = f"/communities/sre/posts/{answer.pk}/worked"
    reported = api.send("put", path, {"worked": True, "note": "On night shifts too"})
    assert reported.json() == {"worked": True, "worked_count": 1, "did_not_work_count": 0}
    assert api.send("put", path, {"worked": False}).json()["did_not_work_count"] == 1
    assert api.send("delete", path).json() == {
        "worked": None,
        "worked_count": 0,
        "did_not_work_count": 0,
    }
    # Not on the question itself (403), and not for a non-reader (404).
    opening = f"/communities/sre/posts/{thread.opening_post_id}/worked"
    assert api.send("put", opening, {"worked": True}).status_code == 403
    outsider = ApiClient(token_for(canary["viewers"]["outsider"]))
    assert outsider.send("put", path, {"worked": True}).status_code == 404
    follow = f"/communities/sre/threads/{thread.pk}/follow"
    assert api.send("delete", follow).json() == {"following": False}
    assert api.send("put", follow).json() == {"following": True}
    assert outsider.send("put", follow).status_code == 404


# --- the moderators' tools: join requests, lock, move, events, item edits, webhooks --------------


def _moderator_tools(data, settings):
    """Every moderators' write added since, with a fixture for it in the canary community:
    (method, path, body, the moderator's status). Run in this order, the moderator's calls
    all succeed; the thread moves last."""
    from datetime import timedelta

    from django.utils import timezone

    from api import webhooks
    from knowledge.services import curation
    from knowledge.services import items as item_services
    from practice.services import events as event_services

    settings.PRACTICA_WEBHOOKS_ALLOW_PRIVATE = True
    community, thread = data["community"], data["thread"]
    moderator = data["viewers"]["moderator"]
    pending = community.memberships.get(user=data["viewers"]["pending"])
    item = item_services.item_propose(
        community=community, by=moderator, kind="method", title=f"{CANARY} item", summary="S."
    )
    curation.item_publish(item=item, by=moderator)
    start = timezone.now() + timedelta(days=7)
    event = event_services.event_create(
        community=community,
        by=moderator,
        title=f"{CANARY} event",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        timezone="Europe/Berlin",
        place="Ward 4",
    )
    hook = webhooks.endpoint_create(
        community=community,
        by=moderator,
        url="http://127.0.0.1:9/canary",
        events=["thread.created"],
    )
    # Somewhere the moderator may move the thread to.
    make_member(CommunityFactory(slug="sre-archive"), user=moderator, role="moderator")
    later = (start + timedelta(days=1)).isoformat()
    hooks = "/communities/sre/webhooks"
    return [
        ("get", "/communities/sre/join-requests", None, 200),
        ("post", f"/communities/sre/join-requests/{pending.pk}/approve", {}, 200),
        ("put", f"/communities/sre/threads/{thread.pk}/lock", {"reason": "done"}, 200),
        ("delete", f"/communities/sre/threads/{thread.pk}/lock", None, 200),
        (
            "post",
            "/communities/sre/events",
            {"title": "New", "starts_at": later, "ends_at": later, "timezone": "UTC", "place": "x"},
            400,  # ends when it starts: the service's own check, for the moderator only
        ),
        ("patch", f"/communities/sre/events/{event.pk}", {"place": "Ward 5"}, 200),
        ("post", f"/communities/sre/events/{event.pk}/cancel", {"reason": "Flooded"}, 200),
        ("patch", f"/communities/sre/library/{item.pk}", {"summary": "Shorter."}, 200),
        ("get", hooks, None, 200),
        ("post", hooks, {"url": "http://127.0.0.1:9/x", "events": ["answer.posted"]}, 201),
        ("get", f"{hooks}/{hook.pk}", None, 200),
        ("patch", f"{hooks}/{hook.pk}", {"description": "chat"}, 200),
        ("post", f"{hooks}/{hook.pk}/secret", None, 200),
        ("get", f"{hooks}/{hook.pk}/deliveries", None, 200),
        ("delete", f"{hooks}/{hook.pk}", None, 204),
        ("post", f"/communities/sre/threads/{thread.pk}/move", {"to": "sre-archive"}, 200),
    ]


def _moderation_snapshot():
    from api.models import WebhookEndpoint
    from communities.models import Membership
    from knowledge.models import ItemRevision
    from practice.models import Event

    return (
        list(Membership.objects.order_by("pk").values_list("state", flat=True)),
        list(Thread.objects.order_by("pk").values_list("is_locked", "community_id")),
        list(Event.objects.order_by("pk").values_list("place", "cancelled_at")),
        ItemRevision.objects.count(),
        list(WebhookEndpoint.objects.order_by("pk").values_list("description", "secret")),
    )


@pytest.mark.parametrize("viewer", VIEWERS)
def test_moderators_tools_through_the_api(canary, viewer, settings):
    """Anonymous 401; whoever may not read the community 404 (and the same body as for a
    missing community); a member 403, except webhooks, which are a 404 for all but the
    moderators; the moderator succeeds. Nothing is written by anyone but the moderator."""
    calls = _moderator_tools(canary, settings)
    user = canary["viewers"][viewer]
    api = ApiClient(token_for(user, ("read", "write", "moderate")) if user else None)
    before = _moderation_snapshot()
    for method, path, body, moderator_status in calls:
        response = api.get(path) if method == "get" else api.send(method, path, body)
        if viewer == "anon":
            expected = 401
        elif viewer == "moderator":
            expected = moderator_status
        elif viewer == "member" and "/webhooks" not in path:
            expected = 403
        else:
            expected = 404
        assert response.status_code == expected, (viewer, method, path, response.content)
        if expected == 404:
            assert response.content == api.get("/communities/nope/threads").content
        if viewer != "moderator":
            assert CANARY not in response.content.decode()
    if viewer != "moderator":
        assert _moderation_snapshot() == before
