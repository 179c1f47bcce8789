"""iCalendar (RFC 5545) events for booked sessions: the handout's calendar QR and ``--ics`` files.

An event carries only what the seeker needs to join and nothing personal: the time in Asia/Tokyo
(with its VTIMEZONE, so a phone abroad shows the right hour), the service and office as the title,
the meeting link as URL and LOCATION, and the meeting ID and passcode (the handout prints them
too) in the description. No seeker name or number is ever part of an event.

The text is written by hand rather than by a library because it goes into a QR code: every byte
makes the code denser, so the event holds exactly the properties above. It follows RFC 5545:
CRLF line ends, lines folded at 75 octets (never inside a UTF-8 character), TEXT values escaped
(backslash, comma, semicolon, line breaks), control characters dropped. The tests parse it back
with the ``icalendar`` package.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["Event", "calendar", "escape_text", "fold", "uid_for"]

TZID = "Asia/Tokyo"
_JST = timezone(timedelta(hours=9))  # Japan has no DST: one STANDARD rule defines the zone exactly
_PRODID = "-//hwdesk//JA"
_VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0900",
    "TZOFFSETTO:+0900",
    "END:STANDARD",
    "END:VTIMEZONE",
)


@dataclass(frozen=True)
class Event:
    """One session as a calendar event. Times are aware datetimes (any zone; written in Tokyo time)."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    url: str
    description: str
    stamp: datetime  # DTSTAMP: when this version of the event was made (the session's last change)


def uid_for(session_id: int, office_id: str) -> str:
    """A UID stable for the life of a session: the same session re-printed (or moved) updates the
    seeker's calendar entry instead of adding a second one."""
    office = re.sub(r"[^A-Za-z0-9-]", "-", office_id) or "office"
    return f"session-{int(session_id)}-{office}@hwdesk"


def escape_text(value: str) -> str:
    """A TEXT value per RFC 5545 §3.3.11: backslash, semicolon and comma escaped, any line break
    written as ``\\n``, other control and format characters dropped (user text is data)."""
    out: list[str] = []
    text = str(value).replace("\r\n", "\n")
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch in ";,":
            out.append("\\" + ch)
        elif ch in "\n\r\u2028\u2029\x85":
            out.append("\\n")
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1): CRLF and one space before each
    continuation, never splitting a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    pieces: list[str] = []
    cur, size, limit = "", 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            pieces.append(cur)
            cur, size, limit = "", 0, 74  # a continuation line starts with the space
        cur += ch
        size += n
    pieces.append(cur)
    return "\r\n ".join(pieces)


def _local(dt: datetime) -> str:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("event times must be timezone-aware")
    return dt.astimezone(_JST).strftime("%Y%m%dT%H%M%S")


def _utc(dt: datetime) -> str:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("DTSTAMP must be timezone-aware")
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _uri(url: str) -> str:
    # a URI value is not escaped (§3.3.13); the handout accepts only https URLs without spaces or
    # controls, so refusing anything else here keeps a line break from ending the property
    if not url.isascii() or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError("the meeting link must be printable ASCII without spaces")
    return url


def _event_lines(e: Event) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(e.uid)}",
        f"DTSTAMP:{_utc(e.stamp)}",
        f"DTSTART;TZID={TZID}:{_local(e.start)}",
        f"DTEND;TZID={TZID}:{_local(e.end)}",
        f"SUMMARY:{escape_text(e.summary)}",
        f"URL:{_uri(e.url)}",
        f"LOCATION:{escape_text(e.url)}",
        *([f"DESCRIPTION:{escape_text(e.description)}"] if e.description else []),
        "END:VEVENT",
    ]


def calendar(events: Sequence[Event]) -> str:
    """A VCALENDAR with one VTIMEZONE for Asia/Tokyo and the events, as RFC 5545 text (CRLF)."""
    if not events:
        raise ValueError("a calendar needs at least one event")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_PRODID}", *_VTIMEZONE]
    for e in events:
        lines += _event_lines(e)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
