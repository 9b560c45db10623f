"""The iCalendar output, parsed back by a small strict RFC 5545 reader written for the test."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from practice import ical
from practice.services import events as services
from tests.practice.factories import member_of, moderator_of
from tests.practice.test_events_services import event_fields, make_event

pytestmark = pytest.mark.django_db

NAME = re.compile(r"^[A-Z0-9-]+$")


def unfold(data: bytes) -> list[str]:
    """Split raw bytes into content lines, checking CRLF endings and 75-octet folding."""
    assert data.endswith(b"\r\n")
    physical = data[:-2].split(b"\r\n")
    for line in physical:
        assert b"\n" not in line and b"\r" not in line, line
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # folding never splits a UTF-8 character
    lines: list[bytes] = []
    for line in physical:
        if line.startswith((b" ", b"\t")):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return [line.decode("utf-8") for line in lines]


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            nxt = value[i + 1]
            assert nxt in "\\;,nN", f"bad escape \\{nxt}"
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            assert ch not in ";,", f"unescaped {ch!r} in {value!r}"
            out.append(ch)
            i += 1
    return "".join(out)


def parse(data: bytes) -> list[dict[str, str]]:
    """Return the VEVENTs as dicts (TEXT values unescaped); check the calendar's structure."""
    lines = unfold(data)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events, current = [], None
    for line in lines[1:-1]:
        name, _, value = line.partition(":")
        assert NAME.match(name), line
        if line == "BEGIN:VEVENT":
            assert current is None
            current = {}
        elif line == "END:VEVENT":
            for required in ("UID", "DTSTAMP", "DTSTART"):
                assert required in current
            events.append(current)
            current = None
        elif current is not None:
            assert name not in current, f"{name} twice"
            text = name in ("SUMMARY", "DESCRIPTION", "LOCATION")
            current[name] = unescape(value) if text else value
    assert current is None
    return events


def utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def test_escape_text_round_trips_specials():
    text = 'a, b; c\\d\r\ne\nf "g"'
    assert ical.escape_text(text) == 'a\\, b\\; c\\\\d\\ne\\nf "g"'
    assert unescape(ical.escape_text(text)) == text.replace("\r\n", "\n")


def test_escape_text_drops_control_characters():
    assert ical.escape_text("a\x00b\x07c\td") == "abc\td"


@pytest.mark.parametrize("text", ["x" * 300, "é" * 100, "🙂" * 40, "a" + "€" * 60, ""])
def test_fold_keeps_lines_within_75_octets_and_unfolds_back(text):
    line = f"SUMMARY:{text}"
    folded = ical.fold(line)
    physical = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    assert "".join([physical[0].decode()] + [p[1:].decode() for p in physical[1:]]) == line


def test_event_ics_parses_back(client, open_community):
    mod = moderator_of(open_community)
    title = "Dressings, wounds; and \\ backslashes — " + "très long " * 12
    event = make_event(
        open_community,
        mod,
        title=title[:200],
        description="Line one\nLine two, with; specials\n\n**Markdown** stays text",
        place="Room 4; St Mary's, Leeds",
        timezone="America/New_York",
    )
    response = client.get(reverse("practice:event_ics", args=[open_community.slug, event.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    (parsed,) = parse(response.content)
    assert parsed["SUMMARY"] == " ".join(title[:200].split())
    assert parsed["DESCRIPTION"].startswith("Line one\nLine two, with; specials")
    assert parsed["LOCATION"] == "Room 4; St Mary's, Leeds"
    assert utc(parsed["DTSTART"]) == event.starts_at.replace(microsecond=0)
    assert utc(parsed["DTEND"]) == event.ends_at.replace(microsecond=0)
    assert parsed["SEQUENCE"] == "0" and parsed["STATUS"] == "CONFIRMED"
    assert parsed["URL"] == f"http://testserver{event.get_absolute_url()}"
    assert abs(utc(parsed["DTSTAMP"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_feed_uid_is_stable_and_sequence_and_status_follow_changes(client, open_community):
    mod = moderator_of(open_community)
    event = make_event(open_community, mod)
    other = make_event(open_community, mod, title="Second")
    feed = reverse("practice:events_feed", args=[open_community.slug])
    before = {e["SUMMARY"]: e for e in parse(client.get(feed).content)}
    assert before[event.title]["UID"] != before["Second"]["UID"]
    event = services.event_update(event=event, by=mod, **event_fields(event, title="Renamed"))
    services.event_cancel(event=other, by=mod)
    after = {e["SUMMARY"]: e for e in parse(client.get(feed).content)}
    assert after["Renamed"]["UID"] == before["Wound care meetup"]["UID"]
    assert after["Renamed"]["SEQUENCE"] == "1" and after["Renamed"]["STATUS"] == "CONFIRMED"
    assert after["Second"]["STATUS"] == "CANCELLED" and after["Second"]["SEQUENCE"] == "1"


def test_feed_for_members_includes_online_link(client, open_community):
    make_event(
        open_community, moderator_of(open_community), place="", online_url="https://v.example/r"
    )
    client.force_login(member_of(open_community))
    (parsed,) = parse(
        client.get(reverse("practice:events_feed", args=[open_community.slug])).content
    )
    assert parsed["LOCATION"] == "https://v.example/r"
    assert "Join online: https://v.example/r" in parsed["DESCRIPTION"]


def test_feed_leaves_out_long_past_events(client, open_community):
    mod = moderator_of(open_community)
    make_event(open_community, mod, title="Ancient", starts_in=timedelta(days=-400))
    make_event(open_community, mod, title="Recent", starts_in=timedelta(days=-10))
    feed = parse(client.get(reverse("practice:events_feed", args=[open_community.slug])).content)
    assert [e["SUMMARY"] for e in feed] == ["Recent"]
