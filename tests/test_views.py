"""What a person sees (issue 7, sections 1, 2 and 5): last days, wording, names, narrow screens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pytest_dash_q_still_prints_its_summary_line(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text("def test_one() -> None:\n    assert True\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-c",
            str(ROOT / "pyproject.toml"),
            "-p",
            "no:cacheprovider",
            str(probe),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


# --- 1. the last day, said plainly ------------------------------------------------------------


def run_cli(args: list[str], **env: str) -> tuple[int, str, str]:
    """The installed command line, as a user runs it (a fresh process, stdout not a terminal)."""
    import os

    done = subprocess.run(
        [sys.executable, "-m", "protectcalc", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1", **env},
    )
    return done.returncode, done.stdout, done.stderr


MOSCOW = ["--confirmed", "2026-03-01", "--tz", "Europe/Moscow"]


def test_every_milestone_in_json_has_its_last_day() -> None:
    import json

    code, out, _ = run_cli(["timeline", *MOSCOW, "--as-of", "2026-03-02T09:00", "--format", "json"])
    assert code == 0
    days = {item["id"]: (item["at"], item["last_day"]) for item in json.loads(out)["milestones"]}
    assert days["protection_end"] == ("2026-03-16T00:00+03:00", "2026-03-15")
    assert days["safe_dispute_open"] == ("2026-03-15T00:00+03:00", "2026-03-14")
    assert days["feedback_due"] == ("2026-03-31T00:00+03:00", "2026-03-30")
    assert all(last for _at, last in days.values())


def test_last_day_of_a_deadline_during_the_day_is_that_day() -> None:
    from tests.conftest import timeline_for

    timeline = timeline_for(confirmed="2026-03-01T14:30", tz="Europe/Moscow", as_of="2026-03-02")
    end = timeline.milestone("protection_end")
    assert end is not None and end.last_day.isoformat() == "2026-03-16"


def test_last_day_of_a_business_day_date_is_the_day_before() -> None:
    from tests.conftest import timeline_for

    timeline = timeline_for(
        dispute_opened="2026-02-01",
        escalated="2026-02-10",
        tz="Asia/Shanghai",
        as_of="2026-02-11",
    )
    item = timeline.milestone("escalated_response_due")
    assert item is not None and item.at is None
    assert (item.day.isoformat(), item.last_day.isoformat()) == ("2026-02-26", "2026-02-25")


def test_csv_has_a_last_day_column_at_the_end() -> None:
    code, out, _ = run_cli(["timeline", *MOSCOW, "--as-of", "2026-03-02T09:00", "--format", "csv"])
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "id,date,at,projected,actor,rule,explain,sources,last_day"
    end = next(line for line in lines if line.startswith("protection_end,"))
    assert end.startswith("protection_end,2026-03-16,2026-03-16T00:00+03:00,")
    assert end.endswith(",2026-03-15")


def test_status_says_the_last_day_and_the_safe_last_day() -> None:
    code, out, _ = run_cli(["status", *MOSCOW, "--as-of", "2026-03-14T12:00"])
    assert code == 0
    assert "Deadline: 2026-03-15 Sun, until 24:00 MSK" in out
    assert "Safe to act by: 2026-03-14 Sat, until 24:00 MSK" in out
    assert "2026-03-16" not in out


def test_due_says_the_last_day(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "name: Lamp\ntimezone: Europe/Moscow\norder:\n  confirmed: 2026-03-01\n"
    )
    code, out, _ = run_cli(["due", str(tmp_path), "--as-of", "2026-03-14T12:00"], COLUMNS="140")
    assert code == 0
    assert "│ 2026-03-15 Sun  │" in out and "│ until 24:00 MSK │" in out
    assert "2026-03-16" not in out
    code, out, _ = run_cli(["due", str(tmp_path), "--as-of", "2026-03-14T12:00", "-f", "csv"])
    assert out.splitlines()[0].endswith(",note,last_day")
    assert any(
        line.endswith(",2026-03-15") and ",protection_end," in line for line in out.splitlines()
    )


def test_time_left_never_says_overdue_and_left_together() -> None:
    from datetime import timedelta

    from protectcalc.render.when import left_text

    assert left_text(timedelta(days=1, hours=12)) == "1d 12h left"
    assert left_text(-timedelta(days=242, hours=10)) == "overdue by 242d 10h"


# --- due: one instant, each file once, nothing on stdout when nothing was read -----------------

SAME_INSTANT_A = "name: A\ntimezone: Europe/Moscow\norder:\n  confirmed: 2026-03-01T00:00+03:00\n"
SAME_INSTANT_B = (
    "name: B\ntimezone: America/New_York\norder:\n  confirmed: 2026-03-01T00:00+03:00\n"
)


def test_due_judges_every_order_at_the_same_instant(tmp_path: Path) -> None:
    import json

    (tmp_path / "a.yaml").write_text(SAME_INSTANT_A)
    (tmp_path / "b.yaml").write_text(SAME_INSTANT_B)
    code, out, err = run_cli(
        ["due", str(tmp_path), "--as-of", "2026-03-10", "--tz", "UTC", "-f", "json"]
    )
    assert code == 0, err
    ends = [row for row in json.loads(out)["deadlines"] if row["id"] == "protection_end"]
    assert [row["name"] for row in ends] == ["A", "B"]
    # 2026-03-16T00:00+03:00 is 5d 21h after 2026-03-10 00:00 UTC, for both orders
    assert {row["time_left"] for row in ends} == {"5d 21h"}


def test_due_date_only_as_of_is_midnight_in_the_system_zone(tmp_path: Path) -> None:
    import json

    (tmp_path / "a.yaml").write_text(SAME_INSTANT_A)
    code, out, err = run_cli(
        ["due", str(tmp_path), "--as-of", "2026-03-10", "-f", "json"], TZ="Asia/Shanghai"
    )
    assert code == 0, err
    end = next(row for row in json.loads(out)["deadlines"] if row["id"] == "protection_end")
    assert end["time_left"] == "6d 5h"  # from 2026-03-10 00:00 +08:00


def test_due_lists_a_file_given_twice_or_through_a_symlink_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SAME_INSTANT_A)
    (tmp_path / "link.yaml").symlink_to(tmp_path / "a.yaml")
    code, out, err = run_cli(
        [
            "due",
            str(tmp_path / "a.yaml"),
            str(tmp_path / "a.yaml"),
            str(tmp_path),
            "--as-of",
            "2026-03-10",
            "-f",
            "csv",
        ]
    )
    assert code == 0, err
    assert [line.split(",")[2] for line in out.splitlines()[1:]] == [
        "safe_dispute_open",
        "protection_end",
        "feedback_due",
    ]


def test_due_csv_on_a_missing_folder_writes_nothing_to_stdout(tmp_path: Path) -> None:
    for fmt in ("csv", "json", "table"):
        code, out, err = run_cli(["due", str(tmp_path / "missing"), "-f", fmt])
        assert (code, out) == (2, ""), fmt
        assert err == f"protectcalc: {tmp_path / 'missing'}: no such file or folder\n"


# --- a repeated single-valued option is an error naming it -------------------------------------


def run_in_process(args: list[str]) -> tuple[int, str, str]:
    import contextlib
    import io

    from protectcalc.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(args)
    return code, out.getvalue(), err.getvalue()


def test_confirmed_twice_is_an_error_naming_it() -> None:
    assert run_in_process(
        ["timeline", "--confirmed", "2026-03-01", "--confirmed", "2026-03-05", "-f", "json"]
    ) == (
        2,
        "",
        "protectcalc: --confirmed: is given more than once (2026-03-01, then 2026-03-05); "
        "give it once\n",
    )


def test_tz_twice_is_an_error_also_with_equals_and_in_due() -> None:
    code, out, err = run_in_process(
        ["status", "--confirmed", "2026-03-01", "--tz", "UTC", "--tz=Europe/Moscow"]
    )
    assert (code, out) == (2, "")
    assert (
        err
        == "protectcalc: --tz: is given more than once (UTC, then Europe/Moscow); give it once\n"
    )
    assert run_in_process(["due", "--tz", "UTC", "--tz", "UTC"])[0] == 2


def test_a_reading_for_the_same_rule_twice_is_an_error() -> None:
    code, _out, err = run_in_process(
        [
            "timeline",
            "--confirmed",
            "2026-03-01",
            "--reading",
            "post_confirmation_protection=ends_at_once",
            "--reading",
            "post_confirmation_protection=default",
        ]
    )
    assert code == 2
    assert err == (
        "protectcalc: --reading: gives a reading for post_confirmation_protection twice; "
        "give it once\n"
    )


def test_repeatable_options_still_repeat() -> None:
    code, _out, err = run_in_process(
        [
            "timeline",
            "--dispute-opened",
            "2026-03-01",
            "--seller-responded",
            "2026-03-02",
            "--buyer-responded",
            "2026-03-03",
            "--seller-responded",
            "2026-03-04",
            "--reading",
            "post_confirmation_protection=ends_at_once",
            "--reading",
            "negotiation_limit=seven_days",
            "--tz",
            "UTC",
            "-f",
            "json",
        ]
    )
    assert code == 0, err


# --- names from files are printed as text ------------------------------------------------------

HOSTILE = "[/] [bold red]Lamp\x1b[31m red\x1b]0;pwned\x07 end"


def test_an_order_name_with_markup_and_escapes_is_printed_as_text(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        'name: "[/] [bold red]Lamp\\e[31m red\\e]0;pwned\\a end"\n'
        "timezone: UTC\norder:\n  confirmed: 2026-03-01\n"
    )
    code, out, err = run_cli(["due", str(tmp_path), "--as-of", "2026-03-02"], COLUMNS="200")
    assert code == 0, err
    assert "[/] [bold red]Lamp red end" in out
    assert "\x1b" not in out and "\x07" not in out


def test_plain_removes_escape_sequences_and_controls() -> None:
    from protectcalc.render.labels import plain

    assert plain(HOSTILE) == "[/] [bold red]Lamp red end"
    assert plain("a\tb\nc\u202ed") == "a b cd"


def test_a_scenario_title_with_escapes_is_printed_as_text(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        'name: "[/]Title\\e[2J here"\ntimezone: UTC\norder:\n  confirmed: 2026-03-01\n'
        "expect:\n  milestones:\n    protection_end: 2026-03-16\n"
    )
    code, out, err = run_cli(["replay", str(tmp_path)])
    assert code == 0, out + err
    assert "[/]Title here" in out and "\x1b" not in out


def test_a_rule_file_title_with_markup_is_printed_as_text(tmp_path: Path) -> None:
    from importlib import resources

    shipped = (
        resources.files("protectcalc.rules.data").joinpath("aliexpress.toml").read_text("utf-8")
    )
    lines = shipped.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("title"))
    lines[index] = 'title = "[/] odd [bold]title"'
    custom = tmp_path / "odd.toml"
    custom.write_text("\n".join(lines) + "\n", "utf-8")
    code, out, err = run_cli(["rules", "--rules", str(custom)], COLUMNS="200")
    assert code == 0, err
    assert "[/] odd [bold]title" in out


# --- narrow terminals --------------------------------------------------------------------------


def test_at_40_columns_every_milestone_name_and_id_is_visible() -> None:
    code, out, _ = run_cli(["timeline", *MOSCOW, "--as-of", "2026-03-02"], COLUMNS="40")
    assert code == 0
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 40
    for text in ("Open a dispute by (safe date)", "safe_dispute_open", "buyer_response_due_3"):
        assert text in out
    assert "2026-03-15 Sun, until 24:00 MSK\nProtection ends: last moment to open a" in out


def test_status_at_40_columns_stacks_the_open_deadlines() -> None:
    code, out, _ = run_cli(["status", *MOSCOW, "--as-of", "2026-03-02"], COLUMNS="40")
    assert code == 0
    assert "…" not in out
    assert "2026-03-14 Sat, until 24:00 MSK\n13d 0h left\nOpen a dispute by (safe date)\n" in out


def test_due_at_80_and_40_columns_cuts_no_id(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "name: Headphones confirmed by accident\ntimezone: Asia/Shanghai\norder:\n"
        "  shipped: 2026-01-20\ndispute:\n  opened: 2026-01-30\n  seller_responses: [2026-02-02]\n"
        "  buyer_responses: [2026-02-05]\n  escalated: 2026-02-26T10:00\n"
        "  mediator_questions: [2026-02-26T10:00]\n"
    )
    for width in ("80", "40"):
        code, out, err = run_cli(["due", str(tmp_path), "--as-of", "2026-02-27"], COLUMNS=width)
        assert code == 0, err
        assert "…" not in out, width
        assert "escalated_response_due" in out, width


def test_rules_at_80_columns_cut_no_id_and_no_word() -> None:
    code, out, _ = run_cli(["rules"], COLUMNS="80")
    assert code == 0
    assert "…" not in out
    assert "post_confirmation_protection" in out and "automatically" in out


# --- --help ------------------------------------------------------------------------------------


def test_help_lists_only_the_formats_each_command_accepts() -> None:
    expected = {
        "timeline": "<table|json|csv|ics|chart|svg|html>",
        "status": "<table|json>",
        "due": "<table|json|csv>",
        "rules": "<table|json>",
        "replay": "<text|json>",
    }
    for command, formats in expected.items():
        code, out, _ = run_cli([command, "--help"], COLUMNS="200")
        assert code == 0
        line = next(line for line in out.splitlines() if "│ --format" in line)
        assert formats in line, (command, line)


def test_flags_show_no_bool_placeholder() -> None:
    for command in ("timeline", "status", "replay"):
        code, out, _ = run_cli([command, "--help"], COLUMNS="200")
        assert code == 0
        assert "<bool>" not in out, command
    code, out, _ = run_cli(["--help"], COLUMNS="200")
    assert "<bool>" not in out


# --- TZ as a file ------------------------------------------------------------------------------


def zone_of(tz: str) -> str:
    import json

    code, out, err = run_cli(
        ["status", "--confirmed", "2026-03-01", "--as-of", "2026-03-02", "-f", "json"], TZ=tz
    )
    assert code == 0, err
    return str(json.loads(out)["timezone"])


def test_tz_naming_a_zoneinfo_file_is_that_zone() -> None:
    import pytest

    if not Path("/usr/share/zoneinfo/Europe/Moscow").is_file():
        pytest.skip("no system zoneinfo files")
    assert zone_of("/usr/share/zoneinfo/Europe/Moscow") == "Europe/Moscow"
    assert zone_of(":/usr/share/zoneinfo/Europe/Moscow") == "Europe/Moscow"


def test_tz_colon_etc_localtime_is_the_system_zone() -> None:
    import pytest

    localtime = Path("/etc/localtime")
    if not localtime.is_symlink() or "zoneinfo" not in str(localtime.resolve()):
        pytest.skip("/etc/localtime is not a link into zoneinfo")
    key = str(localtime.resolve()).split("zoneinfo/", 1)[1]
    assert zone_of(":/etc/localtime") == key
