"""Business-day milestones (SPEC section 2.4): escalated answers, refunds, delivery estimates.

Which event starts which rule:

- ``escalated_response_due`` (escalated_response, platform calendar: China) counts from the
  real escalation, or, once a dispute is really open, from its planned escalation (then it
  is projected too). Before any dispute the whole dispute plan is an assumption; counting
  the mediator's answer time from it would load the platform's calendar (0.2-0.3 s of
  start-up) for a date the buyer cannot act on yet.
- ``refund_earliest`` / ``refund_latest`` after a cancellation (refund_after_cancel, buyer's
  calendar) count from ``cancel_response_due``: the seller's answer is not an event we know,
  and by then the order is cancelled at the latest (003). An unpaid order that lapses at
  ``payment_due`` refunds nothing, nor does a cancellation of an order placed and never paid,
  and a request followed by shipping was refused.
- The same milestones after a dispute (refund_after_dispute, buyer's calendar) count from
  ``dispute_closed`` when the outcome is ``buyer_won`` or ``partial``; they win over a
  cancellation refund.
- ``delivery_earliest`` / ``delivery_latest`` count from ``shipped`` while no delivery is
  recorded: standard shipping in the seller's working days, premium in calendar days.

A rule in business days gives a local date (``at`` is None); a rule read in days or hours
(``--reading refund_after_cancel=calendar_days``) gives an instant, as every other rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from protectcalc.calendars import (
    DEFAULT_SELLER_COUNTRY,
    PLATFORM_COUNTRY,
    CalendarChoice,
    check_calendar,
    nth_working_day,
    package_version,
    subdivisions,
)
from protectcalc.clock import add_elapsed, wall
from protectcalc.model import (
    Actor,
    DisputeOutcome,
    Milestone,
    Order,
    PaymentMethod,
    Shipping,
    Warning,
)
from protectcalc.rules import Calendar, RuleSet, Unit

REFUND_DESTINATIONS: dict[PaymentMethod, str] = {
    PaymentMethod.CARD: "to your original payment method (003)",
    PaymentMethod.WALLET: "to your original payment method (003)",
    PaymentMethod.CASH: "to your Alipay account, not back as cash (003)",
    PaymentMethod.WESTERN_UNION: "to your Alipay account, not back through Western Union (003)",
    PaymentMethod.BANK_TRANSFER: "to your Alipay account, not back to the bank (003)",
    PaymentMethod.CASH_ON_DELIVERY: "as AliExpress coupons: cash-on-delivery orders are "
    "refunded in coupons (003)",
}
"""Where a refund goes, by payment method (003: original method; cash, Western Union and
bank transfer payments to the Alipay account; cash on delivery as coupons)."""

REFUND_OUTCOMES = (DisputeOutcome.BUYER_WON, DisputeOutcome.PARTIAL)
"""Dispute outcomes that pay money back to the buyer."""


@dataclass(frozen=True)
class _Start:
    """The moment a business-day rule counts from, and how to say so."""

    at: datetime
    label: str
    projected: bool = False


@dataclass
class _Counter:
    """Counts rule spans from events and remembers what it could not confirm."""

    order: Order
    rules: RuleSet
    milestones: list[Milestone] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    unconfirmed: dict[tuple[str, tuple[int, ...], int | None], list[str]] = field(
        default_factory=dict
    )
    weekends_only: list[str] = field(default_factory=list)

    def choice(self, calendar: Calendar | None) -> CalendarChoice:
        match calendar:
            case Calendar.PLATFORM:
                return CalendarChoice(PLATFORM_COUNTRY, field="rules")
            case Calendar.SELLER:
                return CalendarChoice(self.order.seller_country, field="seller_country")
            case Calendar.BUYER | None:
                return CalendarChoice(
                    self.order.buyer_country, self.order.buyer_subdivision, field="buyer_country"
                )

    def add(
        self,
        milestone_id: str,
        rule_id: str,
        start: _Start,
        actor: Actor,
        *,
        high: bool = False,
        note: str | None = None,
    ) -> Milestone:
        """One milestone: ``start`` plus the rule's low (or ``high``) amount."""
        rule = self.rules[rule_id]
        amount = rule.high if high else rule.low
        notes = [note] if note else []
        if rule.unit is Unit.BUSINESS_DAYS:
            choice = self.choice(rule.calendar)
            result = nth_working_day(choice, start.at.date(), amount)
            day, at = result.day, None
            unit = f"business day{'s' if amount != 1 else ''} ({result.calendar})"
            explain = (
                f"{start.label} + {amount} {unit}, counted from the day after "
                f"{start.at.date().isoformat()}"
            )
            if choice.country is None:
                self.weekends_only.append(milestone_id)
            if result.unconfirmed_years:
                key = (result.calendar, result.unconfirmed_years, result.last_scheduled_year)
                self.unconfirmed.setdefault(key, []).append(milestone_id)
                years = ", ".join(str(year) for year in result.unconfirmed_years)
                notes.append(
                    f"unconfirmed: the {result.calendar} working-day schedule for {years} "
                    "is not in the holidays package yet; the date may move"
                )
        else:
            at = add_elapsed(start.at, self.rules.elapsed(rule_id, high=high))
            day = at.date()
            explain = f"{start.label} + {amount} {rule.unit.value}"
        milestone = Milestone(
            id=milestone_id,
            day=day,
            at=at,
            actor=actor,
            rule=rule_id,
            explain=explain,
            projected=start.projected,
            sources=self.rules.sources(rule_id),
            note="; ".join(notes) or None,
        )
        self.milestones.append(milestone)
        return milestone

    def finish(self) -> list[Warning]:
        """The warnings about calendars, one per calendar, after every milestone is counted."""
        warnings = list(self.warnings)
        if self.weekends_only:
            warnings.append(
                Warning(
                    "calendar_weekends_only",
                    f"No --buyer-country: {', '.join(self.weekends_only)} count only "
                    "Saturdays and Sundays as days off. Give --buyer-country (e.g. RU, US) to "
                    "count your public holidays too.",
                )
            )
        for (calendar, years, last), ids in self.unconfirmed.items():
            shown = ", ".join(str(year) for year in years)
            latest = f" (its latest is {last})" if last is not None else ""
            warnings.append(
                Warning(
                    "calendar_unconfirmed",
                    f"{', '.join(ids)} reach into {shown}, and holidays "
                    f"{package_version()} has no announced {calendar} working-day schedule "
                    f"for {shown}{latest}: moved days off and make-up working days are "
                    "missing, so these dates may move. Check the official calendar or "
                    "upgrade the holidays package.",
                )
            )
        return warnings


