"""Email for notifications: immediately, in a daily digest, or never, per member and kind.

Every email carries a one-click unsubscribe: a signed token naming the member and what to stop
(some kinds, or one community's weekly digest), in the body and in the RFC 8058 headers.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from communities.models import Community
from communities.permissions import users_who_can_view
from core.email import email_queue, emails_queue
from notifications import permissions
from notifications.models import DigestSubscription, Notification, NotificationPreference

Delivery = NotificationPreference.Delivery
Kind = Notification.Kind
User = get_user_model()

# What a member gets when they have not chosen: mentions and accepted answers at once,
# replies in a daily digest, new threads only in the app.
DEFAULT_DELIVERY = {
    "reply": Delivery.DAILY,
    "accepted": Delivery.IMMEDIATE,
    "mention": Delivery.IMMEDIATE,
    "membership": Delivery.IMMEDIATE,
    "event": Delivery.IMMEDIATE,
    "new_thread": Delivery.NEVER,
}

# Kinds whose email is sent elsewhere: notifications.membership mails every membership
# decision with the moderator's message (account mail, like a password reset), so this
# pipeline only adds the in-app notice and never a second email.
EMAILED_ELSEWHERE = frozenset({Kind.MEMBERSHIP})
EMAIL_KINDS = [kind for kind in Kind.values if kind not in EMAILED_ELSEWHERE]

# Emails only look this far back: a member who switches a kind from "never" to "daily" gets
# the last day or two, not their whole history; a digest run that was missed still catches up.
EMAIL_LOOKBACK = timedelta(days=2)

UNSUBSCRIBE_SALT = "practice.notifications.unsubscribe"


def delivery_for(*, user_ids: list[int], kind: str) -> dict[int, str]:
    """Return each user's delivery choice for *kind*."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "delivery"
        )
    )
    default = DEFAULT_DELIVERY.get(kind, Delivery.NEVER)
    return {uid: chosen.get(uid, default) for uid in user_ids}


def deliveries_by_user(*, user_ids: list[int]) -> dict[int, dict[str, str]]:
    """Return ``{user_id: {kind: delivery}}`` for every emailed kind, in one query."""
    result = {
        uid: {k: DEFAULT_DELIVERY.get(k, Delivery.NEVER) for k in EMAIL_KINDS} for uid in user_ids
    }
    rows = NotificationPreference.objects.filter(user_id__in=user_ids, kind__in=EMAIL_KINDS)
    for uid, kind, delivery in rows.values_list("user_id", "kind", "delivery"):
        result[uid][kind] = delivery
    return result


def notification_preferences_save(*, user, deliveries: dict[str, str]) -> None:
    """Store *user*'s choice of delivery for each kind in *deliveries*."""
    for kind, delivery in deliveries.items():
        if kind not in EMAIL_KINDS or delivery not in Delivery.values:
            raise ValidationError(f"Unknown notification choice: {kind}={delivery}.")
    with transaction.atomic():
        for kind, delivery in deliveries.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"delivery": delivery}
            )


def digest_subscribe(*, user, community) -> DigestSubscription:
    """Opt *user* in to *community*'s weekly digest."""
    permissions.require_can_subscribe_digest(user=user, community=community)
    return DigestSubscription.objects.get_or_create(user=user, community=community)[0]


def digest_unsubscribe(*, user, community) -> None:
    DigestSubscription.objects.filter(user=user, community=community).delete()


def notification_settings_save(*, user, deliveries: dict[str, str], digest_communities) -> None:
    """Store *user*'s email choice per kind and make their weekly digests *digest_communities*."""
    wanted = {c.pk: c for c in digest_communities}
    with transaction.atomic():
        notification_preferences_save(user=user, deliveries=deliveries)
        DigestSubscription.objects.filter(user=user).exclude(community_id__in=wanted).delete()
        for community in wanted.values():
            digest_subscribe(user=user, community=community)


