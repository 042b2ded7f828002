"""Business-day milestones in the timeline: which event starts which rule, and the dates.

Every date here was counted by hand from the official calendar (see tests/test_calendars.py,
which also checks the same counts against the holidays package's own answers).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from protectcalc.errors import InputError
from protectcalc.model import Actor, Milestone, Timeline
from protectcalc.render.csvout import render_csv
from protectcalc.render.jsonout import timeline_dict
from protectcalc.rules import load_rule_set
from tests.conftest import timeline_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
BUSINESS_IDS = (
    "escalated_response_due",
    "refund_earliest",
    "refund_latest",
    "delivery_earliest",
    "delivery_latest",
)

# A dispute escalated two days before the Spring Festival 2026 break (China).
ESCALATED_BEFORE_SPRING_FESTIVAL = {
    "tz": "Asia/Shanghai",
    "shipped": "2026-01-20",
    "delivered": "2026-01-28",
    "dispute_opened": "2026-01-30",
    "seller_responded": ("2026-02-02",),
    "buyer_responded": ("2026-02-05",),
    "escalated": "2026-02-12T10:00",
    "mediator_asked": ("2026-02-12T10:00",),
    "as_of": "2026-02-20T09:00",
}
# A paid order, cancelled before shipping, the week of Thanksgiving 2026 (United States).
CANCELLED_AT_THANKSGIVING = {
    "tz": "America/New_York",
    "placed": "2026-11-19T09:00",
    "paid": "2026-11-19T12:00",
    "cancel_requested": "2026-11-20T10:00",  # + 72 h: cancelled by Mon 23 Nov 10:00
    "as_of": "2026-11-21T09:00",
}
# A dispute won on 29 Dec 2025, just before the Russian New Year holidays.
WON_BEFORE_RUSSIAN_NEW_YEAR = {
    "tz": "Europe/Moscow",
    "shipped": "2025-11-20",
    "delivered": "2025-12-10",
    "dispute_opened": "2025-12-12",
    "dispute_closed": "2025-12-29T12:00",
    "dispute_outcome": "buyer_won",
    "buyer_country": "RU",
    "as_of": "2025-12-30T09:00",
}


def get(timeline: Timeline, milestone_id: str) -> Milestone:
    item = timeline.milestone(milestone_id)
    assert item is not None, f"{milestone_id} missing: {[m.id for m in timeline.milestones]}"
    return item


def codes(timeline: Timeline) -> list[str]:
    return [warning.code for warning in timeline.warnings]


# --- escalated_response_due: 7 business days of the platform's calendar (China) -----------


def test_escalated_answer_over_the_spring_festival() -> None:
    result = timeline_for(**ESCALATED_BEFORE_SPRING_FESTIVAL)
    due = get(result, "escalated_response_due")
    # 13 Feb, 14 Feb (working Saturday), then 24, 25, 26, 27 and 28 Feb (working Saturday).
    assert due.day == date(2026, 2, 28)
    assert due.at is None
    assert due.projected is False
    assert due.actor is Actor.BUYER
    assert due.rule == "escalated_response"
    assert {source.seed for source in due.sources} == {"004_a43b1fa066a5da86.txt"}
    assert "7 business days (CN)" in due.explain
    assert due.note is None


def test_escalated_answer_over_national_day() -> None:
    result = timeline_for(
        tz="Asia/Shanghai",
        shipped="2026-08-20",
        dispute_opened="2026-09-01",
        seller_responded=("2026-09-03",),
        buyer_responded=("2026-09-06",),
        escalated="2026-09-29T16:00",
        as_of="2026-09-30",
    )
    # 30 Sep, then 8, 9, 10 (working Saturday), 12, 13 and 14 Oct.
    assert get(result, "escalated_response_due").day == date(2026, 10, 14)


def test_escalated_answer_is_next_in_the_escalated_phase() -> None:
    result = timeline_for(**ESCALATED_BEFORE_SPRING_FESTIVAL)
    assert result.phase.value == "escalated"
    assert result.next is not None
    assert result.next.milestone == "escalated_response_due"
    assert result.next.deadline_day == date(2026, 2, 28)
    # A business-day date is due when that day begins (SPEC 2.1: never later than the real one).
    assert result.next.deadline == datetime(2026, 2, 28, tzinfo=SHANGHAI)
    assert result.next.act_by == datetime(2026, 2, 27, tzinfo=SHANGHAI)


def test_escalated_answer_counts_from_a_planned_escalation_once_a_dispute_is_open() -> None:
    result = timeline_for(
        tz="Europe/Moscow",
        shipped="2026-02-10",
        confirmed="2026-03-01",
        dispute_opened="2026-03-15",
        as_of="2026-03-16",
    )
    escalation = get(result, "escalation")
    assert escalation.projected is True
    assert escalation.at is not None and escalation.at.date() == date(2026, 4, 23)
    due = get(result, "escalated_response_due")
    assert due.projected is True
    # 24 Apr, 27-30 Apr, then Labour Day 1-5 May off: 6 and 7 May.
    assert due.day == date(2026, 5, 7)
    assert "planned escalation 2026-04-23 00:00" in due.explain


def test_no_escalated_answer_before_any_dispute() -> None:
    result = timeline_for(tz="Europe/Moscow", confirmed="2026-03-01")
    assert result.milestone("escalation") is not None
    assert result.milestone("escalated_response_due") is None


def test_escalated_answer_of_an_unannounced_year_is_marked_unconfirmed() -> None:
    from protectcalc.calendars import CalendarChoice, nth_working_day

    last = nth_working_day(CalendarChoice("CN"), date(2026, 3, 2), 1).last_scheduled_year
    assert last is not None
    result = timeline_for(
        tz="Asia/Shanghai",
        shipped=f"{last}-11-01",
        delivered=f"{last}-11-20",
        dispute_opened=f"{last}-11-21",
        seller_responded=(f"{last}-11-24",),
        buyer_responded=(f"{last}-11-30",),
        escalated=f"{last}-12-28T10:00",
        as_of=f"{last}-12-28T12:00",
    )
    due = get(result, "escalated_response_due")
    assert due.day.year == last + 1
    assert due.note is not None and due.note.startswith("unconfirmed:")
    assert f"for {last + 1}" in due.note
    assert "calendar_unconfirmed" in codes(result)
    warning = next(item for item in result.warnings if item.code == "calendar_unconfirmed")
    assert "escalated_response_due" in warning.message
    assert f"(its latest is {last})" in warning.message


# --- refunds ---------------------------------------------------------------------------------


def test_refund_after_a_won_dispute_over_the_russian_new_year() -> None:
    result = timeline_for(**WON_BEFORE_RUSSIAN_NEW_YEAR)
    earliest, latest = get(result, "refund_earliest"), get(result, "refund_latest")
    # 30 Dec; 31 Dec and 1-11 Jan are days off; then 12-16 and 19 Jan (7), 20-22 Jan (10).
    assert (earliest.day, latest.day) == (date(2026, 1, 19), date(2026, 1, 22))
    assert earliest.at is None and latest.at is None
    assert earliest.rule == latest.rule == "refund_after_dispute"
    assert earliest.actor is Actor.PLATFORM
    assert "(buyer_won)" in earliest.explain and "(RU)" in earliest.explain
    assert "calendar_weekends_only" not in codes(result)
    assert "calendar_national_only" not in codes(result)  # Russia has no regional calendars


def test_partial_outcome_also_refunds() -> None:
    result = timeline_for(**{**WON_BEFORE_RUSSIAN_NEW_YEAR, "dispute_outcome": "partial"})
    assert get(result, "refund_latest").day == date(2026, 1, 22)


@pytest.mark.parametrize("outcome", ["seller_won", "cancelled", None])
def test_no_refund_when_the_dispute_pays_nothing(outcome: str | None) -> None:
    fields = {**WON_BEFORE_RUSSIAN_NEW_YEAR, "dispute_outcome": outcome}
    result = timeline_for(**fields)
    assert result.milestone("refund_earliest") is None
    assert result.milestone("refund_latest") is None


def test_refund_after_cancellation_around_thanksgiving() -> None:
    result = timeline_for(**CANCELLED_AT_THANKSGIVING, buyer_country="US")
    earliest, latest = get(result, "refund_earliest"), get(result, "refund_latest")
    # Counted from cancel_response_due (Mon 23 Nov): 24, 25, (26 Thanksgiving), 27 Nov.
    assert earliest.day == date(2026, 11, 27)
    # ... 20 business days: 22 Dec.
    assert latest.day == date(2026, 12, 22)
    assert earliest.rule == "refund_after_cancel"
    assert "cancelled by 2026-11-23 10:00 (cancel_response_due, 003)" in earliest.explain
    assert earliest.projected is True  # the seller may refuse (002): issue 9 item 1
    assert "calendar_national_only" in codes(result)


def test_refund_counts_the_buyers_region() -> None:
    result = timeline_for(**CANCELLED_AT_THANKSGIVING, buyer_country="US", buyer_subdivision="CA")
    # California also rests on Friday 27 Nov.
    assert get(result, "refund_earliest").day == date(2026, 11, 30)
    assert get(result, "refund_latest").day == date(2026, 12, 23)
    assert "(US-CA)" in get(result, "refund_earliest").explain
    assert "calendar_national_only" not in codes(result)


def test_refund_without_a_buyer_country_counts_weekends_only_and_says_so() -> None:
    result = timeline_for(**CANCELLED_AT_THANKSGIVING)
    assert get(result, "refund_earliest").day == date(2026, 11, 26)  # Thanksgiving not counted
    assert get(result, "refund_latest").day == date(2026, 12, 21)
    warning = next(item for item in result.warnings if item.code == "calendar_weekends_only")
    assert "refund_earliest, refund_latest" in warning.message
    assert "--buyer-country" in warning.message


@pytest.mark.parametrize(
    ("reading", "earliest", "latest"),
    [
        # Cancelled by 23 Nov 10:00 EST; 3 and 20 x 24 hours later.
        ("calendar_days", datetime(2026, 11, 26, 10, 0), datetime(2026, 12, 13, 10, 0)),
        ("about_20_days", datetime(2026, 12, 13, 10, 0), datetime(2026, 12, 13, 10, 0)),
    ],
)
def test_refund_after_cancel_in_each_calendar_day_reading(
    reading: str, earliest: datetime, latest: datetime
) -> None:
    rules = load_rule_set(None, {"refund_after_cancel": reading})
    result = timeline_for(rules, **CANCELLED_AT_THANKSGIVING, buyer_country="US")
    zone = ZoneInfo("America/New_York")
    assert get(result, "refund_earliest").at == earliest.replace(tzinfo=zone)
    assert get(result, "refund_latest").at == latest.replace(tzinfo=zone)
    assert "calendar_national_only" not in codes(result)  # no business-day rule was used


def test_no_refund_for_an_unpaid_order_that_lapses() -> None:
    result = timeline_for(placed="2026-01-01", as_of="2026-02-01")
    assert result.phase.value == "closed"
    assert result.milestone("refund_earliest") is None


def test_no_refund_when_the_seller_shipped_after_a_cancel_request() -> None:
    result = timeline_for(
        placed="2026-11-19", paid="2026-11-19T12:00", cancel_requested="2026-11-20T10:00",
        shipped="2026-11-21",
    )  # fmt: skip
    assert result.milestone("refund_earliest") is None


@pytest.mark.parametrize(
    ("method", "words"),
    [
        ("card", "refunded to your original payment method (003)"),
        ("wallet", "refunded to your original payment method (003)"),
        ("cash", "refunded to your Alipay account, not back as cash (003)"),
        ("western_union", "refunded to your Alipay account, not back through Western Union"),
        ("bank_transfer", "refunded to your Alipay account, not back to the bank (003)"),
        ("cash_on_delivery", "refunded as AliExpress coupons"),
    ],
)
def test_refund_says_where_the_money_goes(method: str, words: str) -> None:
    result = timeline_for(**WON_BEFORE_RUSSIAN_NEW_YEAR, payment_method=method)
    for milestone_id in ("refund_earliest", "refund_latest"):
        note = get(result, milestone_id).note
        assert note is not None and note.startswith(words)


def test_refund_without_payment_method_has_no_destination_note() -> None:
    assert get(timeline_for(**WON_BEFORE_RUSSIAN_NEW_YEAR), "refund_earliest").note is None


# --- delivery estimates ------------------------------------------------------------------------


def test_standard_delivery_counts_the_sellers_working_days() -> None:
    result = timeline_for(tz="Asia/Shanghai", shipped="2026-02-10", as_of="2026-02-11")
    earliest, latest = get(result, "delivery_earliest"), get(result, "delivery_latest")
    # 15 and 45 working days in China over the Spring Festival and Qingming.
    assert (earliest.day, latest.day) == (date(2026, 3, 9), date(2026, 4, 21))
    assert earliest.rule == "shipping_standard" and earliest.at is None
    assert earliest.actor is Actor.SELLER


def test_standard_delivery_uses_the_seller_country() -> None:
    result = timeline_for(tz="UTC", shipped="2026-11-23", seller_country="US", as_of="2026-11-24")
    # 15 US working days after Mon 23 Nov, Thanksgiving skipped: 15 Dec.
    assert get(result, "delivery_earliest").day == date(2026, 12, 15)
    assert "(US)" in get(result, "delivery_earliest").explain


def test_premium_delivery_is_calendar_days() -> None:
    result = timeline_for(
        tz="Asia/Shanghai", shipped="2026-02-10T08:00", shipping="premium", as_of="2026-02-11"
    )
    assert get(result, "delivery_earliest").at == datetime(2026, 2, 17, 8, 0, tzinfo=SHANGHAI)
    assert get(result, "delivery_latest").at == datetime(2026, 2, 25, 8, 0, tzinfo=SHANGHAI)
    assert get(result, "delivery_latest").rule == "shipping_premium"


def test_no_delivery_estimate_once_delivered() -> None:
    result = timeline_for(tz="UTC", shipped="2026-02-10", delivered="2026-03-01")
    assert result.milestone("delivery_earliest") is None
    assert result.milestone("delivery_latest") is None


def test_warns_when_usual_delivery_outlasts_protection() -> None:
    result = timeline_for(tz="Asia/Shanghai", shipped="2026-02-10", delivery_days=30)
    warning = next(item for item in result.warnings if item.code == "delivery_after_protection")
    assert "2026-04-21" in warning.message and "2026-03-12 00:00" in warning.message


def test_no_delivery_warning_when_protection_is_long_enough() -> None:
    result = timeline_for(tz="Asia/Shanghai", shipped="2026-02-10", delivery_days=90)
    assert "delivery_after_protection" not in codes(result)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"buyer_country": "XX"}, "buyer_country", "--buyer-country XX: is not a country"),
        ({"seller_country": "QQ"}, "seller_country", "--seller-country QQ: is not a country"),
        (
            {"buyer_country": "US", "buyer_subdivision": "Atlantis"},
            "buyer_subdivision",
            "--buyer-subdivision Atlantis: is not a subdivision of US",
        ),
        (
            {"buyer_subdivision": "CA"},
            "buyer_subdivision",
            "--buyer-subdivision CA: needs --buyer-country",
        ),
        (
            {"buyer_country": "RU", "buyer_subdivision": "MOW"},
            "buyer_subdivision",
            "--buyer-subdivision MOW: RU has no subdivisions",
        ),
    ],
)
def test_unknown_calendars_are_refused_even_when_unused(
    fields: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        timeline_for(confirmed="2026-03-01", **fields)
    assert caught.value.field == field
    assert str(caught.value).startswith(message)


# --- output ------------------------------------------------------------------------------------


def test_json_and_csv_show_business_days_as_dates() -> None:
    result = timeline_for(**WON_BEFORE_RUSSIAN_NEW_YEAR, payment_method="cash")
    data = timeline_dict(result)
    refund = next(item for item in data["milestones"] if item["id"] == "refund_latest")
    assert refund["date"] == "2026-01-22"
    assert refund["at"] is None
    assert refund["note"] == "refunded to your Alipay account, not back as cash (003)"
    rows = list(csv.DictReader(io.StringIO(render_csv(result))))
    row = next(item for item in rows if item["id"] == "refund_latest")
    assert (row["date"], row["at"]) == ("2026-01-22", "")
    json.dumps(data)  # serialisable


def test_business_milestones_sort_by_their_date() -> None:
    result = timeline_for(**ESCALATED_BEFORE_SPRING_FESTIVAL)
    ids = [item.id for item in result.milestones]
    assert ids.index("escalated_response_due") > ids.index("escalation")
    present = [milestone_id for milestone_id in BUSINESS_IDS if milestone_id in ids]
    assert present == ["escalated_response_due"]  # delivered: no delivery estimate
