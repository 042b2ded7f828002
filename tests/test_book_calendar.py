"""``protectcalc calendar``: one RFC 5545 file for every order in the book.

Stable UIDs per order and milestone, SEQUENCE raised when a deadline moves, STATUS:CANCELLED
when it no longer applies, a VTIMEZONE per zone, VALARMs and reminder events; and a real
calendar client (khal) that imports the file twice and again after a change, and holds
each event once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.test_book import OLD, invoke, snapshot


def add(book: Path, name: str, *args: str) -> None:
    result = invoke(["add", name, *args], book)
    assert result.exit_code == 0, result.output


def record(book: Path, *args: str) -> None:
    result = invoke(["record", *args], book)
    assert result.exit_code == 0, result.output


def export(book: Path, output: Path, as_of: str, *args: str) -> str:
    result = invoke(["calendar", "-o", str(output), "--as-of", as_of, *args], book)
    assert result.exit_code == 0, result.output
    return result.stderr


def events(path: Path) -> dict[str, Any]:
    calendar = Calendar.from_ical(path.read_text("utf-8"))
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def by_milestone(path: Path) -> dict[str, Any]:
    """Events keyed by ``order/milestone`` (from the description's last line)."""
    found = {}
    for event in events(path).values():
        order = str(event["categories"].cats[1])
        milestone = str(event["description"]).rsplit("Milestone ", 1)[1].split(",")[0]
        reminder = "reminder" in [str(c) for c in event["categories"].cats]
        key = f"{order}/{milestone}" + (f"/{event['summary'].split(' ')[1]}" if reminder else "")
        found[key] = event
    return found


def test_stable_uids_sequence_and_cancelled(tmp_path: Path) -> None:
    book = tmp_path / "orders"
    add(
        book,
        "headphones",
        "--shipped",
        "2026-02-10",
        "--delivery-days",
        "60",
        "--tz",
        "Europe/Moscow",
    )
    out = tmp_path / "deadlines.ics"
    said = export(book, out, "2026-03-01T09:00")
    assert said.endswith("calendar: 1 order; 2 new, 0 moved, 0 cancelled, 0 unchanged\n")
    first = by_milestone(out)
    assert sorted(first) == ["headphones/protection_end", "headphones/safe_dispute_open"]
    assert {int(e["sequence"]) for e in first.values()} == {0}
    # Protection ends 11 April 00:00: an all-day event on its last day, 10 April (SPEC 2.3),
    # its reminders before the end of that day, and the last day said in the description.
    protection_end = first["headphones/protection_end"]
    assert protection_end["dtstart"].to_ical().decode() == "20260410"
    assert protection_end["dtend"].to_ical().decode() == "20260411"
    assert {str(a["trigger"].params["RELATED"]) for a in protection_end.walk("VALARM")} == {"END"}
    assert "Last day: 2026-04-10 Fri, until 24:00 MSK." in str(protection_end["description"])
    text = out.read_bytes().decode("utf-8")
    assert "DTSTART;VALUE=DATE:20260410" in text
    assert "VTIMEZONE" not in text  # all-day events have no zone

    # The same book and moment: the same file, nothing raised.
    said = export(book, out, "2026-03-01T09:00")
    assert "0 new, 0 moved, 0 cancelled, 2 unchanged" in said
    assert out.read_bytes().decode("utf-8") == text

    # Receipt confirmed: protection now ends 15 days later; same UIDs, SEQUENCE 1.
    record(book, "headphones", "confirmed", "2026-03-02T10:00", "--as-of", "2026-03-02T12:00")
    said = export(book, out, "2026-03-02T12:00")
    assert "1 new, 2 moved, 0 cancelled" in said  # feedback_due is new
    moved = by_milestone(out)
    assert moved["headphones/protection_end"]["uid"] == first["headphones/protection_end"]["uid"]
    assert int(moved["headphones/protection_end"]["sequence"]) == 1
    assert "DTSTART;TZID=Europe/Moscow:20260317T100000" in out.read_text("utf-8")
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Moscow" in out.read_bytes().decode("utf-8")

    # A dispute opened: the "open a dispute by" deadlines no longer apply.
    record(book, "headphones", "dispute-opened", "2026-03-10T08:00", "--as-of", "2026-03-10T09:00")
    said = export(book, out, "2026-03-10T09:00")
    assert "2 cancelled" in said
    cancelled = by_milestone(out)
    for key in ("headphones/protection_end", "headphones/safe_dispute_open"):
        assert str(cancelled[key]["status"]) == "CANCELLED"
        assert int(cancelled[key]["sequence"]) == 2
        assert not cancelled[key].walk("VALARM")
    assert str(cancelled["headphones/feedback_due"]["status"]) == "CONFIRMED"

    # The order leaves the book: every event of it is taken back.
    (book / "headphones.yaml").unlink()
    said = export(book, out, "2026-03-10T09:00")
    gone = by_milestone(out)
    assert {str(e["status"]) for e in gone.values()} == {"CANCELLED"}
    assert int(gone["headphones/feedback_due"]["sequence"]) == 1
    assert said.endswith("calendar: 0 orders; 0 new, 0 moved, 1 cancelled, 2 unchanged\n")


def test_a_vtimezone_per_zone_utc_in_utc_and_all_day_business_days(tmp_path: Path) -> None:
    book = tmp_path / "orders"
    add(book, "moscow", "--confirmed", "2026-03-01", "--tz", "Europe/Moscow")
    add(book, "ny", "--confirmed", "2026-03-01", "--tz", "America/New_York")
    add(book, "utc", "--confirmed", "2026-03-01", "--tz", "UTC")
    add(
        book,
        "mediation",
        *("--shipped", "2026-01-20", "--dispute-opened", "2026-01-30"),
        *("--seller-responded", "2026-02-02", "--buyer-responded", "2026-02-05"),
        *("--escalated", "2026-02-26T10:00", "--tz", "Asia/Shanghai"),
        *("--mediator-asked", "2026-02-26T10:00"),  # the 7 business days count from a question
    )
    out = tmp_path / "all.ics"
    export(book, out, "2026-03-02T09:00")
    text = out.read_text("utf-8")
    zones = sorted(str(z["tzid"]) for z in Calendar.from_ical(text).walk("VTIMEZONE"))
    assert zones == ["America/New_York"]  # all-day events (midnight, business days) have none
    # Moscow and UTC: protection ends 16 March 00:00, so 15 March is the last day, all day.
    found = by_milestone(out)
    for name in ("moscow", "utc"):
        assert found[f"{name}/protection_end"]["dtstart"].to_ical().decode() == "20260315"
    # 15 days from 1 March 00:00 EST end at 01:00 EDT: the zone's rules are in the file.
    assert "DTSTART;TZID=America/New_York:20260316T010000" in text
    answer = found["mediation/escalated_response_due"]
    # The 7th business day is 6 March, due as it begins: all day on 5 March, the last day.
    assert answer["dtstart"].to_ical().decode() == "20260305"
    assert answer["dtend"].to_ical().decode() == "20260306"


def test_reminders_and_reminder_events(tmp_path: Path) -> None:
    book = tmp_path / "orders"
    add(book, "x", "--confirmed", "2026-03-01", "--tz", "UTC")
    out = tmp_path / "x.ics"
    export(book, out, "2026-03-02", "--remind", "2d", "--remind", "3h", "--reminder-events")
    found = by_milestone(out)
    deadline = found["x/protection_end"]
    triggers = sorted(str(a["trigger"].to_ical().decode()) for a in deadline.walk("VALARM"))
    assert triggers == ["-P2D", "-PT3H"]  # before the end of the last day, 15 March
    assert deadline["dtstart"].dt == date(2026, 3, 15)
    early, late = found["x/protection_end/(2d"], found["x/protection_end/(3h"]
    at = datetime(2026, 3, 16, tzinfo=UTC)  # the deadline itself
    assert early["dtstart"].dt == at - timedelta(days=2)
    assert late["dtstart"].dt == at - timedelta(hours=3)
    assert not early.walk("VALARM")  # the reminder event is the reminder
    assert str(early["summary"]).startswith("Reminder (2d before): ")
    # Default: 2 days and 1 day before.
    plain = tmp_path / "plain.ics"
    export(book, plain, "2026-03-02")
    alarms = by_milestone(plain)["x/protection_end"].walk("VALARM")
    assert sorted(a["trigger"].to_ical().decode() for a in alarms) == ["-P1D", "-P2D"]


def test_stdout_and_previous(tmp_path: Path) -> None:
    book = tmp_path / "orders"
    add(book, "x", "--shipped", "2026-02-10", "--delivery-days", "60", "--tz", "UTC")
    first = invoke(["calendar", "--as-of", "2026-03-01"], book)
    assert first.exit_code == 0
    assert first.stdout.startswith("BEGIN:VCALENDAR")
    old = tmp_path / "old.ics"
    old.write_text(first.stdout, "utf-8")
    record(book, "x", "confirmed", "2026-03-02", "--as-of", "2026-03-03")
    second = invoke(["calendar", "--as-of", "2026-03-03", "--previous", str(old)], book)
    assert second.exit_code == 0, second.output
    assert "SEQUENCE:1" in second.stdout


REFUSED = [
    (["--remind", "0h"], "--remind 0h: must be longer than zero"),
    (["--remind", "soon"], "--remind soon: is not a duration"),
    (["--remind", "90d"], "is more than 60 days"),
    (["--as-of", "2026-02-30"], "--as-of 2026-02-30: is not a real date"),
]


@pytest.mark.parametrize(("args", "message"), REFUSED)
def test_bad_options_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    book = tmp_path / "orders"
    add(book, "x", "--confirmed", "2026-03-01", "--tz", "UTC")
    out = tmp_path / "x.ics"
    export(book, out, "2026-03-02")
    os.utime(out, (OLD, OLD))
    before = snapshot(out)
    result = invoke(["calendar", "-o", str(out), *args], book)
    assert result.exit_code == 2
    assert message in result.stderr
    assert snapshot(out) == before


def test_a_bad_order_file_stops_the_calendar(tmp_path: Path) -> None:
    book = tmp_path / "orders"
    add(book, "x", "--confirmed", "2026-03-01", "--tz", "UTC")
    out = tmp_path / "x.ics"
    export(book, out, "2026-03-02")
    os.utime(out, (OLD, OLD))
    before = snapshot(out)
    (book / "bad.yaml").write_text("order:\n  shipped: 2026-02-30\n", "utf-8")
    result = invoke(["calendar", "-o", str(out)], book)
    assert result.exit_code == 2
    assert "bad.yaml:2:12: order.shipped 2026-02-30" in result.stderr
    assert "no calendar was written" in result.stderr
    assert snapshot(out) == before


def test_a_file_that_is_not_ours_is_not_replaced(tmp_path: Path) -> None:
    book = tmp_path / "orders"
    add(book, "x", "--confirmed", "2026-03-01", "--tz", "UTC")
    for content in ("BEGIN:VCALENDAR\r\nPRODID:-//Other//EN\r\nEND:VCALENDAR\r\n", "hello"):
        out = tmp_path / "mine.ics"
        out.write_text(content, "utf-8")
        os.utime(out, (OLD, OLD))
        before = snapshot(out)
        result = invoke(["calendar", "-o", str(out)], book)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"protectcalc: --output {out}: ")
        assert snapshot(out) == before
    missing = invoke(["calendar", "--orders", str(tmp_path / "nothere")])
    assert missing.exit_code == 2
    assert "no such folder" in missing.stderr


