"""Enqueueing after commit: a down or silent broker never costs the user their request."""

import logging
import time

import pytest
import redis
from django.urls import reverse

from communities.models import Membership
from core.enqueue import enqueue_on_commit
from core.models import OutboundEmail
from core.tasks import send_email_task
from tests.factories import UserFactory
from tests.plugins.services import free_port

pytestmark = pytest.mark.django_db(transaction=True)

# The bound for a web request whose enqueue fails.
REQUEST_BOUND_SECONDS = 2.0


@pytest.fixture
def applicant_client(client, request_community, moderator_of):
    moderator_of(request_community)
    applicant = UserFactory()
    client.force_login(applicant)
    client.applicant = applicant
    return client


def post_join_request(client, community):
    started = time.monotonic()
    response = client.post(
        reverse("communities:request", args=[community.slug]), {"message": "Please let me in"}
    )
    return response, time.monotonic() - started


def assert_request_kept(client, community, response):
    assert response.status_code == 302
    assert response["Location"] == community.get_absolute_url()
    membership = Membership.objects.get(community=community, user=client.applicant)
    assert membership.state == Membership.State.PENDING
    outbound = OutboundEmail.objects.get()
    assert outbound.status == OutboundEmail.Status.PENDING  # the flush sends it later
    assert outbound.attempts == 0


def test_join_request_with_broker_down_redirects_within_bound(
    applicant_client, request_community, celery_broker, caplog
):
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"), caplog.at_level(logging.ERROR):
        response, seconds = post_join_request(applicant_client, request_community)

    print(f"broker down: request took {seconds:.3f} s")
    assert seconds < REQUEST_BOUND_SECONDS
    assert_request_kept(applicant_client, request_community, response)
    assert "Could not enqueue core.send_email" in caplog.text


def test_join_request_with_silent_broker_redirects_within_bound(
    applicant_client, request_community, celery_broker, silent_server, caplog
):
    with celery_broker(f"redis://127.0.0.1:{silent_server.port}/0"), caplog.at_level(logging.ERROR):
        response, seconds = post_join_request(applicant_client, request_community)

    print(f"silent broker: request took {seconds:.3f} s")
    assert silent_server.accepted, "the broker connection never reached the silent server"
    assert seconds < REQUEST_BOUND_SECONDS
    assert_request_kept(applicant_client, request_community, response)
    assert "Could not enqueue core.send_email" in caplog.text


def test_enqueue_on_commit_failure_is_logged_not_raised(celery_broker, caplog):
    from django.db import transaction

    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"), caplog.at_level(logging.ERROR):
        started = time.monotonic()
        with transaction.atomic():
            enqueue_on_commit(send_email_task, email_id=12345)
        seconds = time.monotonic() - started

    assert seconds < REQUEST_BOUND_SECONDS
    record = next(r for r in caplog.records if r.name == "core.tasks")
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert "12345" in record.getMessage()


@pytest.mark.redis
def test_enqueue_on_commit_does_not_publish_when_the_transaction_rolls_back(
    celery_broker, redis_url
):
    from django.db import transaction

    client = redis.Redis.from_url(redis_url)
    with celery_broker(redis_url), pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(send_email_task, email_id=1)
        raise RuntimeError("rolled back")

    assert client.llen("celery") == 0


@pytest.mark.redis
def test_join_request_with_real_redis_publishes_one_task(
    applicant_client, request_community, celery_broker, redis_url
):
    with celery_broker(redis_url):
        response, seconds = post_join_request(applicant_client, request_community)

    print(f"real Redis: request took {seconds:.3f} s")
    assert seconds < REQUEST_BOUND_SECONDS
    assert_request_kept(applicant_client, request_community, response)
    queued = redis.Redis.from_url(redis_url).lrange("celery", 0, -1)
    assert len(queued) == 1
    assert b"core.send_email" in queued[0]
    assert str(OutboundEmail.objects.get().pk).encode() in queued[0]
