"""What every endpoint shares: the caller, the documented error answers, ETags and the
storable-text rule for query values."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Path
from pydantic import AfterValidator, AwareDatetime, Field

from api import permissions
from api.v1.auth import Caller
from api.v1.errors import Error, storable

READ, WRITE, MODERATE = "read", "write", "moderate"


def caller_for(request: HttpRequest, scope: str) -> Caller:
    """The authenticated caller, refused (401/403) if it lacks *scope*."""
    caller: Caller = request.auth
    permissions.require_scope(caller=caller, scope=scope)
    return caller


def errors(*codes: int) -> dict:
    return dict.fromkeys(codes, Error)


# What a call about one community can answer besides its success (the routes' usual set).
ERRORS = errors(400, 401, 403, 404, 429)


def _check_text(value: str) -> str:
    if not storable(value):
        raise ValueError("NUL characters and lone surrogates cannot be stored.")
    return value


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as error:  # e.g. 0001-01-01T00:00+05:00: before the year 1 in UTC
        raise ValueError("This date and time is out of range.") from error


# A moment from a caller, with its offset, kept in UTC: any offset ISO 8601 allows (PostgreSQL
# refuses to store one beyond ±15:59 as given).
Moment = Annotated[AwareDatetime, AfterValidator(_to_utc)]

# Text from a caller: no NUL, no lone surrogate (what core.middleware refuses on forms).
Text = Annotated[str, AfterValidator(_check_text)]
Limit = Annotated[int, Field(ge=1, le=100)]
# Ids beyond this are no row of ours (and past what every database's integer holds).
MAX_ID = 2**53
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# The path parameters every community route shares: its slug, and an object's id.
Slug = Path(..., max_length=80)
ObjectId = Path(..., ge=1, le=MAX_ID)


def etagged(request: HttpRequest, data: dict) -> HttpResponse:
    """*data* as JSON with a strong ETag; 304 without a body when the caller has it already."""
    body = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    wanted = [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag in wanted or "*" in wanted:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    # The answer depends on who asks: no shared cache may keep it for someone else.
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Authorization, Cookie"
    return response
