"""Issue 9: where the sources hedge or disagree, the earlier buyer deadline by default."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from protectcalc.model import Phase, Timeline
from protectcalc.rules import load_rule_set
from tests.conftest import timeline_for

MSK = ZoneInfo("Europe/Moscow")
UTC = ZoneInfo("UTC")


def codes(result: Timeline) -> list[str]:
    return [warning.code for warning in result.warnings]


def at(result: Timeline, milestone_id: str) -> datetime | None:
    item = result.milestone(milestone_id)
    return None if item is None else item.at


def test_refund_after_a_cancellation_request_is_planned() -> None:
    result = timeline_for(
        placed="2026-03-01T20:00", paid="2026-03-02T10:00", cancel_requested="2026-03-03T18:45",
        buyer_country="RU", as_of="2026-03-04T09:00",
    )  # fmt: skip
    earliest = result.milestone("refund_earliest")
    assert earliest is not None and earliest.projected and earliest.day == date(2026, 3, 12)
    assert {src.seed[:3] for src in earliest.sources if src.seed} == {"002", "003"}
    assert "cancellation_uncertain" in codes(result)


def test_a_cancelled_dispute_has_no_appeal_by_default() -> None:
    order = {
        "shipped": "2026-03-01", "delivered": "2026-03-20", "dispute_opened": "2026-03-22",
        "dispute_closed": "2026-03-25T12:00", "dispute_outcome": "cancelled",
        "as_of": "2026-03-25T13:00",
    }  # fmt: skip
    assert at(timeline_for(**order), "appeal_due") == datetime(2026, 3, 25, 12, tzinfo=UTC)
    other = timeline_for(load_rule_set(None, {"appeal_after_cancel": "within_7_days"}), **order)
    assert at(other, "appeal_due") == datetime(2026, 4, 1, 12, tzinfo=UTC)


def test_feedback_follows_ends_at_once() -> None:
    rules = load_rule_set(None, {"post_confirmation_protection": "ends_at_once"})
    result = timeline_for(rules, confirmed="2026-03-01", tz="Europe/Moscow", as_of="2026-03-02")
    assert at(result, "feedback_due") == datetime(2026, 3, 1, tzinfo=MSK)


def test_feedback_after_the_automatic_confirmation() -> None:
    result = timeline_for(delivered="2026-03-10", shipped="2026-03-01", as_of="2026-03-11")
    assert at(result, "feedback_due") == datetime(2026, 4, 16, tzinfo=UTC)  # 17 Mar + 30 days
    assert at(result, "protection_end") == datetime(2026, 3, 17, tzinfo=UTC)
    assert result.summary.total_days is not None  # item 12: delivered orders get total_days
    rules = load_rule_set(None, {"auto_confirmation_protection": "fifteen_days"})
    other = timeline_for(rules, delivered="2026-03-10", shipped="2026-03-01", as_of="2026-03-11")
    assert at(other, "protection_end") == datetime(2026, 4, 1, tzinfo=UTC)


def test_the_third_edit_does_not_escalate() -> None:
    result = timeline_for(
        confirmed="2026-03-01", dispute_opened="2026-03-15T10:00", tz="Europe/Moscow",
        seller_responded=("2026-03-17T08:00", "2026-03-28T09:00", "2026-04-08T10:00"),
        buyer_responded=("2026-03-26T20:00", "2026-04-06T18:00", "2026-04-17T12:00"),
        as_of="2026-04-18T12:00",
    )  # fmt: skip
    escalation = result.milestone("escalation")
    assert escalation is not None and escalation.projected
    assert escalation.at == datetime(2026, 4, 17, 12, tzinfo=MSK)
    assert result.phase is Phase.DISPUTE_AWAITING_SELLER
    due = result.milestone("escalated_response_due")
    assert due is not None and due.projected


def test_the_mediator_answer_counts_from_the_last_question() -> None:
    result = timeline_for(
        tz="Asia/Shanghai", shipped="2026-01-20", delivered="2026-01-28",
        dispute_opened="2026-01-30", seller_responded=("2026-02-02",),
        buyer_responded=("2026-02-05",), escalated="2026-02-26T10:00",
        mediator_asked=("2026-03-09T15:00", "2026-03-16T11:00"), as_of="2026-03-17",
    )  # fmt: skip
    due = result.milestone("escalated_response_due")
    assert due is not None and not due.projected and due.day == date(2026, 3, 25)


def test_a_stale_plan_starts_now_or_not_at_all() -> None:
    soon = timeline_for(confirmed="2026-03-01", tz="Europe/Moscow", as_of="2026-03-15T12:00")
    assert at(soon, "seller_response_due_1") == datetime(2026, 3, 20, 12, tzinfo=MSK)
    assert "safe_date_passed" in codes(soon)
    ended = timeline_for(confirmed="2026-03-01", tz="Europe/Moscow", as_of="2026-03-16T12:00")
    assert ended.milestone("escalation") is None and ended.summary.total_days is None
    assert "protection_ended" in codes(ended)


def test_the_plan_says_53_days_is_the_most() -> None:
    result = timeline_for(confirmed="2026-03-01", tz="Europe/Moscow", as_of="2026-03-02")
    assert result.summary.total_days == 53
    assert result.summary.total_days_usual == (30, 40)
    assert result.plan_note is not None and "30-40 days" in result.plan_note


def test_no_extension_advice_after_confirming() -> None:
    result = timeline_for(
        shipped="2026-02-10", confirmed="2026-03-01", tz="Europe/Moscow", as_of="2026-03-02"
    )
    message = next(w.message for w in result.warnings if w.code == "delivery_after_protection")
    assert "ask the seller to extend" not in message
