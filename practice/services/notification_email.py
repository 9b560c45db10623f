"""Email for notifications: immediately, in a daily digest, or never, per member and kind."""

from practice.models import NotificationPreference

Delivery = NotificationPreference.Delivery

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


def delivery_for(*, user_ids: list[int], kind: str) -> dict[int, str]:
    """Return each user's delivery choice for *kind*."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "delivery"
        )
    )
    default = DEFAULT_DELIVERY.get(kind, Delivery.NEVER)
    return {uid: chosen.get(uid, default) for uid in user_ids}


def schedule_immediate_emails(*, kind: str, recipient_ids: list[int], created_at) -> None:
    """Enqueue, after commit, the email of recipients who want *kind* immediately."""
    from core.tasks import enqueue_on_commit
    from practice.tasks import send_notification_emails_task

    wanting = [
        uid for uid, d in delivery_for(user_ids=recipient_ids, kind=kind).items()
        if d == Delivery.IMMEDIATE
    ]  # fmt: skip
    if wanting:
        enqueue_on_commit(
            send_notification_emails_task, kind=kind, user_ids=wanting,
            created_at=created_at.isoformat(),
        )  # fmt: skip
