"""Writes of the sign-in security log."""

import logging
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.data_export import build_archive
from accounts.models import DataExport, SecurityEvent
from accounts.storage import export_storage
from core.email import email_queue
from core.enqueue import enqueue_on_commit

logger = logging.getLogger(__name__)
BUILD_EXPORT_TASK = "accounts.build_data_export"
EXPORT_REQUEST_INTERVAL = timedelta(days=1)

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


# --- data export ---------------------------------------------------------------------------------


class ExportRefused(Exception):
    """A request for an export that cannot be taken now; the message says why."""


def data_export_request(*, user) -> DataExport:
    """Ask for the member's archive: prepared in the background, announced by email. One at a
    time, and at most one a day (the archive reads every table about them)."""
    latest = DataExport.objects.filter(user=user).order_by("-requested_at").first()
    now = timezone.now()
    if latest is not None and latest.status == DataExport.Status.PENDING:
        raise ExportRefused("Your archive is already being prepared.")
    if latest is not None and now - latest.requested_at < EXPORT_REQUEST_INTERVAL:
        raise ExportRefused("You can ask for a new archive once a day.")
    export = DataExport.objects.create(user=user, requested_at=now)
    enqueue_on_commit(BUILD_EXPORT_TASK, export_id=export.pk)
    return export


def data_export_build(*, export_id: int) -> bool:
    """Prepare a pending export's archive; False if there was nothing to do (done already, or
    the request is gone). Safe to run twice."""
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update()
            .select_related("user")
            .filter(pk=export_id, status=DataExport.Status.PENDING)
            .first()
        )
        if export is None:
            return False
        name = f"{export.user_id}/{export.pk}-{secrets.token_hex(16)}.zip"
        path = Path(export_storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            build_archive(export.user, path)
        except Exception:
            path.unlink(missing_ok=True)
            export.status = DataExport.Status.FAILED
            export.save(update_fields=["status"])
            logger.exception("Data export %s failed", export.pk)
            return True
        now = timezone.now()
        export.status = DataExport.Status.READY
        export.file_name = name
        export.size = path.stat().st_size
        export.ready_at = now
        export.expires_at = now + timedelta(days=settings.PRACTICA_EXPORT_DAYS)
        export.save(update_fields=["status", "file_name", "size", "ready_at", "expires_at"])
        if export.user.email:
            _email_export_ready(export)
    return True


def _email_export_ready(export: DataExport) -> None:
    context = {"export": export, "user": export.user, "site_url": settings.SITE_URL}
    body = render_to_string("accounts/email/export_ready_message.txt", context)
    subject = "[Practica] Your data archive is ready"
    email_queue(message=EmailMessage(subject=subject, body=body, to=[export.user.email]))


def data_exports_expire(*, now=None) -> int:
    """Delete the archives whose link has expired (their rows stay, as a record); return how
    many files went."""
    now = now or timezone.now()
    expired = DataExport.objects.filter(
        status=DataExport.Status.READY, expires_at__lte=now
    ).exclude(file_name="")
    count = 0
    for export in expired:
        export_storage.delete(export.file_name)
        export.file_name = ""
        export.save(update_fields=["file_name"])
        count += 1
    return count
