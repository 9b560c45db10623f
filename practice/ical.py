"""Write iCalendar (RFC 5545) by hand: one VEVENT per event, in UTC.

Small enough not to need a library: CRLF line endings, lines folded at 75 octets without
splitting a UTF-8 character, TEXT values escaped, times as UTC ``...Z``. ``SEQUENCE`` and a UID
that never changes for an event let calendar apps replace an event when it is edited or
cancelled.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CRLF = "\r\n"
MAX_OCTETS = 75
PRODID = "-//Practica//Community events//EN"


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma, and newlines as ``\\n``."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    # Other control characters are not allowed in TEXT (RFC 5545 3.3.11); drop them.
    value = "".join(ch for ch in value if ch == "\n" or ch == "\t" or ord(ch) >= 0x20)
    return value.replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold one content line into chunks of at most 75 octets, joined by CRLF + space."""
    chunks, current, size = [], [], 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        # Continuation lines begin with a space, which counts towards their 75 octets.
        limit = MAX_OCTETS if not chunks else MAX_OCTETS - 1
        if size + width > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    chunks.append("".join(current))
    return (CRLF + " ").join(chunks)


def utc(value: datetime) -> str:
    """A DATE-TIME in UTC form: ``19980119T070000Z``."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event_uid(event) -> str:
    """A UID that never changes for an event (its id plus its creation second)."""
    return f"event-{event.pk}-{int(event.created_at.timestamp())}@practica"


@dataclass(frozen=True)
class FeedOptions:
    """How to write events for one reader."""

    url_for: Callable  # event -> absolute URL of its page
    show_online_link: bool
    now: datetime


def _event_lines(event, options: FeedOptions) -> list[str]:
    url = options.url_for(event)
    description = event.description
    if event.online_url and options.show_online_link:
        description = f"{description}\n\nJoin online: {event.online_url}".strip()
    description = f"{description}\n\n{url}".strip()
    location = event.place
    if not location and options.show_online_link:
        location = event.online_url
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event_uid(event)}",
        f"DTSTAMP:{utc(options.now)}",
        f"CREATED:{utc(event.created_at)}",
        f"LAST-MODIFIED:{utc(event.updated_at)}",
        f"DTSTART:{utc(event.starts_at)}",
        f"DTEND:{utc(event.ends_at)}",
        f"SEQUENCE:{event.sequence}",
        f"STATUS:{'CANCELLED' if event.cancelled_at else 'CONFIRMED'}",
        f"SUMMARY:{escape_text(event.title)}",
        f"DESCRIPTION:{escape_text(description)}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    # URL is a URI value, not TEXT: no escaping; our URLs hold no control characters.
    lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable, *, name: str, options: FeedOptions) -> str:
    """Return a whole VCALENDAR holding *events*, ready to serve as text/calendar."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.extend(_event_lines(event, options))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
