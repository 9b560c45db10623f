"""Cursor pagination: a page ends with an opaque cursor naming the last row's sort values, and
the next page starts strictly after them (keyset). Rows inserted meanwhile never shift a page
(no offset), and a page costs the same however deep it is.

The cursor is base64 of a little JSON; it only positions a read inside a queryset the
permission layer already narrowed, so a forged cursor can skip rows, never reveal one.
"""

import base64
import binascii
import json
from datetime import datetime

from django.db.models import Q, QuerySet

from api.v1.errors import BadRequest

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def _bad_cursor():
    return BadRequest(
        "invalid_cursor",
        "The cursor is not one this list gave (or belongs to another sort).",
        {"cursor": ["Use next_cursor from the previous page as it is."]},
    )


def _encode_value(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode_value(value):
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return value
    raise ValueError(value)


def encode_cursor(kind: str, values: list) -> str:
    raw = json.dumps({"k": kind, "v": [_encode_value(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, size: int) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if data.get("k") != kind or len(data.get("v", ())) != size:
            raise ValueError(data)
        return [_decode_value(v) for v in data["v"]]
    except (ValueError, TypeError, AttributeError, UnicodeError, binascii.Error) as error:
        raise _bad_cursor() from error


def _after(order: tuple[str, ...], values: list) -> Q:
    """Rows strictly after *values* in *order* ("-field" descending)."""
    q = Q()
    for i, term in enumerate(order):
        name = term.lstrip("-")
        step = Q(**{f"{name}__{'lt' if term.startswith('-') else 'gt'}": values[i]})
        for previous, value in zip(order[:i], values[:i], strict=True):
            step &= Q(**{previous.lstrip("-"): value})
        q |= step
    return q


def keyset_page(
    qs: QuerySet, *, kind: str, order: tuple[str, ...], cursor: str | None, limit: int
) -> tuple[QuerySet, callable]:
    """*qs* ordered by *order* from just after *cursor* (slice it to ``limit + 1`` rows: one
    more tells whether there is a next page), and a function from the fetched rows (objects or
    dicts with the order's fields, or any rows with *key*) to (rows, next_cursor)."""
    qs = qs.order_by(*order)
    if cursor:
        qs = qs.filter(_after(order, decode_cursor(cursor, kind, len(order))))

    def finish(rows: list, key=None):
        more = len(rows) > limit
        rows = rows[:limit]
        if not more or not rows:
            return rows, None
        last = rows[-1]
        values = key(last) if key else [_get(last, term.lstrip("-")) for term in order]
        return rows, encode_cursor(kind, list(values))

    return qs, finish


def _get(row, name: str):
    if isinstance(row, dict):
        return row[name]
    return getattr(row, name)


def offset_cursor(kind: str, offset: int) -> str:
    return encode_cursor(kind, [offset])


def offset_from(cursor: str | None, kind: str) -> int:
    if not cursor:
        return 0
    (offset,) = decode_cursor(cursor, kind, 1)
    if not isinstance(offset, int) or offset < 0:
        raise _bad_cursor()
    return offset