def business_day_milestones(
    order: Order, rules: RuleSet, known: Mapping[str, Milestone]
) -> tuple[list[Milestone], list[Warning]]:
    """Milestones counted in working days, with warnings about uncertain calendars."""
    _check_given_calendars(order)
    counter = _Counter(order, rules)
    _escalated_response(counter, known)
    _refund(counter, known)
    _delivery(counter, known)
    return counter.milestones, counter.finish() + _subdivision_hint(counter)


def _check_given_calendars(order: Order) -> None:
    """A country the user named must be known even if no rule needs its calendar (SPEC 6).

    The default seller country needs no check, so an order without country options never
    imports the holidays package unless a business-day rule needs it.
    """
    if order.buyer_country is not None:
        check_calendar(
            CalendarChoice(order.buyer_country, order.buyer_subdivision, field="buyer_country")
        )
    if order.seller_country != DEFAULT_SELLER_COUNTRY:
        check_calendar(CalendarChoice(order.seller_country, field="seller_country"))


def _escalated_response(counter: _Counter, known: Mapping[str, Milestone]) -> None:
    """The buyer's answer time once the administration has the dispute (004)."""
    order = counter.order
    if order.escalated is not None:
        start = _Start(order.escalated, f"escalated {wall(order.escalated)}")
    elif order.dispute_opened is not None:
        escalation = known.get("escalation")
        if escalation is None or escalation.at is None:
            return
        word = "planned escalation" if escalation.projected else "escalation"
        start = _Start(escalation.at, f"{word} {wall(escalation.at)}", escalation.projected)
    else:
        return
    counter.add("escalated_response_due", "escalated_response", start, Actor.BUYER)


