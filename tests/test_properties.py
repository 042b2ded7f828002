"""Property tests: invariants of the engine over generated orders, zones and text.

Orders are generated as a chain of real events in a valid order (random gaps, random zones,
including ones with daylight saving, half-hour DST, midnight transitions and no DST at all),
so every example must compute without error. The stories are ones the platform lets happen:
an order is paid within its payment window, and confirmed by hand before the automatic
confirmation and before the delivery period completes the order. (The engine accepts such late
events without a word and recomputes from them, which moves deadlines already past.) Pinned
examples cover the DST changes, leap days, year ends and repeated hours that random search
may miss. Derandomized, the file runs in a few seconds and gives the same verdict every time.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from protectcalc.clock import parse_duration, parse_instant, parse_zone, start_of_day
from protectcalc.engine.scalar import compute_timeline
from protectcalc.errors import InputError
from protectcalc.model import Milestone, Timeline
from protectcalc.order import OrderInput, build_order
from protectcalc.render.jsonout import render_json
from protectcalc.rules import RuleSet, load_rule_set
from tests.conftest import FIXED_NOW

ZONES = (
    "UTC",
    "Europe/Moscow",  # no DST
    "Asia/Shanghai",
    "America/New_York",
    "Europe/Berlin",
    "America/Havana",  # DST at midnight
    "America/Santiago",  # DST at midnight, southern hemisphere
    "Australia/Lord_Howe",  # half-hour DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -03:30
    "Asia/Kathmandu",  # +05:45
)
READINGS: tuple[dict[str, str], ...] = (
    {},
    {"post_confirmation_protection": "ends_at_once"},
    {"negotiation_limit": "seven_days"},
    {"negotiation_limit": "fifteen_days"},
)
DAY = timedelta(days=1)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
"""Derandomized: the suite gives the same verdict on every run and stays within its time."""


@functools.cache
def rules_for(index: int) -> RuleSet:
    return load_rule_set(None, READINGS[index])


@dataclass(frozen=True)
class Story:
    """A generated order: its zone, its events in the order they happened, and listing data."""

    zone: str
    events: tuple[tuple[str, datetime], ...]
    listing: tuple[tuple[str, Any], ...]
    reading: int
    as_of: datetime

    def fields(self, upto: int | None = None) -> dict[str, Any]:
        """OrderInput fields of the first ``upto`` events (all by default)."""
        chosen = self.events if upto is None else self.events[:upto]
        fields: dict[str, Any] = {"tz": self.zone, "as_of": self.as_of}
        seller: list[datetime] = []
        buyer: list[datetime] = []
        for name, at in chosen:
            if name == "seller_responded":
                seller.append(at)
            elif name == "buyer_responded":
                buyer.append(at)
            else:
                fields[name] = at
        fields["seller_responded"] = tuple(seller)
        fields["buyer_responded"] = tuple(buyer)
        for name, value in self.listing:
            needs = {"processing_days": "paid", "delivery_days": "shipped", "extended": "shipped"}
            if needs[name] in fields:
                fields[name] = value
        if "dispute_closed" in fields:
            fields["dispute_outcome"] = "buyer_won"
        return fields

    def timeline(self, upto: int | None = None) -> Timeline:
        order, as_of = build_order(OrderInput(**self.fields(upto)), FIXED_NOW, ZoneInfo("UTC"))
        return compute_timeline(order, rules_for(self.reading), as_of)


MAX_GAP = timedelta(days=25)
MINUTE = timedelta(minutes=1)


PAYMENT_WINDOW = timedelta(days=20)
AUTO_CONFIRM = timedelta(days=7)


@st.composite
def stories(draw: st.DrawFn) -> Story:
    zone = draw(st.sampled_from(ZONES))
    moment = draw(
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2034, 12, 31))
    ).replace(tzinfo=UTC, microsecond=0)
    kind = draw(
        st.sampled_from(["unpaid", "cancel", "transit", "delivered", "confirmed", "dispute"])
    )
    events: list[tuple[str, datetime]] = []
    listing: list[tuple[str, Any]] = []

    def happen(name: str, within: timedelta | None = None) -> None:
        """The next event, a random gap after the last (shorter than ``within`` if given)."""
        nonlocal moment
        if events:
            longest = MAX_GAP if within is None else min(MAX_GAP, within - timedelta(minutes=1))
            moment = moment + timedelta(minutes=draw(st.integers(0, longest // MINUTE)))
        events.append((name, moment))

    def last() -> str:
        return events[-1][0] if events else ""

    if kind == "unpaid" or draw(st.booleans()):
        happen("placed")
    if kind != "unpaid" and (kind == "cancel" or draw(st.booleans())):
        # Paid within the payment window: later, the order would have been cancelled.
        happen("paid", within=PAYMENT_WINDOW if last() == "placed" else None)
        if draw(st.booleans()):
            listing.append(("processing_days", draw(st.integers(0, 60))))
    if kind == "cancel":
        happen("cancel_requested")
    closes: datetime | None = None  # when the delivery period completes the order by itself
    if kind in ("transit", "delivered") or (
        kind in ("confirmed", "dispute") and draw(st.booleans())
    ):
        happen("shipped")
        if kind == "transit" or draw(st.booleans()):
            days = draw(st.integers(1, 120))
            extended = tuple(draw(st.lists(st.integers(1, 45), max_size=3)))
            extended = extended if sum(extended) <= 90 else ()
            listing += [("delivery_days", days), ("extended", extended)]
            closes = moment + timedelta(days=days + sum(extended))
    if kind == "delivered" or (kind in ("confirmed", "dispute") and draw(st.booleans())):
        happen("delivered")
    if kind == "confirmed" or (kind == "dispute" and draw(st.booleans())):
        # Confirmed by hand before the automatic confirmation and before the delivery period
        # completes the order: after either, there is nothing left to confirm.
        limits = [closes] if closes is not None else []
        if last() == "delivered":
            limits.append(moment + AUTO_CONFIRM)
        latest = min(limits, default=None)
        if latest is None or latest - moment > MINUTE:
            happen("confirmed", within=None if latest is None else latest - moment)
    if kind == "dispute":
        happen("dispute_opened")
        answers = draw(st.integers(0, 3))
        edits = draw(st.integers(max(0, answers - 1), answers))  # answer k+1 follows edit k
        for k in range(answers):
            happen("seller_responded")
            if k < edits:
                happen("buyer_responded")
        ending = draw(st.sampled_from(["open", "escalated", "closed", "both"]))
        if ending in ("escalated", "both"):
            happen("escalated")
        if ending in ("closed", "both"):
            happen("dispute_closed")
    if not events:
        happen("placed")
    reading = draw(st.integers(0, len(READINGS) - 1))
    as_of = events[0][1] + draw(st.integers(0, 200 * 24).map(lambda h: timedelta(hours=h)))
    return Story(zone, tuple(events), tuple(listing), reading, as_of)


# The rule each milestone is counted from, as (trigger field, exact elapsed time or None).
def triggers(story: Story, timeline: Timeline) -> dict[str, datetime]:
    """The real event each computed milestone counts from (where it is a single event)."""
    fields = story.fields()
    found: dict[str, datetime] = {}
    for milestone_id, field in (
        ("payment_due", "placed"),
        ("cancel_response_due", "cancel_requested"),
        ("ship_by", "paid"),
        ("delivery_period_end", "shipped"),
        ("auto_confirm", "delivered"),
        ("appeal_due", "dispute_closed"),
        ("feedback_due", "confirmed"),
        ("seller_response_due_1", "dispute_opened"),
        ("escalation", "dispute_opened"),
    ):
        if field in fields and timeline.milestone(milestone_id) is not None:
            found[milestone_id] = fields[field]
    for k, at in enumerate(fields["seller_responded"], start=1):
        found[f"buyer_response_due_{k}"] = at
    for k, at in enumerate(fields["buyer_responded"], start=2):
        found[f"seller_response_due_{k}"] = at
    return found


def instant(item: Milestone, zone: ZoneInfo) -> datetime:
    return item.at if item.at is not None else start_of_day(item.day, zone)


# --- engine invariants ------------------------------------------------------------------


@SETTINGS
@given(stories())
def test_deadlines_never_before_their_trigger(story: Story) -> None:
    timeline = story.timeline()
    first = story.events[0][1]
    zone = ZoneInfo(story.zone)
    for milestone_id, trigger in triggers(story, timeline).items():
        item = timeline.milestone(milestone_id)
        if item is not None and item.at is not None:
            assert item.at >= trigger, (milestone_id, item.at, trigger)
    for item in timeline.milestones:
        assert instant(item, zone) >= first - DAY, item.id  # nothing before the story begins
        if item.at is None:
            assert item.day >= first.astimezone(zone).date(), item.id


DERIVED = {"safe_dispute_open": "protection_end"}
"""A milestone that is only a margin before another: it moves while that one may move."""
REPLACED_BY = {"escalated": ("escalation", "feedback_due"), "dispute_closed": ("escalation",)}
"""What a real event replaces: the computed escalation (negotiation_limit), and the feedback
window, which counts from a completed transaction and an escalated one is not complete."""


@SETTINGS
@given(stories(), st.data())
def test_a_new_real_event_never_moves_an_earlier_real_milestone(
    story: Story, data: st.DataObject
) -> None:
    if len(story.events) < 2:
        return
    upto = data.draw(st.integers(1, len(story.events) - 1), label="events known before")
    new_name, new_at = story.events[upto]
    before = story.timeline(upto)
    after = story.timeline(upto + 1)
    for item in before.milestones:
        if item.projected or item.at is None or item.at >= new_at:
            continue
        parent = before.milestone(DERIVED.get(item.id, item.id))
        if parent is not None and parent.at is not None and parent.at >= new_at:
            continue  # the safe moment follows protection_end, which was still open
        if item.id in REPLACED_BY.get(new_name, ()):
            continue
        later = after.milestone(item.id)
        if later is None and item.id == "safe_dispute_open":
            # e.g. delivered after the delivery period ended: the window is gone, and it says so
            assert "protection_ended" in {warning.code for warning in after.warnings}
            continue
        assert later is not None, f"{item.id} vanished when {new_name} was added"
        assert later.at == item.at and later.at.utcoffset() == item.at.utcoffset(), (
            f"{item.id} moved from {item.at} to {later.at} when {new_name} {new_at} was added"
        )


@SETTINGS
@given(stories())
def test_every_instant_is_aware_and_in_the_orders_zone(story: Story) -> None:
    timeline = story.timeline()
    zone = ZoneInfo(story.zone)
    assert timeline.timezone == story.zone
    moments: list[datetime] = [timeline.as_of]
    moments += [item.at for item in timeline.milestones if item.at is not None]
    summary = timeline.summary
    moments += [m for m in (summary.protection_end, summary.escalation) if m is not None]
    if timeline.next is not None:
        moments += [m for m in (timeline.next.deadline, timeline.next.act_by) if m is not None]
    for moment in moments:
        assert moment.tzinfo is not None and moment.utcoffset() is not None
        assert moment.tzinfo == zone, moment
        assert moment.utcoffset() == moment.astimezone(UTC).astimezone(zone).utcoffset()
    for item in timeline.milestones:
        if item.at is not None:
            assert item.day == item.at.date(), item.id


@SETTINGS
@given(stories())
def test_n_day_rules_are_exactly_n_times_24_hours(story: Story) -> None:
    timeline = story.timeline()
    rules = rules_for(story.reading)
    fields = story.fields()
    # Under the reading ends_at_once no review can be left after confirming (its overlay).
    ends_at_once = rules.readings.get("post_confirmation_protection") == "ends_at_once"
    review_rule = "post_confirmation_protection" if ends_at_once else "feedback_window"
    exact = {
        "payment_due": ("placed", rules.elapsed("payment_window")),
        "cancel_response_due": ("cancel_requested", rules.elapsed("cancel_response")),
        "auto_confirm": ("delivered", rules.elapsed("auto_confirm")),
        "feedback_due": ("confirmed", rules.elapsed(review_rule)),
        "appeal_due": ("dispute_closed", rules.elapsed("appeal_window")),
        "seller_response_due_1": ("dispute_opened", rules.elapsed("seller_response")),
    }
    if "processing_days" in fields:
        exact["ship_by"] = ("paid", timedelta(days=fields["processing_days"]))
    if "delivery_days" in fields:
        total = fields["delivery_days"] + sum(fields.get("extended", ()))
        if fields.get("extended") and total > 90:
            # The whole wait is 90 days at most (the default reading of issue 9 item 5).
            total = max(fields["delivery_days"], 90)
        exact["delivery_period_end"] = ("shipped", timedelta(days=total))
    if "confirmed" in fields:
        exact["protection_end"] = ("confirmed", rules.elapsed("post_confirmation_protection"))
    for milestone_id, (field, span) in exact.items():
        item = timeline.milestone(milestone_id)
        if item is None or field not in fields:
            continue
        assert item.at is not None
        assert item.at.astimezone(UTC) - fields[field].astimezone(UTC) == span, milestone_id
    for k, answer in enumerate(fields["seller_responded"], start=1):
        item = timeline.milestone(f"buyer_response_due_{k}")
        if item is not None:  # absent when the dispute ended before the round
            assert item.at is not None
            assert item.at.astimezone(UTC) - answer == rules.elapsed("buyer_response")


@SETTINGS
@given(stories())
def test_milestones_are_in_time_order(story: Story) -> None:
    timeline = story.timeline()
    zone = ZoneInfo(story.zone)
    moments = [instant(item, zone).astimezone(UTC) for item in timeline.milestones]
    assert moments == sorted(moments)
    ids = [item.id for item in timeline.milestones]
    assert len(ids) == len(set(ids))


@SETTINGS
@given(stories())
def test_json_round_trips_with_the_contract_keys(story: Story) -> None:
    data = json.loads(render_json(story.timeline()))
    assert set(data) == {
        "schema",
        "rules",
        "timezone",
        "as_of",
        "phase",
        "milestones",
        "summary",
        "next",
        "warnings",
    }
    assert set(data["summary"]) == {
        "protection_end",
        "safe_dispute_date",
        "escalation",
        "total_days",
        "total_days_usual",
    }
    for item in data["milestones"]:
        assert {"id", "date", "at", "projected", "actor", "rule", "explain", "sources"} <= set(item)
        assert item["at"] is None or datetime.fromisoformat(item["at"]).tzinfo is not None
        assert item["actor"] in ("buyer", "seller", "platform")
    for warning in data["warnings"]:
        assert set(warning) == {"code", "message"}


# --- pinned examples: DST, no DST, leap days, year ends ---------------------------------


def timeline_of(**fields: Any) -> Timeline:
    order, as_of = build_order(OrderInput(**fields), FIXED_NOW, ZoneInfo("UTC"))
    return compute_timeline(order, rules_for(0), as_of)


def elapsed(timeline: Timeline, milestone_id: str, start: datetime) -> timedelta:
    item = timeline.milestone(milestone_id)
    assert item is not None and item.at is not None
    return item.at.astimezone(UTC) - start.astimezone(UTC)


@pytest.mark.parametrize(
    ("zone", "confirmed", "end_wall"),
    [
        # Spring forward on 8 March 2026: 15 x 24 h after 00:00 EST is 01:00 EDT.
        ("America/New_York", "2026-03-01", "2026-03-16T01:00-04:00"),
        # Fall back on 1 November 2026: 15 x 24 h after 00:00 EDT is 23:00 EST the day before.
        ("America/New_York", "2026-10-20", "2026-11-03T23:00-05:00"),
        # Moscow has had no DST since 2014: the wall clock keeps its hour.
        ("Europe/Moscow", "2026-03-01", "2026-03-16T00:00+03:00"),
        ("Europe/Moscow", "2026-10-20", "2026-11-04T00:00+03:00"),
    ],
)
def test_pinned_dst_protection_end(zone: str, confirmed: str, end_wall: str) -> None:
    timeline = timeline_of(confirmed=confirmed, tz=zone)
    end = timeline.milestone("protection_end")
    assert end is not None and end.at is not None
    assert end.at.isoformat(timespec="minutes") == end_wall
    start = parse_instant(confirmed, ZoneInfo(zone), FIXED_NOW, field="confirmed")
    assert elapsed(timeline, "protection_end", start) == timedelta(hours=360)


def test_pinned_dispute_round_across_the_autumn_change() -> None:
    zone = ZoneInfo("America/New_York")
    timeline = timeline_of(dispute_opened="2026-10-30T12:00", tz="America/New_York")
    start = datetime(2026, 10, 30, 12, 0, tzinfo=zone)
    assert elapsed(timeline, "seller_response_due_1", start) == 5 * DAY
    due = timeline.milestone("seller_response_due_1")
    assert due is not None and due.at is not None
    assert due.at.isoformat(timespec="minutes") == "2026-11-04T11:00-05:00"


@pytest.mark.parametrize(
    ("fields", "milestone_id", "expected"),
    [
        ({"confirmed": "2024-02-14"}, "protection_end", "2024-02-29T00:00+00:00"),
        ({"confirmed": "2024-02-29T10:00"}, "protection_end", "2024-03-15T10:00+00:00"),
        ({"confirmed": "2028-02-29"}, "feedback_due", "2028-03-30T00:00+00:00"),
        ({"placed": "2028-02-10"}, "payment_due", "2028-03-01T00:00+00:00"),
        ({"placed": "2027-02-10"}, "payment_due", "2027-03-02T00:00+00:00"),
        ({"confirmed": "2026-12-25"}, "protection_end", "2027-01-09T00:00+00:00"),
        ({"confirmed": "2026-12-31T23:30"}, "protection_end", "2027-01-15T23:30+00:00"),
        (
            {"paid": "2026-12-31T23:59", "cancel_requested": "2026-12-31T23:59"},
            "cancel_response_due",
            "2027-01-03T23:59+00:00",
        ),
        (
            {"shipped": "2027-12-01", "delivery_days": 90},
            "delivery_period_end",
            "2028-02-29T00:00+00:00",
        ),
    ],
)
def test_pinned_leap_days_and_year_ends(
    fields: dict[str, Any], milestone_id: str, expected: str
) -> None:
    item = timeline_of(tz="UTC", **fields).milestone(milestone_id)
    assert item is not None and item.at is not None
    assert item.at.isoformat(timespec="minutes") == expected


def test_pinned_53_day_plan_across_the_spring_change() -> None:
    # In New York the plan spans 8 March 2026: 53 x 24 h after 00:00 EST is 01:00 EDT.
    timeline = timeline_of(confirmed="2026-02-20", tz="America/New_York")
    assert timeline.summary.total_days == 53
    assert timeline.summary.escalation is not None
    assert timeline.summary.escalation.isoformat(timespec="minutes") == "2026-04-14T01:00-04:00"


# --- the parser never crashes -----------------------------------------------------------


def _parse_or_input_error(text: str, zone: ZoneInfo, dayfirst: bool | None) -> None:
    try:
        result = parse_instant(text, zone, FIXED_NOW, field="confirmed", dayfirst=dayfirst)
    except InputError as error:
        assert error.field == "confirmed"
        assert "\n" not in str(error)
        return
    assert result.tzinfo is zone


PARSER = settings(max_examples=300, deadline=None, derandomize=True)


@PARSER
@given(
    st.one_of(
        st.text(),
        st.text(alphabet="0123456789-/.:TZ+ tnowdayesr", max_size=30),
        st.from_regex(
            r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:?\d{2})?", fullmatch=True
        ),
        st.from_regex(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}", fullmatch=True),
    ),
    st.sampled_from(ZONES),
    st.sampled_from([None, True, False]),
)
@example("2026-03-08T02:30", "America/New_York", None)
@example("9999-12-31T23:59-23:59", "Pacific/Chatham", None)
@example("0001-01-01T00:00+23:59", "UTC", None)
@example("0001-01-01", "Asia/Kathmandu", None)
def test_any_text_parses_or_is_an_input_error(text: str, zone: str, dayfirst: bool | None) -> None:
    _parse_or_input_error(text, ZoneInfo(zone), dayfirst)


@PARSER
@given(st.integers(), st.sampled_from(["", " ", "+", "-0", "00"]), st.sampled_from(ZONES))
def test_integer_like_text_is_refused(number: int, prefix: str, zone: str) -> None:
    text = f"{prefix}{number}" if not prefix.strip() else f"{prefix}{abs(number)}"
    with pytest.raises(InputError):
        parse_instant(text, ZoneInfo(zone), FIXED_NOW, field="confirmed")


@PARSER
@given(st.text())
def test_any_zone_text_is_a_zone_or_an_input_error(text: str) -> None:
    try:
        zone = parse_zone(text)
    except InputError as error:
        assert error.field == "tz"
        return
    assert zone.key == text.strip()


@PARSER
@given(st.one_of(st.text(), st.from_regex(r"P?T?(\d{1,6}[WDHMdhm]){0,3}", fullmatch=True)))
def test_any_duration_text_is_a_span_or_an_input_error(text: str) -> None:
    try:
        span = parse_duration(text)
    except InputError as error:
        assert error.field == "within"
        return
    assert timedelta(0) <= span <= timedelta(days=3660)


# --- the repeated hour: events keep their real order --------------------------------------
# Two datetimes that share a tzinfo compare as wall clocks in Python, so in the hour repeated
# when clocks fall back (1 November 2026, 01:00-02:00 in New York) 01:30 EDT looks later than
# 01:10 EST, which really comes 40 minutes after it.

FIRST_0130 = "2026-11-01T01:30-04:00"
SECOND_0110 = "2026-11-01T01:10-05:00"


def test_fold_hour_delivery_after_shipping_is_accepted() -> None:
    timeline = timeline_of(tz="America/New_York", shipped=FIRST_0130, delivered=SECOND_0110)
    auto = timeline.milestone("auto_confirm")
    assert auto is not None and auto.at is not None
    assert auto.at.astimezone(UTC) == datetime(2026, 11, 8, 6, 10, tzinfo=UTC)


def test_fold_hour_escalation_after_an_edit_keeps_the_round() -> None:
    common: dict[str, Any] = {
        "tz": "America/New_York",
        "dispute_opened": "2026-10-25T12:00",
        "seller_responded": ("2026-10-27T12:00",),
        "buyer_responded": (FIRST_0130,),
    }
    folded = timeline_of(escalated=SECOND_0110, **common)
    plain = timeline_of(escalated="2026-11-01T02:10", **common)
    for timeline in (folded, plain):
        due = timeline.milestone("seller_response_due_2")
        assert due is not None and due.at is not None, [m.id for m in timeline.milestones]
        assert due.at.astimezone(UTC) == datetime(2026, 11, 6, 5, 30, tzinfo=UTC)


def test_fold_hour_confirmation_after_delivery_ends_protection_window_correctly() -> None:
    # Delivered 01:30 EDT, delivery period ended 01:10 EST (40 minutes later): the window is
    # open from delivery to the end of the delivery period, 40 minutes.
    timeline = timeline_of(
        tz="America/New_York",
        shipped="2026-10-02T02:10-04:00",  # + 30 x 24 h = 06:10 UTC = 01:10 EST
        delivery_days=30,
        delivered=FIRST_0130,
        as_of="2026-11-01T00:00",
    )
    end = timeline.milestone("protection_end")
    assert end is not None and end.at is not None
    assert end.at.astimezone(UTC) == datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    assert "protection_ended" not in {warning.code for warning in timeline.warnings}
    safe = timeline.milestone("safe_dispute_open")
    assert safe is not None and safe.at is not None
    assert safe.at.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # the delivery
