"""Webhooks: signed deliveries to a real HTTP receiver on loopback, retries, the switch-off
after repeated failure, the moderators' pages, and no private content once the creator lost
the role. The signature is checked with the verifier printed in the README."""

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from api import webhook_http, webhooks
from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from communities import services as community_services
from communities.models import Community, Membership
from knowledge.services import curation, items
from practice.services import endorsements
from practice.services import threads as thread_services
from tests.factories import CommunityFactory, UserFactory, make_member

README = Path(__file__).resolve().parents[2] / "README.md"
ALL_EVENTS = list(WebhookEndpoint.Event.values)
State = WebhookDelivery.State


def _readme_verifier():
    """The ``verify_practica_webhook`` snippet of the README's "Webhooks", run as is."""
    section = README.read_text(encoding="utf-8").split("### Webhooks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own README's snippet
    return namespace["verify_practica_webhook"]


verify = _readme_verifier()


class Receiver:
    """An HTTP server on loopback that records each POST and answers the scripted statuses
    (then 200)."""

    def __init__(self):
        self.statuses: list[int] = []
        self.requests: list[tuple] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/practica?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture(scope="module")
def server():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def receiver(server):
    server.statuses.clear()
    server.requests.clear()
    return server


@pytest.fixture
def setup(db, receiver):
    community = CommunityFactory(visibility=Community.Visibility.OPEN)
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    member = make_member(community).user
    endpoint = webhooks.endpoint_create(
        community=community, by=moderator, url=receiver.url, events=ALL_EVENTS
    )
    return community, moderator, member, endpoint


def _thread(community, author, title="Foam or alginate?", capture=None):
    with capture(execute=True):
        return thread_services.thread_create(
            community=community, author=author, kind="question", title=title, body="Which works?"
        )


def test_webhook_deliveries_signed_with_the_readme_scheme(
    setup, receiver, django_capture_on_commit_callbacks
):
    community, moderator, member, endpoint = setup
    cap = django_capture_on_commit_callbacks
    thread = _thread(community, member, capture=cap)
    with cap(execute=True):
        answer = thread_services.post_create(thread=thread, author=moderator, body="Foam.")
    with cap(execute=True):
        endorsements.answer_accept(answer=answer, by=member)
    newcomer = UserFactory()
    with cap(execute=True):
        community_services.membership_join(community=community, user=newcomer)
    with cap(execute=True):
        item = items.item_propose(
            community=community, by=member, kind="method", title="Dressing choice", summary="How."
        )
    with cap(execute=True):
        curation.item_publish(item=item, by=moderator)

    events = [headers["X-Practica-Event"] for headers, _ in receiver.requests]
    assert events == [
        "thread.created",
        "answer.posted",
        "answer.accepted",
        "member.joined",
        "item.published",
    ]
    for headers, body in receiver.requests:
        assert verify(endpoint.secret, headers, body)
        assert not verify("whsec_wrong", headers, body)
        assert headers["X-Practica-Signature"] == webhooks.sign(
            secret=endpoint.secret, timestamp=int(headers["X-Practica-Timestamp"]), body=body
        )
        assert b"@example.org" not in body  # never an address
        assert b"Which works?" not in body and b"Foam." not in body  # never a body
    headers, body = receiver.requests[0]
    payload = json.loads(body)
    assert payload["id"] == headers["X-Practica-Delivery"]
    assert payload["community"]["slug"] == community.slug
    assert payload["data"]["thread"]["title"] == "Foam or alginate?"
    assert payload["data"]["thread"]["url"].endswith(thread.get_absolute_url())
    joined = json.loads(receiver.requests[3][1])
    assert joined["data"]["member"] == {"name": newcomer.profile.display_name or newcomer.username}
    log = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert log.count() == 5
    assert set(log.values_list("state", "attempts", "status_code")) == {(State.DELIVERED, 1, 200)}
    # The same changes seen again (an edit) make no second delivery.
    with cap(execute=True):
        thread_services.post_edit(post=thread.opening_post, by=member, body="Which one works?")
    assert len(receiver.requests) == 5
    # Hidden before its transaction committed: no event at all.
    with cap(execute=True), transaction.atomic():
        hidden = thread_services.thread_create(
            community=community, author=member, kind="story", title="Hidden at once", body="x"
        )
        thread_services.post_hide(post=hidden.opening_post, by=moderator)
    assert len(receiver.requests) == 5
    assert not WebhookDelivery.objects.filter(subject=f"thread:{hidden.pk}").exists()


def test_webhook_replayed_or_tampered_delivery_rejected(
    setup, receiver, django_capture_on_commit_callbacks
):
    community, _moderator, member, endpoint = setup
    _thread(community, member, capture=django_capture_on_commit_callbacks)
    headers, body = receiver.requests[0]
    sent_at = int(headers["X-Practica-Timestamp"])
    assert verify(endpoint.secret, headers, body, now=sent_at + 299)
    # Replayed six minutes later: refused although the signature is genuine.
    assert not verify(endpoint.secret, headers, body, now=sent_at + 360)
    assert not verify(endpoint.secret, headers, body.replace(b"Foam", b"Gauze"), now=sent_at)
    forged = {**dict(headers.items()), "X-Practica-Timestamp": str(sent_at + 300)}
    assert not verify(endpoint.secret, forged, body, now=sent_at + 300)


def test_webhook_retried_with_backoff_until_delivered(
    setup, receiver, django_capture_on_commit_callbacks
):
    community, _moderator, member, endpoint = setup
    receiver.statuses[:] = [500, 500]
    _thread(community, member, capture=django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 3
    assert len({h["X-Practica-Delivery"] for h, _ in receiver.requests}) == 1  # one delivery
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.state, delivery.attempts, delivery.status_code) == (State.DELIVERED, 3, 200)
    tries = list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list("number", "status_code")
    )
    assert tries == [(1, 500), (2, 500), (3, 200)]
    assert [webhooks.retry_countdown(n) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 240, 480]
    # Idempotent: the task's message delivered again sends nothing more.
    assert webhooks.delivery_attempt(delivery_id=delivery.pk, attempt=3) is None
    assert len(receiver.requests) == 3


