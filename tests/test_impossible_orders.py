"""Impossible orders are refused or flagged, never answered with confidence (issue 7, section 2)."""

from __future__ import annotations

from tests.conftest import timeline_for


def ids(**fields: object) -> list[str]:
    return [item.id for item in timeline_for(**fields).milestones]


def test_an_order_never_paid_gets_no_refund_milestones() -> None:
    found = ids(
        placed="2026-03-01",
        cancel_requested="2026-03-02",
        buyer_country="RU",
        as_of="2026-03-03",
    )
    assert "refund_earliest" not in found and "refund_latest" not in found
    assert "payment_due" in found


def test_a_paid_cancelled_order_still_gets_its_refund_window() -> None:
    timeline = timeline_for(
        placed="2026-03-01",
        paid="2026-03-01",
        cancel_requested="2026-03-02",
        buyer_country="RU",
        as_of="2026-03-03",
    )
    earliest = timeline.milestone("refund_earliest")
    assert (
        earliest is not None and earliest.day.isoformat() == "2026-03-11"
    )  # Mar 9 is a holiday in RU


def refused(args: list[str]) -> str:
    import contextlib
    import io

    from protectcalc.cli import run

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run(["timeline", "--tz", "UTC", "--as-of", "2026-04-01", *args, "-f", "json"])
    assert code == 2, err.getvalue()
    return err.getvalue()


def test_a_cancellation_after_delivery_is_refused_like_one_after_shipping() -> None:
    message = refused(
        ["--paid", "2026-03-01", "--delivered", "2026-03-10", "--cancel-requested", "2026-03-12"]
    )
    assert message == (
        "protectcalc: --cancel-requested 2026-03-12: is not before --delivered 2026-03-10: "
        "an order cannot be cancelled after it was delivered (003)\n"
    )


def test_a_cancellation_after_confirmation_is_refused() -> None:
    message = refused(
        ["--paid", "2026-03-01", "--confirmed", "2026-03-10", "--cancel-requested", "2026-03-12"]
    )
    assert message == (
        "protectcalc: --cancel-requested 2026-03-12: is not before --confirmed 2026-03-10: "
        "an order cannot be cancelled after it was received (receipt confirmed) (003)\n"
    )


def test_shipped_after_confirmed_is_refused_naming_both_events() -> None:
    message = refused(["--shipped", "2026-03-05", "--confirmed", "2026-03-01"])
    assert message == "protectcalc: --confirmed 2026-03-01: is before --shipped 2026-03-05\n"


def test_delivered_after_confirmed_is_a_warning_not_an_error() -> None:
    """An accidental confirmation before the parcel arrives is the 000 story: allowed, flagged."""
    timeline = timeline_for(
        shipped="2026-02-10", confirmed="2026-03-01", delivered="2026-03-05", as_of="2026-03-06"
    )
    warnings = {item.code: item.message for item in timeline.warnings}
    assert warnings["confirmed_before_delivery"].startswith(
        "delivered 2026-03-05 00:00 comes after confirmed 2026-03-01 00:00: receipt was confirmed"
    )
    end = timeline.milestone("protection_end")
    assert (
        end is not None and end.at is not None and end.at.isoformat() == "2026-03-16T00:00:00+00:00"
    )


def test_a_buyer_edit_after_the_buyers_deadline_gets_the_missed_answer_warning() -> None:
    timeline = timeline_for(
        dispute_opened="2026-03-01",
        seller_responded=("2026-03-03",),
        buyer_responded=("2026-03-20",),
        as_of="2026-03-21",
    )
    warnings = {item.code: item.message for item in timeline.warnings}
    assert warnings["buyer_missed_response"] == (
        "Your edit 2026-03-20 00:00 came after your answer was due 2026-03-13 00:00 (round 1): "
        "the dispute may already have closed in the seller's favour. Check the dispute page."
    )


def test_a_buyer_edit_in_time_gets_no_missed_answer_warning() -> None:
    timeline = timeline_for(
        dispute_opened="2026-03-01",
        seller_responded=("2026-03-03",),
        buyer_responded=("2026-03-12T23:59",),
        as_of="2026-03-13",
    )
    assert "buyer_missed_response" not in {item.code for item in timeline.warnings}


def test_a_late_seller_answer_keeps_the_silent_seller_warning() -> None:
    timeline = timeline_for(
        dispute_opened="2026-03-01",
        seller_responded=("2026-03-08",),
        as_of="2026-03-09",
    )
    warnings = {item.code: item.message for item in timeline.warnings}
    assert warnings["seller_silence"] == (
        "The seller answered 2026-03-08 00:00, after the deadline 2026-03-06 00:00 (round 1): "
        "a seller who ignores a dispute loses it and the money is returned (004). "
        "Check the dispute page."
    )


def test_a_deadline_long_past_is_not_the_next_action() -> None:
    timeline = timeline_for(paid="2025-06-01", processing_days=5, as_of="2026-02-01")
    assert timeline.phase.value == "awaiting_shipment"
    action = timeline.next
    assert action is not None
    assert action.deadline is None and action.act_by is None
    assert action.milestone == "ship_by"
    assert action.action == (
        "The seller did not ship within the processing time: you may cancel the order for the "
        "seller's fault (004)."
    )


def test_a_past_buyer_answer_is_not_the_next_action() -> None:
    timeline = timeline_for(
        dispute_opened="2026-03-01", seller_responded=("2026-03-03",), as_of="2026-11-01"
    )
    assert timeline.next is not None and timeline.next.deadline is None
    assert timeline.next.action.startswith("Your answer was due and none is recorded")


def test_the_table_never_says_overdue_and_left_together() -> None:
    import contextlib
    import io

    from protectcalc.cli import run

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(
            [
                "timeline",
                "--paid",
                "2025-06-01",
                "--processing-days",
                "5",
                "--tz",
                "UTC",
                "--as-of",
                "2026-02-01",
            ]
        )
    assert code == 0
    assert "overdue" not in out.getvalue() and "Deadline:" not in out.getvalue()
    assert "The seller did not ship within the processing time" in out.getvalue()
