"""Hear of content changes (the lower apps' registries) and, after commit, look for webhook
events in them.

Inside the transaction a listener only notes the id (no query: it runs on every change);
once per transaction, after commit, one query asks whether any endpoint is live and, if so,
one task (``api.webhook_events_detect``) turns the ids into deliveries. A rolled-back
transaction sends nothing.
"""

from django.db import transaction

from api.models import WebhookEndpoint
from core.after_commit import on_commit_safely
from core.enqueue import enqueue_on_commit

DETECT_TASK = "api.webhook_events_detect"


class _Changed:
    """The on-commit callback of one transaction, collecting what it changed."""

    def __init__(self):
        self.ids: dict[str, set[int]] = {
            "thread_ids": set(),
            "post_ids": set(),
            "item_ids": set(),
            "user_ids": set(),
        }
        self.ran = False

    def __call__(self):
        self.ran = True
        if not WebhookEndpoint.objects.filter(is_active=True).exists():
            return
        # Outside any transaction by now: this enqueues at once.
        enqueue_on_commit(DETECT_TASK, **{k: sorted(v) for k, v in self.ids.items()})


def _pending() -> _Changed:
    connection = transaction.get_connection()
    pending = getattr(connection, "_practica_webhook_changes", None)
    # Reuse this transaction's callback while it is registered and has not run (a rollback
    # discards it; a test's capture runs it while the outer atomic block stays open).
    registered = (
        pending is not None
        and not pending.ran
        and any(
            getattr(entry[1], "__wrapped__", None) is pending
            for entry in getattr(connection, "run_on_commit", ())
        )
    )
    if not registered:
        pending = _Changed()
        connection._practica_webhook_changes = pending
        on_commit_safely(pending, name="webhook events")
    return pending


def _noting(kind: str):
    def listener(object_id: int) -> None:
        if not transaction.get_connection().in_atomic_block:
            # Autocommit: the change is committed already.
            changed = _Changed()
            changed.ids[kind].add(object_id)
            on_commit_safely(changed, name="webhook events")
            return
        _pending().ids[kind].add(object_id)

    listener.__name__ = f"webhooks_note_{kind}"
    return listener


thread_changed = _noting("thread_ids")
post_changed = _noting("post_ids")
item_changed = _noting("item_ids")
member_changed = _noting("user_ids")
