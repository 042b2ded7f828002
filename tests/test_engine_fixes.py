"""Regression tests for engine bugs found while writing the scenario files.

Datetimes that share a ZoneInfo subtract and compare as wall-clock times, ignoring the UTC
offset; across a daylight-saving change that is an hour off (SPEC 2.2 wants elapsed time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from protectcalc.model import Timeline
from tests.conftest import timeline_for


def utc_at(timeline: Timeline, milestone_id: str) -> datetime | None:
    """A milestone's instant in UTC: in the repeated hour it never equals another zone's."""
    item = timeline.milestone(milestone_id)
    return item.at.astimezone(UTC) if item is not None and item.at is not None else None


def test_total_days_counts_elapsed_days_across_the_autumn_change() -> None:
    """Confirmed 00:00 EDT 20 Oct; the escalation 53 x 24 h later is 23:00 EST: still 53 days."""
    timeline = timeline_for(
        tz="America/New_York", shipped="2026-09-25", confirmed="2026-10-20", as_of="2026-10-21"
    )
    assert timeline.summary.escalation == datetime(2026, 12, 12, 4, 0, tzinfo=UTC)
    assert timeline.summary.total_days == 53


def test_no_seller_silence_before_the_deadline_in_the_repeated_hour() -> None:
    """as_of 02:45 CEST (00:45 UTC) is 45 minutes before a deadline at 02:30 CET (01:30 UTC)."""
    timeline = timeline_for(
        tz="Europe/Berlin",
        shipped="2026-10-01",
        dispute_opened="2026-10-20T01:30Z",
        as_of="2026-10-25T02:45+02:00",
    )
    assert utc_at(timeline, "seller_response_due_1") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert "seller_silence" not in {warning.code for warning in timeline.warnings}
    assert utc_at(timeline, "buyer_response_due_1") == datetime(2026, 11, 3, 1, 30, tzinfo=UTC)


def test_seller_silence_after_the_deadline_in_the_repeated_hour() -> None:
    """as_of 02:45 CET (01:45 UTC) is 15 minutes after the same deadline."""
    timeline = timeline_for(
        tz="Europe/Berlin",
        shipped="2026-10-01",
        dispute_opened="2026-10-20T01:30Z",
        as_of="2026-10-25T02:45+01:00",
    )
    assert "seller_silence" in {warning.code for warning in timeline.warnings}
    assert timeline.milestone("buyer_response_due_1") is None


def test_milestones_sort_by_instant_in_the_repeated_hour() -> None:
    """protection_end at 02:45 CEST (00:45 UTC) comes before a deadline at 02:30 CET (01:30 UTC)."""
    timeline = timeline_for(
        tz="Europe/Berlin",
        shipped="2026-10-01",
        confirmed="2026-10-10T00:45Z",
        dispute_opened="2026-10-20T01:30Z",
        as_of="2026-10-25T03:00+01:00",
    )
    assert utc_at(timeline, "protection_end") == datetime(2026, 10, 25, 0, 45, tzinfo=UTC)
    assert utc_at(timeline, "seller_response_due_1") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    ids = [item.id for item in timeline.milestones]
    assert ids.index("protection_end") < ids.index("seller_response_due_1")


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    """An atomically written file is not left private (mkstemp's 0600)."""
    import os

    from protectcalc.cli.shell import write_atomically

    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "new.json"
        write_atomically(fresh, "{}\n")
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.yaml"
        kept.write_text("a: 1\n")
        kept.chmod(0o640)
        write_atomically(kept, "a: 2\n")
        assert kept.stat().st_mode & 0o777 == 0o640
        assert kept.read_text() == "a: 2\n"
    finally:
        os.umask(umask)


def test_late_events_are_flagged_but_used_as_given() -> None:
    """Paid after payment_due, delivered after the delivery period: a late_event warning each."""
    late_payment = timeline_for(placed="2026-03-01", paid="2026-03-22", as_of="2026-03-22")
    assert [w.code for w in late_payment.warnings].count("late_event") == 1
    assert "paid 2026-03-22 00:00 comes after 2026-03-21 00:00" in late_payment.warnings[-1].message
    late_delivery = timeline_for(
        shipped="2026-01-01", delivery_days=20, delivered="2026-01-25", as_of="2026-01-26"
    )
    messages = [w.message for w in late_delivery.warnings if w.code == "late_event"]
    assert messages == [
        "delivered 2026-01-25 00:00 comes after 2026-01-21 00:00: the order completed by "
        "itself when the delivery period ended. Check the order page; the timeline uses the "
        "dates as given."
    ]
    end = late_delivery.milestone("protection_end")
    assert end is not None and end.at == datetime(2026, 1, 21, tzinfo=UTC)


def test_on_time_events_raise_no_late_warning() -> None:
    on_time = timeline_for(
        placed="2026-03-01",
        paid="2026-03-02",
        shipped="2026-03-03",
        delivery_days=30,
        delivered="2026-03-20",
        confirmed="2026-03-21",
        as_of="2026-03-21",
    )
    assert "late_event" not in [w.code for w in on_time.warnings]


def test_cancellation_after_shipping_names_the_cancellation() -> None:
    import pytest

    from protectcalc.errors import InputError

    with pytest.raises(InputError) as caught:
        timeline_for(paid="2026-03-01", shipped="2026-03-03", cancel_requested="2026-03-05")
    assert caught.value.field == "cancel_requested"
    assert str(caught.value) == (
        "--cancel-requested 2026-03-05: is not before --shipped 2026-03-03: an order cannot "
        "be cancelled after it was shipped (003)"
    )


def test_shipped_without_delivery_period_asks_for_it() -> None:
    result = timeline_for(shipped="2026-03-01", as_of="2026-03-05")
    assert result.milestone("protection_end") is None
    assert "delivery_period_unknown" in [w.code for w in result.warnings]
    known = timeline_for(shipped="2026-03-01", delivery_days=30, as_of="2026-03-05")
    assert "delivery_period_unknown" not in [w.code for w in known.warnings]
