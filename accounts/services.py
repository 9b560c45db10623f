"""Writes of the accounts app: the sign-in security log, data exports and closing an account,
each with the email that tells the member."""

import logging
import secrets
from datetime import timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.core.signing import BadSignature, TimestampSigner
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.closure import (
    closure_erasers,
    former_member_username,
    identity_name_sources,
    scrub,
)
from accounts.data_export import build_archive
from accounts.models import AccountClosure, DataExport, PrivacyNotice, SecurityEvent
from accounts.storage import export_storage
from core.email import email_queue
from core.enqueue import enqueue_on_commit
from core.markdown import render_markdown
from core.models import OutboundEmail

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


def security_event_record(
    *, user=None, user_id=None, kind: str, request=None, detail: str = "", at=None
):
    """Log *kind* for *user* (or the user of *user_id*; with the client's address and browser
    when a request is known), and email the member about the sensitive events allauth does not
    email itself."""
    ip, agent = _client(request)
    owner = {"user": user} if user is not None else {"user_id": user_id}
    event = SecurityEvent.objects.create(
        **owner,
        kind=kind,
        detail=detail[:_DETAIL_LENGTH],
        ip=ip,
        user_agent=agent,
        at=at or timezone.now(),
    )
    if kind in EMAILED_HERE and event.user.email:
        _email_member(event)
    return event


def _email_user(user, *, subject: str, template: str, **context) -> None:
    """Queue one email to *user*'s address: *template* rendered with the user, the site's
    address and *context*."""
    body = render_to_string(template, {"user": user, "site_url": settings.SITE_URL, **context})
    email_queue(message=EmailMessage(subject=subject, body=body, to=[user.email]))


def _email_member(event: SecurityEvent) -> None:
    subject = render_to_string(
        "accounts/email/security_event_subject.txt", {"event": event, "user": event.user}
    ).strip()
    _email_user(
        event.user,
        subject=subject,
        template="accounts/email/security_event_message.txt",
        event=event,
    )


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
    _email_user(
        export.user,
        subject="[Practica] Your data archive is ready",
        template="accounts/email/export_ready_message.txt",
        export=export,
    )


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


# --- closing an account --------------------------------------------------------------------------


class ClosureRefused(Exception):
    """A closure that cannot be done; the message says why."""


_CLOSURE_SALT = "accounts.closure.undo"


def _grace() -> timedelta:
    return timedelta(days=settings.PRACTICA_ACCOUNT_GRACE_DAYS)


def posts_choice(requested_remove: bool) -> bool:
    """Whether the posts go, within the site's policy (PRACTICA_CLOSED_ACCOUNT_POSTS)."""
    policy = settings.PRACTICA_CLOSED_ACCOUNT_POSTS
    if policy == "keep":
        return False
    if policy == "remove":
        return True
    return bool(requested_remove)


def account_close_request(*, user, remove_posts: bool, request=None) -> AccountClosure:
    """Close *user*'s account now: signed out everywhere, unable to sign in, emailed a link to
    take it back; their identity is erased after the grace period (``account_erase``)."""
    if user.is_superuser or user.is_staff:
        raise ClosureRefused(
            "Staff accounts are closed by another admin: ask them to remove your staff status."
        )
    now = timezone.now()
    with transaction.atomic():
        existing = AccountClosure.objects.select_for_update().filter(user=user).first()
        if existing is not None and existing.erased_at is not None:
            raise ClosureRefused("This account is already closed.")
        closure, _created = AccountClosure.objects.update_or_create(
            user=user,
            defaults={
                "requested_at": now,
                "erase_at": now + _grace(),
                "remove_posts": posts_choice(remove_posts),
                "cancelled_at": None,
            },
        )
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        for session in UserSession.objects.filter(user=user):
            session.end()
        security_event_record(user=user, kind=Kind.CLOSURE_REQUESTED, request=request)
        if user.email:
            _email_closure(closure)
    return closure


def closure_undo_token(closure: AccountClosure) -> str:
    return TimestampSigner(salt=_CLOSURE_SALT).sign(str(closure.pk))


def _email_closure(closure: AccountClosure) -> None:
    _email_user(
        closure.user,
        subject="[Practica] Your account is closed",
        template="accounts/email/closure_message.txt",
        closure=closure,
        undo_url=settings.SITE_URL
        + reverse("accounts:close_undo", args=[closure_undo_token(closure)]),
    )


