"""iCalendar export: the buyer's deadlines and the escalation as calendar events.

Why: the platform shows no counter (000), so the deadlines belong in the buyer's own calendar,
with a reminder one safety margin before each. Pure: the timeline goes in, the text of an
.ics file comes out. Imported only for ``--format ics`` (icalendar is slow to import).

- one VEVENT per milestone the buyer must act on (actor buyer, not a given event) and one for
  the escalation; a timed deadline has DTSTART with its zone's TZID (a VTIMEZONE is included)
  or in UTC, and no DTEND (an instant, RFC 5545 3.6.1);
- a deadline at local midnight, and a business-day milestone (``at`` None, due as its date
  begins), is an all-day event on its last day (``Milestone.last_day``), not on the next day:
  a buyer who sees "16 March" in the calendar would act a day late (SPEC 2.3). Its reminder is
  one safety margin before the event's end, the deadline itself;
- the UID is a hash of the milestone id and its instant (or date), so exporting again gives
  the same UIDs, whatever the order of the list, and a calendar updates instead of doubling;
- DTSTAMP is the timeline's ``as_of`` in UTC, so the same input gives the same file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from protectcalc import __version__
from protectcalc.model import Actor, Milestone, Timeline
from protectcalc.render.labels import label
from protectcalc.render.when import at_midnight, shown_day, when_text


def render_ics(timeline: Timeline, also: Sequence[tuple[str, Timeline]] = ()) -> str:
    """An .ics calendar (CRLF line ends) of the buyer's deadlines and the escalation.

    Each buyer deadline's reminder fires one safety margin (the rule set's) before it.
    ``also``: other programmes protecting the same order (``--also``), as (name, timeline):
    their events are added, each summary starting with the programme and each UID distinct
    per layer.
    """
    margin = timeline.safety_margin
    calendar = Calendar()
    calendar.add("prodid", f"-//protectcalc//protectcalc {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Buyer-protection deadlines")
    calendar.add("x-wr-timezone", timeline.timezone)
    stamp = timeline.as_of.astimezone(UTC)
    chosen = [item for item in timeline.milestones if _on_calendar(item)]
    for item in chosen:
        prefix = f"{timeline.rules.split('[')[0]}: " if also else ""
        calendar.add_component(_event(item, stamp, margin, timeline.projected_note, prefix))
    days = [shown_day(item) for item in chosen]
    for name, layer in also:
        for item in layer.milestones:
            if _on_calendar(item):
                event = _event(
                    item, stamp, layer.safety_margin, layer.projected_note, f"{name}: ", name
                )
                calendar.add_component(event)
                days.append(shown_day(item))
    days = days or [timeline.as_of.date()]
    calendar.add_missing_timezones(
        first_date=date(min(days).year - 1, 1, 1), last_date=date(max(days).year + 2, 1, 1)
    )
    return str(calendar.to_ical().decode("utf-8"))


def _on_calendar(item: Milestone) -> bool:
    """A deadline the buyer acts on, or what the rule set puts on the calendar."""
    return item.on_calendar


def event_uid(item: Milestone, layer: str = "") -> str:
    """A stable UID: the same milestone at the same instant always gets the same one (and
    another layer's milestone of the same id another one)."""
    when = item.at.astimezone(UTC).isoformat() if item.at is not None else item.day.isoformat()
    key = f"{layer}|{item.id}|{when}" if layer else f"{item.id}|{when}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{digest}@protectcalc"


def _event(
    item: Milestone,
    stamp: datetime,
    margin: timedelta,
    planned: str | None,
    prefix: str = "",
    layer: str = "",
) -> Event:
    event = Event()
    event.add("uid", event_uid(item, layer))
    event.add("dtstamp", stamp)
    summary = prefix + label(item) + (" (planned)" if item.projected else "")
    event.add("summary", summary)
    event.add("description", _description(item, planned))
    all_day = is_all_day(item)
    if all_day:
        day = shown_day(item)  # a deadline's last day; an estimate's own date
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    else:
        assert item.at is not None
        event.add("dtstart", ical_instant(item.at))
    event.add("transp", "TRANSPARENT")
    event.add("categories", [item.actor.value, "projected" if item.projected else "deadline"])
    if item.actor is Actor.BUYER and margin > timedelta(0):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Reminder: {summary}")
        if all_day:
            alarm.add("trigger", -margin, parameters={"RELATED": "END"})
        else:
            alarm.add("trigger", -margin)
        event.add_component(alarm)
    return event


def is_all_day(item: Milestone) -> bool:
    """An all-day event on its last day: a business-day date, or an instant at local midnight
    (SPEC 2.3: the day before is the last day to act). The book's calendar uses it too."""
    return item.at is None or at_midnight(item.at)


_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Zulu", "Zulu", "UCT", "Universal", "Etc/UCT"})


def ical_instant(moment: datetime) -> datetime:
    """A named zone is kept (written with TZID); UTC and bare offsets are written in UTC (Z)."""
    key = getattr(moment.tzinfo, "key", None)
    if key is None or key in _UTC_NAMES:
        return moment.astimezone(UTC)
    return moment


def _description(item: Milestone, planned: str | None) -> str:
    lines = [item.explain, f"Last day: {when_text(item)}."]
    if item.projected and planned:
        lines.append(planned)
    if item.note:
        lines.append(item.note)
    for source in item.sources:
        lines.append(f'Source {source.name}: "{source.text}"')
    lines.append(f"Milestone {item.id}, rule {item.rule}.")
    return "\n".join(lines)
