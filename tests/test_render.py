"""Renderers: every output format for the same order, the JSON/CSV contract, the .ics export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from rich.console import Console

from protectcalc.model import Actor, Milestone, Source, Timeline
from protectcalc.render import OutputFormat
from protectcalc.render.csvout import CSV_COLUMNS, render_csv
from protectcalc.render.ics import event_uid, render_ics
from protectcalc.render.jsonout import render_json, timeline_dict
from protectcalc.render.labels import label
from protectcalc.render.table import render_table
from tests.conftest import timeline_for
from tests.test_cli import invoke

MSK = ZoneInfo("Europe/Moscow")
NEW_YORK = ZoneInfo("America/New_York")
EXAMPLE_ARGS = ["timeline", "--confirmed", "2026-03-01", "--tz", "Europe/Moscow"]


def example() -> Timeline:
    return timeline_for(confirmed="2026-03-01", tz="Europe/Moscow", as_of="2026-03-02T12:00")


def table_text(timeline: Timeline) -> str:
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(render_table(timeline))
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def check_json(text: str) -> None:
    data = json.loads(text)
    assert data["schema"] == 1 and data["summary"]["total_days"] == 53


def check_csv(text: str) -> None:
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) > 1 and all(len(row) == len(CSV_COLUMNS) for row in rows)


def check_ics(text: str) -> None:
    calendar = Calendar.from_ical(text)
    assert len(calendar.walk("VEVENT")) > 0


def check_table(text: str) -> None:
    assert "Protection ends: last moment to open a dispute" in text
    assert "2026-03-16" in text


def check_chart(text: str) -> None:
    assert "█ real  ░ planned" in text and "▲ as of" in text


def check_svg(text: str) -> None:
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    import xml.etree.ElementTree as ET

    assert ET.fromstring(text).tag == "{http://www.w3.org/2000/svg}svg"


def check_html(text: str) -> None:
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "<table>" in text


CHECKS: dict[OutputFormat, Callable[[str], None]] = {
    OutputFormat.TABLE: check_table,
    OutputFormat.JSON: check_json,
    OutputFormat.CSV: check_csv,
    OutputFormat.ICS: check_ics,
    OutputFormat.CHART: check_chart,
    OutputFormat.SVG: check_svg,
    OutputFormat.HTML: check_html,
}


def test_every_output_format_has_a_check() -> None:
    assert set(CHECKS) == set(OutputFormat), "a new --format needs a parse check here"


@pytest.mark.parametrize("fmt", list(OutputFormat), ids=str)
def test_every_format_renders_the_same_order(fmt: OutputFormat) -> None:
    result = invoke([*EXAMPLE_ARGS, "--format", fmt.value], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert result.stdout.strip(), fmt
    assert result.stderr == ""
    CHECKS[fmt](result.stdout)


# --- JSON and CSV -----------------------------------------------------------------------


def test_json_round_trips_the_timeline_dict() -> None:
    timeline = example()
    assert json.loads(render_json(timeline)) == timeline_dict(timeline)
    assert render_json(timeline).endswith("}\n")


def test_json_keeps_quotes_as_written_and_has_no_colour() -> None:
    timeline = timeline_for(delivered="2026-03-05", tz="Europe/Moscow", as_of="2026-03-06")
    text = render_json(timeline)
    assert "\x1b[" not in text
    assert "status \u201cIssued to recipient\u201d appears" in text  # not \\u201c escapes


def test_seconds_left_is_exact_elapsed_time_across_dst() -> None:
    # Confirmed 1 March 00:00 EST in New York; protection ends 15 x 24 h later, 16 March 01:00
    # EDT. As of 2 March 00:00 EST exactly 14 x 24 h are left, not 14 days and 1 hour.
    timeline = timeline_for(confirmed="2026-03-01", tz="America/New_York", as_of="2026-03-02")
    data = timeline_dict(timeline)
    assert data["next"]["deadline"] == "2026-03-16T01:00-04:00"
    assert data["next"]["seconds_left"] == 14 * 86400
    assert data["next"]["time_left"] == "14d 0h"
    assert "(14d 0h left)" in table_text(timeline)


def test_csv_has_one_row_per_milestone() -> None:
    timeline = example()
    rows = list(csv.DictReader(io.StringIO(render_csv(timeline))))
    assert [row["id"] for row in rows] == [item.id for item in timeline.milestones]
    assert all(row["projected"] in ("true", "false") for row in rows)


# --- iCalendar --------------------------------------------------------------------------


def events(text: str) -> list[object]:
    return list(Calendar.from_ical(text).walk("VEVENT"))


def by_summary(text: str) -> dict[str, object]:
    return {str(event.get("summary")): event for event in events(text)}  # type: ignore[attr-defined]


def test_ics_has_the_buyers_deadlines_and_the_escalation() -> None:
    timeline = example()
    text = render_ics(timeline)
    expected = [
        item
        for item in timeline.milestones
        if item.id == "escalation" or (item.actor is Actor.BUYER and item.rule != "event")
    ]
    found = events(text)
    assert len(found) == len(expected)
    summaries = [str(event.get("summary")) for event in found]  # type: ignore[attr-defined]
    assert summaries == [
        label(item) + (" (planned)" if item.projected else "") for item in expected
    ]
    assert "Seller must answer the dispute (round 1)" not in " ".join(summaries)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")


def test_ics_timed_events_carry_their_zone() -> None:
    timeline = timeline_for(confirmed="2026-03-01T14:30", tz="Europe/Moscow", as_of="2026-03-02")
    text = render_ics(timeline)
    assert "DTSTART;TZID=Europe/Moscow:20260316T143000\r\n" in text
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Moscow\r\n" in text
    end = by_summary(text)["Protection ends: last moment to open a dispute"]
    start = end.get("dtstart").dt  # type: ignore[attr-defined]
    assert start == datetime(2026, 3, 16, 14, 30, tzinfo=MSK)
    assert start.utcoffset() == timedelta(hours=3)


def test_ics_midnight_deadline_sits_on_its_last_day() -> None:
    """protection_end 16 March 00:00 is the end of 15 March: an all-day event on 15 March."""
    text = render_ics(example())
    end = by_summary(text)["Protection ends: last moment to open a dispute"]
    assert end.get("dtstart").dt == date(2026, 3, 15)  # type: ignore[attr-defined]
    assert end.get("dtend").dt == date(2026, 3, 16)  # type: ignore[attr-defined]
    assert "DTSTART;VALUE=DATE:20260315\r\n" in text
    assert "DTSTART;TZID=Europe/Moscow:20260316T000000" not in text
    assert "TRIGGER;RELATED=END:-P1D\r\n" in text  # one margin before the deadline itself
    assert "Last day: 2026-03-15 Sun, until 24:00 MSK." in str(end.get("description"))


def test_ics_utc_orders_are_written_in_utc() -> None:
    timeline = timeline_for(confirmed="2026-03-01T14:30", tz="UTC", as_of="2026-03-02")
    text = render_ics(timeline)
    assert "DTSTART:20260316T143000Z\r\n" in text
    assert "TZID" not in text


def test_ics_alarms_one_margin_before_buyer_deadlines_only() -> None:
    text = render_ics(example())
    for summary, event in by_summary(text).items():
        alarms = event.walk("VALARM")  # type: ignore[attr-defined]
        if summary.startswith("Dispute escalates"):
            assert alarms == []
        else:
            assert len(alarms) == 1, summary
            assert alarms[0].get("trigger").dt == -timedelta(days=1)
            assert str(alarms[0].get("action")) == "DISPLAY"


def test_ics_alarm_margin_is_one_day_across_dst() -> None:
    timeline = timeline_for(confirmed="2026-03-01", tz="America/New_York", as_of="2026-03-02")
    assert "TRIGGER:-P1D\r\n" in render_ics(timeline)
    assert "TRIGGER:-P1DT1H" not in render_ics(timeline)


def test_ics_description_has_explanation_and_sources() -> None:
    end = by_summary(render_ics(example()))["Protection ends: last moment to open a dispute"]
    description = str(end.get("description"))  # type: ignore[attr-defined]
    assert description.startswith("receipt confirmed 2026-03-01 00:00 + 15 days")
    assert "000_6f6c5fe111c31055.txt" in description
    assert "You need to open a dispute with the seller within FIFTEEN days." in description


def test_ics_uids_are_stable_unique_and_order_independent() -> None:
    timeline = example()
    first = render_ics(timeline)
    again = render_ics(timeline)
    reversed_order = render_ics(replace(timeline, milestones=timeline.milestones[::-1]))
    assert first == again

    def uids(text: str) -> dict[str, str]:
        return {
            str(e.get("summary")): str(e.get("uid"))  # type: ignore[attr-defined]
            for e in events(text)
        }

    assert uids(first) == uids(reversed_order)
    assert len(set(uids(first).values())) == len(uids(first))
    protection_end = timeline.milestone("protection_end")
    assert protection_end is not None
    assert uids(first)[label(protection_end)] == event_uid(protection_end)


def test_ics_uid_depends_on_the_instant_not_its_zone() -> None:
    at = datetime(2026, 3, 16, tzinfo=MSK)
    item = Milestone(
        "protection_end", at.date(), at, Actor.BUYER, "post_confirmation_protection", "x"
    )
    same_instant = replace(item, at=at.astimezone(UTC))
    later = replace(item, at=at + timedelta(hours=1))
    assert event_uid(item) == event_uid(same_instant)
    assert event_uid(item) != event_uid(later)
    assert event_uid(item) != event_uid(replace(item, id="safe_dispute_open"))


def test_ics_business_day_milestone_is_an_all_day_event() -> None:
    timeline = example()
    business = Milestone(
        id="escalated_response_due",
        day=date(2026, 5, 7),
        at=None,
        actor=Actor.BUYER,
        rule="escalated_response",
        explain="escalation + 7 business days (CN calendar)",
        projected=True,
        sources=(Source("004_a43b1fa066a5da86.txt", "usually limited to 7 business days"),),
        on_calendar=True,
        label="Answer the mediator by",
    )
    others = tuple(item for item in timeline.milestones if item.id != business.id)
    text = render_ics(replace(timeline, milestones=(*others, business)))
    # due as 7 May begins, so 6 May is the last day
    assert "DTSTART;VALUE=DATE:20260506\r\n" in text
    assert "DTEND;VALUE=DATE:20260507\r\n" in text
    event = by_summary(text)["Answer the mediator by (planned)"]
    assert event.get("dtstart").dt == date(2026, 5, 6)  # type: ignore[attr-defined]


def test_ics_stamp_is_the_as_of_moment() -> None:
    text = render_ics(example())
    assert "DTSTAMP:20260302T090000Z\r\n" in text


def test_ics_with_nothing_for_the_buyer_is_still_a_calendar() -> None:
    timeline = timeline_for(paid="2026-03-01", processing_days=5, tz="Europe/Moscow")
    calendar = Calendar.from_ical(render_ics(timeline))
    assert calendar.walk("VEVENT") == []
    assert str(calendar.get("version")) == "2.0"


def test_ics_reminders_follow_the_rule_sets_safety_margin(tmp_path: Path) -> None:
    """The reminder is the rule set's safety_margin, not a constant of the renderer."""
    from importlib import resources

    from protectcalc.rules import load_rule_set

    shipped = (
        resources.files("protectcalc.rules.data").joinpath("aliexpress.toml").read_text("utf-8")
    )
    marker = "[rules.safety_margin]\nvalue = 1\n"
    assert marker in shipped
    custom = tmp_path / "two_day_margin.toml"
    custom.write_text(shipped.replace(marker, "[rules.safety_margin]\nvalue = 2\n"), "utf-8")
    timeline = timeline_for(
        load_rule_set(str(custom)), confirmed="2026-03-01", as_of="2026-03-02T12:00"
    )
    assert timeline.safety_margin == timedelta(days=2)
    text = render_ics(timeline)
    assert "TRIGGER;RELATED=END:-P2D\r\n" in text
    assert "-P1D\r\n" not in text


