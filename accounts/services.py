"""Writes of the sign-in security log."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import SecurityEvent
from core.email import email_queue

Kind = SecurityEvent.Kind
_USER_AGENT_LENGTH = SecurityEvent._meta.get_field("user_agent").max_length
_DETAIL_LENGTH = SecurityEvent._meta.get_field("detail").max_length
# allauth emails the member itself about password, email address and two-factor changes
# (ACCOUNT_EMAIL_NOTIFICATIONS); these are the sensitive events it knows nothing of.
EMAILED_HERE = frozenset({Kind.TOKEN_CREATED})


def _client(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    ip = request.META.get("REMOTE_ADDR") or None
    agent = request.META.get("HTTP_USER_AGENT", "")[:_USER_AGENT_LENGTH]
    return ip, agent


def security_event_record(*, user, kind: str, request=None, detail: str = "", at=None):
    """Log *kind* for *user* (with the client's address and browser when a request is known),
    and email the member about the sensitive events allauth does not email itself."""
    ip, agent = _client(request)
    event = SecurityEvent.objects.create(
        user=user,
        kind=kind,
        detail=detail[:_DETAIL_LENGTH],
        ip=ip,
        user_agent=agent,
        at=at or timezone.now(),
    )
    if kind in EMAILED_HERE and user.email:
        _email_member(event)
    return event


def _email_member(event: SecurityEvent) -> None:
    context = {"event": event, "user": event.user, "site_url": settings.SITE_URL}
    subject = render_to_string("accounts/email/security_event_subject.txt", context).strip()
    body = render_to_string("accounts/email/security_event_message.txt", context)
    email_queue(message=EmailMessage(subject=subject, body=body, to=[event.user.email]))
