"""The member's data export (accounts.data_export): their notification settings, the notices
they received and the emails Practica sent them.

Notices and emails are about other people's doings ("Ana answered your question"): in the
archive, the names of the people the member shares a community with (and of each notice's
actor) are replaced by "A member", as the archive names nobody but the member. Their own names
stay. The keys in the emails' links (password reset, address confirmation, reopening the
account, unsubscribing) are removed: an archive on a laptop must not open the account.
"""

import re

from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.closure import scrub
from accounts.data_export import rows
from accounts.services import identifying_names
from communities.models import UNNAMED_MEMBER, Membership
from core.models import OutboundEmail
from notifications.models import DigestSubscription, Notification, NotificationPreference

# Emails are read in chunks: a member of many years has a digest a week and a notice a day.
EMAIL_CHUNK = 500
LINK = re.compile(r"https?://\S+")
# In a link, a run of 20 or more URL-safe characters with both digits and letters: a one-time key
# or signed token (allauth's reset and confirmation keys, signed unsubscribe tokens), not a word
# or a slug.
KEY = re.compile(r"(?=[A-Za-z_:-]*\d)(?=[0-9_:-]*[A-Za-z])[A-Za-z0-9_:-]{20,}")
KEY_REMOVED = "[key removed]"


def member_section(user) -> dict:
    notices = list(Notification.objects.filter(recipient=user).order_by("created_at", "pk"))
    others = _other_peoples_names(user, actor_ids={n.actor_id for n in notices if n.actor_id})
    return {
        "preferences": rows(NotificationPreference.objects.filter(user=user).order_by("pk")),
        "digest_subscriptions": rows(DigestSubscription.objects.filter(user=user).order_by("pk")),
        "notices": [
            {
                "kind": notice.kind,
                "community_id": notice.community_id,
                "text": _unnamed(notice.text, others),
                "url": _unnamed(notice.url, others),
                "created_at": notice.created_at,
                "read_at": notice.read_at,
                "emailed_at": notice.emailed_at,
            }
            for notice in notices
        ],
        "emails": _emails_to(user, others),
    }


def _other_peoples_names(user, *, actor_ids: set[int]) -> list[str]:
    """The names, usernames and addresses by which Practica shows the people *user* shares a
    community with, and the actors of their notices; none of the member's own."""
    communities = Membership.objects.filter(user=user).values("community_id")
    fellows = Membership.objects.filter(community_id__in=communities).values("user_id")
    people = (
        get_user_model()
        .objects.filter(Q(pk__in=fellows) | Q(pk__in=actor_ids))
        .exclude(pk=user.pk)
        .values_list("username", "first_name", "last_name", "email", "profile__display_name")
    )
    names = set()
    for username, first, last, email, display_name in people.iterator(chunk_size=EMAIL_CHUNK):
        names.update((username, first, last, email, display_name, f"{first} {last}".strip()))
    own = identifying_names(user)
    return [name for name in names if name and len(name) >= 2 and name not in own]


def _unnamed(text: str, names: list[str]) -> str:
    return scrub(text, names, replacement=UNNAMED_MEMBER) if text else text


def _without_keys(text: str) -> str:
    return LINK.sub(lambda link: KEY.sub(KEY_REMOVED, link.group(0)), text)


def _emails_to(user, others: list[str]) -> list[dict]:
    """The emails queued for the member's addresses (sent, pending or failed), with only their
    own addresses among the recipients."""
    addresses = {a.lower() for a in identifying_names(user) if "@" in a}
    query = Q()
    for address in addresses:
        # A text match finds the candidates on every database; the exact test is below.
        query |= Q(to__icontains=address)
    if not query:
        return []
    emails = []
    outbox = OutboundEmail.objects.filter(query).order_by("created_at", "pk")
    for email in outbox.iterator(chunk_size=EMAIL_CHUNK):
        to = [address for address in email.to if address.lower() in addresses]
        if not to:
            continue
        emails.append(
            {
                "to": to,
                "from": email.from_email,
                "subject": _unnamed(email.subject, others),
                "body": _without_keys(_unnamed(email.body, others)),
                "status": email.status,
                "created_at": email.created_at,
                "sent_at": email.sent_at,
            }
        )
    return emails
