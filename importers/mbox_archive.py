"""Read a mailing-list archive (an mbox) one message at a time into a staging database.

RFC 4155's mbox: each message starts with a ``From `` line (the "From_" line: an address and
a date) after a blank line or at the start of the file; a body line that began with "From "
was written as ">From " (mboxrd adds one ">" per level), and is given back its text here.
Mailman 2 (pipermail ``.txt`` archives, with "alice at example.org" munging), Mailman 3 /
HyperKitty exports (also gzipped) and Google Groups takeouts are all this format.

The file is read line by line and only one message is held at a time, so memory stays flat.
It is read in two passes (``StagedArchive``): its headers first, into a throwaway SQLite file
from which the threads are built (the JWZ algorithm, ``importers.jwz``, over ids and subjects
only); then its bodies, parsed and rendered while earlier threads are written, and read back
one batch of threads at a time.
Bad input becomes a report line, never an exception: NUL bytes are dropped, broken MIME keeps
what was readable, unknown or wrong charsets give replacement characters, 8-bit headers are
read as UTF-8 (else Windows-1252), a message with no usable date takes its From_ line's.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import os
import re
import sqlite3
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from importers.markdown import html_to_markdown, inert_mentions
from importers.parallel import pool_close, pool_open, pool_submit, workers_for
from importers.report import ImportReport
from practice.services.history import history_prerender

# A post's body is at most this long here (practice.models.threads.BODY_MAX_LENGTH is 50,000):
# a longer message keeps its start and says how much was left out.
BODY_KEPT = 48_000
# Archives larger than this are parsed (MIME, HTML to Markdown, the shown text rendered) by a
# pool of worker processes, one per core (at most PARSE_WORKERS), while this process threads
# and writes: parsing is most of the CPU an import spends outside the database. The pool takes
# PARSE_CHUNK messages a task and stages what it parsed itself, so nothing waits on this
# process and memory stays flat whatever the archive's size; the writing waits only for the
# chunks of the threads it writes next.
PARSE_POOL_FROM_BYTES = 8 * 2**20
PARSE_WORKERS = 2
PARSE_CHUNK = 1000
# The workers run this much nicer than the importing process: the reading and then the writing
# (this process and its database backend, one after the other) are the import's critical path,
# and the workers, far ahead of the writing after the first pass, take what CPU is left.
PARSE_NICE = 5

_FROM_TIME = re.compile(rb"\d{1,2}:\d\d")
_FROM_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*,?\s+(\w{3})\w*\s+(\d{1,2})\s+(\d{1,2}):(\d\d)(?::(\d\d))?"
    r"(?:\s+[A-Z]{3,4})?(?:\s+([+-]\d{4}))?\s+(\d{4})"
)
_ESCAPED_FROM = re.compile(rb"^>+From ")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|odp|r|rif|res)(?:\[\d+\]|\^\d+)?\s*:|"
    r"(?:fwd?|wg|tr|enc|doorst)\s*:)\s*",
    re.IGNORECASE,
)
_FORWARD_PREFIX = re.compile(r"^(?:fwd?|wg|tr|enc|doorst)\s*:", re.IGNORECASE)
_LIST_TAG = re.compile(r"^\s*\[[^\]]{1,60}\]\s*")
# Mailman 2's archives write "alice at example.org" for alice@example.org.
_MUNGED = re.compile(r"([^\s<>()\"@,]+) at ([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_VIA = re.compile(r"\s+via\s+\S.*$", re.IGNORECASE)
_ATTRIBUTION = re.compile(
    r"(wrote|writes|schrieb|a écrit|escribió|scrisse|skrev|kirjoitti|napisał|"
    r"heeft het volgende geschreven|geschreven)\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(On|Am|Le|El|Il|Op|Den|W dniu)\b")
_OUTLOOK = re.compile(r"^\s*-{3,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)")
_FOOTER = re.compile(r"^_{20,}\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")


class MboxError(Exception):
    """The archive cannot be imported at all (one readable sentence)."""


# --- reading the file ------------------------------------------------------------------------


@dataclass
class RawMessage:
    number: int  # 1-based, in the file's order
    from_line: str
    data: bytes
    nuls: int


def _open(path: str):
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def raw_messages(path: str, notes: list[str] | None = None) -> Iterator[RawMessage]:
    """Yield each message of the mbox at *path* (gzipped or not), one at a time; a file that
    breaks off (a gzip cut short) ends the messages with a line in *notes*."""
    try:
        stream = _open(path)
    except OSError as exc:
        raise MboxError(f"Could not open {path}: {exc.strerror or exc}.") from exc
    with stream:
        lines: list[bytes] = []
        from_line, number, previous_blank, seen_any = None, 0, True, False
        nuls = 0
        try:
            for line in stream:
                if b"\0" in line:
                    nuls += line.count(b"\0")
                    line = line.replace(b"\0", b"")
                bare = line.rstrip(b"\r\n")
                if line.startswith(b"From ") and previous_blank and _FROM_TIME.search(line):
                    if from_line is not None:
                        yield RawMessage(number, from_line, _join(lines), nuls)
                        nuls = 0
                    number += 1
                    from_line = bare.decode("latin-1")
                    lines = []
                    seen_any = True
                elif from_line is None:
                    if bare.strip():
                        raise MboxError(
                            f"{path} is not an mbox archive: it does not start with a “From ” line."
                        )
                else:
                    if _ESCAPED_FROM.match(line):
                        line = line[1:]
                    lines.append(line)
                previous_blank = not bare.strip()
        except (OSError, EOFError) as exc:
            # A gzip file cut short: what was read is imported, and the break said.
            if notes is None or from_line is None:
                raise MboxError(f"{path} cannot be read ({exc}).") from exc
            notes.append(
                f"the file breaks off in message {number:,} ({exc}); the messages before it "
                "were read, that one as far as it went"
            )
            yield RawMessage(number, from_line, _join(lines), nuls)
            return
        if from_line is not None:
            yield RawMessage(number, from_line, _join(lines), nuls)
        if not seen_any:
            raise MboxError(f"{path} is empty: there is nothing to import.")


def _join(lines: list[bytes]) -> bytes:
    # The blank line before the next From_ line belongs to the separator, not the message.
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    return b"".join(lines)


# --- one message --------------------------------------------------------------------------------


@dataclass
class Mail:
    """What the importer needs of one message."""

    number: int
    source_id: str  # the Message-ID, or a synthetic id (said in the report)
    references: list[str]
    subject: str
    thread_subject: str  # without Re:/Fwd:/[list] prefixes, lower case, for the fallback
    is_reply: bool
    name: str
    address: str  # lower case; "" when unknown
    at: str  # ISO moment
    body: str  # Markdown shown: quotes at the end and signatures trimmed
    original: str  # Markdown of the whole text (kept as the first revision when different)
    notes: list[str] = field(default_factory=list)
    html: str = ""  # the shown text rendered (practice.services.history.history_prerender)

    def moment(self) -> datetime:
        return datetime.fromisoformat(self.at)


def _decode_bytes(data: bytes, charset: str | None) -> tuple[str, str]:
    """Text of *data* in *charset*; and what went wrong, if anything ("" when nothing)."""
    name = (charset or "").strip().strip('"').lower()
    if name in ("", "unknown-8bit", "x-unknown", "unknown", "8bit", "us-ascii", "ascii"):
        try:
            return data.decode("utf-8"), ""
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace"), "8-bit text without its charset"
    try:
        codecs.lookup(name)
    except LookupError:
        return data.decode("utf-8", errors="replace"), f"unknown charset “{name[:40]}”"
    try:
        return data.decode(name), ""
    except UnicodeDecodeError:
        return data.decode(name, errors="replace"), f"text not valid in its charset “{name[:40]}”"
    except Exception:  # noqa: BLE001 (some codecs raise their own errors on bad input)
        return data.decode("utf-8", errors="replace"), f"charset “{name[:40]}” failed"


def header_text(msg: Message, name: str, problems: list[str]) -> str:
    """The decoded text of header *name* (encoded words, 8-bit bytes, broken charsets)."""
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 (a header the parser cannot even give back)
        problems.append(f"unreadable {name} header")
        return ""
    if value is None:
        return ""
    eight_bit = not isinstance(value, str)
    if eight_bit:
        # compat32 gives a Header for raw 8-bit bytes (charset unknown-8bit).
        problems.append(f"8-bit {name} header (read as UTF-8, else Windows-1252)")
    try:
        parts = decode_header(value)
    except Exception:  # noqa: BLE001 (malformed encoded words: keep the text as it came)
        problems.append(f"malformed encoded words in the {name} header")
        parts = [(str(value), None)]
    out = []
    for part, charset in parts:
        if isinstance(part, bytes):
            text, problem = _decode_bytes(part, charset)
            if problem and not eight_bit:
                problems.append(f"{name} header: {problem}")
            out.append(text)
        else:
            out.append(part.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    # decode_header drops the spaces between encoded and plain parts unevenly: normalise.
    return " ".join("".join(out).replace("\r", " ").replace("\n", " ").split())


def thread_subject(subject: str) -> tuple[str, bool]:
    """The subject without list tags and Re:/Fwd:/AW: prefixes (lower case), and whether it
    had a reply prefix."""
    text, reply = bare_subject(subject)
    return " ".join(text.lower().split()), reply


def bare_subject(subject: str) -> tuple[str, bool]:
    """The subject without list tags and Re:/Fwd:/AW: prefixes, and whether it had a reply
    prefix."""
    text, reply, changed = subject, False, True
    while changed:
        changed = False
        stripped = _LIST_TAG.sub("", text, count=1)
        match = _REPLY_PREFIX.match(stripped)
        if match:
            reply = reply or not _FORWARD_PREFIX.match(stripped)
            stripped = stripped[match.end() :]
        if stripped != text:
            text, changed = stripped, True
    return " ".join(text.split()), reply


def message_ids(text: str) -> list[str]:
    return [m[:300] for m in _MESSAGE_ID.findall(text or "")]


def _unmunge(text: str) -> str:
    return _MUNGED.sub(r"\1@\2", text)


def sender(msg: Message, problems: list[str], list_address: str = "") -> tuple[str, str, str]:
    """(display name, lower-case address, note) of the message's author, with Mailman's
    "x at y.org" munging and DMARC's "Name via List <list@...>" rewrites undone."""
    raw = _unmunge(header_text(msg, "From", problems))
    # Pipermail's "alice@example.org (Alice Smith)" is parsed right by getaddresses too.
    pairs = getaddresses([raw]) if raw else []
    name, address = pairs[0] if pairs else ("", "")
    address = address.strip().lower()
    if "@" not in address:
        name, address = name or address or raw, ""
    rewritten = bool(_VIA.search(name)) or (bool(list_address) and address == list_address)
    note = ""
    if rewritten:
        name = _VIA.sub("", name).strip()
        real = ""
        for header in ("X-Original-From", "X-Original-Sender", "Reply-To"):
            value = _unmunge(header_text(msg, header, problems))
            for real_name, candidate in getaddresses([value]) if value else []:
                candidate = candidate.strip().lower()
                if "@" in candidate and candidate != address and candidate != list_address:
                    real = candidate
                    name = name or real_name
                    break
            if real:
                break
        if real:
            address = real
        else:
            address = ""
            note = "the list rewrote the sender's address and kept no original: matched by name"
    name = " ".join(name.replace('"', " ").split()).strip("'").strip()
    if "@" in name or _MUNGED.search(name):
        # Never show an address, not even as a name ("someone on <list>" instead).
        name = ""
    return name[:80], address[:254], note


