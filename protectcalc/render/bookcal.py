"""One calendar for every order in the book (``protectcalc calendar``).

Pure: the computed orders, the previous export (its text, if any) and the reminder offsets
go in; the text of one RFC 5545 file comes out. Imported only by ``calendar``.

- one VEVENT per real buyer deadline of each order (actor buyer, not projected, not an event
  the user gave); the UID is made of the order's name and the milestone id only, so it stays
  the same when the deadline moves, and a calendar that imports the file again updates the
  event instead of adding another;
- SEQUENCE starts at 0 and goes up by one whenever an event's start or status changes from
  the previous export (RFC 5545 3.8.7.4), which is why the previous file is read;
- a deadline that no longer applies (the dispute was opened, answered or closed; the order
  left the book; the milestone is gone) is written with STATUS:CANCELLED, so the calendar
  drops or strikes it; one that was never exported is simply left out;
- a deadline at local midnight, and a business-day deadline (due as its date begins), is an
  all-day event on its **last day** (SPEC 2.3), as ``timeline --format ics`` writes it: an
  event at 16 March 00:00 shows on 16 March, a day too late to act; any other deadline
  starts at its instant in the order's zone (a VTIMEZONE for every zone used) or in UTC;
- each deadline has one VALARM per reminder offset, before the deadline itself (for an
  all-day event, before its end); with ``reminder_events`` every reminder is also an event
  of its own (Google Calendar and Outlook drop VALARM on import);
- DTSTAMP is the moment judged, so the same book and the same moment give the same file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Alarm, Calendar, Event

from protectcalc import __version__
from protectcalc.engine.status import open_buyer_deadlines
from protectcalc.model import Milestone, Order, Timeline
from protectcalc.render.ics import ical_instant, is_all_day
from protectcalc.render.labels import label
from protectcalc.render.when import shown_day, when_text

PRODID = f"-//protectcalc//protectcalc {__version__} order book//EN"
UID_DOMAIN = "@protectcalc-book"
DEFAULT_REMINDERS = (timedelta(days=2), timedelta(days=1))
"""Two days before (time to act calmly) and one safety margin (1 day, 000) before."""

_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BookOrder:
    """One order of the book, computed: its name, its note, its order and its timeline."""

    name: str
    note: str | None
    order: Order
    timeline: Timeline


@dataclass(frozen=True)
class Wanted:
    """One calendar event as this export wants it, before SEQUENCE is decided."""

    uid: str
    start: datetime | date
    summary: str
    description: str
    cancelled: bool
    alarms: tuple[timedelta, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def start_key(self) -> str:
        return _start_key(self.start)


@dataclass(frozen=True)
class Previous:
    """One event of the previous export: what is needed to decide SEQUENCE, and the event."""

    uid: str
    start_key: str
    sequence: int
    cancelled: bool
    component: Any


@dataclass(frozen=True)
class Change:
    """What changed against the previous export, for the one-line summary."""

    new: int = 0
    moved: int = 0
    cancelled: int = 0
    unchanged: int = 0


def order_uid(name: str, milestone_id: str, suffix: str = "") -> str:
    """A UID stable per order and milestone (and reminder), whatever the dates are."""
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return f"{digest}-{milestone_id}{suffix}{UID_DOMAIN}"


def _start_key(start: datetime | date) -> str:
    if isinstance(start, datetime):
        return start.astimezone(UTC).isoformat()
    return start.isoformat()


def _on_calendar(item: Milestone) -> bool:
    """A real deadline the rule set puts on the calendar (the buyer's own, by default); a
    planned step or an estimate is never one here (the book's calendar lists deadlines)."""
    return item.on_calendar and item.acted_by and not item.projected


def wanted_events(
    orders: Iterable[BookOrder], reminders: tuple[timedelta, ...], reminder_events: bool
) -> list[Wanted]:
    """Every order's buyer deadlines, each active or cancelled, with its reminders."""
    found: list[Wanted] = []
    for entry in orders:
        still_to_do = {
            deadline.milestone.id
            for deadline in open_buyer_deadlines(
                entry.order, replace(entry.timeline, as_of=_LONG_AGO)
            )
        }
        for item in entry.timeline.milestones:
            if not _on_calendar(item):
                continue
            cancelled = item.id not in still_to_do
            start: datetime | date = (
                ical_instant(item.at)
                if item.at is not None and not is_all_day(item)
                else shown_day(item)
            )
            title = f"{label(item)}: {entry.name}"
            text = _description(entry, item)
            found.append(
                Wanted(
                    uid=order_uid(entry.name, item.id),
                    start=start,
                    summary=title,
                    description=text,
                    cancelled=cancelled,
                    alarms=reminders,
                    categories=("protectcalc", entry.name),
                )
            )
            if not reminder_events:
                continue
            due = item.due(entry.order.timezone)
            for offset in reminders:
                found.append(
                    Wanted(
                        uid=order_uid(entry.name, item.id, f"-remind-{_offset_id(offset)}"),
                        start=ical_instant(due - offset),
                        summary=f"Reminder ({span_text(offset)} before): {title}",
                        description=text,
                        cancelled=cancelled,
                        categories=("protectcalc", entry.name, "reminder"),
                    )
                )
    return found


def span_text(offset: timedelta) -> str:
    """A reminder offset as people say it: ``2d``, ``3h``, ``1d 12h``, ``90m`` -> ``1h 30m``."""
    minutes = int(offset.total_seconds()) // 60
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return " ".join(part for part in parts if part) or "0m"


def _offset_id(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    return f"{minutes}m"


def _description(entry: BookOrder, item: Milestone) -> str:
    lines = [
        f"Order {entry.name}" + (f": {entry.note}" if entry.note else ""),
        f"Last day: {when_text(item)}.",
        item.explain,
    ]
    if item.note:
        lines.append(item.note)
    lines.extend(f'Source {source.name}: "{source.text}"' for source in item.sources)
    lines.append(f"Milestone {item.id}, rule {item.rule}.")
    return "\n".join(lines)


def read_previous(text: str) -> dict[str, Previous]:
    """The events of an earlier export, by UID; ValueError when it is not one of ours."""
    try:
        calendar = Calendar.from_ical(text)
    except Exception as error:  # icalendar raises ValueError, KeyError, ... on bad input
        raise ValueError(f"is not an iCalendar file ({error})") from None
    prodid = str(calendar.get("prodid", ""))
    if "protectcalc" not in prodid or "order book" not in prodid:
        raise ValueError("is not a calendar written by protectcalc calendar; it was not replaced")
    found: dict[str, Previous] = {}
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("uid", ""))
        if not uid.endswith(UID_DOMAIN):
            continue
        start = component.decoded("dtstart")
        sequence = int(component.get("sequence", 0))
        cancelled = str(component.get("status", "")).upper() == "CANCELLED"
        found[uid] = Previous(uid, _start_key(start), sequence, cancelled, component)
    return found


def render_book_calendar(
    wanted: list[Wanted], previous: dict[str, Previous], stamp: datetime
) -> tuple[str, Change]:
    """The calendar text and what changed; SEQUENCE and CANCELLED decided against ``previous``."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Buyer-protection deadlines (protectcalc)")
    dtstamp = stamp.astimezone(UTC)
    events: list[tuple[str, str, Event]] = []
    counts = {"new": 0, "moved": 0, "cancelled": 0, "unchanged": 0}
    seen: set[str] = set()
    for item in wanted:
        seen.add(item.uid)
        before = previous.get(item.uid)
        if before is None and item.cancelled:
            continue  # nothing to take back from a calendar that never had it
        if before is None:
            sequence, kind = 0, "new"
        elif before.start_key != item.start_key or before.cancelled != item.cancelled:
            sequence = before.sequence + 1
            kind = "cancelled" if item.cancelled else "moved"
        else:
            sequence, kind = before.sequence, "unchanged"
        counts[kind] += 1
        events.append((item.start_key, item.uid, _event(item, sequence, dtstamp)))
    for uid, before in previous.items():
        if uid in seen:
            continue
        # The order left the book or the milestone is gone: take the event back.
        component = before.component
        for name in ("status", "sequence", "dtstamp"):
            component.pop(name, None)
        component.subcomponents = [c for c in component.subcomponents if c.name != "VALARM"]
        component.add("dtstamp", dtstamp)
        component.add("sequence", before.sequence if before.cancelled else before.sequence + 1)
        component.add("status", "CANCELLED")
        counts["unchanged" if before.cancelled else "cancelled"] += 1
        events.append((before.start_key, uid, component))
    days: list[date] = []
    for _key, _uid, event in sorted(events, key=lambda row: (row[0], row[1])):
        calendar.add_component(event)
        start = event.decoded("dtstart")
        days.append(start.date() if isinstance(start, datetime) else start)
    if days:
        calendar.add_missing_timezones(
            first_date=date(min(days).year - 1, 1, 1), last_date=date(max(days).year + 2, 1, 1)
        )
    return calendar.to_ical().decode("utf-8"), Change(**counts)


def _event(item: Wanted, sequence: int, dtstamp: datetime) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", dtstamp)
    event.add("sequence", sequence)
    event.add("summary", item.summary)
    event.add("description", item.description)
    event.add("dtstart", item.start)
    if not isinstance(item.start, datetime):  # an instant has no DTEND (RFC 5545 3.6.1)
        event.add("dtend", item.start + timedelta(days=1))
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    event.add("categories", list(item.categories))
    if not item.cancelled:
        for offset in item.alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{item.summary} (in {span_text(offset)})")
            if isinstance(item.start, datetime):
                alarm.add("trigger", -offset)
            else:  # before the end of the last day: the deadline itself
                alarm.add("trigger", -offset, parameters={"RELATED": "END"})
            event.add_component(alarm)
    return event
