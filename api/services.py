"""Writes for personal access tokens: create (the secret is returned once), revoke, and the
authentication of a presented token (which records its last use)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from api import permissions
from api.models import AccessToken

TOKEN_PREFIX = "pra_"
# A member keeps a handful of tokens (one per script or integration); more is a leak waiting.
MAX_ACTIVE_TOKENS = 20
# last_used_at is written at most this often per token: a busy script costs no write per call.
LAST_USED_EVERY = timedelta(minutes=1)
MAX_LIFETIME = timedelta(days=366)


@dataclass(frozen=True)
class CreatedToken:
    token: AccessToken
    secret: str  # the whole token, shown once


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def clean_scopes(scopes) -> str:
    chosen = [s for s in AccessToken.Scope.values if s in set(scopes or ())]
    unknown = set(scopes or ()) - set(AccessToken.Scope.values)
    if unknown or not chosen:
        raise ValidationError({"scopes": "Choose one or more of: read, write, moderate."})
    return " ".join(chosen)


def token_create(
    *,
    user,
    name: str,
    scopes,
    expires_at: datetime | None = None,
    at: datetime | None = None,
    request=None,
) -> CreatedToken:
    """Make a token for *user*; the returned secret is never stored and cannot be shown again."""
    permissions.require_can_manage_tokens(user=user)
    now = at or timezone.now()
    name = (name or "").strip()
    errors = {}
    if not name or len(name) > 80:
        errors["name"] = "Give the token a name of 1 to 80 characters (what it is for)."
    try:
        scope_text = clean_scopes(scopes)
    except ValidationError as error:
        errors.update(error.message_dict)
    if expires_at is not None and not (now < expires_at <= now + MAX_LIFETIME):
        errors["expires_at"] = "An expiry date must be in the future and within a year."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        active = AccessToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        if len(active) >= MAX_ACTIVE_TOKENS:
            raise ValidationError(
                f"You have {MAX_ACTIVE_TOKENS} tokens; revoke one you no longer use first."
            )
        prefix = secrets.token_hex(4)
        raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        token = AccessToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            token_hash=token_hash(raw),
            scopes=scope_text,
            created_at=now,
            expires_at=expires_at,
        )
        # In the member's security log, and emailed to them (accounts.services).
        security_event_record(
            user=user,
            kind=SecurityEvent.Kind.TOKEN_CREATED,
            request=request,
            detail=f"{name} ({scope_text})",
            at=now,
        )
    return CreatedToken(token=token, secret=raw)


def token_revoke(
    *, token: AccessToken, by, at: datetime | None = None, request=None
) -> AccessToken:
    """Revoke *token* (its owner, or an admin); revoking twice keeps the first time."""
    permissions.require_can_revoke_token(user=by, token=token)
    now = at or timezone.now()
    with transaction.atomic():
        revoked = AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if revoked:
            by_whom = "" if by.pk == token.user_id else " by an admin"
            security_event_record(
                user_id=token.user_id,
                kind=SecurityEvent.Kind.TOKEN_REVOKED,
                request=request,
                detail=f"{token.name}{by_whom}",
                at=now,
            )
    token.refresh_from_db(fields=["revoked_at"])
    return token


def tokens_revoke(*, tokens, by, at: datetime | None = None) -> int:
    """Revoke several tokens at once (the admin's action); return how many were still live."""
    now = at or timezone.now()
    count = 0
    for token in tokens:
        if token.revoked_at is None:
            token_revoke(token=token, by=by, at=now)
            count += 1
    return count


def token_authenticate(raw: str, *, at: datetime | None = None) -> AccessToken | None:
    """The live token *raw* names (with its user), or None; note its use at most once a
    minute (one conditional UPDATE, so concurrent calls write once)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        AccessToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), user__is_active=True)
        .first()
    )
    now = at or timezone.now()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_EVERY:
        AccessToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
