"""Deadlines in plain words: the last day on which the action is still possible.

Why: a deadline is the first moment when it is too late (SPEC 2.3). Printed as
"2026-03-16 Mon 00:00" a midnight deadline reads as 16 March, and a buyer who acts on
16 March is a day late. So every view names the last day and says "until 24:00" on it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from protectcalc.clock import format_span
from protectcalc.model import EVENT_RULE, Actor, Milestone

if TYPE_CHECKING:
    from protectcalc.engine.layers import Layered

DAY_FORMAT = "%Y-%m-%d %a"


def _zone_abbreviation(moment: datetime) -> str:
    return moment.strftime("%Z")


def at_midnight(moment: datetime) -> bool:
    """At local midnight: the day before is the last day (SPEC 2.3)."""
    return moment.timetz().replace(tzinfo=None) == time(0, 0)


def clock_text(moment: datetime) -> str:
    """The local time of day, ``24:00`` at midnight (said on the day before, SPEC 2.3)."""
    return "24:00" if at_midnight(moment) else moment.strftime("%H:%M")


def by_text(moment: datetime, sep: str = ", ", word: str = "until") -> str:
    """An instant said as its last day: ``2026-03-15 Sun, until 24:00 MSK`` for 16 March 00:00."""
    day = (moment - timedelta(microseconds=1)).date() if at_midnight(moment) else moment.date()
    text = (
        f"{day.strftime(DAY_FORMAT)}{sep}{word} {clock_text(moment)} {_zone_abbreviation(moment)}"
    )
    return text.rstrip()


def is_deadline(item: Milestone) -> bool:
    """Someone must act by it (a buyer's or seller's deadline), not an event, a platform step
    or an estimate (a delivery expected on a date is not a last day for anyone)."""
    return item.acted_by and item.actor is not Actor.PLATFORM


def shown_day(item: Milestone) -> date:
    """The date every view names for a milestone: a deadline's last day; for anything else
    its own date (a business-day date), or the day of its instant (one at midnight is
    ``at 24:00`` of the day before)."""
    if item.at is None and not is_deadline(item):
        return item.day
    return item.last_day


def when_text(item: Milestone, sep: str = ", ") -> str:
    """When a milestone falls, said as the last day for a deadline.

    - an event the user gave: its date and time as given;
    - a timed deadline: its last day, ``until HH:MM`` (``until 24:00`` at midnight);
    - a platform step: its day, ``at HH:MM`` (``at 24:00`` of the day before at midnight);
    - a business-day deadline: a date due as it begins, so the day before, ``until 24:00``;
      a business-day platform date (a refund, a delivery estimate) is its own date.
    """
    if item.at is not None:
        if item.rule == EVENT_RULE:
            return f"{item.at.strftime(DAY_FORMAT)}{sep}{item.at.strftime('%H:%M %Z')}".rstrip()
        return by_text(item.at, sep, "until" if is_deadline(item) else "at")
    note = "\n(business day)" if "\n" in sep else " (business day)"
    if is_deadline(item):
        return f"{item.last_day.strftime(DAY_FORMAT)}{sep}until 24:00{note}"
    return f"{item.day.strftime(DAY_FORMAT)}{note}"


def left_text(span: timedelta) -> str:
    """``1d 12h left`` ahead of a deadline, ``overdue by 2d 1h`` after it, never both."""
    text = format_span(span)
    return text if span < timedelta(0) else f"{text} left"


def last_open_text(layered: Layered) -> str:
    """``the last protection still open: PayPal Buyer Protection, 2026-07-30 Thu, until 24:00
    MSK`` (its end said as its last day, as every deadline is)."""
    from protectcalc.engine.layers import last_open

    found = last_open(layered)
    if found is None:
        return "no protection is still open in any layer"
    layer, end = found
    return f"the last protection still open: {layer.title}, {by_text(end)}"
