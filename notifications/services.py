"""In-app notifications, and the email each member chose for each kind."""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

from notifications.email import schedule_immediate_emails
from notifications.models import Notification

Kind = Notification.Kind

_emails_held: ContextVar[bool] = ContextVar("immediate_emails_held", default=False)


@contextlib.contextmanager
def immediate_emails_held() -> Iterator[None]:
    """Make the notices of ``notify`` calls inside in the app only, emailing nobody.

    For backfills of past history (``seed_demo``): it shows in the app, but nobody is emailed
    about it, and the email catch-up tasks look back only hours, so nothing is sent later.
    """
    token = _emails_held.set(True)
    try:
        yield
    finally:
        _emails_held.reset(token)


def notify(
    *,
    recipient_ids,
    kind: str,
    community,
    text: str,
    url: str,
    actor=None,
    thread=None,
    post=None,
    event=None,
    at: datetime | None = None,
) -> list[Notification]:
    """Create one notification per recipient (never the actor) and queue their emails.

    Call inside the transaction that made the change: the notices and their outbox rows commit
    with it, and the emails are sent only after the commit. *at*: the notices' time (now).
    """
    actor_id = actor.pk if actor is not None else None
    recipients = sorted({rid for rid in recipient_ids if rid and rid != actor_id})
    if not recipients:
        return []
    now = at or timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=rid,
                kind=kind,
                actor_id=actor_id,
                community=community,
                thread=thread,
                post=post,
                event=event,
                text=text[:300],
                url=url[:500],
                created_at=now,
            )
            for rid in recipients
        ]
    )
    if not _emails_held.get():
        schedule_immediate_emails(notifications=rows)
    return rows


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark *user*'s notifications read (all unread ones when *ids* is None)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