def schedule_immediate_emails(*, notifications: list[Notification]) -> int:
    """Queue the email of each recipient who wants these notices at once; return how many.

    *notifications* are what one ``notify`` call made (one kind, one community); call inside
    the transaction that made them. The outbox rows and the notices' ``emailed_at`` commit (or
    roll back) with the content: an enqueue lost after the commit is sent by the outbox flush,
    and neither a digest nor the catch-up sends the notices again.
    """
    if not notifications or notifications[0].kind in EMAILED_ELSEWHERE:
        return 0
    kind, community = notifications[0].kind, notifications[0].community
    by_recipient = {n.recipient_id: n for n in notifications}
    wanting = [
        uid for uid, d in delivery_for(user_ids=list(by_recipient), kind=kind).items()
        if d == Delivery.IMMEDIATE
    ]  # fmt: skip
    readers = users_who_can_view(community, wanting)
    users = list(
        User.objects.filter(pk__in=readers, is_active=True)
        .exclude(email="")
        .select_related("profile")  # "Hello <display name>"
        .order_by("pk")
    )
    if not users:
        return 0
    now = timezone.now()
    emailed = [by_recipient[user.pk] for user in users]
    Notification.objects.filter(pk__in=[n.pk for n in emailed]).update(emailed_at=now)
    for note in emailed:
        note.emailed_at = now
    emails_queue(
        messages=[
            templated_message(
                user=user,
                template="notification",
                context={"items": _items([by_recipient[user.pk]]), "kind_label": Kind(kind).label},
                unsubscribe=unsubscribe_url(user_id=user.pk, kinds=[kind]),
            )
            for user in users
        ]
    )
    return len(users)


# --- unsubscribe links -------------------------------------------------------------------------


@dataclass(frozen=True)
class Unsubscribe:
    """What one unsubscribe link stops: some kinds of email, or one community's weekly digest."""

    user: object
    kinds: tuple[str, ...] = ()
    community: object = None

    @property
    def kind_labels(self) -> list[str]:
        return [Kind(k).label for k in self.kinds]


