"""Webhooks through the API: moderators of the community manage them (with the moderate scope);
anyone else gets a 404. The secret is shown once (create, rotate); the delivery log is paged and
a delivery can be sent again, to a real receiver on loopback."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import webhooks
from api.models import WebhookDelivery, WebhookEndpoint
from communities.models import Community, Membership
from practice.services import threads as thread_services
from tests.api.conftest import ApiClient, token_for
from tests.api.test_webhooks import receiver, server, verify  # noqa: F401 - fixtures
from tests.factories import CommunityFactory, make_member

MODERATE = ("read", "write", "moderate")
State = WebhookDelivery.State


def _queries(api, path, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path, **params).status_code == 200
    return len(queries)


@pytest.fixture
def hooks(db, receiver, settings):  # noqa: F811 - the fixture imported above
    settings.PRACTICA_WEBHOOKS_ALLOW_PRIVATE = True
    community = CommunityFactory(slug="wound-care", visibility=Community.Visibility.OPEN)
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    member = make_member(community).user
    return community, moderator, member, ApiClient(token_for(moderator, MODERATE))


def test_webhook_api_create_shows_the_secret_once(
    hooks,
    receiver,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    community, moderator, member, api = hooks
    created = api.post(
        "/communities/wound-care/webhooks",
        {"url": receiver.url, "events": ["thread.created"], "description": "Team chat"},
    )
    assert created.status_code == 201
    body = created.json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert body["created_by"]["username"] == moderator.username
    listed = api.get("/communities/wound-care/webhooks").json()
    detail = api.get(f"/communities/wound-care/webhooks/{endpoint.pk}").json()
    assert [row["id"] for row in listed["items"]] == [endpoint.pk]
    assert endpoint.secret not in str(listed) + str(detail) and "secret" not in detail
    # Rotating gives a new secret, once; deliveries are signed with it.
    rotated = api.post(f"/communities/wound-care/webhooks/{endpoint.pk}/secret").json()
    endpoint.refresh_from_db()
    assert rotated["secret"] == endpoint.secret != body["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        thread_services.thread_create(
            community=community, author=member, kind="question", title="Foam?", body="Which?"
        )
    headers, sent = receiver.requests[-1]
    assert verify(rotated["secret"], headers, sent) and not verify(body["secret"], headers, sent)


def test_webhook_api_bad_input_writes_nothing(hooks):
    _community, _moderator, _member, api = hooks
    for body in (
        {"url": "ftp://example.org/x", "events": ["thread.created"]},
        {"url": "https://example.org/x", "events": ["thread.deleted"]},
        {"url": "https://example.org/x", "events": []},
        {"url": "https://example.org/x", "events": ["thread.created"], "secret": "mine"},
    ):
        response = api.post("/communities/wound-care/webhooks", body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid"
    assert not WebhookEndpoint.objects.exists()


def test_webhook_api_update_switch_off_on_and_delete(hooks, receiver):  # noqa: F811
    community, moderator, _member, api = hooks
    endpoint = webhooks.endpoint_create(
        community=community, by=moderator, url=receiver.url, events=["thread.created"]
    )
    path = f"/communities/wound-care/webhooks/{endpoint.pk}"
    changed = api.send("patch", path, {"events": ["answer.posted", "thread.created"]}).json()
    assert changed["events"] == ["thread.created", "answer.posted"]
    refused = api.send("patch", path, {"url": "http://user:pw@example.org/"})
    assert refused.status_code == 400 and "url" in refused.json()["error"]["fields"]
    endpoint.refresh_from_db()
    assert endpoint.url == receiver.url
    off = api.send("patch", path, {"is_active": False}).json()
    assert off["is_active"] is False and off["disabled_reason"]
    # Another moderator switches it on again: it now carries their rights.
    other = make_member(community, role=Membership.Role.MODERATOR).user
    on = ApiClient(token_for(other, MODERATE)).send("patch", path, {"is_active": True}).json()
    assert on["is_active"] is True and on["created_by"]["username"] == other.username
    assert api.send("delete", path).status_code == 204
    assert api.get(path).status_code == 404
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_webhook_api_delivery_log_and_redelivery(
    hooks,
    receiver,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    committed = django_capture_on_commit_callbacks
    community, moderator, member, api = hooks
    endpoint = webhooks.endpoint_create(
        community=community, by=moderator, url=receiver.url, events=["thread.created"]
    )
    receiver.statuses[:] = [500] * webhooks.MAX_ATTEMPTS
    for n in range(3):
        with committed(execute=True):
            thread_services.thread_create(
                community=community, author=member, kind="story", title=f"Story {n}", body="…"
            )
    path = f"/communities/wound-care/webhooks/{endpoint.pk}/deliveries"
    first = api.get(path, limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(path, limit=2, cursor=first["next_cursor"]).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    failed = rest["items"][0]  # the oldest: all its attempts answered 500
    assert failed["state"] == "failed" and failed["attempts"] == webhooks.MAX_ATTEMPTS
    assert [t["status_code"] for t in failed["tries"]] == [500] * webhooks.MAX_ATTEMPTS
    # The log costs the same however many deliveries a page holds, and so does the list.
    assert _queries(api, path, limit=1) == _queries(api, path, limit=100)
    webhooks.endpoint_create(
        community=community, by=moderator, url=receiver.url, events=["answer.posted"]
    )
    hooks_path = "/communities/wound-care/webhooks"
    assert _queries(api, hooks_path, limit=1) == _queries(api, hooks_path, limit=100)
    # Sent again: one more attempt, same delivery id, now answered 200.
    with committed(execute=True):
        again = api.post(f"{path}/{failed['id']}/redeliver")
    assert again.status_code == 202
    assert again.json()["state"] == "pending"  # sent after the answer, in the background
    delivery = WebhookDelivery.objects.get(pk=failed["id"])
    assert (delivery.state, delivery.attempts) == (State.DELIVERED, webhooks.MAX_ATTEMPTS + 1)
    headers, _ = receiver.requests[-1]
    assert headers["X-Practica-Delivery"] == failed["uuid"]
    # A redelivery's failure starts no new failure streak.
    endpoint.refresh_from_db()
    streak = endpoint.consecutive_failures
    receiver.statuses[:] = [500]
    with committed(execute=True):
        api.post(f"{path}/{failed['id']}/redeliver")
    assert WebhookDelivery.objects.get(pk=failed["id"]).state == State.FAILED
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == streak
    # Not another webhook's delivery; not while the webhook is switched off.
    other = webhooks.endpoint_create(
        community=community, by=moderator, url=receiver.url, events=["thread.created"]
    )
    elsewhere = f"/communities/wound-care/webhooks/{other.pk}/deliveries/{failed['id']}/redeliver"
    assert api.post(elsewhere).status_code == 404
    webhooks.endpoint_switch_off(endpoint=endpoint, by=moderator)
    assert api.post(f"{path}/{failed['id']}/redeliver").status_code == 400


def test_webhook_api_hidden_from_all_but_the_moderators(hooks, receiver):  # noqa: F811
    community, moderator, member, _api = hooks
    endpoint = webhooks.endpoint_create(
        community=community, by=moderator, url=receiver.url, events=["thread.created"]
    )
    other_moderator = make_member(CommunityFactory(), role=Membership.Role.MODERATOR).user
    paths = [
        ("get", "/communities/wound-care/webhooks", None),
        (
            "post",
            "/communities/wound-care/webhooks",
            {"url": receiver.url, "events": ["thread.created"]},
        ),
        ("get", f"/communities/wound-care/webhooks/{endpoint.pk}", None),
        ("patch", f"/communities/wound-care/webhooks/{endpoint.pk}", {"description": "mine"}),
        ("delete", f"/communities/wound-care/webhooks/{endpoint.pk}", None),
        ("post", f"/communities/wound-care/webhooks/{endpoint.pk}/secret", None),
        ("get", f"/communities/wound-care/webhooks/{endpoint.pk}/deliveries", None),
    ]
    for user in (member, other_moderator):
        api = ApiClient(token_for(user, MODERATE))
        for method, path, body in paths:
            response = api.get(path) if method == "get" else api.send(method, path, body)
            assert response.status_code == 404, (user, path)
            assert endpoint.url not in response.content.decode()
    # The moderator's own token without the moderate scope: 403 before any lookup.
    no_scope = ApiClient(token_for(moderator, ("read", "write")))
    assert no_scope.get("/communities/wound-care/webhooks").status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.description == "" and WebhookEndpoint.objects.count() == 1
