"""One error shape for every refusal: ``{"error": {"code", "message", "fields"}}``.

400 bad input (``fields`` names what to fix), 401 no or bad credentials, 403 refused (a
missing scope, a CSRF failure, or the content apps' ``require_*`` checks), 404 not found or not
yours to see (the web's rule: a hidden object and a missing one look the same), 429 too many
calls (with ``Retry-After``).
"""

import json

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from pydantic import ConfigDict, Field

from api.permissions import NotAuthenticated
from api.v1.auth import CsrfFailed, InvalidToken
from practice.rate_limits import RateLimited


class ErrorBody(Schema):
    code: str = Field(
        description=(
            "invalid, malformed_json, too_large, unstorable_text, invalid_cursor, "
            "not_authenticated, invalid_token, forbidden, csrf_failed, not_found, "
            "rate_limited, posting_rate_limited"
        )
    )
    message: str = Field(description="For people: what went wrong and what to do.")
    fields: dict[str, list[str]] = Field(
        description="For 400s: the messages for each field at fault (may be empty)."
    )


class Error(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "error": {
                    "code": "invalid",
                    "message": "Some values are missing or invalid.",
                    "fields": {"title": ["Give your thread a title."]},
                }
            }
        }
    )

    error: ErrorBody


class BadRequest(Exception):
    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or {}


def error_response(status: int, code: str, message: str, fields=None) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JsonResponse(body, status=status)


def storable(value: str) -> bool:
    """Can every database keep *value*? (No NUL, no lone surrogate: core.middleware's rule.)"""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_storable(data, path: str = "") -> None:
    if isinstance(data, str):
        if not storable(data):
            raise BadRequest(
                "unstorable_text",
                "The body holds a NUL character or an invalid Unicode sequence; nothing was saved.",
                {path or "body": ["Remove NUL characters and lone surrogates."]},
            )
    elif isinstance(data, dict):
        for key, value in data.items():
            _check_storable(key, path)
            _check_storable(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _check_storable(value, f"{path}.{index}" if path else str(index))


class StrictJsonParser(Parser):
    """JSON bodies only, within Django's size limit, with nothing a database cannot store."""

    def parse_body(self, request: HttpRequest):
        try:
            raw = request.body
        except RequestDataTooBig as error:
            raise BadRequest("too_large", "The request body is too large.") from error
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise BadRequest("malformed_json", "The request body is not valid JSON.") from error
        if not isinstance(data, dict):
            raise BadRequest("malformed_json", "The request body must be a JSON object.")
        _check_storable(data)
        return data


def _fields_of_pydantic(errors) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "title") → "title"; ("query", "sort") → "sort"
        if loc and loc[0] == "body" and len(loc) > 2:
            loc = loc[2:]
        elif loc:
            loc = loc[1:] or loc
        name = ".".join(loc) or "body"
        fields.setdefault(name, []).append(str(error.get("msg", "Invalid value.")))
    return fields


def install(api) -> None:
    """Answer every refusal of *api* in the one error shape."""

    def handler(exc_class):
        return api.exception_handler(exc_class)

    @handler(NinjaValidationError)
    def validation(request, exc):
        return error_response(
            400, "invalid", "Some values are missing or invalid.", _fields_of_pydantic(exc.errors)
        )

    @handler(BadRequest)
    def bad_request(request, exc):
        return error_response(400, exc.code, exc.message, exc.fields)

    @handler(RequestDataTooBig)
    def too_large(request, exc):
        # Django refuses to read the body (DATA_UPLOAD_MAX_MEMORY_SIZE) before ninja parses it.
        return error_response(400, "too_large", "The request body is too large.")

    @handler(SuspiciousOperation)
    def suspicious(request, exc):
        return error_response(400, "bad_request", "The request was malformed.")

    @handler(DjangoValidationError)
    def service_refused(request, exc):
        if hasattr(exc, "error_dict"):
            fields = {name: list(messages) for name, messages in exc.message_dict.items()}
            message = next(iter(fields.values()))[0] if fields else "Invalid input."
            return error_response(400, "invalid", message, fields)
        return error_response(400, "invalid", " ".join(exc.messages))

    @handler(RateLimited)
    def posting_rate(request, exc):
        response = error_response(429, "posting_rate_limited", " ".join(exc.messages))
        response["Retry-After"] = "3600"  # the new-member limits count posts over an hour
        return response

    @handler(Throttled)
    def throttled(request, exc):
        return error_response(429, "rate_limited", "Too many calls; wait and try again.")

    @handler(InvalidToken)
    def invalid_token(request, exc):
        response = error_response(
            401, "invalid_token", "The access token is unknown, revoked or expired."
        )
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    @handler(AuthenticationError)
    def unauthenticated(request, exc):
        return error_response(401, "not_authenticated", "Sign in or send an access token.")

    @handler(NotAuthenticated)
    def needs_sign_in(request, exc):
        response = error_response(401, "not_authenticated", str(exc))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @handler(CsrfFailed)
    def csrf_failed(request, exc):
        return error_response(
            403, "csrf_failed", "Session calls that change things need the X-CSRFToken header."
        )

    @handler(PermissionDenied)
    def refused(request, exc):
        return error_response(403, "forbidden", str(exc) or "You cannot do that.")

    @handler(Http404)
    def not_found(request, exc):
        return error_response(404, "not_found", "Not found.")

    @handler(HttpError)
    def http_error(request, exc):
        cause = exc.__cause__
        if isinstance(cause, BadRequest):  # raised by the parser, wrapped by ninja
            return bad_request(request, cause)
        code = {400: "bad_request", 401: "not_authenticated", 403: "forbidden"}.get(
            exc.status_code, "error"
        )
        return error_response(exc.status_code, code, str(exc))
