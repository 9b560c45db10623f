"""Closing an account (accounts.closure): the person's notices and settings, and the notices
to others that named them."""

from django.db.models import Q

from accounts.closure import scrub
from notifications.models import DigestSubscription, Notification, NotificationPreference


def erase_member(user, *, remove_posts: bool, old_names) -> None:
    Notification.objects.filter(recipient=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    DigestSubscription.objects.filter(user=user).delete()
    naming = Q(actor=user)
    for name in old_names:
        naming |= Q(text__contains=name)
    for notice in Notification.objects.filter(naming).only("pk", "text"):
        notice.text = scrub(notice.text, old_names)[
            : Notification._meta.get_field("text").max_length
        ]
        notice.save(update_fields=["text"])
