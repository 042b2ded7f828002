"""The domain: an order's events, the milestones computed from them, and the result.

Everything here is frozen; instants are timezone-aware ``datetime`` objects in the order's
zone, business-day results are plain ``date`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from protectcalc.clock import start_of_day


class Actor(StrEnum):
    """Who must act by a milestone."""

    BUYER = "buyer"
    SELLER = "seller"
    PLATFORM = "platform"


class Phase(StrEnum):
    """Where the order stands as of a moment (SPEC section 3)."""

    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_SHIPMENT = "awaiting_shipment"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    DISPUTE_AWAITING_SELLER = "dispute_awaiting_seller"
    DISPUTE_AWAITING_BUYER = "dispute_awaiting_buyer"
    ESCALATED = "escalated"
    CLOSED = "closed"
    PROTECTION_EXPIRED = "protection_expired"


class Shipping(StrEnum):
    """The delivery option bought with the order (003: standard or premium)."""

    STANDARD = "standard"
    PREMIUM = "premium"


class PaymentMethod(StrEnum):
    """How the order was paid; decides where a refund goes (003)."""

    CARD = "card"
    WALLET = "wallet"
    CASH = "cash"
    WESTERN_UNION = "western_union"
    BANK_TRANSFER = "bank_transfer"
    CASH_ON_DELIVERY = "cash_on_delivery"


class DisputeOutcome(StrEnum):
    """How a closed dispute ended."""

    BUYER_WON = "buyer_won"
    SELLER_WON = "seller_won"
    PARTIAL = "partial"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Order:
    """An order's real events and listing data, parsed and checked."""

    timezone: ZoneInfo
    placed: datetime | None = None
    paid: datetime | None = None
    cancel_requested: datetime | None = None
    shipped: datetime | None = None
    delivered: datetime | None = None
    confirmed: datetime | None = None
    dispute_opened: datetime | None = None
    seller_responded: tuple[datetime, ...] = ()
    buyer_responded: tuple[datetime, ...] = ()
    escalated: datetime | None = None
    mediator_asked: tuple[datetime, ...] = ()
    dispute_closed: datetime | None = None
    estimated_delivery: datetime | None = None
    """The latest estimated delivery date shown at checkout (a date: 00:00 local)."""
    seller_contacted: datetime | None = None
    """The buyer's first message to the seller about the problem."""
    claim_escalated: datetime | None = None
    """The dispute handed to the platform (a PayPal claim, "ask eBay to step in")."""
    return_submitted: datetime | None = None
    """The buyer submitted a return request."""
    transaction_posted: datetime | None = None
    """The card network's processing (posting) date of the payment."""
    dispute_outcome: DisputeOutcome | None = None
    processing_days: int | None = None
    delivery_days: int | None = None
    extended: tuple[int, ...] = ()
    buyer_country: str | None = None
    buyer_subdivision: str | None = None
    seller_country: str = "CN"
    payment_method: PaymentMethod | None = None
    shipping: Shipping = Shipping.STANDARD

    def events(self) -> tuple[tuple[str, datetime], ...]:
        """Every real event as (field, instant), in field order (worked out once per order)."""
        return self._events

    @cached_property
    def _events(self) -> tuple[tuple[str, datetime], ...]:
        found: list[tuple[str, datetime]] = []
        for name in SINGLE_EVENTS:
            value = getattr(self, name)
            if value is not None:
                found.append((name, value))
        found.extend(("seller_responded", at) for at in self.seller_responded)
        found.extend(("buyer_responded", at) for at in self.buyer_responded)
        found.extend(("mediator_asked", at) for at in self.mediator_asked)
        return tuple(found)


SINGLE_EVENTS: tuple[str, ...] = (
    "placed",
    "paid",
    "cancel_requested",
    "shipped",
    "delivered",
    "confirmed",
    "dispute_opened",
    "escalated",
    "dispute_closed",
    "estimated_delivery",
    "seller_contacted",
    "claim_escalated",
    "return_submitted",
    "transaction_posted",
)
"""The order fields that hold one event instant each."""


PLANNED_EVENTS: tuple[str, ...] = ("estimated_delivery",)
"""Events that are a date promised for later, not something that happened: one in the future
is no sign that the moment judged is too early."""


EVENT_RULE = "event"
"""The ``rule`` of a milestone that is a real event the user gave, not a computed one."""

