"""From what the user typed to a checked :class:`Order`.

The command line, order files and scenario files all produce an :class:`OrderInput`
(raw text or YAML scalars); :func:`build_order` parses and checks it. Pure: the current
time comes in as an argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from protectcalc.clock import RawTime, parse_instant, parse_zone, utc
from protectcalc.errors import InputError, option_label, raise_all
from protectcalc.model import SINGLE_EVENTS, DisputeOutcome, Order, PaymentMethod, Shipping

if TYPE_CHECKING:
    from protectcalc.rules.plan import Plan

RawCount = str | int


@dataclass(frozen=True)
class OrderInput:
    """An order as given, before parsing: every field optional, values as typed."""

    placed: RawTime | None = None
    paid: RawTime | None = None
    cancel_requested: RawTime | None = None
    shipped: RawTime | None = None
    delivered: RawTime | None = None
    confirmed: RawTime | None = None
    dispute_opened: RawTime | None = None
    seller_responded: tuple[RawTime, ...] = ()
    buyer_responded: tuple[RawTime, ...] = ()
    escalated: RawTime | None = None
    mediator_asked: tuple[RawTime, ...] = ()
    dispute_closed: RawTime | None = None
    estimated_delivery: RawTime | None = None
    seller_contacted: RawTime | None = None
    claim_escalated: RawTime | None = None
    return_submitted: RawTime | None = None
    transaction_posted: RawTime | None = None
    dispute_outcome: str | None = None
    processing_days: RawCount | None = None
    delivery_days: RawCount | None = None
    extended: tuple[RawCount, ...] = ()
    tz: str | None = None
    buyer_country: str | None = None
    buyer_subdivision: str | None = None
    seller_country: str | None = None
    payment_method: str | None = None
    shipping: str | None = None
    rules: str | None = None
    readings: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    as_of: RawTime | None = None
    dayfirst: bool | None = None

    def merged(self, override: OrderInput) -> OrderInput:
        """This input with every field that ``override`` sets replaced by its value."""
        changes: dict[str, Any] = {}
        for item in fields(override):
            value = getattr(override, item.name)
            if value is not None and value != ():
                changes[item.name] = value
        return replace(self, **changes)

    def with_fields(self, **changes: Any) -> OrderInput:
        """``dataclasses.replace(self, **changes)`` at a tenth of its cost (``due`` sets
        ``as_of`` on every order of a folder): the fields are copied, not passed one by one
        to ``__init__``, which sets each of the 33 through ``object.__setattr__``. Every
        field is a plain value with a default, so nothing else is lost."""
        unknown = changes.keys() - _INPUT_FIELDS
        if unknown:
            raise TypeError(f"OrderInput has no field {min(unknown)!r}")
        copy = object.__new__(type(self))
        values = copy.__dict__
        values.update(self.__dict__)
        values.update(changes)
        return copy

    def is_empty(self) -> bool:
        """True when no order event at all was given."""
        return all(getattr(self, name) is None for name in SINGLE_EVENTS) and not (
            self.seller_responded or self.buyer_responded or self.mediator_asked
        )


_INPUT_FIELDS = frozenset(item.name for item in fields(OrderInput))


def build_order(raw: OrderInput, now: datetime, default_zone: ZoneInfo) -> tuple[Order, datetime]:
    """Parse and check an order; returns it with the ``as_of`` moment (``now`` by default).

    Every bad value is reported, not only the first (:class:`InputErrors`), so a file with
    several mistakes is fixed in one go.
    """
    errors: list[InputError] = []

    def attempt(parse: Callable[[], _T], fallback: _T) -> _T:
        try:
            return parse()
        except InputError as error:
            errors.append(error)
            return fallback

    utc_zone = ZoneInfo("UTC")
    zone = attempt(lambda: _zone(raw.tz) if raw.tz is not None else default_zone, utc_zone)

    def instant(value: RawTime | None, field: str) -> datetime | None:
        if value is None:
            return None
        return attempt(
            lambda: parse_instant(value, zone, now, field=field, dayfirst=raw.dayfirst), None
        )

    events = {name: instant(getattr(raw, name), name) for name in SINGLE_EVENTS}
    seller = tuple(instant(v, "seller_responded") for v in raw.seller_responded)
    buyer = tuple(instant(v, "buyer_responded") for v in raw.buyer_responded)
    asked = tuple(instant(v, "mediator_asked") for v in raw.mediator_asked)
    as_of = instant(raw.as_of, "as_of") or now.astimezone(zone)
    extended = tuple(_extension(value, attempt) for value in raw.extended)
    # Each check below gives None for None: an absent value skips the wrapper (most are).
    outcome = processing = delivery = buyer_country = subdivision = seller_country = None
    payment = shipping = None
    if raw.dispute_outcome is not None:
        outcome = attempt(
            lambda: _choice(DisputeOutcome, raw.dispute_outcome, "dispute_outcome"), None
        )
    if raw.processing_days is not None:
        processing = attempt(
            lambda: _days(raw.processing_days, "processing_days", low=0, high=365), None
        )
    if raw.delivery_days is not None:
        delivery = attempt(lambda: _days(raw.delivery_days, "delivery_days", low=1, high=365), None)
    if raw.buyer_country is not None:
        buyer_country = attempt(lambda: _country(raw.buyer_country, "buyer_country"), None)
    if raw.buyer_subdivision is not None:
        subdivision = attempt(lambda: _subdivision(raw.buyer_subdivision, raw.buyer_country), None)
    if raw.seller_country is not None:
        seller_country = attempt(lambda: _country(raw.seller_country, "seller_country"), None)
    if raw.payment_method is not None:
        payment = attempt(
            lambda: _choice(PaymentMethod, raw.payment_method, "payment_method"), None
        )
    if raw.shipping is not None:
        shipping = attempt(lambda: _choice(Shipping, raw.shipping, "shipping"), None)
    raise_all(errors)
    order = Order(
        timezone=zone,
        seller_responded=tuple(at for at in seller if at is not None),
        buyer_responded=tuple(at for at in buyer if at is not None),
        mediator_asked=tuple(at for at in asked if at is not None),
        dispute_outcome=outcome,
        processing_days=processing,
        delivery_days=delivery,
        extended=extended,
        buyer_country=buyer_country,
        buyer_subdivision=subdivision,
        seller_country=seller_country or "CN",
        payment_method=payment,
        shipping=shipping or Shipping.STANDARD,
        **events,
    )
    return order, as_of


_T = TypeVar("_T")

_ZONES: dict[str, ZoneInfo] = {}
"""Zones by the name an order gave, kept alive between orders.

