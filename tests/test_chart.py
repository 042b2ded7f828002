"""The terminal chart: windows derived from the timeline, bars on one day axis, 80 columns."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from protectcalc.model import Actor, Milestone, Timeline
from protectcalc.render.chart import PLANNED, REAL, Axis, bar_columns, chart_text, render_chart
from protectcalc.render.windows import family, lanes, milestone_windows
from tests.conftest import timeline_for
from tests.test_cli import invoke

MSK = ZoneInfo("Europe/Moscow")
EXAMPLE = [
    "--confirmed", "2026-03-01", "--tz", "Europe/Moscow", "--as-of", "2026-03-02T09:00",
]  # fmt: skip


def example() -> Timeline:
    return timeline_for(confirmed="2026-03-01", tz="Europe/Moscow", as_of="2026-03-02T09:00")


def at(day: int, month: int = 3, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=MSK)


WORKED_EXAMPLE_CHART = """\
order · aliexpress 2026-11-23 · Europe/Moscow
                   1 Mar  8 Mar  15 Mar 22 Mar 29 Mar 5 Apr  12 Apr 19 Apr
                   ┬──────┬──────┬──────┬──────┬──────┬──────┬──────┬────
A Protection ends… ███████████████ 15 Mar
B Leave a review … ██████████████████████████████ 30 Mar
C Open a dispute …  ┊     14 Mar █
D Seller must ans…  ┊            ░░░░░ 19 Mar ░░░░░ 1 Apr  ░░░░░ 14 Apr
E Dispute escalat…  ┊            ░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░ 22 Apr
F You must answer…  ┊                ░░░░░░░░░░   ░░░░░░░░░░   ░░░░░░░░░░ 23 Apr
                    ▲ as of 2 Mar 09:00
█ real  ░ planned  ┊▲ as of  ·  dates: the last day of each deadline  ·
  1 column = 1 day
A Protection ends: last moment to open a dispute: last day 15 Mar
B Leave a review by: last day 30 Mar
C Open a dispute by (safe date): last day 14 Mar; the bar is the margin kept
  after it