NOT_ACTED_BY = frozenset({"event", "planned", "estimate"})
"""Milestone kinds nobody acts by: something given, a step the platform plans, a date expected
(a delivery estimate). Views name their own date, and no one's open deadlines list them."""


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: a seed document and a short quote of it, or a public page
    (its address, the date it was read, and what it says in our own words)."""

    seed: str | None
    quote: str | None
    url: str | None = None
    read: date | None = None
    says: str | None = None

    @property
    def short(self) -> str:
        """``000`` for a seed, the host for a page: how one line names it."""
        if self.seed is not None:
            return self.seed[:3]
        host = (self.url or "").split("//", 1)[-1].split("/", 1)[0]
        return host.removeprefix("www.")

    @property
    def name(self) -> str:
        """The seed file name or the page address."""
        return self.seed or self.url or ""

    @property
    def text(self) -> str:
        """The quote, or what the page says in our words."""
        return self.quote or self.says or ""


@dataclass(frozen=True, init=False)
class Milestone:
    """One deadline or event on the timeline.

    ``at`` is None for a business-day result, which is a local date only.
    """

    id: str
    day: date
    at: datetime | None
    actor: Actor
    rule: str
    explain: str
    projected: bool = False
    sources: tuple[Source, ...] = ()
    note: str | None = None
    label: str = ""
    """Plain words for people (from the rule set)."""
    start: datetime | None = None
    """Where the window this milestone ends began (what it counts from)."""
    rule_ids: tuple[str, ...] = ()
    """Every rule it was computed from (``rule`` is the first)."""
    done: bool = False
    """The buyer already did what it asks, or it no longer applies (status skips it)."""
    on_calendar: bool = False
    """Exported to calendars: the buyer acts on it, or the rule set asks for it."""
    trace: tuple[str, ...] = ()
    """How it was computed, step by step, for ``timeline --explain``."""
    begins: datetime | None = None
    """For a business-day date: the moment its day begins (when it counts as due)."""
    kind: str = "deadline"
    """The rule set's kind of milestone: ``deadline``, ``safe_date``, ``event``, ``planned``
    or ``estimate`` (a date expected, such as a delivery estimate: nobody acts by it, so views
    name the date itself, not a last day)."""

    def __init__(
        self,
        id: str,
        day: date,
        at: datetime | None,
        actor: Actor,
        rule: str,
        explain: str,
        projected: bool = False,
        sources: tuple[Source, ...] = (),
        note: str | None = None,
        label: str = "",
        start: datetime | None = None,
        rule_ids: tuple[str, ...] = (),
        done: bool = False,
        on_calendar: bool = False,
        trace: tuple[str, ...] = (),
        begins: datetime | None = None,
        kind: str = "deadline",
    ) -> None:
        """The fields in one dict update: a frozen dataclass's own ``__init__`` calls
        ``object.__setattr__`` once per field, and an order builds about fifteen milestones
        (4.9 -> 2.1 us each). Assignment afterwards is still refused (``frozen``)."""
        self.__dict__.update(
            {
                "id": id,
                "day": day,
                "at": at,
                "actor": actor,
                "rule": rule,
                "explain": explain,
                "projected": projected,
                "sources": sources,
                "note": note,
                "label": label,
                "start": start,
                "rule_ids": rule_ids,
                "done": done,
                "on_calendar": on_calendar,
                "trace": trace,
                "begins": begins,
                "kind": kind,
            }
        )

    @property
    def acted_by(self) -> bool:
        """Someone acts by it: not an event the user gave, nor a planned step or an estimate
        (see :data:`NOT_ACTED_BY`). Who acts, buyer, seller or platform, is ``actor``."""
        return self.rule != EVENT_RULE and self.kind not in NOT_ACTED_BY

    def as_instant(self) -> datetime | None:
        """The instant it falls at; a business-day date counts as due when its day begins."""
        return self.at if self.at is not None else self.begins

    def due(self, zone: ZoneInfo) -> datetime:
        """When it falls due: its instant, or for a business-day date the moment its day
        begins in ``zone`` (SPEC 2.1: never later than the real one)."""
        if self.at is not None:
            return self.at
        if self.begins is not None:
            return self.begins
        return start_of_day(self.day, zone)

    def attribute(self, name: str) -> object:
        """What a rule-set expression may read of it: at, day, start, projected."""
        if name in ("at", "day", "start", "projected"):
            return getattr(self, name)
        return None

    @property
    def last_day(self) -> date:
        """The local date of the last moment before the milestone falls due (SPEC 2.3).

        A deadline is the first moment when it is too late, so one at local midnight leaves the
        day before as the last day to act. A business-day result is a date that falls due as it
        begins (SPEC 2.1), so its last day is the day before that date too.
        """
        if self.at is None:
            return self.day - timedelta(days=1)
        return (self.at - timedelta(microseconds=1)).date()


@dataclass(frozen=True)
class NextAction:
    """What the buyer should do next, by when, and what happens otherwise."""

    action: str
    milestone: str | None = None
    deadline: datetime | None = None
    deadline_day: date | None = None
    act_by: datetime | None = None
    if_nothing: str | None = None


@dataclass(frozen=True, init=False)
class Warning:
    """Something the user must know: a trap, a disagreement, an uncertain date."""

    code: str
    message: str

    def __init__(self, code: str, message: str) -> None:
        """The fields in one dict update, as :class:`Milestone` (a few per order)."""
        self.__dict__.update(code=code, message=message)


@dataclass(frozen=True, init=False)
class Summary:
    """The headline numbers: the end of protection and the whole dispute plan."""

    protection_end: datetime | None = None
    safe_dispute_date: date | None = None
    escalation: datetime | None = None
    total_days: int | None = None
    total_days_usual: tuple[int, int] | None = None

    def __init__(
        self,
        protection_end: datetime | None = None,
        safe_dispute_date: date | None = None,
        escalation: datetime | None = None,
        total_days: int | None = None,
        total_days_usual: tuple[int, int] | None = None,
    ) -> None:
        """The fields in one dict update, as :class:`Milestone` (one per order)."""
        self.__dict__.update(
            {
                "protection_end": protection_end,
                "safe_dispute_date": safe_dispute_date,
                "escalation": escalation,
                "total_days": total_days,
                "total_days_usual": total_days_usual,
            }
        )


@dataclass(frozen=True, init=False)
class Timeline:
    """Everything computed for one order as of one moment."""

    rules: str
    timezone: str
    as_of: datetime
    phase: Phase
    milestones: tuple[Milestone, ...]
    summary: Summary
    next: NextAction | None
    safety_margin: timedelta
    """The rule set's margin: how long before a deadline the buyer should act."""
    warnings: tuple[Warning, ...] = field(default=())
    phase_text: str = ""
    """The phase in plain words (from the rule set)."""
    traps: tuple[Warning, ...] = ()
    """The rule set's traps for this phase, said loudly by ``status``."""
    ranges: tuple[tuple[str, str, str], ...] = ()
    """(label, first milestone, last milestone): estimates shown as one window."""
    plan_note: str | None = None
    """The summary of the dispute plan in words, when there is one."""
    projected_note: str | None = None
    """What a planned milestone assumes, in words."""
    rules_version: str = ""
    """The version of the rule set used (its effective period when it has several)."""

    def __init__(
        self,
        rules: str,
        timezone: str,
        as_of: datetime,
        phase: Phase,
        milestones: tuple[Milestone, ...],
        summary: Summary,
        next: NextAction | None,
        safety_margin: timedelta,
        warnings: tuple[Warning, ...] = (),
        phase_text: str = "",
        traps: tuple[Warning, ...] = (),
        ranges: tuple[tuple[str, str, str], ...] = (),
        plan_note: str | None = None,
        projected_note: str | None = None,
        rules_version: str = "",
    ) -> None:
        """The fields in one dict update, as :class:`Milestone`: a frozen dataclass's own
        ``__init__`` sets its fifteen fields one ``object.__setattr__`` call at a time."""
        self.__dict__.update(  # keywords: a field may share its name with a rule id
            rules=rules,
            timezone=timezone,
            as_of=as_of,
            phase=phase,
            milestones=milestones,
            summary=summary,
            next=next,
            safety_margin=safety_margin,
            warnings=warnings,
            phase_text=phase_text,
            traps=traps,
            ranges=ranges,
            plan_note=plan_note,
            projected_note=projected_note,
            rules_version=rules_version,
        )

    def milestone(self, milestone_id: str) -> Milestone | None:
        """The milestone with this id, if the order's events allow it."""
        for item in self.milestones:
            if item.id == milestone_id:
                return item
        return None
