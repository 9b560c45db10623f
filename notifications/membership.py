"""Emails about memberships, and the in-app notice of a decision (listeners registered with
``communities.membership_events``). Written to the outbox inside the caller's transaction."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from communities.models import Membership
from core.email import email_queue
from notifications.services import notify


def _send(*, to: list[str], template: str, context: dict) -> None:
    to = [address for address in to if address]
    if not to:
        return
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"notifications/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"notifications/email/{template}_message.txt", context)
    email_queue(
        message=EmailMultiAlternatives(
            subject=f"[Practica] {subject}",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=to,
        )
    )


def join_request_to_moderators(*, membership: Membership) -> None:
    moderators = Membership.objects.filter(
        community=membership.community_id,
        role=Membership.Role.MODERATOR,
        state=Membership.State.ACTIVE,
    ).select_related("user")
    _send(
        to=[m.user.email for m in moderators],
        template="join_request",
        context={
            "membership": membership,
            "community": membership.community,
            "moderate_url": reverse("communities:moderate", args=[membership.community.slug]),
        },
    )


def membership_decision(*, membership: Membership, approved: bool, message: str) -> None:
    """Tell the applicant in the app and by email (this email is always sent: the practice
    notification pipeline skips the "membership" kind so there is never a second one)."""
    community = membership.community
    notify(
        recipient_ids=[membership.user_id],
        kind="membership",
        community=community,
        text=(
            f"Your request to join {community.name} was approved: welcome!"
            if approved
            else f"Your request to join {community.name} was declined"
        ),
        url=community.get_absolute_url(),
    )
    _send(
        to=[membership.user.email],
        template="membership_decision",
        context={
            "membership": membership,
            "community": membership.community,
            "approved": approved,
            "message": message,
            "community_url": membership.community.get_absolute_url(),
        },
    )