def _mail_date(msg: Message, from_line: str, problems: list[str]) -> datetime | None:
    value = header_text(msg, "Date", problems)
    when = None
    if value:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            when = None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when is not None and not (
            datetime(1970, 1, 2, tzinfo=UTC) < when < datetime.now(UTC) + timedelta(days=2)
        ):
            when = None
        if when is None:
            problems.append(f"invalid Date header “{value[:60]}”")
    else:
        problems.append("no Date header")
    if when is None:
        when = from_line_date(from_line)
        if when is not None:
            problems.append("dated by its From_ line")
    return when


def from_line_date(from_line: str) -> datetime | None:
    """The asctime date of a From_ line ("From a@b  Mon Jan  1 10:00:00 2024"), as UTC."""
    match = _FROM_DATE.search(from_line)
    if not match:
        return None
    month, day, hour, minute, second, offset, year = match.groups()
    try:
        when = datetime(
            int(year), _MONTHS[month.lower()[:3]], int(day), int(hour), int(minute),
            int(second or 0), tzinfo=UTC,
        )  # fmt: skip
    except (KeyError, ValueError):
        return None
    if offset:
        sign = 1 if offset[0] == "+" else -1
        when -= sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
    return when


def _payload(part: Message, problems: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 (a transfer encoding the library cannot undo)
        problems.append("a part's transfer encoding could not be decoded")
        data = None
    if data is None:
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data


def _filename(part: Message, problems: list[str]) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    if name:
        try:
            text = "".join(
                p.decode(c or "utf-8", "replace") if isinstance(p, bytes) else p
                for p, c in decode_header(name)
            )
        except Exception:  # noqa: BLE001
            text = name
        name = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return " ".join(name.split())[:120]


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _texts(part: Message, texts: list[tuple[str, str]], attachments: list[str], problems):
    """Collect the readable text of *part* (plain text preferred over HTML in alternatives)."""
    ctype = part.get_content_type()
    if part.is_multipart():
        children = part.get_payload()
        if not isinstance(children, list):
            problems.append(f"a {ctype} part with no parts")
            return
        if ctype == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain"]
            chosen = plain[0] if plain else (children[-1] if children else None)
            if chosen is not None:
                _texts(chosen, texts, attachments, problems)
            return
        for child in children:
            _texts(child, texts, attachments, problems)
        return
    disposition = (part.get("Content-Disposition") or "").lower()
    if ctype == "message/rfc822" or (ctype.startswith("message/") and part.is_multipart()):
        attachments.append(f"a forwarded message ({ctype})")
        return
    if ctype in ("text/plain", "text/html") and "attachment" not in disposition:
        data = _payload(part, problems)
        text, problem = _decode_bytes(data, part.get_content_charset())
        if problem:
            problems.append(f"body: {problem}")
        texts.append((ctype, text.replace("\0", "")))
        return
    data = _payload(part, problems)
    filename = _filename(part, problems)
    if ctype.startswith("text/") and not filename and not data.strip():
        return
    attachments.append(f"{filename or 'unnamed'} ({ctype}, {_size(len(data))})")


def split_quoted(text: str) -> tuple[str, bool]:
    """The text shown: the reply without the quoted message at its end (with its "On ...
    wrote:" line), without the signature ("-- ") and a list footer; quotes between the
    writer's own lines stay (as blockquotes). Return it and whether anything was trimmed."""
    lines = text.split("\n")
    end = len(lines)
    for i, line in enumerate(lines):
        stripped = line.rstrip()
        if stripped == "--" or _FOOTER.match(line) or _OUTLOOK.match(line):
            end = i
            break
        if stripped.startswith("From:") and i > 0 and _FOOTER.match(lines[i - 1] or "_"):
            end = i - 1
            break
    kept = lines[:end]
    # A quote block at the end (only blank lines after it): trimmed, with its attribution.
    j = len(kept)
    while j and not kept[j - 1].strip():
        j -= 1
    k = j
    while k and (kept[k - 1].lstrip().startswith(">") or not kept[k - 1].strip()):
        k -= 1
    if k < j:
        # Attribution: "On Mon, Alice wrote:", possibly wrapped over two lines.
        a = k
        while a and not kept[a - 1].strip():
            a -= 1
        if a and _ATTRIBUTION.search(kept[a - 1]):
            a -= 1
            if (
                a
                and kept[a - 1].strip()
                and not _ATTRIBUTION.search(kept[a - 1])
                and _ATTRIBUTION_START.match(kept[a - 1])
            ):
                a -= 1
            k = a
        kept = kept[:k]
    shown = "\n".join(kept).strip("\n")
    if not shown.strip():
        return text.strip("\n"), False
    return shown, shown.strip() != text.strip()


def plain_to_markdown(text: str) -> str:
    """Plain mail text as Markdown that shows it as written: line breaks kept, a leading "#"
    or an underline not taken for a heading, @names inert (raw HTML is escaped by the
    renderer, so "<alice@...>" stays text)."""
    out = []
    fenced = False
    for line in text.split("\n"):
        line = line.rstrip()
        if line.startswith(("```", "~~~")):
            fenced = not fenced
            out.append(line)
            continue
        if fenced:
            out.append(line)
            continue
        if line.strip() and (line.lstrip().startswith("#") or _SETEXT.match(line)):
            line = "\\" + line.lstrip()
        if "@" in line:
            line = inert_mentions(line)
        # Two spaces: a line break, as the writer broke the line (not for indented code).
        out.append(line + "  " if line and not line.startswith(("    ", "\t")) else line)
    return "\n".join(out).strip()


def _bodies(msg: Message, problems: list[str]) -> tuple[str, str]:
    texts: list[tuple[str, str]] = []
    attachments: list[str] = []
    _texts(msg, texts, attachments, problems)
    shown_parts, full_parts = [], []
    for ctype, text in texts:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if ctype == "text/html":
            full = html_to_markdown(text)
            shown, _ = split_quoted(full)
        else:
            shown_plain, _ = split_quoted(text)
            full, shown = plain_to_markdown(text), plain_to_markdown(shown_plain)
        if full.strip():
            full_parts.append(full)
        if shown.strip():
            shown_parts.append(shown)
    shown, full = "\n\n".join(shown_parts), "\n\n".join(full_parts)
    if attachments:
        names = ", ".join(f"`{a.replace('`', '')}`" for a in attachments)
        note = f"*Attachments in the original message, not imported: {names}.*"
        shown = f"{shown}\n\n{note}".strip()
        full = f"{full}\n\n{note}".strip()
    if not shown.strip():
        shown = full = "*(This message had no text.)*"
        problems.append("no readable text")
    return _kept(shown, problems), _kept(full, problems)


def _kept(text: str, problems: list[str]) -> str:
    if len(text) <= BODY_KEPT:
        return text
    problems.append(f"text cut at {BODY_KEPT:,} characters")
    left = len(text) - BODY_KEPT
    return text[:BODY_KEPT] + f"\n\n*[{left:,} more characters of this message were not imported.]*"


def synthetic_id(prefix: str, raw: bytes) -> str:
    return f"{prefix}:{hashlib.sha256(raw).hexdigest()[:40]}"


def _message(data: bytes, problems: list[str], *, headersonly: bool = False) -> Message:
    try:
        return BytesParser(policy=policy.compat32).parsebytes(data, headersonly=headersonly)
    except Exception as exc:  # noqa: BLE001 (the parser is lenient; this is a last resort)
        problems.append(f"not parseable as a message ({exc.__class__.__name__})")
        msg = Message()
        msg.set_payload(data.decode("utf-8", "replace"))
        return msg


def _ids(msg: Message, data: bytes, problems: list[str]) -> tuple[str, list[str]]:
    """The message's id (or a synthetic one) and its references, In-Reply-To last."""
    mid_header = header_text(msg, "Message-ID", problems)
    ids = message_ids(mid_header)
    source_id = ids[0] if ids else (mid_header.strip()[:300] if mid_header.strip() else "")
    if len(source_id) > 90:
        source_id = "long:" + hashlib.sha256(source_id.encode()).hexdigest()[:40]
    if not source_id:
        source_id = synthetic_id("no-id", data)
        problems.append("no Message-ID: given a synthetic id")
    references = message_ids(header_text(msg, "References", problems))
    in_reply_to = message_ids(header_text(msg, "In-Reply-To", problems))
    if in_reply_to and (not references or references[-1] != in_reply_to[0]):
        references = [r for r in references if r != in_reply_to[0]] + [in_reply_to[0]]
    references = [
        r if len(r) <= 90 else "long:" + hashlib.sha256(r.encode()).hexdigest()[:40]
        for r in references
    ]
    return source_id, references[-50:]


@dataclass
class Head:
    """What the threading needs of a message, read from its headers alone."""

    number: int
    source_id: str
    references: list[str]
    thread_subject: str
    is_reply: bool
    at: str  # ISO moment; "" when the message has no usable date
    # What ``parse`` would note reading the ids and subject, and the date: it takes them from
    # here rather than reading those headers again. None when the headers alone could not be
    # parsed (``parse`` then reads them from the whole message).
    notes: tuple[list[str], list[str]] | None = None


def parse_head(raw: RawMessage) -> Head:
    """The headers ``parse`` threads by, without reading the body: the first, fast pass."""
    problems: list[str] = []
    # The parser still splits the whole body into lines when told to read headers only: give
    # it the text up to the first blank line, where the headers end whatever follows. With a
    # carriage return before it, blank lines have other shapes ("\r\r"): all of the text.
    end = raw.data.find(b"\n\n")
    data = raw.data if end < 0 or b"\r" in raw.data[:end] else raw.data[: end + 2]
    msg = _message(data, problems, headersonly=True)
    read, dated = [], []
    source_id, references = _ids(msg, raw.data, read)
    normal, is_reply = thread_subject(header_text(msg, "Subject", read))
    when = _mail_date(msg, raw.from_line, dated)
    if when is None:
        dated.append(_NO_DATE)
    return Head(
        number=raw.number,
        source_id=source_id,
        references=references,
        thread_subject=normal,
        is_reply=is_reply or bool(references),
        at=when.isoformat() if when else "",
        notes=None if problems else (read, dated),
    )


_NO_DATE = "no date at all: dated after the message before it"


def parse(raw: RawMessage, *, list_address: str = "", head: Head | None = None) -> Mail:
    """Read one message into a Mail; every problem met becomes one of its notes. With the
    first pass's *head* (and its notes), its ids, subject key and date are taken from it, not
    read again: the same Mail."""
    problems: list[str] = []
    if raw.nuls:
        problems.append(f"{raw.nuls:,} NUL bytes removed")
    msg = _message(raw.data, problems)
    for defect in getattr(msg, "defects", []) or []:
        problems.append(f"broken MIME: {defect.__class__.__name__}")
    for part in msg.walk() if msg.is_multipart() else []:
        for defect in getattr(part, "defects", []) or []:
            problems.append(f"broken MIME: {defect.__class__.__name__}")
    if head is None or head.notes is None:
        source_id, references = _ids(msg, raw.data, problems)
        subject = header_text(msg, "Subject", problems)
        normal, is_reply = thread_subject(subject)
    else:
        source_id, references = head.source_id, head.references
        normal, is_reply = head.thread_subject, head.is_reply
        problems += head.notes[0]
        subject = header_text(msg, "Subject", [])  # its notes are the head's
    name, address, who_note = sender(msg, problems, list_address)
    if who_note:
        problems.append(who_note)
    if head is None or head.notes is None:
        when = _mail_date(msg, raw.from_line, problems)
        if when is None:
            problems.append(_NO_DATE)
        at = when.isoformat() if when else ""
    else:
        at = head.at
        problems += head.notes[1]
    body, original = _bodies(msg, problems)
    # The title: the subject without "Re:" and list tags (a thread whose first message is
    # missing starts with a reply).
    title_subject = bare_subject(subject)[0] if subject else ""
    return Mail(
        number=raw.number,
        source_id=source_id,
        references=references,
        subject=title_subject[:200] or "(no subject)",
        thread_subject=normal,
        is_reply=is_reply or bool(references),
        name=name,
        address=address,
        at=at,
        body=body,
        original=original,
        notes=list(dict.fromkeys(problems)),
    )


def parse_and_render(raw: RawMessage, list_address: str = "", head: Head | None = None) -> Mail:
    """``parse``, and the shown text rendered as its post will show it."""
    mail = parse(raw, list_address=list_address, head=head)
    mail.html = history_prerender(mail.body)
    return mail


# --- staging -------------------------------------------------------------------------------------

# ``mail``: the first pass (headers, and where the raw message lies in the raw file); ``body``:
# the second (the parsed and rendered message, and its notes for the report).
_SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE mail (
    seq INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL,
    refs TEXT NOT NULL,
    thread_subject TEXT NOT NULL,
    is_reply INTEGER NOT NULL,
    at TEXT NOT NULL,
    dup_note TEXT NOT NULL,
    from_line TEXT NOT NULL,
    nuls INTEGER NOT NULL,
    start INTEGER NOT NULL,
    length INTEGER NOT NULL,
    head_notes TEXT
);
CREATE TABLE body (
    seq INTEGER PRIMARY KEY,
    data TEXT NOT NULL,
    notes TEXT
);
"""


def _connect(staging_path: str) -> sqlite3.Connection:
    # Throwaway: nothing to lose in a crash. WAL lets the parsing workers write while this
    # process reads.
    db = sqlite3.connect(staging_path, timeout=600)
    db.execute("PRAGMA synchronous = OFF")
    return db


def stage_bodies(raw_path: str, staging_path: str, list_address: str, first: int, last: int):
    """The second pass over messages *first* to *last*: parse and render each (``parse``,
    ``history_prerender``) and stage it with its notes. Run by a worker process for a large
    archive."""
    db = _connect(staging_path)
    try:
        items = db.execute(
            "SELECT seq, from_line, nuls, start, length, source_id, refs, thread_subject, "
            "is_reply, at, head_notes FROM mail WHERE seq BETWEEN ? AND ?",
            (first, last),
        ).fetchall()
        rows = []
        with open(raw_path, "rb") as raw_file:
            for seq, from_line, nuls, start, length, *head, head_notes in items:
                raw_file.seek(start)
                raw = RawMessage(seq, from_line, raw_file.read(length), nuls)
                source_id, refs, subject, is_reply, at = head
                notes = None if head_notes is None else json.loads(head_notes or "[[], []]")
                mail = parse_and_render(
                    raw, list_address,
                    Head(seq, source_id, json.loads(refs), subject, bool(is_reply), at, notes),
                )  # fmt: skip
                notes, mail.notes = mail.notes, []
                rows.append((seq, json.dumps(vars(mail)), json.dumps(notes) if notes else None))
        with db:
            db.executemany("INSERT INTO body VALUES (?, ?, ?)", rows)
        return len(rows)
    finally:
        db.close()


def read_heads(raw_path: str, positions: list[tuple]) -> list[Head]:
    """``parse_head`` of the raw messages at *positions* ((number, From_ line, NUL bytes
    removed, start, length) in the raw copy): the first pass's parsing, in a worker process
    for a large archive."""
    heads = []
    with open(raw_path, "rb") as raw_file:
        for number, from_line, nuls, start, length in positions:
            raw_file.seek(start)
            heads.append(parse_head(RawMessage(number, from_line, raw_file.read(length), nuls)))
    return heads


class StagedArchive:
    """An mbox read in two passes into a staging SQLite file, one row per message.

    The first pass (``read``) reads each message's headers, which is all the threading needs
    (JWZ needs every id before any thread is known to be complete), and copies its raw text
    aside; for a large archive a pool of worker processes parses the headers, a chunk at a
    time, while this process splits the file. The second pass, parsing and rendering the
    bodies, goes chunk by chunk: in another pool of worker processes for a large archive,
    started once the first pass is done, so it overlaps the threading and the writing of
    earlier threads; in this process otherwise, when ``mails`` first needs a chunk. The
    report's lines about each message come out in the archive's order whichever pass found
    them (``report_reading``).
    """

    def __init__(self, path: str, staging_path: str, report: ImportReport, list_address=""):
        self.path = path
        self.report = report
        self.list_address = list_address.lower()
        self.staging_path = staging_path
        self.raw_path = staging_path + ".raw"
        self.db = _connect(staging_path)
        self.db.executescript(_SCHEMA)
        self.count = 0
        self._pool = None
        # Chunks of the second pass not yet waited for: (first seq, last seq, pending result:
        # a worker's, or this process's own parsing when it is asked for).
        self._chunks: deque[tuple[int, int, object]] = deque()
        self._skipped: dict[int, str] = {}
        self._breaks: list[str] = []
        self._reported = False

    def _workers(self) -> int:
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return 1
        return workers_for(size, from_size=PARSE_POOL_FROM_BYTES, most=PARSE_WORKERS)

    def read(self) -> None:
        """The first pass (see the class); the second's chunks are started (a pool's) or
        waiting to be asked for (this process's)."""
        workers = self._workers()
        self._pool = pool_open(workers, nice=PARSE_NICE)
        # A large archive's headers are parsed by a pool of their own, at this process's
        # priority: the first pass is the critical path until the threading, and in the body
        # pool's queue the last chunks of headers would wait behind bodies.
        heads = pool_open(workers, nice=0)
        try:
            self._read(heads)
        finally:
            pool_close(heads)

    def _read(self, heads_pool) -> None:
        """Read the messages, copy each aside and stage its headers (``_accept``): parsed here,
        or by *heads_pool* a chunk at a time and staged in the archive's order as they come
        back; the bodies' chunks go to the parsing pool once every message is staged."""
        seen: set[str] = set()
        last_at = [""]
        start = 0
        positions: list[tuple] = []
        pending: deque[tuple[list[tuple], object]] = deque()
        held: list[tuple[int, int]] = []

        def accept_chunk(chunk, result) -> None:
            batch = []
            with open(self.raw_path, "rb") as copy:
                for position, head in zip(chunk, result.get(), strict=True):
                    _, from_line, nuls, at, length = position

                    def data(at=at, length=length):
                        copy.seek(at)
                        return copy.read(length)

                    row = self._accept(head, from_line, nuls, at, length, data, seen, last_at)
                    if row is not None:
                        batch.append(row)
            if batch:
                held.append(self._stage_rows(batch))

        with open(self.raw_path, "wb") as raw_file:
            batch: list[tuple] = []
            for raw in raw_messages(self.path, self._breaks):
                if heads_pool is None:
                    head = parse_head(raw)
                    row = self._accept(
                        head, raw.from_line, raw.nuls, start, len(raw.data),
                        lambda raw=raw: raw.data, seen, last_at,
                    )  # fmt: skip
                    if row is None:
                        continue  # skipped: not copied aside
                    raw_file.write(raw.data)
                    start += len(raw.data)
                    batch.append(row)
                    if len(batch) >= PARSE_CHUNK:
                        raw_file.flush()
                        self._stage(batch)
                        batch = []
                    continue
                raw_file.write(raw.data)
                positions.append((raw.number, raw.from_line, raw.nuls, start, len(raw.data)))
                start += len(raw.data)
                if len(positions) >= PARSE_CHUNK:
                    raw_file.flush()
                    pending.append(
                        (positions, pool_submit(heads_pool, read_heads, self.raw_path, positions))
                    )
                    positions = []
                    while pending and pending[0][1].ready():
                        accept_chunk(*pending.popleft())
            raw_file.flush()
            if batch:
                self._stage(batch)
            if positions:
                pending.append(
                    (positions, pool_submit(heads_pool, read_heads, self.raw_path, positions))
                )
            while pending:
                accept_chunk(*pending.popleft())
        for first, last in held:
            self._chunks.append((first, last, self._dispatch(first, last)))

    def _accept(self, head, from_line, nuls, start, length, data, seen, last_at) -> tuple | None:
        """The staged row of a message whose headers are *head* (its date carried from the
        message before when it has none, a duplicate Message-ID made its own), in the archive's
        order; None when it is skipped. *data* gives its raw text (for a duplicate's id)."""
        number = head.number
        if not head.at:
            if not last_at[0]:
                self._skipped[number] = (
                    f"message {number} ({head.source_id}): no date at all and none "
                    "before it; not imported."
                )
                self.report.counts["skipped messages"] += 1
                return None
            head.at = last_at[0]
        last_at[0] = head.at
        dup_note = ""
        if head.source_id in seen:
            original_id = head.source_id
            digest = synthetic_id("", data())[1:]
            head.source_id = f"dup:{digest}"
            n = 2
            while head.source_id in seen:
                head.source_id = f"dup{n}:{digest}"
                n += 1
            dup_note = (
                f"duplicate Message-ID <{original_id}>: imported as its own message "
                f"(id {head.source_id})"
            )
            self.report.counts["duplicate Message-IDs"] += 1
        seen.add(head.source_id)
        self.count += 1
        return (
            number,
            head.source_id,
            json.dumps(head.references),
            head.thread_subject,
            int(head.is_reply),
            head.at,
            dup_note,
            from_line,
            nuls,
            start,
            length,
            None if head.notes is None else (json.dumps(head.notes) if any(head.notes) else ""),
        )

    def _stage_rows(self, batch: list[tuple]) -> tuple[int, int]:
        with self.db:
            self.db.executemany(
                "INSERT INTO mail VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch
            )
        return batch[0][0], batch[-1][0]

    def _dispatch(self, first: int, last: int):
        """The second pass over messages *first* to *last*: a worker's task, or this process's
        own parsing when first asked for (``importers.parallel.pool_submit``)."""
        return pool_submit(
            self._pool, stage_bodies, self.raw_path, self.staging_path, self.list_address,
            first, last,
        )  # fmt: skip

    def _stage(self, batch: list[tuple]) -> None:
        first, last = self._stage_rows(batch)
        self._chunks.append((first, last, self._dispatch(first, last)))

    def _parsed(self, seq: int) -> None:
        """Wait until every message up to *seq* is parsed and staged (parsing it here when
        there is no pool)."""
        while self._chunks and self._chunks[0][0] <= seq:
            _, _, result = self._chunks.popleft()
            result.get()

    def index(self) -> Iterator[tuple[int, str, list[str], str, bool, str]]:
        """What the threading needs of each message: no bodies."""
        for seq, sid, refs, subject, is_reply, at in self.db.execute(
            "SELECT seq, source_id, refs, thread_subject, is_reply, at FROM mail ORDER BY seq"
        ):
            yield seq, sid, json.loads(refs), subject, bool(is_reply), at

    def mails(self, seqs: list[int]) -> dict[int, Mail]:
        if seqs:
            self._parsed(max(seqs))
        out = {}
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for seq, data, source_id, at in self.db.execute(
                "SELECT body.seq, data, source_id, at FROM body JOIN mail ON mail.seq = body.seq "
                f"WHERE body.seq IN ({marks})",  # noqa: S608 (marks only)
                chunk,
            ):
                mail = Mail(**json.loads(data))
                # The first pass's: a duplicate's new id, a date carried from the message before.
                mail.source_id, mail.at = source_id, at
                out[seq] = mail
        return out

    def report_reading(self) -> None:
        """Put the reading's lines first in the report, once: each message's notes and the
        messages skipped, in the archive's order, then a break in the file."""
        if self._reported:
            return
        self._reported = True
        per_message = [(seq, [line]) for seq, line in self._skipped.items()]
        for seq, source_id, notes, dup_note in self.db.execute(
            "SELECT mail.seq, source_id, notes, dup_note FROM mail "
            "LEFT JOIN body ON body.seq = mail.seq WHERE notes IS NOT NULL OR dup_note != ''"
        ):
            found = [*(json.loads(notes) if notes else []), *([dup_note] if dup_note else [])]
            per_message.append((seq, [f"message {seq} ({source_id}): {n}." for n in found]))
        per_message.sort(key=lambda item: item[0])
        lines = [line for _, found in per_message for line in found]
        lines += [f"{os.path.basename(self.path)}: {line}." for line in self._breaks]
        self.report.lines[0:0] = lines

    def close(self) -> None:
        pool_close(self._pool)
        self._pool = None
        self.db.close()