``ZoneInfo``'s own cache keeps only eight zones strongly: over a folder of orders in a dozen
zones, one order in three read its zone file from disk again (about 0.1 ms each).
"""


def _zone(name: str) -> ZoneInfo:
    """:func:`parse_zone` of an order's ``tz``, each name parsed once per process."""
    zone = _ZONES.get(name)
    if zone is None:
        zone = parse_zone(name)  # a bad name raises every time: nothing is remembered
        if len(_ZONES) >= 256:
            _ZONES.clear()
        _ZONES[name] = zone
    return zone


def _extension(
    value: RawCount, attempt: Callable[[Callable[[], int | None], int], int | None]
) -> int:
    return attempt(lambda: _days(value, "extended", low=1, high=3650), 0) or 0


_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,6}")


def _days(value: RawCount | None, field: str, *, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(field, value, "is not a whole number of days")
    text = str(value).strip()
    if not _WHOLE_NUMBER.fullmatch(text):  # ASCII digits only: int() also takes "²", "٣"
        raise InputError(field, value, "is not a whole number of days")
    number = int(text)
    if not low <= number <= high:
        raise InputError(field, value, f"must be from {low} to {high} days")
    return number


def _country(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip().upper()
    if not (len(text) == 2 and text.isalpha() and text.isascii()):
        raise InputError(field, value, "is not a two-letter ISO 3166 country code such as RU or US")
    return text


def _subdivision(value: str | None, country: str | None) -> str | None:
    """The region's code as typed; the holidays package checks it when a calendar is built."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > 40 or not text.replace("-", "").replace(" ", "").isalnum():
        raise InputError(
            "buyer_subdivision", value, "is not a region code or name such as CA or Bavaria"
        )
    if country is None:
        raise InputError("buyer_subdivision", value, "needs --buyer-country (e.g. US for CA)")
    return text


_Choice = TypeVar("_Choice", DisputeOutcome, PaymentMethod, Shipping)


def _choice(kind: type[_Choice], value: str | None, field: str) -> _Choice | None:
    if value is None:
        return None
    text = str(value).strip().lower().replace("-", "_")
    try:
        return kind(text)
    except ValueError:
        known = ", ".join(item.value for item in kind)
        raise InputError(field, value, f"is not one of: {known}") from None


def check_order(order: Order, plan: Plan) -> None:
    """Refuse an order whose events cannot have happened in that order (SPEC section 6).

    The order of the shared events is checked here; what a rule set adds (an event that
    must come before others, a cap on extensions, the number of rounds) comes from its plan.
    """
    events = vars(order)  # the fields by name: one dict read each (checked for every order)
    _require_pairs(events, _PAYMENT_ORDER)
    for name, spec in plan.inputs.items():
        if not spec.before:
            continue
        moment = getattr(order, name, None)
        if not isinstance(moment, datetime):
            continue
        for later, problem in spec.before.items():
            later_at = getattr(order, later, None)
            if isinstance(later_at, datetime) and utc(later_at) <= utc(moment):
                raise InputError(
                    name,
                    _show(moment),
                    f"is not before {option_label(later)} {_show(later_at)}: {problem}",
                )
    _require_pairs(events, _SHIPPING_ORDER)
    # The programmes' events: a checkout's estimated delivery date and a network's posting
    # date are dates, so they are compared by day (a posting date may be a day "early": the
    # network dates it in its own zone).
    # Each of these checks needs its later event; most orders have none of them.
    if (
        events["estimated_delivery"] is not None
        or events["seller_contacted"] is not None
        or events["return_submitted"] is not None
        or events["transaction_posted"] is not None
        or events["claim_escalated"] is not None
    ):
        for first in ("placed", "paid"):
            _require_day_not_before(order, first, "estimated_delivery")
            _require_pairs(events, ((first, "seller_contacted"), (first, "return_submitted")))
        _require_day_not_before(order, "placed", "transaction_posted")
        _require_day_not_before(order, "paid", "transaction_posted", slack=timedelta(days=1))
        _require_before(order, "dispute_opened", "claim_escalated")
    if events["dispute_opened"] is None:
        for name in _DISPUTE_EVENTS:
            if events[name]:
                raise InputError(
                    name,
                    _show(events[name]),
                    "needs --dispute-opened: there is no dispute to answer or close",
                )
    _check_rounds(order, plan)
    if order.dispute_outcome is not None and order.dispute_closed is None:
        raise InputError("dispute_outcome", order.dispute_outcome.value, "needs --dispute-closed")
    if order.processing_days is not None and order.paid is None:
        raise InputError("processing_days", order.processing_days, "needs --paid")
    if order.delivery_days is not None and order.shipped is None:
        raise InputError("delivery_days", order.delivery_days, "needs --shipped")
    if order.extended:
        if order.delivery_days is None:
            raise InputError(
                "extended",
                _show(order.extended),
                "needs --shipped and --delivery-days: it extends the delivery period",
            )
        cap = plan.inputs["extended"].cap if "extended" in plan.inputs else None
        if cap is not None and sum(order.extended) > plan.rules[cap].low:
            limit = plan.rules[cap].low
            cited = ", ".join(dict.fromkeys(src.short for src in plan.rules[cap].sources))
            raise InputError(
                "extended",
                "+".join(str(d) for d in order.extended),
                f"adds up to {sum(order.extended)} days; the seller can extend "
                f"protection by {limit} days at most ({cited})",
            )


def _check_rounds(order: Order, plan: Plan) -> None:
    opened = order.dispute_opened
    if opened is None:
        return
    rounds = plan.rounds
    for name in ("seller_responded", "buyer_responded"):
        answers = getattr(order, name)
        if rounds is not None and len(answers) > rounds:
            raise InputError(
                name,
                _show(answers),
                f"gives {len(answers)} answers; the rules allow {rounds} rounds",
            )
    if len(order.buyer_responded) > len(order.seller_responded):
        raise InputError(
            "buyer_responded",
            _show(order.buyer_responded[len(order.seller_responded)]),
            "has no seller answer before it to respond to",
        )
    if len(order.seller_responded) > len(order.buyer_responded) + 1:
        k = len(order.buyer_responded) + 1  # the seller's answer k + 1 answers your edit k
        raise InputError(
            "seller_responded",
            _show(order.seller_responded[k]),
            f"answers round {k + 1}, but no edit of yours started it: give --buyer-responded "
            "for each round, in order",
        )
    previous, previous_name = opened, "dispute_opened"
    for k, seller_at in enumerate(order.seller_responded):
        _order_pair(previous_name, previous, "seller_responded", seller_at)
        previous, previous_name = seller_at, "seller_responded"
        if k < len(order.buyer_responded):
            _order_pair(previous_name, previous, "buyer_responded", order.buyer_responded[k])
            previous, previous_name = order.buyer_responded[k], "buyer_responded"
    for name in ("escalated", "dispute_closed"):
        moment = getattr(order, name)
        if moment is not None:
            _order_pair(previous_name, previous, name, moment)
    if order.escalated and order.dispute_closed:
        _order_pair("escalated", order.escalated, "dispute_closed", order.dispute_closed)
    _check_questions(order)


def _check_questions(order: Order) -> None:
    """A mediator asks only in an escalated dispute, after the escalation, in order."""
    if not order.mediator_asked:
        return
    if order.escalated is None:
        raise InputError(
            "mediator_asked",
            _show(order.mediator_asked),
            "needs --escalated: a mediator asks only in an escalated dispute",
        )
    previous, previous_name = order.escalated, "escalated"
    for asked in order.mediator_asked:
        _order_pair(previous_name, previous, "mediator_asked", asked)
        previous, previous_name = asked, "mediator_asked"


_DISPUTE_EVENTS = (
    "seller_responded",
    "buyer_responded",
    "escalated",
    "mediator_asked",
    "claim_escalated",
    "dispute_closed",
)
"""What only a dispute has: refused without ``dispute_opened``."""
_SHIPPING_EVENTS = ("shipped", "delivered", "confirmed", "dispute_opened")
_PAYMENT_ORDER = (("placed", "paid"), ("paid", "cancel_requested"), ("placed", "cancel_requested"))
_SHIPPING_ORDER = (
    *((first, later) for first in ("placed", "paid") for later in _SHIPPING_EVENTS),
    ("shipped", "delivered"),
    # Receipt can only be confirmed (even by accident) for a parcel that was sent.
    ("shipped", "confirmed"),
    ("shipped", "dispute_opened"),
)
"""(earlier, later) events, checked in this order (the first wrong pair is the one reported)."""


def _require_pairs(events: dict[str, Any], pairs: tuple[tuple[str, str], ...]) -> None:
    """Each pair's later event (when both are given) is not before its earlier one."""
    for first, later in pairs:
        earlier_at, later_at = events[first], events[later]
        if earlier_at is not None and later_at is not None:
            _order_pair(first, earlier_at, later, later_at)


def _require_before(order: Order, first: str, later: str) -> None:
    earlier_at, later_at = getattr(order, first), getattr(order, later)
    if earlier_at is not None and later_at is not None:
        _order_pair(first, earlier_at, later, later_at)


def _require_day_not_before(
    order: Order, first: str, later: str, slack: timedelta = timedelta(0)
) -> None:
    """``later`` (a date-like event) is not on a local day before ``first``'s day (- slack)."""
    earlier_at, later_at = getattr(order, first), getattr(order, later)
    if earlier_at is None or later_at is None:
        return
    if later_at.date() < earlier_at.date() - slack:
        raise InputError(
            later, _show(later_at), f"is before {option_label(first)} {_show(earlier_at)}"
        )


def check_reads(order: Order, reads: frozenset[str], rules_name: str) -> None:
    """Refuse an event no rule set of this computation reads: it would be silently ignored.

    The message names the shipped rule sets that do read it.
    """
    for name, moment in order.events():
        if name in reads:
            continue
        from protectcalc.rules import load_rule_set
        from protectcalc.rules.loader import shipped_names

        readers = [
            shipped
            for shipped in shipped_names()
            if name in load_rule_set(shipped).plan_for(None).reads
        ]
        where = (
            f"the rule sets that read it: {', '.join(readers)}; choose one with --rules or "
            "--also, or leave it out"
            if readers
            else "no shipped rule set reads it; leave it out"
        )
        raise InputError(name, _show(moment), f"is not read by the rule set {rules_name} ({where})")


def _order_pair(first: str, first_at: datetime, later: str, later_at: datetime) -> None:
    if utc(later_at) < utc(first_at):
        raise InputError(
            later, _show(later_at), f"is before {option_label(first)} {_show(first_at)}"
        )


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(_show(item) for item in value)
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(timespec="minutes")
    if isinstance(value, date | timedelta):
        return str(value)
    return str(value)
