"""Work after commit: whatever fails in it is logged, and the committed write is answered as a
success (issue #9, item 1)."""

import logging
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError, connection, transaction
from django.urls import reverse

from communities.interactions import _InteractionsWritten
from core.after_commit import on_commit_safely
from core.enqueue import enqueue_on_commit
from core.tasks import send_email_task
from knowledge.models import ItemAttachment
from knowledge.services import attachments
from practice.models import Vote
from tests.knowledge.test_attachments import upload
from tests.practice.factories import answer, ask, member_of, moderator_of

pytestmark = pytest.mark.django_db(transaction=True)  # real commits, so the hooks really run

User = get_user_model()
DEAD_CONNECTION = "server closed the connection unexpectedly"


def failing(error: Exception):
    def raise_it(**kwargs):
        raise error

    return raise_it


def test_django_robust_on_commit_crashes_while_logging_a_callable_object():
    """The trap itself: Django names a failed robust hook by ``__qualname__``, which an
    instance of a class with ``__call__`` lacks, so its error handler raises AttributeError."""
    request = _InteractionsWritten()
    request.community_ids.add(1)
    with (
        mock.patch(
            "metrics.pipeline.schedule.metrics_request", failing(OperationalError(DEAD_CONNECTION))
        ),
        pytest.raises(AttributeError, match="__qualname__"),
        transaction.atomic(),
    ):
        transaction.on_commit(request, robust=True)


@pytest.mark.parametrize("error", [OperationalError(DEAD_CONNECTION), InterfaceError("closed")])
def test_vote_is_answered_as_saved_when_the_metrics_request_fails_after_commit(
    client, open_community, caplog, error
):
    asker, helper, voter = (member_of(open_community) for _ in range(3))
    post = answer(ask(open_community, asker), helper)
    client.force_login(voter)
    url = reverse("practice:post_vote", args=[open_community.slug, post.pk])

    with (
        mock.patch("metrics.pipeline.schedule.metrics_request", failing(error)),
        caplog.at_level(logging.ERROR, logger="core.after_commit"),
    ):
        response = client.post(url, {"helpful": "1"})

    assert response.status_code == 302
    assert response["Location"] == post.get_absolute_url()
    assert Vote.objects.filter(post=post, voter=voter).count() == 1
    record = next(r for r in caplog.records if r.name == "core.after_commit")
    assert "metrics request" in record.getMessage()
    assert record.exc_info[0] is type(error)


def test_attachment_removal_is_answered_as_done_when_deleting_the_file_fails(
    client, open_community, settings, tmp_path, caplog
):
    from tests.knowledge.ka_helpers import publish

    settings.KNOWLEDGE_ATTACHMENT_ROOT = tmp_path / "attachments"
    member, moderator = member_of(open_community), moderator_of(open_community)
    item = publish(open_community, member, moderator)
    attachment = attachments.attachment_add(item=item, by=moderator, upload=upload())
    client.force_login(moderator)
    url = reverse("knowledge:attachment_remove", args=[open_community.slug, item.pk, attachment.pk])

    with (
        mock.patch.object(type(attachment.file.storage), "delete", side_effect=PermissionError),
        caplog.at_level(logging.ERROR, logger="core.after_commit"),
    ):
        response = client.post(url)

    assert response.status_code == 302
    assert not ItemAttachment.objects.exists()
    assert any(r.name == "core.after_commit" for r in caplog.records)


# --- the helper --------------------------------------------------------------------------------


def test_on_commit_safely_logs_a_failure_and_runs_the_next_hooks(caplog):
    ran = []

    def handler_that_fails_too():
        try:
            raise OperationalError(DEAD_CONNECTION)
        except OperationalError:
            raise RuntimeError("and its own error handling failed") from None

    with caplog.at_level(logging.ERROR, logger="core.after_commit"), transaction.atomic():
        on_commit_safely(handler_that_fails_too, name="the first hook")
        on_commit_safely(lambda: ran.append(True), name="the second hook")

    assert ran == [True]
    [record] = [r for r in caplog.records if r.name == "core.after_commit"]
    assert "the first hook" in record.getMessage()


def test_on_commit_safely_survives_a_logging_handler_that_fails():
    class BrokenHandler(logging.Handler):
        def emit(self, record):
            raise RuntimeError("the log is down too")

        def handleError(self, record):
            raise RuntimeError("the log is down too")

    logger = logging.getLogger("core.after_commit")
    handler = BrokenHandler()
    logger.addHandler(handler)
    try:
        with transaction.atomic():
            on_commit_safely(failing(OperationalError(DEAD_CONNECTION)), name="a hook")
    finally:
        logger.removeHandler(handler)


def test_on_commit_safely_outside_a_transaction_runs_at_once_and_never_raises(caplog):
    with caplog.at_level(logging.ERROR, logger="core.after_commit"):
        on_commit_safely(failing(InterfaceError("closed")), name="an immediate hook")
    assert "an immediate hook" in caplog.text


def test_on_commit_safely_runs_nothing_when_the_transaction_rolls_back():
    ran = []
    with pytest.raises(RuntimeError), transaction.atomic():
        on_commit_safely(lambda: ran.append(True), name="a hook")
        raise RuntimeError("rolled back")
    assert ran == []


def test_enqueue_on_commit_survives_its_own_failure_handler_failing(celery_broker):
    from tests.plugins.services import free_port

    with (
        celery_broker(f"redis://127.0.0.1:{free_port()}/0"),
        mock.patch("core.enqueue.logger.exception", side_effect=RuntimeError("log down")),
        transaction.atomic(),
    ):
        enqueue_on_commit(send_email_task, email_id=1)


@pytest.mark.postgres
def test_on_commit_safely_reopens_a_connection_that_died_after_commit():
    """A hook that finds the connection dead closes it, so the rest of the request (a page
    render, the session save) reconnects instead of failing on the dead one."""

    def terminate_own_backend():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    with transaction.atomic():
        User.objects.create(username="kept")
        on_commit_safely(terminate_own_backend, name="a hook on a dying connection")

    assert User.objects.filter(username="kept").count() == 1


def test_metrics_request_registers_one_safe_hook_per_transaction(open_community):
    asker, helper = member_of(open_community), member_of(open_community)
    thread = ask(open_community, asker)
    with transaction.atomic():
        answer(thread, helper, body="One.")
        answer(thread, helper, body="Two.")
        requests = [
            hook
            for _, hook, _ in connection.run_on_commit
            if isinstance(getattr(hook, "__wrapped__", None), _InteractionsWritten)
        ]
        assert len(requests) == 1
        assert requests[0].__wrapped__.community_ids == {open_community.pk}