# --- a real calendar client ---------------------------------------------------------------


def _khal() -> str | None:
    beside = Path(sys.executable).parent / "khal"
    return str(beside) if beside.exists() else shutil.which("khal")


KHAL = _khal()


def khal_import_and_count(khal: str, home: Path, ics: Path) -> tuple[int, list[str]]:
    """Import into a fresh khal calendar folder (the same one each time) and count its events."""
    config = home / "khal.conf"
    vdir = home / "calendar"
    vdir.mkdir(exist_ok=True)
    config.write_text(
        "[calendars]\n[[book]]\n"
        f"path = {vdir}\ntype = calendar\n"
        "[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        "default_timezone = UTC\nlocal_timezone = UTC\n"
        f"[sqlite]\npath = {home / 'khal.db'}\n",
        "utf-8",
    )
    env = {**os.environ, "HOME": str(home), "TZ": "UTC"}
    subprocess.run(
        [khal, "-c", str(config), "import", "--batch", "-a", "book", str(ics)],
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    listing = ["list", "--format", "{start} {title} [{status}]", "--day-format", ""]
    listed = subprocess.run(
        [khal, "-c", str(config), *listing, "2026-01-01", "400d"],
        check=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    lines = [line for line in listed.splitlines() if line.strip()]
    stored = len(list(vdir.glob("*.ics")))  # khal keeps one .ics file per event (UID)
    assert stored == len(lines), (stored, lines)
    return stored, lines


@pytest.mark.skipif(
    KHAL is None, reason="khal is not installed (pip install khal; in the dev extra)"
)
def test_khal_imports_twice_without_duplicates(tmp_path: Path) -> None:
    assert KHAL is not None
    book = tmp_path / "orders"
    add(
        book,
        "headphones",
        "--shipped",
        "2026-02-10",
        "--delivery-days",
        "60",
        "--tz",
        "Europe/Moscow",
    )
    add(book, "lamp", "--confirmed", "2026-03-01", "--tz", "UTC")
    out = tmp_path / "deadlines.ics"
    export(book, out, "2026-03-02T09:00", "--reminder-events")
    home = tmp_path / "khal"
    home.mkdir()
    once, _ = khal_import_and_count(KHAL, home, out)
    twice, lines = khal_import_and_count(KHAL, home, out)
    assert once == twice == 3 * 5  # 5 deadlines (2 + 3), each with 2 reminder events
    # A deadline moves and two are cancelled: still one event per UID, updated in place.
    record(book, "headphones", "confirmed", "2026-03-03T10:00", "--as-of", "2026-03-03T12:00")
    record(book, "lamp", "dispute-opened", "2026-03-03T10:00", "--as-of", "2026-03-03T12:00")
    export(book, out, "2026-03-03T12:00", "--reminder-events")
    after, lines = khal_import_and_count(KHAL, home, out)
    again, _ = khal_import_and_count(KHAL, home, out)
    assert after == again == once + 3  # headphones' feedback_due and its two reminders are new
    cancelled = [line for line in lines if "[CANCELLED" in line]
    assert len(cancelled) == 2 * 3  # lamp's safe_dispute_open and protection_end, reminders
    moved = [line for line in lines if line.endswith("headphones [CONFIRMED ]") and "Prot" in line]
    assert moved[-1:] == [
        "2026-03-18 07:00 Protection ends: last moment to open a dispute: headphones [CONFIRMED ]"
    ]
    print(
        f"khal: {once} events after the first import, {twice} after the second, "
        f"{after} after the change, {again} after importing that twice"
    )
