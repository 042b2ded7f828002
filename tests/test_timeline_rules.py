"""One test (or a few) per rule of the default rule set, with exact instants (SPEC sections 1-3).

Expected values are worked out by hand from the rule table, not copied from the engine's
output: Europe/Moscow has no daylight saving, so N days there is N x 24 h on the wall clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from protectcalc.errors import InputError
from protectcalc.model import Actor, Milestone, Phase, Timeline
from protectcalc.rules import RuleSet, load_rule_set
from tests.conftest import timeline_for

MSK = ZoneInfo("Europe/Moscow")
TZ = "Europe/Moscow"


def msk(*parts: int) -> datetime:
    """A Moscow wall-clock instant."""
    return datetime(*parts, tzinfo=MSK)  # type: ignore[misc]


def get(result: Timeline, milestone_id: str) -> Milestone:
    item = result.milestone(milestone_id)
    assert item is not None, f"{milestone_id} missing: {[m.id for m in result.milestones]}"
    return item


def at(result: Timeline, milestone_id: str) -> datetime | None:
    return get(result, milestone_id).at


def ids(result: Timeline) -> list[str]:
    return [item.id for item in result.milestones]


def seeds(item: Milestone) -> set[str]:
    return {source.seed[:3] for source in item.sources}


def reading(**chosen: str) -> RuleSet:
    return load_rule_set(None, chosen)


# --- payment_window (20 days) -----------------------------------------------------------


def test_payment_window_is_20_days_from_placing() -> None:
    result = timeline_for(placed="2026-03-01T10:15", tz=TZ, as_of="2026-03-01T12:00")
    due = get(result, "payment_due")
    assert due.at == msk(2026, 3, 21, 10, 15)
    assert due.day == date(2026, 3, 21)
    assert due.actor is Actor.BUYER
    assert due.rule == "payment_window"
    assert due.projected is False
    assert seeds(due) == {"000", "002"}
    assert result.phase is Phase.AWAITING_PAYMENT


def test_payment_due_disappears_once_paid() -> None:
    result = timeline_for(placed="2026-03-01T10:15", paid="2026-03-01T10:20", tz=TZ)
    assert "payment_due" not in ids(result)


def test_unpaid_order_is_closed_at_the_payment_deadline() -> None:
    before = timeline_for(placed="2026-03-01T10:15", tz=TZ, as_of="2026-03-21T10:14")
    after = timeline_for(placed="2026-03-01T10:15", tz=TZ, as_of="2026-03-21T10:15")
    assert before.phase is Phase.AWAITING_PAYMENT
    assert after.phase is Phase.CLOSED


# --- cancel_response (72 hours) ---------------------------------------------------------


def test_cancel_response_is_72_hours() -> None:
    result = timeline_for(
        paid="2026-03-01T08:00", cancel_requested="2026-03-02T13:30", tz=TZ, as_of="2026-03-03"
    )
    due = get(result, "cancel_response_due")
    assert due.at == msk(2026, 3, 5, 13, 30)
    assert due.actor is Actor.SELLER
    assert due.rule == "cancel_response"
    assert seeds(due) == {"003"}
    assert result.phase is Phase.AWAITING_SHIPMENT
    assert result.next is not None
    assert result.next.milestone == "cancel_response_due"
    assert result.next.deadline == msk(2026, 3, 5, 13, 30)
    assert result.next.act_by is None  # the seller acts, not the buyer


def test_unanswered_cancellation_closes_the_order() -> None:
    result = timeline_for(
        paid="2026-03-01T08:00",
        cancel_requested="2026-03-02T13:30",
        tz=TZ,
        as_of="2026-03-05T13:30",
    )
    assert result.phase is Phase.CLOSED


# --- processing_time (from the listing) -------------------------------------------------


def test_processing_time_gives_ship_by() -> None:
    result = timeline_for(paid="2026-03-01T12:00", processing_days=7, tz=TZ, as_of="2026-03-02")
    ship_by = get(result, "ship_by")
    assert ship_by.at == msk(2026, 3, 8, 12, 0)
    assert ship_by.actor is Actor.SELLER
    assert ship_by.rule == "processing_time"
    assert seeds(ship_by) == {"002", "004"}
    assert result.phase is Phase.AWAITING_SHIPMENT
    assert result.next is not None and result.next.milestone == "ship_by"


def test_processing_days_need_a_payment() -> None:
    with pytest.raises(InputError) as caught:
        timeline_for(placed="2026-03-01", processing_days=7, tz=TZ)
    assert caught.value.field == "processing_days"


# --- delivery_period (from the listing) and extensions (max 90 days in all) -------------


def test_delivery_period_ends_protection_in_transit() -> None:
    # 2026-02-10 + 45 days: 18 days to 28 Feb, 27 more to 27 March.
    result = timeline_for(shipped="2026-02-10", delivery_days=45, tz=TZ, as_of="2026-03-02")
    end = get(result, "delivery_period_end")
    assert end.at == msk(2026, 3, 27)
    assert end.actor is Actor.PLATFORM
    assert end.rule == "delivery_period"
    assert at(result, "protection_end") == msk(2026, 3, 27)
    assert at(result, "safe_dispute_open") == msk(2026, 3, 26)
    assert result.phase is Phase.IN_TRANSIT


def test_extensions_lengthen_the_delivery_period() -> None:
    result = timeline_for(
        shipped="2026-02-10", delivery_days=45, extended=("30", "15"), tz=TZ, as_of="2026-03-02"
    )
    # 45 + 30 + 15 = 90 days from 10 Feb: 10 March is +28, 10 April +59, 10 May +89.
    end = get(result, "delivery_period_end")
    assert end.at == msk(2026, 5, 11)
    assert "000" in seeds(end)
    assert "+ 45 days extended by the seller" in end.explain
    assert at(result, "protection_end") == msk(2026, 5, 11)


def test_extensions_may_add_up_to_exactly_90_days() -> None:
    result = timeline_for(shipped="2026-02-10", delivery_days=10, extended=("60", "30"), tz=TZ)
    # Default reading: 90 days is the whole wait (issue 9 item 5), the earlier deadline.
    assert at(result, "delivery_period_end") == msk(2026, 2, 10) + timedelta(days=90)
    assert "extension_over_90_days" in [w.code for w in result.warnings]
    other = timeline_for(
        shipped="2026-02-10",
        delivery_days=10,
        extended=("60", "30"),
        tz=TZ,
        rules=load_rule_set(None, {"protection_extension_max": "extensions_total"}),
    )
    assert at(other, "delivery_period_end") == msk(2026, 2, 10) + timedelta(days=100)


def test_extensions_beyond_90_days_are_refused() -> None:
    with pytest.raises(InputError) as caught:
        timeline_for(shipped="2026-02-10", delivery_days=10, extended=("60", "31"), tz=TZ)
    assert caught.value.field == "extended"
    assert "91" in str(caught.value) and "90" in str(caught.value)


# --- auto_confirm (7 days) --------------------------------------------------------------


def test_auto_confirm_is_7_days_after_delivery() -> None:
    result = timeline_for(
        shipped="2026-02-10", delivered="2026-03-05T18:40", tz=TZ, as_of="2026-03-06"
    )
    auto = get(result, "auto_confirm")
    assert auto.at == msk(2026, 3, 12, 18, 40)
    assert auto.actor is Actor.PLATFORM
    assert auto.rule == "auto_confirm"
    # Until then the buyer can still dispute; one safety margin earlier is the safe moment.
    assert at(result, "protection_end") == msk(2026, 3, 12, 18, 40)
    assert at(result, "safe_dispute_open") == msk(2026, 3, 11, 18, 40)
    assert result.phase is Phase.DELIVERED


def test_delivery_period_ending_first_wins_over_auto_confirm() -> None:
    result = timeline_for(
        shipped="2026-02-10",
        delivery_days=25,
        delivered="2026-03-05T18:40",
        tz=TZ,
        as_of="2026-03-06",
    )
    # shipped + 25 days = 7 March 00:00, before auto_confirm on 12 March 18:40.
    assert at(result, "protection_end") == msk(2026, 3, 7)
    assert get(result, "protection_end").rule == "delivery_period"


def test_no_auto_confirm_once_confirmed() -> None:
    result = timeline_for(delivered="2026-03-05T18:40", confirmed="2026-03-06T09:00", tz=TZ)
    assert "auto_confirm" not in ids(result)


# --- post_confirmation_protection (15 days; reading ends_at_once) -----------------------


def test_post_confirmation_protection_default_is_15_days() -> None:
    result = timeline_for(confirmed="2026-03-01T14:30", tz=TZ, as_of="2026-03-02")
    end = get(result, "protection_end")
    assert end.at == msk(2026, 3, 16, 14, 30)
    assert end.rule == "post_confirmation_protection"
    assert end.actor is Actor.BUYER
    assert seeds(end) == {"000", "004"}
    assert result.rules == "aliexpress"
    assert result.summary.protection_end == msk(2026, 3, 16, 14, 30)


def test_post_confirmation_protection_ends_at_once_reading() -> None:
    rules = reading(post_confirmation_protection="ends_at_once")
    result = timeline_for(rules, confirmed="2026-03-01T14:30", tz=TZ, as_of="2026-03-02")
    assert at(result, "protection_end") == msk(2026, 3, 1, 14, 30)
    assert seeds(get(result, "protection_end")) == {"000", "001"}
    assert "safe_dispute_open" not in ids(result)
    assert not any(item.startswith("seller_response_due") for item in ids(result))
    assert result.rules == "aliexpress[post_confirmation_protection=ends_at_once]"
    assert result.phase is Phase.PROTECTION_EXPIRED
    assert "protection_ended" in {warning.code for warning in result.warnings}
    assert result.summary.total_days is None
    assert result.next is None  # protection_expired: nothing left to do


# --- safety_margin (1 day) --------------------------------------------------------------


def test_safe_dispute_open_is_one_margin_before_protection_end() -> None:
    result = timeline_for(confirmed="2026-03-01T14:30", tz=TZ, as_of="2026-03-02")
    safe = get(result, "safe_dispute_open")
    assert safe.at == msk(2026, 3, 15, 14, 30)
    assert safe.rule == "safety_margin"
    assert result.summary.safe_dispute_date == date(2026, 3, 15)
    assert result.next is not None
    assert result.next.act_by == msk(2026, 3, 15, 14, 30)


def test_safe_moment_never_before_the_window_opens() -> None:
    # A 1-day delivery period: end - 1 day would be the shipping moment itself.
    result = timeline_for(shipped="2026-03-01T06:00", delivery_days=1, tz=TZ, as_of="2026-03-01")
    assert at(result, "protection_end") == msk(2026, 3, 2, 6, 0)
    assert at(result, "safe_dispute_open") == msk(2026, 3, 1, 6, 0)


# --- seller_response (5 days), seller_expected_response (4), buyer_response (10) --------

OPENED = "2026-03-15T10:00"


def test_seller_response_is_5_days_after_opening() -> None:
    result = timeline_for(dispute_opened=OPENED, tz=TZ, as_of="2026-03-16")
    due = get(result, "seller_response_due_1")
    assert due.at == msk(2026, 3, 20, 10, 0)
    assert due.actor is Actor.SELLER
    assert due.projected is False
    assert due.rule == "seller_response"
    opened = get(result, "dispute_opened")
    assert opened.at == msk(2026, 3, 15, 10, 0) and opened.rule == "event"


def test_planned_seller_answer_after_4_days_then_buyer_has_10() -> None:
    result = timeline_for(dispute_opened=OPENED, tz=TZ, as_of="2026-03-16")
    due = get(result, "buyer_response_due_1")
    # opened + 4 days (expected seller answer) + 10 days.
    assert due.at == msk(2026, 3, 29, 10, 0)
    assert due.projected is True
    assert due.actor is Actor.BUYER
    assert "planned seller answer 2026-03-19 10:00" in due.explain


def test_buyer_response_counts_from_the_real_seller_answer() -> None:
    result = timeline_for(
        dispute_opened=OPENED, seller_responded=("2026-03-17T09:00",), tz=TZ, as_of="2026-03-18"
    )
    due = get(result, "buyer_response_due_1")
    assert due.at == msk(2026, 3, 27, 9, 0)
    assert due.projected is False
    assert due.rule == "buyer_response"


# --- dispute_rounds (3): real events replace the plan round by round --------------------


def test_plan_without_answers() -> None:
    result = timeline_for(dispute_opened=OPENED, tz=TZ, as_of="2026-03-16")
    o = msk(2026, 3, 15, 10, 0)
    day = timedelta(days=1)
    # Each round: seller due +5 from the round's start; planned seller answer +4; buyer due
    # +10 after that; planned edit 1 day before the buyer's deadline (+13 from the start).
    assert at(result, "seller_response_due_1") == o + 5 * day
    assert at(result, "buyer_response_due_1") == o + 14 * day
    assert at(result, "seller_response_due_2") == o + 18 * day
    assert at(result, "buyer_response_due_2") == o + 27 * day
    assert at(result, "seller_response_due_3") == o + 31 * day
    assert at(result, "buyer_response_due_3") == o + 40 * day
    assert at(result, "escalation") == o + 39 * day
    assert get(result, "escalation").projected is True
    assert result.summary.total_days == 39  # from the dispute opening: nothing was confirmed


def test_one_seller_answer_replaces_round_one() -> None:
    result = timeline_for(
        dispute_opened=OPENED, seller_responded=("2026-03-17T09:00",), tz=TZ, as_of="2026-03-18"
    )
    assert at(result, "seller_response_due_1") == msk(2026, 3, 20, 10, 0)
    assert at(result, "buyer_response_due_1") == msk(2026, 3, 27, 9, 0)
    # planned edit 1 on 26 March 09:00: seller due 31 March, planned answer 30 March.
    assert at(result, "seller_response_due_2") == msk(2026, 3, 31, 9, 0)
    assert get(result, "seller_response_due_2").projected is True
    assert at(result, "buyer_response_due_2") == msk(2026, 4, 9, 9, 0)
    assert result.phase is Phase.DISPUTE_AWAITING_BUYER


def test_seller_then_buyer_answer_starts_round_two_from_the_edit() -> None:
    result = timeline_for(
        dispute_opened=OPENED,
        seller_responded=("2026-03-17T09:00",),
        buyer_responded=("2026-03-20T12:00",),
        tz=TZ,
        as_of="2026-03-21",
    )
    due = get(result, "seller_response_due_2")
    assert due.at == msk(2026, 3, 25, 12, 0)
    assert due.projected is False
    assert at(result, "buyer_response_due_2") == msk(2026, 4, 3, 12, 0)  # edit + 4 + 10
    assert get(result, "buyer_response_due_2").projected is True
    assert result.phase is Phase.DISPUTE_AWAITING_SELLER
    assert result.next is not None and result.next.milestone == "seller_response_due_2"


def test_two_rounds_answered_by_the_seller() -> None:
    result = timeline_for(
        dispute_opened=OPENED,
        seller_responded=("2026-03-17T09:00", "2026-03-22T08:00"),
        buyer_responded=("2026-03-20T12:00",),
        tz=TZ,
        as_of="2026-03-23",
    )
    due = get(result, "buyer_response_due_2")
    assert due.at == msk(2026, 4, 1, 8, 0)
    assert due.projected is False
    # planned edit 2 on 31 March 08:00 -> seller due 5 April, planned answer 4 April.
    assert at(result, "seller_response_due_3") == msk(2026, 4, 5, 8, 0)
    assert at(result, "buyer_response_due_3") == msk(2026, 4, 14, 8, 0)
    assert at(result, "escalation") == msk(2026, 4, 13, 8, 0)
    assert result.phase is Phase.DISPUTE_AWAITING_BUYER
    assert result.next is not None
    assert result.next.milestone == "buyer_response_due_2"
    assert result.next.act_by == msk(2026, 3, 31, 8, 0)
    assert "round 2 of 3" in result.next.action


def test_three_full_rounds_escalate_at_the_last_edit() -> None:
    result = timeline_for(
        dispute_opened=OPENED,
        seller_responded=("2026-03-17T09:00", "2026-03-22T08:00", "2026-03-28T20:00"),
        buyer_responded=("2026-03-20T12:00", "2026-03-25T07:30", "2026-04-02T11:00"),
        tz=TZ,
        as_of="2026-04-03",
    )
    assert at(result, "seller_response_due_3") == msk(2026, 3, 30, 7, 30)
    assert at(result, "buyer_response_due_3") == msk(2026, 4, 7, 20, 0)
    escalation = get(result, "escalation")
    assert escalation.at == msk(2026, 4, 2, 11, 0)
    # The last edit does not escalate by itself: planned until --escalated (issue 9 item 8).
    assert escalation.projected is True
    assert [item.id for item in result.milestones if item.projected] == [
        "escalation",
        "escalated_response_due",
    ]
    assert result.phase is Phase.DISPUTE_AWAITING_SELLER
    # 15 March 10:00 to 2 April 11:00: 18 whole days.
    assert result.summary.total_days == 18


def test_third_round_awaiting_the_last_edit() -> None:
    result = timeline_for(
        dispute_opened=OPENED,
        seller_responded=("2026-03-17T09:00", "2026-03-22T08:00", "2026-03-28T20:00"),
        buyer_responded=("2026-03-20T12:00", "2026-03-25T07:30"),
        tz=TZ,
        as_of="2026-03-29",
    )
    assert result.next is not None
    assert result.next.milestone == "buyer_response_due_3"
    assert result.next.deadline == msk(2026, 4, 7, 20, 0)
    assert "round 3 of 3" in result.next.action and "last time" in result.next.action
    assert at(result, "escalation") == msk(2026, 4, 6, 20, 0)  # planned: one margin before


def test_more_answers_than_rounds_are_refused() -> None:
    with pytest.raises(InputError) as caught:
        timeline_for(
            dispute_opened=OPENED,
            seller_responded=("2026-03-16", "2026-03-17", "2026-03-18", "2026-03-19"),
            tz=TZ,
        )
    assert caught.value.field == "seller_responded"
    assert "3 rounds" in str(caught.value)


# --- negotiation_limit (default: none; readings seven_days, fifteen_days) ---------------


def test_negotiation_limit_seven_days() -> None:
    rules = reading(negotiation_limit="seven_days")
    result = timeline_for(rules, dispute_opened=OPENED, tz=TZ, as_of="2026-03-16")
    escalation = get(result, "escalation")
    assert escalation.at == msk(2026, 3, 22, 10, 0)
    assert escalation.rule == "negotiation_limit"
    assert escalation.projected is False  # counted from a real opening
    assert seeds(escalation) == {"004"}
    # The real seller deadline stays; planned deadlines after the limit are dropped.
    assert at(result, "seller_response_due_1") == msk(2026, 3, 20, 10, 0)
    assert "buyer_response_due_1" not in ids(result)
    assert result.summary.total_days == 7
    assert result.rules == "aliexpress[negotiation_limit=seven_days]"


def test_negotiation_limit_fifteen_days() -> None:
    rules = reading(negotiation_limit="fifteen_days")
    result = timeline_for(rules, dispute_opened=OPENED, tz=TZ, as_of="2026-03-16")
    assert at(result, "escalation") == msk(2026, 3, 30, 10, 0)
    assert at(result, "buyer_response_due_1") == msk(2026, 3, 29, 10, 0)  # before the limit
    assert "seller_response_due_2" not in ids(result)  # planned for 2 April: after it
    assert result.summary.total_days == 15


def test_negotiation_limit_applies_to_a_planned_dispute() -> None:
    rules = reading(negotiation_limit="seven_days")
    result = timeline_for(rules, confirmed="2026-03-01", tz=TZ, as_of="2026-03-02")
    escalation = get(result, "escalation")
    assert escalation.at == msk(2026, 3, 22)  # planned opening 15 March + 7 days
    assert escalation.projected is True
    assert result.summary.total_days == 21


# --- seller_silence ---------------------------------------------------------------------


def test_seller_silence_warns_after_a_missed_seller_deadline() -> None:
    result = timeline_for(dispute_opened=OPENED, tz=TZ, as_of="2026-03-20T10:01")
    codes = [warning.code for warning in result.warnings]
    assert "seller_silence" in codes
    message = next(w.message for w in result.warnings if w.code == "seller_silence")
    assert "2026-03-20 10:00" in message and "004" in message
    # Nothing is planned past a seller who is already in default.
    assert "buyer_response_due_1" not in ids(result)
    assert "escalation" not in ids(result)


def test_no_seller_silence_before_the_deadline_or_after_an_answer() -> None:
    before = timeline_for(dispute_opened=OPENED, tz=TZ, as_of="2026-03-20T10:00")
    answered = timeline_for(
        dispute_opened=OPENED, seller_responded=("2026-03-20T09:00",), tz=TZ, as_of="2026-03-25"
    )
    assert "seller_silence" not in {w.code for w in before.warnings}
    assert "seller_silence" not in {w.code for w in answered.warnings}


def test_no_seller_silence_for_a_planned_dispute() -> None:
    # As of 2 May the planned dispute's seller deadlines are long past, but none is real.
    result = timeline_for(confirmed="2026-03-01", tz=TZ, as_of="2026-05-02")
    assert "seller_silence" not in {w.code for w in result.warnings}


# --- appeal_window (7 days), feedback_window (30 days) ----------------------------------


def test_appeal_window_is_7_days_after_closing() -> None:
    result = timeline_for(
        dispute_opened=OPENED,
        seller_responded=("2026-03-17T09:00",),
        dispute_closed="2026-04-01T16:00",
        dispute_outcome="seller_won",
        tz=TZ,
        as_of="2026-04-02",
    )
    appeal = get(result, "appeal_due")
    assert appeal.at == msk(2026, 4, 8, 16, 0)
    assert appeal.actor is Actor.BUYER
    assert seeds(appeal) == {"004"}
    assert result.phase is Phase.CLOSED
    assert result.next is not None and result.next.milestone == "appeal_due"
    assert result.next.act_by == msk(2026, 4, 7, 16, 0)
    assert "escalation" not in ids(result)


def test_feedback_window_is_30_days_after_confirmation() -> None:
    result = timeline_for(confirmed="2026-03-01T14:30", tz=TZ, as_of="2026-03-02")
    feedback = get(result, "feedback_due")
    assert feedback.at == msk(2026, 3, 31, 14, 30)
    assert feedback.rule == "feedback_window"
    # It follows post_confirmation_protection (000, 004; 001 under ends_at_once).
    assert seeds(feedback) == {"000", "004"}


# --- phases (SPEC section 3) ------------------------------------------------------------

PHASE_CASES: list[tuple[dict[str, object], Phase]] = [
    ({"placed": "2026-03-01"}, Phase.AWAITING_PAYMENT),
    ({"placed": "2026-02-01", "as_of": "2026-02-21"}, Phase.CLOSED),
    ({"paid": "2026-03-01"}, Phase.AWAITING_SHIPMENT),
    ({"shipped": "2026-02-20", "delivery_days": 30}, Phase.IN_TRANSIT),
    ({"shipped": "2026-02-20", "delivered": "2026-03-01"}, Phase.DELIVERED),
    ({"confirmed": "2026-03-01"}, Phase.CONFIRMED),
    ({"dispute_opened": "2026-03-01"}, Phase.DISPUTE_AWAITING_SELLER),
    (
        {"dispute_opened": "2026-02-25", "seller_responded": ("2026-02-27",)},
        Phase.DISPUTE_AWAITING_BUYER,
    ),
    (
        {
            "dispute_opened": "2026-02-01",
            "seller_responded": ("2026-02-03",),
            "buyer_responded": ("2026-02-05",),
        },
        Phase.DISPUTE_AWAITING_SELLER,
    ),
    ({"dispute_opened": "2026-02-01", "escalated": "2026-02-20"}, Phase.ESCALATED),
    ({"dispute_opened": "2026-02-01", "dispute_closed": "2026-02-20"}, Phase.CLOSED),
    ({"confirmed": "2026-02-01"}, Phase.PROTECTION_EXPIRED),
    ({"shipped": "2026-01-01", "delivery_days": 30}, Phase.PROTECTION_EXPIRED),
]


@pytest.mark.parametrize(("fields", "phase"), PHASE_CASES, ids=lambda v: str(v))
def test_phase(fields: dict[str, object], phase: Phase) -> None:
    fields = {"as_of": "2026-03-02T12:00", "tz": TZ, **fields}
    assert timeline_for(**fields).phase is phase


def test_every_phase_is_covered() -> None:
    assert {phase for _, phase in PHASE_CASES} == set(Phase)


def test_protection_expires_exactly_at_protection_end() -> None:
    just_before = timeline_for(confirmed="2026-03-01", tz=TZ, as_of="2026-03-15T23:59")
    at_end = timeline_for(confirmed="2026-03-01", tz=TZ, as_of="2026-03-16T00:00")
    assert just_before.phase is Phase.CONFIRMED
    assert at_end.phase is Phase.PROTECTION_EXPIRED


# --- next action ------------------------------------------------------------------------


def test_next_action_when_confirmed() -> None:
    result = timeline_for(confirmed="2026-03-01", tz=TZ, as_of="2026-03-02T00:00")
    action = result.next
    assert action is not None
    assert action.milestone == "protection_end"
    assert action.deadline == msk(2026, 3, 16)
    assert action.deadline_day == date(2026, 3, 16)
    assert action.act_by == msk(2026, 3, 15)
    assert "Open a dispute" in action.action
    assert action.if_nothing == "the order completes and the money goes to the seller"


def test_next_action_when_awaiting_payment() -> None:
    result = timeline_for(placed="2026-03-01T10:15", tz=TZ, as_of="2026-03-02")
    action = result.next
    assert action is not None
    assert action.milestone == "payment_due"
    assert action.deadline == msk(2026, 3, 21, 10, 15)
    assert action.act_by == msk(2026, 3, 20, 10, 15)


def test_next_action_when_protection_expired() -> None:
    result = timeline_for(confirmed="2026-02-01", tz=TZ, as_of="2026-03-02")
    assert result.phase.value == "protection_expired"
    assert result.next is None  # nothing is left to do: JSON next is null


# --- summary: the 53-day plan of 000 ----------------------------------------------------


def test_summary_of_the_000_example_is_53_days() -> None:
    result = timeline_for(shipped="2026-02-10", confirmed="2026-03-01", tz=TZ, as_of="2026-03-02")
    summary = result.summary
    assert summary.total_days == 53
    assert summary.protection_end == msk(2026, 3, 16)
    assert summary.safe_dispute_date == date(2026, 3, 15)
    # 14 + 4 + 9 + 4 + 9 + 4 + 9 = 53 days after 1 March: 23 April.
    assert summary.escalation == msk(2026, 4, 23)
    assert at(result, "seller_response_due_1") == msk(2026, 3, 20)
    assert at(result, "buyer_response_due_1") == msk(2026, 3, 29)
    assert at(result, "seller_response_due_2") == msk(2026, 4, 2)
    assert at(result, "buyer_response_due_2") == msk(2026, 4, 11)
    assert at(result, "seller_response_due_3") == msk(2026, 4, 15)
    assert at(result, "buyer_response_due_3") == msk(2026, 4, 24)
    planned = [item.id for item in result.milestones if item.projected and item.at is not None]
    assert planned == [
        "seller_response_due_1",
        "buyer_response_due_1",
        "seller_response_due_2",
        "buyer_response_due_2",
        "seller_response_due_3",
        "escalation",
        "buyer_response_due_3",
    ]


def test_53_day_plan_holds_to_the_hour() -> None:
    result = timeline_for(confirmed="2026-03-01T21:45", tz=TZ, as_of="2026-03-02")
    assert result.summary.escalation == msk(2026, 4, 23, 21, 45)
    assert result.summary.total_days == 53


# --- warnings: seeds_disagree -----------------------------------------------------------


def test_seeds_disagree_names_both_readings_and_their_sources() -> None:
    result = timeline_for(confirmed="2026-03-01", tz=TZ, as_of="2026-03-02")
    messages = {w.message.split(":")[0]: w.message for w in result.warnings}
    assert [w.code for w in result.warnings] == ["seeds_disagree", "seeds_disagree"]
    protection = messages["post_confirmation_protection"]
    assert "15 days (000, 004" in protection
    assert "ends_at_once: 0 days (001, 000)" in protection
    assert "--reading post_confirmation_protection=NAME" in protection
    limit = messages["negotiation_limit"]
    assert "seven_days: 7 days (004)" in limit and "fifteen_days: 15 days (004)" in limit


def test_seeds_disagree_with_a_chosen_reading_names_the_default() -> None:
    rules = reading(post_confirmation_protection="ends_at_once")
    result = timeline_for(rules, confirmed="2026-03-01", tz=TZ, as_of="2026-03-02")
    message = next(
        w.message
        for w in result.warnings
        if w.code == "seeds_disagree" and w.message.startswith("post_confirmation_protection")
    )
    assert "0 days (001, 000, reading 'ends_at_once')" in message
    assert "the seeds also say default: 15 days (000, 004)." in message


def test_no_seeds_disagree_for_rules_not_used() -> None:
    result = timeline_for(placed="2026-03-01", tz=TZ)
    assert [w.code for w in result.warnings] == []