def unsubscribe_token(*, user_id: int, kinds=(), community_id: int | None = None) -> str:
    payload = {"u": user_id}
    if community_id is not None:
        payload["c"] = community_id
    else:
        payload["k"] = sorted(set(kinds))
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, user_id: int, kinds=(), community_id: int | None = None) -> str:
    token = unsubscribe_token(user_id=user_id, kinds=kinds, community_id=community_id)
    return settings.SITE_URL + reverse("notifications:unsubscribe", args=[token])


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: mail programs offer a one-click unsubscribe."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe_read(token: str) -> Unsubscribe | None:
    """Return what *token* unsubscribes from, or None if it is tampered with or names nothing."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id = int(data["u"])
        community_id = int(data["c"]) if "c" in data else None
        kinds = tuple(k for k in data.get("k", ()) if k in EMAIL_KINDS)
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None
    user = User.objects.filter(pk=user_id).select_related("profile").first()
    if user is None:
        return None
    if community_id is not None:
        community = Community.objects.filter(pk=community_id).first()
        return Unsubscribe(user=user, community=community) if community else None
    return Unsubscribe(user=user, kinds=kinds) if kinds else None


def unsubscribe_apply(*, unsubscribe: Unsubscribe) -> None:
    """Stop what *unsubscribe* names; doing it twice changes nothing."""
    if unsubscribe.community is not None:
        digest_unsubscribe(user=unsubscribe.user, community=unsubscribe.community)
    else:
        notification_preferences_save(
            user=unsubscribe.user, deliveries=dict.fromkeys(unsubscribe.kinds, Delivery.NEVER)
        )


# --- sending -----------------------------------------------------------------------------------


def notification_open_url(notification: Notification) -> str:
    return settings.SITE_URL + reverse("notifications:notification_open", args=[notification.pk])


def claim_unemailed(*, user, kinds, since: datetime, until: datetime) -> list[Notification]:
    """Lock *user*'s visible, not yet emailed notifications of *kinds* and mark them emailed.

    Call inside a transaction. The row lock (and ``emailed_at IS NULL`` re-checked on the
    locked rows) makes a task delivered twice, or racing a digest, email each notice once.
    """
    visible = permissions.notifications_visible_to(user).filter(
        kind__in=kinds, created_at__gte=since, created_at__lte=until
    )
    ids = list(
        Notification.objects.select_for_update()
        .filter(pk__in=Subquery(visible.values("pk")), emailed_at__isnull=True)
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    return list(
        Notification.objects.filter(pk__in=ids)
        .select_related("community")
        .order_by("created_at", "pk")
    )


def templated_message(*, user, template: str, context: dict, unsubscribe: str):
    """Return one email to *user* from ``notifications/email/<template>_{subject,message}.txt``."""
    context = {
        "user": user,
        "site_url": settings.SITE_URL,
        "settings_url": settings.SITE_URL + reverse("notifications:notification_settings"),
        "notifications_url": settings.SITE_URL + reverse("notifications:notifications"),
        "unsubscribe_url": unsubscribe,
        **context,
    }
    subject = render_to_string(f"notifications/email/{template}_subject.txt", context)
    body = render_to_string(f"notifications/email/{template}_message.txt", context)
    return EmailMultiAlternatives(
        subject="[Practica] " + " ".join(subject.split())[:200],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=unsubscribe_headers(unsubscribe),
    )


def send_templated(*, user, template: str, context: dict, unsubscribe: str) -> None:
    """Queue one email to *user* from ``notifications/email/<template>_{subject,message}.txt``."""
    email_queue(
        message=templated_message(
            user=user, template=template, context=context, unsubscribe=unsubscribe
        )
    )


def _items(notifications: list[Notification]) -> list[dict]:
    return [{"notification": n, "url": notification_open_url(n)} for n in notifications]


def notification_emails_send(*, kind: str, user_ids: list[int], created_at: datetime) -> int:
    """Email each of *user_ids* who still wants *kind* immediately its unsent notices of that
    kind up to *created_at*; return how many emails were queued."""
    if kind not in EMAIL_KINDS:
        return 0
    wanting = [
        uid for uid, d in delivery_for(user_ids=list(user_ids), kind=kind).items()
        if d == Delivery.IMMEDIATE
    ]  # fmt: skip
    sent = 0
    for user in (
        User.objects.filter(pk__in=wanting, is_active=True)
        .exclude(email="")
        .select_related("profile")
    ):
        with transaction.atomic():
            notes = claim_unemailed(
                user=user, kinds=[kind], since=created_at - EMAIL_LOOKBACK, until=created_at
            )
            if not notes:
                continue
            send_templated(
                user=user,
                template="notification",
                context={"items": _items(notes), "kind_label": Kind(kind).label},
                unsubscribe=unsubscribe_url(user_id=user.pk, kinds=[kind]),
            )
            sent += 1
    return sent


def pending_emails_send(*, delivery: str, now: datetime | None = None, settle=timedelta()) -> int:
    """Send every member, in one email each, their unsent notices of the kinds they want by
    *delivery* (the daily digest, or a catch-up of immediate ones whose task was lost); only
    notices older than *settle*. Return how many emails were queued."""
    now = now or timezone.now()
    since, until = now - EMAIL_LOOKBACK, now - settle
    recipient_ids = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            kind__in=EMAIL_KINDS,
            created_at__gte=since,
            created_at__lte=until,
        )
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    recipient_ids = list(recipient_ids)
    sent = 0
    # Members are handled 200 at a time: one preference query and one user query per batch,
    # then a short transaction per member so no lock is held for the whole run.
    for start in range(0, len(recipient_ids), 200):
        batch = recipient_ids[start : start + 200]
        choices = deliveries_by_user(user_ids=batch)
        for user in (
            User.objects.filter(pk__in=batch, is_active=True)
            .exclude(email="")
            .select_related("profile")
        ):
            kinds = [k for k, d in choices[user.pk].items() if d == delivery]
            if kinds:
                sent += _pending_email_send(user=user, kinds=kinds, since=since, until=until,
                                            delivery=delivery)  # fmt: skip
    return sent


def _pending_email_send(*, user, kinds, since, until, delivery) -> int:
    with transaction.atomic():
        notes = claim_unemailed(user=user, kinds=kinds, since=since, until=until)
        if not notes:
            return 0
        sent_kinds = sorted({n.kind for n in notes})
        if delivery == Delivery.DAILY:
            by_community = sorted(notes, key=lambda n: (n.community.name, n.created_at, n.pk))
            template, context = "daily_digest", {"items": _items(by_community), "count": len(notes)}
        else:
            template = "notification"
            context = {"items": _items(notes), "kind_label": Kind(sent_kinds[0]).label}
            if len(sent_kinds) > 1:
                context["kind_label"] = "Notifications"
        send_templated(
            user=user,
            template=template,
            context=context,
            unsubscribe=unsubscribe_url(user_id=user.pk, kinds=sent_kinds),
        )
    return 1
