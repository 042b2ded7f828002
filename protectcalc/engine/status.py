"""Where an order stands, which buyer deadlines are still open, and which traps apply.

The pure part of ``protectcalc status`` and ``protectcalc due``: a computed
:class:`Timeline` and its :class:`Order` go in, plain data comes out. No I/O, no clock.

A buyer deadline is open when the buyer still has something to do by it: it is the buyer's,
real (not part of a planned dispute), later than the moment judged, and not already done
(the rule set says when: each milestone's ``done``). A business-day milestone is a date; it
counts as due when that day begins (SPEC 2.1: never later than the real one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from protectcalc.clock import time_between, utc
from protectcalc.model import Actor, Milestone, Order, Timeline, Warning


@dataclass(frozen=True)
class Deadline:
    """An open buyer deadline: the milestone, the instant it falls due, the time left."""

    milestone: Milestone
    due: datetime
    left: timedelta

    @property
    def business_day(self) -> bool:
        """True for a business-day result (a date, due when that day begins)."""
        return self.milestone.at is None


@dataclass(frozen=True)
class Status:
    """An order's standing as of one moment, with what --within found."""

    timeline: Timeline
    deadlines: tuple[Deadline, ...]
    traps: tuple[Warning, ...]
    within: timedelta | None = None
    near: tuple[Deadline, ...] = ()

    @property
    def phase_text(self) -> str:
        """The phase in plain words (the rule set's)."""
        return self.timeline.phase_text


def open_buyer_deadlines(order: Order, timeline: Timeline) -> list[Deadline]:
    """The buyer's deadlines still ahead and not yet met, soonest first."""
    found: list[Deadline] = []
    for item in timeline.milestones:
        if item.actor is not Actor.BUYER or item.projected or not item.acted_by:
            continue  # a planned reply, an event given, a planned step or an estimate
        if item.done:
            continue
        due = item.due(order.timezone)
        left = time_between(timeline.as_of, due)
        if left > timedelta(0):
            found.append(Deadline(item, due, left))
    return sorted(found, key=lambda deadline: deadline.left)


def near_deadlines(deadlines: list[Deadline], within: timedelta) -> list[Deadline]:
    """The open deadlines that fall inside ``within`` of the moment judged."""
    return [deadline for deadline in deadlines if deadline.left <= within]


def traps(order: Order, timeline: Timeline) -> list[Warning]:
    """The rule set's traps for the order's phase: said loudly by ``status``."""
    return list(timeline.traps)


def order_status(order: Order, timeline: Timeline, within: timedelta | None = None) -> Status:
    """The order's phase, open buyer deadlines, traps, and those inside ``within``."""
    deadlines = open_buyer_deadlines(order, timeline)
    near = near_deadlines(deadlines, within) if within is not None else []
    return Status(
        timeline=timeline,
        deadlines=tuple(deadlines),
        traps=tuple(traps(order, timeline)),
        within=within,
        near=tuple(near),
    )


@dataclass(frozen=True)
class DueRow:
    """One open buyer deadline of one order file, for ``protectcalc due``."""

    name: str
    path: Path
    deadline: Deadline
    timezone: str


def due_rows(
    orders: list[tuple[str, Path, Order, Timeline]], within: timedelta | None
) -> list[DueRow]:
    """Every open buyer deadline across orders (inside ``within`` if given), soonest first."""
    rows: list[DueRow] = []
    for name, path, order, timeline in orders:
        deadlines = open_buyer_deadlines(order, timeline)
        if within is not None:
            deadlines = near_deadlines(deadlines, within)
        rows.extend(DueRow(name, path, item, timeline.timezone) for item in deadlines)
    return soonest_first(rows)


def soonest_first(rows: list[DueRow]) -> list[DueRow]:
    """Rows by instant due, then name and path (a stable sort: ties keep their order)."""
    return sorted(rows, key=lambda row: (utc(row.deadline.due), row.name, str(row.path)))
