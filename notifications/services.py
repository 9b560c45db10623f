"""In-app notifications, and the email each member chose for each kind."""

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
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


_notices_held: ContextVar[bool] = ContextVar("notices_held", default=False)


@contextlib.contextmanager
def notices_held() -> Iterator[None]:
    """Make ``notify`` calls inside write nothing: no notice, no email.

    For imports of another platform's past (``importers``): years-old answers are news to
    nobody, and the members who follow the community or its tags would get one per post.
    """
    token = _notices_held.set(True)
    try:
        yield
    finally:
        _notices_held.reset(token)


def notify(
    *,
    recipient_ids,
    kind: str,
    community,
    text: str,
    url: str,
    actor=None,
    target: models.Model | None = None,
    at: datetime | None = None,
) -> list[Notification]:
    """Create one notification per recipient (never the actor) and queue their emails.

    Call inside the transaction that made the change: the notices and their outbox rows commit
    with it, and the emails are sent only after the commit. *target*: the most specific thing
    the notice is about (a post rather than its thread); its model declares a GenericRelation
    to Notification, so deleting it deletes the notice. *at*: the notices' time (now).
    """
    if _notices_held.get():
        return []
    actor_id = actor.pk if actor is not None else None
    recipients = sorted({rid for rid in recipient_ids if rid and rid != actor_id})
    if not recipients:
        return []
    now = at or timezone.now()
    target_type = ContentType.objects.get_for_model(target) if target is not None else None
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=rid,
                kind=kind,
                actor_id=actor_id,
                community=community,
                target_type=target_type,
                target_id=target.pk if target is not None else None,
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


def notices_move(*, targets: Mapping[type[models.Model], Iterable[int]], to_community) -> int:
    """Move the notices about *targets* to *to_community*, as their content moved there.

    *targets*: ids by model, each a list or a values("pk") queryset (one UPDATE either way).
    """
    about = Q()
    for model, ids in targets.items():
        about |= Q(target_type=ContentType.objects.get_for_model(model), target_id__in=ids)
    return Notification.objects.filter(about).update(community=to_community)