D Seller must answer the dispute: last days 19 Mar, 1 Apr, 14 Apr (planned)
E Dispute escalates to AliExpress: 22 Apr at 24:00 (planned)
F You must answer the seller: last days 28 Mar, 10 Apr, 23 Apr (planned)"""


def test_last_day_of_a_midnight_deadline_is_the_day_before() -> None:
    base = Milestone("x", date(2026, 3, 16), at(16), Actor.BUYER, "r", "e")
    assert base.last_day == date(2026, 3, 15)
    assert replace(base, at=at(16, hour=9)).last_day == date(2026, 3, 16)
    business = replace(base, at=None, day=date(2026, 3, 20))
    assert business.last_day == date(2026, 3, 19)


def test_windows_are_every_milestone_with_a_start_other_than_its_instant() -> None:
    found = {
        window.milestone.id: (window.begin, window.end, window.round, window.planned)
        for window in milestone_windows(example())
    }
    assert found == {
        "protection_end": (at(1), at(16), 1, False),
        "feedback_due": (at(1), at(31), 1, False),
        "safe_dispute_open": (at(15), at(16), 1, False),
        "seller_response_due_1": (at(15), at(20), 1, True),
        "seller_response_due_2": (at(28), at(2, 4), 2, True),
        "seller_response_due_3": (at(10, 4), at(15, 4), 3, True),
        "buyer_response_due_1": (at(19), at(29), 1, True),
        "buyer_response_due_2": (at(1, 4), at(11, 4), 2, True),
        "buyer_response_due_3": (at(14, 4), at(24, 4), 3, True),
        "escalation": (at(15), at(23, 4), 1, True),
    }


def test_rounds_share_a_lane_ordered_on_the_axis() -> None:
    rows = [(lane.family, [w.milestone.id for w in lane.windows]) for lane in lanes(example())]
    assert rows == [
        ("protection_end", ["protection_end"]),
        ("feedback_due", ["feedback_due"]),
        ("safe_dispute_open", ["safe_dispute_open"]),
        ("seller_response_due", [f"seller_response_due_{k}" for k in (1, 2, 3)]),
        ("escalation", ["escalation"]),
        ("buyer_response_due", [f"buyer_response_due_{k}" for k in (1, 2, 3)]),
    ]
    assert family("a_b_12") == "a_b" and family("a_b") == "a_b"


def test_overlapping_windows_of_one_family_get_their_own_lanes() -> None:
    timeline = example()
    first = timeline.milestone("seller_response_due_1")
    assert first is not None
    clash = replace(first, id="seller_response_due_9", start=at(17), at=at(22))
    two = replace(timeline, milestones=(*timeline.milestones, clash))
    sellers = [lane for lane in lanes(two) if lane.family == "seller_response_due"]
    assert [[w.milestone.id for w in lane.windows] for lane in sellers] == [
        ["seller_response_due_1", "seller_response_due_2", "seller_response_due_3"],
        ["seller_response_due_9"],
    ]


def test_worked_example_chart_exactly_at_80_columns() -> None:
    text = chart_text([("aliexpress 2026-11-23", example())], 80)
    assert text.plain == WORKED_EXAMPLE_CHART


def test_bar_columns_one_day_each() -> None:
    windows = {w.milestone.id: w for w in milestone_windows(example())}
    axis = Axis.fit(date(2026, 3, 1), date(2026, 4, 23), 80 - 19 - 7)
    assert (axis.days_per_column, axis.columns) == (1, 54)
    assert bar_columns(windows["protection_end"], axis) == (0, 14)
    assert bar_columns(windows["seller_response_due_1"], axis) == (14, 18)
    assert bar_columns(windows["buyer_response_due_3"], axis) == (44, 53)
    assert bar_columns(windows["safe_dispute_open"], axis) == (14, 14)
    narrow = Axis.fit(date(2026, 3, 1), date(2026, 4, 23), 50 - 19 - 7)
    assert (narrow.days_per_column, narrow.columns) == (3, 18)
    assert bar_columns(windows["buyer_response_due_3"], narrow) == (14, 17)


def test_planned_and_real_differ_by_character() -> None:
    lines = chart_text([("p", example())], 80).plain.splitlines()
    assert REAL * 15 in lines[3] and PLANNED not in lines[3]
    assert PLANNED * 5 in lines[6] and REAL not in lines[6]


@pytest.mark.parametrize("width", [40, 50, 60, 80, 100, 132])
def test_every_line_fits_the_width(width: int) -> None:
    for layers in ([("p", example())], [("p", example()), ("q", example())]):
        console = Console(file=io.StringIO(), width=width, color_system=None)
        console.print(render_chart(layers, "my-order.yaml"))
        assert isinstance(console.file, io.StringIO)
        out = console.file.getvalue()
        assert all(len(line) <= width for line in out.splitlines()), out
        assert "█ real  ░ planned" in out


def test_layers_are_separate_lanes_on_one_axis() -> None:
    text = chart_text([("first", example()), ("second", example())], 80).plain
    lines = text.splitlines()
    assert lines[0] == "order · first + second · Europe/Moscow"
    assert lines[3] == "── first ────────"
    assert lines[10] == "── second ────────"
    assert lines[11].startswith("G Protection ends… ███████████████ 15 Mar")


def test_as_of_outside_the_axis_points_to_it() -> None:
    later = replace(example(), as_of=at(1, 6, 12))
    text = chart_text([("p", later)], 80).plain
    assert "┊" not in text.split("▲")[0].splitlines()[3]
    assert "                   as of 1 Jun 12:00 ▶" in text.splitlines()


def test_no_windows_says_so() -> None:
    empty = replace(example(), milestones=())
    assert chart_text([("p", empty)], 80).plain.splitlines()[1].startswith("No windows to draw")


def test_cli_chart_and_status_strip_without_colour() -> None:
    result = invoke(["timeline", *EXAMPLE, "--format", "chart"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == WORKED_EXAMPLE_CHART + "\n"
    assert "\x1b[" not in result.stdout
    status = invoke(["status", *EXAMPLE], env={"NO_COLOR": "1"})
    assert status.exit_code == 0, status.stderr
    assert WORKED_EXAMPLE_CHART in status.stdout


def test_chart_names_the_order_file(tmp_path: Path) -> None:
    order = tmp_path / "my-order.yaml"
    order.write_text("timezone: Europe/Moscow\norder:\n  confirmed: 2026-03-01\n", encoding="utf-8")
    result = invoke(["timeline", str(order), "--as-of", "2026-03-02T09:00", "-f", "chart"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("my-order.yaml · aliexpress 2026-11-23 · Europe/Moscow\n")


def test_chart_refuses_an_output_file_and_due_refuses_pictures() -> None:
    result = invoke(["timeline", *EXAMPLE, "--format", "chart", "-o", "x.txt"])
    assert result.exit_code == 2 and "needs a file format" in result.stderr
    for kind in ("chart", "svg", "html"):
        due = invoke(["due", ".", "--format", kind])
        assert due.exit_code == 2 and "is not one of 'table', 'json', 'csv'" in due.stderr


def test_readme_shows_this_chart_and_its_picture() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    start = readme.index("\n", readme.index("--as-of 2026-03-02T09:00 --format chart")) + 1
    shown = readme[start : readme.index("\n```", start)]
    assert shown == WORKED_EXAMPLE_CHART
    assert "![" in readme and "(docs/timeline.png)" in readme
    png = Path(__file__).resolve().parents[1] / "docs" / "timeline.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_an_estimate_is_named_by_its_own_date_in_every_view() -> None:
    """A delivery estimate is no deadline: the table, the chart and the range line name the
    day the parcel is expected (15 business days after 3 Nov = 24 Nov), not the day before
    as a last day; the chart's bar covers that day. A platform step keeps its time."""
    from protectcalc.render.table import render_table
    from protectcalc.render.when import shown_day, when_text

    timeline = timeline_for(
        shipped="2026-11-03", delivery_days=30, tz="Europe/Moscow", as_of="2026-11-05T10:00"
    )
    found = {item.id: item for item in timeline.milestones}
    earliest, period_end = found["delivery_earliest"], found["delivery_period_end"]
    assert (earliest.kind, earliest.at, earliest.day) == ("estimate", None, date(2026, 11, 24))
    assert found["protection_end"].kind == "deadline"
    assert when_text(earliest) == "2026-11-24 Tue (business day)"
    assert shown_day(earliest) == date(2026, 11, 24)
    assert when_text(period_end) == "2026-12-02 Wed, at 24:00 MSK"
    windows = {w.milestone.id: w for w in milestone_windows(timeline)}
    assert windows["delivery_earliest"].last_day == date(2026, 11, 24)  # the bar covers it
    assert windows["delivery_earliest"].deadline_day == date(2026, 11, 24)
    legend = chart_text([("aliexpress", timeline)], 80).plain.splitlines()
    assert "A Parcel expected at the earliest: 24 Nov" in legend
    assert "B Delivery period ends (order completes): 2 Dec at 24:00" in legend
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(render_table(timeline))
    assert isinstance(console.file, io.StringIO)
    table = console.file.getvalue()
    assert "│ 2026-11-24 Tue " in table and "2026-11-23" not in table  # not a last day before
    status = invoke(
        ["status", "--shipped", "2026-11-03", "--delivery-days", "30", "--tz", "Europe/Moscow",
         "--as-of", "2026-11-05T10:00"]
    )  # fmt: skip
    assert status.exit_code == 0
    assert "Parcel usually arrives: 2026-11-24 Tue" in status.stdout
    assert "A Parcel expected at the earliest: 24 Nov" in status.stdout