def account_close_undo(*, token: str):
    """Take a closure back within the grace period; the reopened user, or None when the link
    is wrong, expired, used, or the identity already erased."""
    try:
        closure_id = TimestampSigner(salt=_CLOSURE_SALT).unsign(
            token, max_age=_grace().total_seconds()
        )
    except BadSignature:
        return None
    with transaction.atomic():
        closure = (
            AccountClosure.objects.select_for_update()
            .select_related("user")
            .filter(pk=closure_id, cancelled_at=None, erased_at=None)
            .first()
        )
        if closure is None:
            return None
        closure.cancelled_at = timezone.now()
        closure.save(update_fields=["cancelled_at"])
        user = closure.user
        get_user_model().objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        security_event_record(user=user, kind=Kind.CLOSURE_CANCELLED)
    return user


def account_erase(*, closure_id: int, now=None) -> bool:
    """Erase the identity of a closed account whose grace period is over: every app's part
    (``accounts.closure``), then the account's addresses, sign-in records, exports and the
    names on the user row, which stays under a pseudonym. False when there was nothing to do;
    safe to run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        closure = (
            AccountClosure.objects.select_for_update()
            .select_related("user")
            .filter(pk=closure_id, cancelled_at=None, erased_at=None, erase_at__lte=now)
            .first()
        )
        if closure is None:
            return False
        user = closure.user
        old_names = identifying_names(user)
        for erase in closure_erasers():
            erase(user, remove_posts=closure.remove_posts, old_names=old_names)
        export_files = list(
            DataExport.objects.filter(user=user)
            .exclude(file_name="")
            .values_list("file_name", flat=True)
        )
        DataExport.objects.filter(user=user).delete()
        SecurityEvent.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        for session in UserSession.objects.filter(user=user):
            session.end()
        _delete_outbox_to({name.lower() for name in old_names if "@" in name})
        _scrub_outbox(old_names)
        user.username = former_member_username(user.pk)
        user.email = ""
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.last_login = None
        user.set_unusable_password()
        user.save()
        closure.erased_at = now
        closure.save(update_fields=["erased_at"])
        transaction.on_commit(lambda: [export_storage.delete(name) for name in export_files])
    return True


def identifying_names(user) -> set[str]:
    """The strings that identified *user*: username, names, addresses, and what apps add
    (``accounts.closure.register_identity_names``: the display name)."""
    names = {user.get_username(), user.email, user.first_name, user.last_name}
    full = f"{user.first_name} {user.last_name}".strip()
    names.add(full)
    names.update(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    for source in identity_name_sources():
        names.update(source(user))
    return {name for name in names if name and len(name) >= 2}


def _delete_outbox_to(addresses: set[str]) -> None:
    """Delete the emails to any of *addresses*: a text match finds the candidates, and only
    those with one of them as a recipient go (al@x.org's erasure keeps hal@x.org's emails)."""
    query = Q()
    for address in addresses:
        query |= Q(to__icontains=address)
    if not addresses:
        return
    doomed = [
        email.pk
        for email in OutboundEmail.objects.filter(query).only("pk", "to")
        if any(recipient.lower() in addresses for recipient in email.to)
    ]
    OutboundEmail.objects.filter(pk__in=doomed).delete()


def _scrub_outbox(old_names) -> None:
    query = Q()
    for name in old_names:
        query |= Q(subject__contains=name) | Q(body__contains=name) | Q(html_body__contains=name)
    for email in OutboundEmail.objects.filter(query):
        email.subject = scrub(email.subject, old_names)
        email.body = scrub(email.body, old_names)
        email.html_body = scrub(email.html_body, old_names)
        email.save(update_fields=["subject", "body", "html_body"])


def closures_erase_due(*, now=None) -> int:
    """Erase every closed account whose grace period is over; return how many."""
    now = now or timezone.now()
    due = AccountClosure.objects.filter(
        cancelled_at=None, erased_at=None, erase_at__lte=now
    ).values_list("pk", flat=True)
    return sum(account_erase(closure_id=pk, now=now) for pk in list(due))


def privacy_notice_save(*, notice: PrivacyNotice) -> PrivacyNotice:
    """Save the site's privacy page with its Markdown rendered and sanitised."""
    notice.body_html = render_markdown(notice.body)
    notice.save()
    return notice
