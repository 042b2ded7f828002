"""Where an order stands, which buyer deadlines are still open, and which traps apply.

The pure part of ``protectcalc status`` and ``protectcalc due``: a computed
:class:`Timeline` and its :class:`Order` go in, plain data comes out. No I/O, no clock.

A buyer deadline is open when the buyer still has something to do by it: it is the buyer's,
real (not part of a planned dispute), later than the moment judged, and not already done
(a dispute opened ends the "open a dispute by" deadlines; an answer recorded ends that
round's deadline; a closed dispute ends the escalated answer). A business-day milestone is
a date; it counts as due when that day begins (SPEC 2.1: never later than the real one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from protectcalc.clock import format_span, start_of_day, time_between, utc
from protectcalc.model import EVENT_RULE, Actor, Milestone, Order, Phase, Timeline, Warning

EXPIRY_SOON = timedelta(days=7)
"""'Only a few days left' of protection (004): then never cancel a dispute."""

PHASE_TEXT: dict[Phase, str] = {
    Phase.AWAITING_PAYMENT: "placed, not paid yet",
    Phase.AWAITING_SHIPMENT: "paid, waiting for the seller to ship",
    Phase.IN_TRANSIT: "shipped, on its way; buyer protection runs",
    Phase.DELIVERED: "tracking shows it delivered; receipt is confirmed automatically soon",
    Phase.CONFIRMED: "receipt confirmed; a dispute can still be opened for a while",
    Phase.DISPUTE_AWAITING_SELLER: "dispute open, waiting for the seller's answer",
    Phase.DISPUTE_AWAITING_BUYER: "dispute open, the seller answered: your turn",
    Phase.ESCALATED: "dispute escalated: the AliExpress administration decides",
    Phase.CLOSED: "closed",
    Phase.PROTECTION_EXPIRED: "buyer protection has ended",
}
"""Each phase in plain words."""

_DISPUTE_PHASES = (Phase.DISPUTE_AWAITING_SELLER, Phase.DISPUTE_AWAITING_BUYER)


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
        """The phase in plain words."""
        return PHASE_TEXT[self.timeline.phase]


def due_instant(milestone: Milestone, zone: ZoneInfo) -> datetime:
    """The instant a milestone falls due; a business-day date is due as its day begins."""
    return milestone.at if milestone.at is not None else start_of_day(milestone.day, zone)


def open_buyer_deadlines(order: Order, timeline: Timeline) -> list[Deadline]:
    """The buyer's deadlines still ahead and not yet met, soonest first."""
    found: list[Deadline] = []
    for item in timeline.milestones:
        if item.actor is not Actor.BUYER or item.projected or item.rule == EVENT_RULE:
            continue
        if _done(item.id, order):
            continue
        due = due_instant(item, order.timezone)
        left = time_between(timeline.as_of, due)
        if left > timedelta(0):
            found.append(Deadline(item, due, left))
    return sorted(found, key=lambda deadline: deadline.left)


def _done(milestone_id: str, order: Order) -> bool:
    """Whether the buyer already did what this deadline asks, or it no longer applies."""
    if milestone_id in ("safe_dispute_open", "protection_end"):
        return order.dispute_opened is not None
    if milestone_id.startswith("buyer_response_due_"):
        k = int(milestone_id.rsplit("_", 1)[1])
        ended = order.escalated is not None or order.dispute_closed is not None
        return ended or len(order.buyer_responded) >= k
    if milestone_id == "escalated_response_due":
        return order.dispute_closed is not None
    return False


def near_deadlines(deadlines: list[Deadline], within: timedelta) -> list[Deadline]:
    """The open deadlines that fall inside ``within`` of the moment judged."""
    return [deadline for deadline in deadlines if deadline.left <= within]


def traps(order: Order, timeline: Timeline) -> list[Warning]:
    """The seeds' traps that apply in this phase (003, 004): said loudly by ``status``."""
    phase, found = timeline.phase, []
    if phase in (Phase.IN_TRANSIT, Phase.DELIVERED) and order.confirmed is None:
        found.append(
            Warning(
                "trap_confirm_early",
                "Never confirm receipt before the parcel has arrived and you have checked "
                "it, whatever the seller asks: sellers may not ask for it, and confirming "
                "sends the money to the seller and shortens your protection (004, 000).",
            )
        )
    if phase in _DISPUTE_PHASES:
        found.append(
            Warning(
                "trap_accept",
                'Never press "Accept" on the seller\'s offer unless you accept its terms: '
                "it closes the dispute forever and the money goes to the seller. To close "
                'a dispute and keep it re-openable, press "Cancel dispute" instead (004).',
            )
        )
        end = timeline.milestone("protection_end")
        left_of_protection = (
            time_between(timeline.as_of, end.at) if end is not None and end.at is not None else None
        )
        if (
            end is not None
            and end.at is not None
            and left_of_protection is not None
            and (left_of_protection <= EXPIRY_SOON)
        ):
            if left_of_protection <= timedelta(0):
                when = f"protection ended {end.at.strftime('%Y-%m-%d %H:%M')}"
            else:
                left = format_span(left_of_protection)
                when = f"protection ends {end.at.strftime('%Y-%m-%d %H:%M')} ({left} left)"
            found.append(
                Warning(
                    "trap_cancel_near_expiry",
                    f"Never cancel this dispute now: {when}, and a dispute cancelled after "
                    "that can never be opened again. Ask the seller to extend protection "
                    "first, or keep the dispute open (004).",
                )
            )
    if phase is Phase.ESCALATED:
        found.append(
            Warning(
                "trap_cancel_arbitration",
                'Never press "Cancel arbitration": the order closes and the money goes to '
                "the seller in full, even if the seller promises to send the goods again "
                "(004).",
            )
        )
    return found


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
    return sorted(rows, key=lambda row: (utc(row.deadline.due), row.name, str(row.path)))
