"""Digests: the daily email of notifications, and each community's weekly digest for members
who opt in."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from communities.permissions import can_subscribe_digest
from notifications import email as notification_email
from notifications.email import Delivery
from notifications.models import DigestSubscription

# A section shows at most this many entries, then "and N more".
SECTION_LIMIT = 10
WEEK = timedelta(days=7)


@dataclass
class DigestItem:
    title: str
    url: str
    note: str = ""


@dataclass
class DigestSection:
    key: str
    title: str
    items: list[DigestItem] = field(default_factory=list)
    more: int = 0


# The sections of the weekly community digest, in order of registration (the apps' order in
# INSTALLED_APPS). Each is called with keyword arguments ``user``, ``community`` and ``since`` and
# returns a DigestSection; sections without items are left out, and a digest without any section
# is not sent. The apps above register theirs from ``AppConfig.ready()``: practice (new threads,
# unanswered questions), knowledge (new in the library).
DigestSectionMaker = Callable[..., DigestSection]
_sections: dict[str, DigestSectionMaker] = {}


def register_digest_section(name: str, section: DigestSectionMaker) -> None:
    """Add *section* to the weekly digest (registering a name again replaces it in place)."""
    _sections[name] = section


def digest_sections() -> list[DigestSectionMaker]:
    return list(_sections.values())


# --- sending -----------------------------------------------------------------------------------


def daily_digests_send(*, now: datetime | None = None) -> int:
    """Send each member who chose the daily digest one email with their unsent notices."""
    return notification_email.pending_emails_send(delivery=Delivery.DAILY, now=now)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 (in the project's time zone) of the week holding *moment*."""
    local = timezone.localtime(moment)
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def _due(period_start: datetime) -> Q:
    return Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=period_start)


def weekly_digests_send(*, now: datetime | None = None) -> int:
    """Send this week's digest to every subscriber not yet sent one; return how many."""
    now = now or timezone.now()
    period_start = week_start(now)
    due = list(
        DigestSubscription.objects.filter(_due(period_start))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(weekly_digest_send(subscription_id=pk, now=now) for pk in due)


def weekly_digest_send(*, subscription_id: int, now: datetime) -> bool:
    """Send one subscriber this week's digest unless it went out already or would be empty.

    The row lock and ``last_sent_at`` make a second run in the same week send nothing.
    """
    period_start = week_start(now)
    with transaction.atomic():
        subscription = (
            DigestSubscription.objects.select_for_update()
            .filter(_due(period_start), pk=subscription_id)
            .first()
        )
        if subscription is None:
            return False
        user, community = subscription.user, subscription.community
        if not user.is_active or not user.email:
            return False
        if not can_subscribe_digest(user, community):
            return False  # left or banned since opting in: the digest stops
        since = now - WEEK
        sections = [
            section
            for section in (
                make(user=user, community=community, since=since) for make in digest_sections()
            )
            if section.items
        ]
        if not sections:
            return False
        notification_email.send_templated(
            user=user,
            template="weekly_digest",
            context={
                "community": community,
                "community_url": settings.SITE_URL + community.get_absolute_url(),
                "sections": sections,
                "since": since,
            },
            unsubscribe=notification_email.unsubscribe_url(
                user_id=user.pk, community_id=community.pk
            ),
        )
        subscription.last_sent_at = now
        subscription.save(update_fields=["last_sent_at"])
    return True