def _unpaid(order: Order) -> bool:
    """Placed and never paid: a cancellation then has no money to return."""
    return order.placed is not None and order.paid is None


def _refund(counter: _Counter, known: Mapping[str, Milestone]) -> None:
    """When the money comes back, and where it goes, after a won dispute or a cancellation."""
    order = counter.order
    if order.dispute_closed is not None and order.dispute_outcome in REFUND_OUTCOMES:
        assert order.dispute_outcome is not None
        rule_id = "refund_after_dispute"
        start = _Start(
            order.dispute_closed,
            f"dispute closed {wall(order.dispute_closed)} ({order.dispute_outcome.value})",
        )
    elif order.cancel_requested is not None and order.shipped is None and not _unpaid(order):
        cancelled = known.get("cancel_response_due")
        if cancelled is None or cancelled.at is None:
            return
        rule_id = "refund_after_cancel"
        start = _Start(cancelled.at, f"cancelled by {wall(cancelled.at)} (cancel_response_due)")
    else:
        return
    note = None
    if order.payment_method is not None:
        note = "refunded " + REFUND_DESTINATIONS[order.payment_method]
    counter.add("refund_earliest", rule_id, start, Actor.PLATFORM, note=note)
    counter.add("refund_latest", rule_id, start, Actor.PLATFORM, high=True, note=note)


def _delivery(counter: _Counter, known: Mapping[str, Milestone]) -> None:
    """The usual delivery window (003), while the parcel is not recorded as delivered."""
    order = counter.order
    if order.shipped is None or order.delivered is not None:
        return
    rule_id = "shipping_premium" if order.shipping is Shipping.PREMIUM else "shipping_standard"
    start = _Start(order.shipped, f"shipped {wall(order.shipped)} ({order.shipping.value})")
    counter.add("delivery_earliest", rule_id, start, Actor.SELLER)
    latest = counter.add("delivery_latest", rule_id, start, Actor.SELLER, high=True)
    end = known.get("protection_end")
    if order.dispute_opened is not None or end is None or end.at is None:
        return
    if latest.day > end.at.date():
        counter.warnings.append(
            Warning(
                "delivery_after_protection",
                f"{order.shipping.value.capitalize()} shipping may take until "
                f"{latest.day.isoformat()}, after protection ends {wall(end.at)}: if the "
                "parcel has not arrived by then, open a dispute before protection ends, or "
                "ask the seller to extend it (000).",
            )
        )


def _subdivision_hint(counter: _Counter) -> list[Warning]:
    """Say when the buyer's country has regional holidays that were not counted."""
    order = counter.order
    if order.buyer_country is None or order.buyer_subdivision is not None:
        return []
    used = any(
        counter.rules[item.rule].calendar is Calendar.BUYER
        for item in counter.milestones
        if counter.rules[item.rule].unit is Unit.BUSINESS_DAYS
    )
    if not used:
        return []
    codes = subdivisions(order.buyer_country)
    if not codes:
        return []
    shown = ", ".join(codes[:8]) + (", ..." if len(codes) > 8 else "")
    return [
        Warning(
            "calendar_national_only",
            f"Refund dates count {order.buyer_country}'s national holidays only; give "
            f"--buyer-subdivision ({shown}) to count your region's holidays too.",
        )
    ]