def test_webhook_switched_off_after_repeated_failure_and_moderators_told(
    setup, receiver, django_capture_on_commit_callbacks, settings
):
    settings.PRACTICA_WEBHOOKS_DISABLE_AFTER = 2
    community, moderator, member, endpoint = setup
    receiver.statuses[:] = [503] * (2 * webhooks.MAX_ATTEMPTS)
    mail.outbox.clear()
    _thread(community, member, "First", capture=django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 1
    _thread(community, member, "Second", capture=django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 2 * webhooks.MAX_ATTEMPTS
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "2 deliveries in a row failed" in endpoint.disabled_reason
    failed = WebhookDelivery.objects.filter(endpoint=endpoint, state=State.FAILED)
    assert list(failed.values_list("attempts", "status_code")) == [(6, 503), (6, 503)]
    told = [m for m in mail.outbox if "switched off" in m.subject]
    assert len(told) == 1 and told[0].to == [moderator.email]
    # Switched off: nothing more is sent.
    _thread(community, member, "Third", capture=django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 2 * webhooks.MAX_ATTEMPTS


def test_webhook_sends_nothing_private_once_the_creator_lost_the_role(
    db, receiver, django_capture_on_commit_callbacks
):
    community = CommunityFactory(visibility=Community.Visibility.PRIVATE)
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    make_member(community, role=Membership.Role.MODERATOR)  # another one stays
    member = make_member(community).user
    endpoint = webhooks.endpoint_create(
        community=community, by=moderator, url=receiver.url, events=ALL_EVENTS
    )
    Membership.objects.filter(community=community, user=moderator).update(
        role=Membership.Role.MEMBER
    )
    _thread(community, member, "CANARY-webhook", capture=django_capture_on_commit_callbacks)
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.state, delivery.error) == (State.SKIPPED, "creator no longer moderates")
    assert delivery.tries.count() == 0


def test_webhook_urls_refused_outside_http_and_into_private_networks(setup, settings):
    community, moderator, _member, _endpoint = setup
    settings.PRACTICA_WEBHOOKS_ALLOW_PRIVATE = False
    for url in (
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "ftp://example.org/x",
        "http://user:pw@example.org/x",
        "http://localhost/x",
    ):
        with pytest.raises(ValidationError) as refused:
            webhooks.endpoint_create(community=community, by=moderator, url=url, events=ALL_EVENTS)
        assert "url" in refused.value.message_dict, url
    # A delivery re-checks: an endpoint pointing inside is never called.
    answer = webhook_http.post("http://127.0.0.1:9/x", body=b"{}", headers={})
    assert answer.status_code is None and "private network" in answer.error


def test_webhook_pages_for_moderators_only(setup, client, django_assert_max_num_queries):
    community, moderator, member, endpoint = setup
    page = reverse("api:webhooks", args=[community.slug])
    detail = reverse("api:webhook", args=[community.slug, endpoint.pk])
    client.force_login(member)
    assert client.get(page).status_code == 403
    assert client.get(detail).status_code == 403
    assert (
        client.post(page, {"url": "http://127.0.0.1:8/x", "events": ALL_EVENTS}).status_code == 403
    )
    assert WebhookEndpoint.objects.count() == 1
    with pytest.raises(PermissionDenied):
        webhooks.endpoint_create(
            community=community, by=member, url="http://127.0.0.1:8/x", events=ALL_EVENTS
        )

    private = CommunityFactory(visibility=Community.Visibility.PRIVATE)
    private_mod = make_member(private, role=Membership.Role.MODERATOR).user
    hidden = webhooks.endpoint_create(
        community=private, by=private_mod, url="http://127.0.0.1:8/y", events=ALL_EVENTS
    )
    assert client.get(reverse("api:webhooks", args=[private.slug])).status_code == 404
    assert client.get(reverse("api:webhook", args=[private.slug, hidden.pk])).status_code == 404
    # Another community's endpoint under this one's address: 404 even for its moderator.
    client.force_login(moderator)
    assert client.get(reverse("api:webhook", args=[community.slug, hidden.pk])).status_code == 404

    answer = client.get(page)
    assert answer.status_code == 200
    assert endpoint.url in answer.content.decode()
    assert endpoint.secret not in answer.content.decode()  # shown once, at creation
    created = client.post(page, {"url": "http://127.0.0.1:8/new", "events": ["thread.created"]})
    assert created.status_code == 200
    new = WebhookEndpoint.objects.get(url="http://127.0.0.1:8/new")
    assert new.secret in created.content.decode() and new.created_by == moderator
    refused = client.post(page, {"url": "gopher://example.org/", "events": []})
    assert refused.status_code == 200 and b"error-message" in refused.content

    for _ in range(3):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event="thread.created",
            subject=f"thread:{_}",
            object_id=1,
            uuid=uuid.uuid4(),
            occurred_at=endpoint.created_at,
            created_at=endpoint.created_at,
        )
        WebhookAttempt.objects.create(
            delivery=delivery, number=1, at=endpoint.created_at, status_code=500, duration_ms=3
        )
    with django_assert_max_num_queries(12):
        answer = client.get(detail)
    assert answer.status_code == 200 and "HTTP 500 in 3 ms" in answer.content.decode()

    assert (
        client.post(reverse("api:webhook_delete", args=[community.slug, new.pk])).status_code == 302
    )
    assert not WebhookEndpoint.objects.filter(pk=new.pk).exists()
    client.logout()
    assert client.get(page).status_code == 302  # to sign in


def test_webhook_deliveries_sweep_resends_a_lost_message(
    setup, receiver, django_capture_on_commit_callbacks
):
    community, _moderator, member, endpoint = setup
    thread = thread_services.thread_create(
        community=community, author=member, kind="question", title="Lost", body="x"
    )
    made = endpoint.created_at
    lost = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="thread.created",
        subject=f"thread:{thread.pk}",
        object_id=thread.pk,
        uuid=uuid.uuid4(),
        occurred_at=made,
        created_at=made,
        attempts=2,  # its third attempt's message never arrived
    )
    worn = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="answer.posted",
        subject="post:0",
        object_id=0,
        uuid=uuid.uuid4(),
        occurred_at=made,
        created_at=made,
        attempts=webhooks.MAX_ATTEMPTS,
    )
    # A failed delivery a moderator sent again, whose redelivery message was lost: its last
    # attempt is in the log, so the sweep sends the redelivery rather than failing it.
    redelivered = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="thread.created",
        subject="thread:redelivered",
        object_id=thread.pk,
        uuid=uuid.uuid4(),
        occurred_at=made,
        created_at=made,
        attempts=webhooks.MAX_ATTEMPTS,
    )
    WebhookAttempt.objects.create(
        delivery=redelivered, number=webhooks.MAX_ATTEMPTS, at=made, status_code=500, duration_ms=9
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.deliveries_sweep(at=made + webhooks.STRANDED_AFTER / 2) == 0
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.deliveries_sweep(at=made + webhooks.STRANDED_AFTER * 2) == 2
    lost.refresh_from_db()
    worn.refresh_from_db()
    redelivered.refresh_from_db()
    assert (lost.state, lost.attempts, len(receiver.requests)) == (State.DELIVERED, 3, 2)
    assert worn.state == State.FAILED
    assert (redelivered.state, redelivered.attempts) == (
        State.DELIVERED,
        webhooks.MAX_ATTEMPTS + 1,
    )