MANY_EVENTS: dict[str, dict[str, object]] = {
    "aliexpress": {"shipped": "2026-11-03", "delivery_days": 30, "dispute_opened": "2026-11-20"},
    "paypal": {"placed": "2026-11-01", "paid": "2026-11-01", "delivered": "2026-11-10"},
    "ebay": {"placed": "2026-11-10", "estimated_delivery": "2026-11-20"},
    "amazon": {"placed": "2026-11-01", "estimated_delivery": "2026-11-12"},
    "temu": {
        "placed": "2026-11-01",
        "estimated_delivery": "2026-11-12",
        "return_submitted": "2026-11-20",
    },
    "etsy": {"placed": "2026-11-01", "estimated_delivery": "2026-11-12"},
    "card": {"placed": "2026-11-01", "transaction_posted": "2026-11-02"},
}
"""For each shipped rule set, an order that gives several milestones with their sources."""


@pytest.mark.parametrize("width", [80, 100, 160])
@pytest.mark.parametrize("rules_name", sorted(MANY_EVENTS))
def test_the_milestone_table_keeps_every_column_readable(rules_name: str, width: int) -> None:
    """Long source names (web pages' hosts, several to a rule) wrap in their own column; they
    once took the whole width at 80 columns and squeezed the milestones' column to nothing."""
    from protectcalc.rules import load_rule_set

    timeline = timeline_for(
        load_rule_set(rules_name),
        tz="Europe/Berlin",
        as_of="2026-11-23T10:00",
        **MANY_EVENTS[rules_name],
    )
    assert len(timeline.milestones) >= 2
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(render_table(timeline))
    assert isinstance(console.file, io.StringIO)
    text = console.file.getvalue()
    lines = text.splitlines()
    header = lines[lines.index(next(x for x in lines if x.startswith("┏"))) + 1 :]
    header = header[: header.index(next(x for x in header if x.startswith("┡")))]
    titles = [
        " ".join(" ".join(line.strip("┃").split("┃")[column].split()) for line in header).split()
        for column in range(4)
    ]
    assert [words[0] for words in titles] == ["When", "Who", "Milestone", "Source"]
    for item in timeline.milestones:
        assert item.id in text, item.id
