"""Regression tests for engine bugs found while writing the scenario files.

Datetimes that share a ZoneInfo subtract and compare as wall-clock times, ignoring the UTC
offset; across a daylight-saving change that is an hour off (SPEC 2.2 wants elapsed time).
"""

from __future__ import annotations

from datetime import UTC, datetime

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
