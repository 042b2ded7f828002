"""The command line end to end: outputs with exact values, files, help, version, signals, zones.

``invoke`` runs :func:`protectcalc.cli.run` (what the ``protectcalc`` script and
``python -m protectcalc`` run) inside typer's ``CliRunner`` isolation, so stdout, stderr and
the exit code are those a user gets, including the one-line errors and exit 2 that ``run``
makes of bad input.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from protectcalc import __version__, cli
from protectcalc.cli import app, run

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
EXAMPLE = ["--confirmed", "2026-03-01", "--tz", "Europe/Moscow"]
"""The 000 example: receipt confirmed by accident on 1 March 2026 (FIXED_NOW is 2 March)."""


def invoke(
    args: list[str],
    env: Mapping[str, str | None] | None = None,
    stdin: str | None = None,
) -> Result:
    """Run the real entry point on ``args``; an escaping exception fails the test."""
    runner = CliRunner()
    with runner.isolation(input=stdin, env=env) as (out, err, mixed):
        try:
            code = run(args)
        except SystemExit as done:  # pragma: no cover - run() must not exit by itself
            code = done.code if isinstance(done.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(runner, out.getvalue(), err.getvalue(), mixed.getvalue(), None, code, None)


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TZ", "COLUMNS", "FORCE_COLOR")}
    env.update(NO_COLOR="1", PYTHONPATH=str(REPO), **extra)
    return env


def command_names() -> list[str]:
    """Every command registered in the Typer app."""
    group = typer.main.get_command(app)
    assert isinstance(group, typer.main.TyperGroup)
    return sorted(group.list_commands(typer.Context(group)))  # with those loaded on first use


# --- timeline outputs ------------------------------------------------------------------


def test_timeline_json_exact_values() -> None:
    result = invoke(["timeline", *EXAMPLE, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert list(data) == [
        "schema",
        "rules",
        "timezone",
        "as_of",
        "phase",
        "milestones",
        "summary",
        "next",
        "warnings",
    ]
    assert data["schema"] == 1
    assert data["rules"] == "aliexpress"
    assert data["timezone"] == "Europe/Moscow"
    assert data["as_of"] == "2026-03-02T12:00+03:00"  # the fixed clock, 09:00 UTC
    assert data["phase"] == "confirmed"
    # Calendar-day milestones; business-day ones (at null) are the business-day tests' matter.
    timed = [item for item in data["milestones"] if item["at"] is not None]
    moments = {item["id"]: item["at"] for item in timed}
    assert moments == {
        "safe_dispute_open": "2026-03-15T00:00+03:00",
        "protection_end": "2026-03-16T00:00+03:00",
        "seller_response_due_1": "2026-03-20T00:00+03:00",
        "buyer_response_due_1": "2026-03-29T00:00+03:00",
        "feedback_due": "2026-03-31T00:00+03:00",
        "seller_response_due_2": "2026-04-02T00:00+03:00",
        "buyer_response_due_2": "2026-04-11T00:00+03:00",
        "seller_response_due_3": "2026-04-15T00:00+03:00",
        "escalation": "2026-04-23T00:00+03:00",
        "buyer_response_due_3": "2026-04-24T00:00+03:00",
    }
    assert [item["id"] for item in timed] == list(moments)
    first = data["milestones"][0]
    assert first["date"] == "2026-03-15"
    assert first["projected"] is False and first["actor"] == "buyer"
    assert first["rule"] == "safety_margin"
    assert {"seed", "quote"} == set(first["sources"][0])
    assert data["summary"] == {
        "protection_end": "2026-03-16T00:00+03:00",
        "safe_dispute_date": "2026-03-15",
        "escalation": "2026-04-23T00:00+03:00",
        "total_days": 53,
        "total_days_usual": {"min": 30, "max": 40},
    }
    assert data["next"]["milestone"] == "protection_end"
    assert data["next"]["deadline"] == "2026-03-16T00:00+03:00"
    assert data["next"]["act_by"] == "2026-03-15T00:00+03:00"
    assert data["next"]["seconds_left"] == 13 * 86400 + 12 * 3600
    assert data["next"]["time_left"] == "13d 12h"
    assert {w["code"] for w in data["warnings"]} == {"seeds_disagree"}


def test_timeline_csv_exact_rows() -> None:
    result = invoke(["timeline", *EXAMPLE, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout.splitlines()[0] == (
        "id,date,at,projected,actor,rule,explain,sources,last_day"
    )
    assert [row["id"] for row in rows if row["at"]] == [
        "safe_dispute_open",
        "protection_end",
        "seller_response_due_1",
        "buyer_response_due_1",
        "feedback_due",
        "seller_response_due_2",
        "buyer_response_due_2",
        "seller_response_due_3",
        "escalation",
        "buyer_response_due_3",
    ]
    assert rows[1] == {
        "id": "protection_end",
        "date": "2026-03-16",
        "at": "2026-03-16T00:00+03:00",
        "projected": "false",
        "actor": "buyer",
        "rule": "post_confirmation_protection",
        "explain": "receipt confirmed 2026-03-01 00:00 + 15 days of protection after "
        "confirmation; the last moment to open a dispute",
        "sources": "000_6f6c5fe111c31055.txt;004_a43b1fa066a5da86.txt",
        "last_day": "2026-03-15",
    }
    escalation = next(row for row in rows if row["id"] == "escalation")
    assert escalation["at"] == "2026-04-23T00:00+03:00"
    assert escalation["projected"] == "true"


def test_timeline_table() -> None:
    result = invoke(["timeline", *EXAMPLE], env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "\x1b[" not in text  # no colour when not on a terminal
    assert "Timeline (Europe/Moscow, rules aliexpress)" in text
    assert "2026-03-15 Sun" in text and "until 24:00 MSK" in text
    assert "Protection ends: last moment to open a dispute" in text
    assert "Phase as of 2026-03-02 12:00 MSK: confirmed" in text
    assert "Deadline: 2026-03-15 Sun, until 24:00 MSK (13d 12h left)" in text
    assert "Safe to act by: 2026-03-14 Sat, until 24:00 MSK" in text
    assert "escalation 2026-04-23, 53 days in all" in text


def test_format_is_case_insensitive() -> None:
    assert invoke(["timeline", *EXAMPLE, "--format", "JSON"]).exit_code == 0
    assert invoke(["timeline", *EXAMPLE, "-f", "json"]).exit_code == 0


def test_as_of_changes_phase_and_time_left() -> None:
    result = invoke(["timeline", *EXAMPLE, "--format", "json", "--as-of", "2026-03-16T00:00"])
    data = json.loads(result.stdout)
    assert data["phase"] == "protection_expired"
    assert data["as_of"] == "2026-03-16T00:00+03:00"


def test_reading_option_selects_another_reading() -> None:
    result = invoke(
        [
            "timeline",
            *EXAMPLE,
            "--format",
            "json",
            "--reading",
            "post_confirmation_protection=ends_at_once",
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rules"] == "aliexpress[post_confirmation_protection=ends_at_once]"
    assert data["summary"]["protection_end"] == "2026-03-01T00:00+03:00"
    assert data["phase"] == "protection_expired"


# --- --output: the whole file or nothing -----------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "ics"])
def test_output_writes_the_whole_file(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"order.{fmt}"
    to_stdout = invoke(["timeline", *EXAMPLE, "--format", fmt])
    to_file = invoke(["timeline", *EXAMPLE, "--format", fmt, "--output", str(target)])
    assert to_file.exit_code == 0, to_file.output
    assert to_file.stdout == ""
    assert to_file.stderr == f"wrote {target}\n"
    assert target.read_bytes() == to_stdout.stdout_bytes  # byte for byte (ics keeps CRLF)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary left


def test_output_untouched_when_input_is_bad(tmp_path: Path) -> None:
    target = tmp_path / "order.json"
    target.write_text("previous\n", "utf-8")
    fresh = tmp_path / "fresh.json"
    bad = invoke(["timeline", "--confirmed", "2026-02-30", "--format", "json", "-o", str(target)])
    missing = invoke(
        ["timeline", "--confirmed", "2026-02-30", "--format", "json", "-o", str(fresh)]
    )
    assert bad.exit_code == missing.exit_code == 2
    assert target.read_text("utf-8") == "previous\n"
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["order.json"]


def test_output_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "order.json"
    result = invoke(["timeline", *EXAMPLE, "--format", "json", "-o", str(target)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and str(target) in result.stderr
    assert not target.parent.exists()


def test_output_needs_a_machine_format(tmp_path: Path) -> None:
    target = tmp_path / "order.txt"
    result = invoke(["timeline", *EXAMPLE, "-o", str(target)])
    assert result.exit_code == 2
    assert "--output" in result.stderr and "--format json" in result.stderr
    assert not target.exists()


# --- version, help, README --------------------------------------------------------------


def test_version() -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"protectcalc {__version__}\n"


def test_python_m_protectcalc_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "protectcalc", "--version"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"protectcalc {__version__}\n"
    assert done.stderr == ""


def test_python_m_protectcalc_runs_a_timeline() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "protectcalc", "timeline", *EXAMPLE, "--format", "json"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["total_days"] in (53, None)


def test_the_app_has_the_documented_commands() -> None:
    names = command_names()
    assert {"timeline", "rules"} <= set(names)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help_with_an_example(flag: str) -> None:
    for name in command_names():
        result = invoke([name, flag], env={"COLUMNS": "120"})
        assert result.exit_code == 0, (name, result.output)
        assert "Example" in result.stdout, name
        assert f"protectcalc {name}" in result.stdout, name


def test_top_level_help_lists_every_command() -> None:
    result = invoke(["--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for name in command_names():
        assert name in result.stdout


def test_every_command_appears_in_the_readme() -> None:
    text = README.read_text("utf-8")
    missing = [name for name in command_names() if f"protectcalc {name}" not in text]
    assert missing == [], f"commands not documented in README.md: {missing}"


def test_readme_keeps_the_calendar_section() -> None:
    text = README.read_text("utf-8")
    assert "## Calendar export" in text
    assert "--format ics -o order.ics" in text


# --- pipes and signals ------------------------------------------------------------------


def test_piping_into_head_ends_quietly() -> None:
    command = (
        f"{sys.executable} -m protectcalc timeline --confirmed 2026-03-01 --tz Europe/Moscow "
        '--format csv | head -1; echo "status=${PIPESTATUS[0]}" >&2'
    )
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=subprocess_env(), timeout=60
    )
    assert done.stdout == "id,date,at,projected,actor,rule,explain,sources,last_day\n"
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "status=0"


def test_reader_gone_before_the_first_write_ends_quietly() -> None:
    """The reader closes the pipe at once, so the write itself fails with EPIPE."""
    process = subprocess.Popen(
        [sys.executable, "-m", "protectcalc", "timeline", *EXAMPLE, "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert "Traceback" not in errors and "BrokenPipeError" not in errors
    assert "Exception ignored" not in errors


def test_keyboard_interrupt_exits_130_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(order: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "compute", interrupted)
    result = invoke(["timeline", *EXAMPLE, "--format", "json"])
    assert result.exit_code == 130
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr


def test_sigint_to_a_running_process_exits_130(tmp_path: Path) -> None:
    """A real SIGINT while protectcalc is busy (computing is made to block)."""
    script = tmp_path / "blocking.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, time
            import protectcalc.cli as cli

            def blocked(order):
                sys.stderr.write("ready\\n")
                sys.stderr.flush()
                time.sleep(60)

            cli.compute = blocked
            sys.argv = ["protectcalc", "timeline", "--confirmed", "2026-03-01", "-f", "json"]
            cli.main()
            """
        ),
        "utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    assert process.stderr is not None
    assert process.stderr.readline() == b"ready\n"
    time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert out == b""
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err


# --- the machine's zone does not matter when --tz is given ------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "ics"])
def test_same_result_with_and_without_tz_variable(fmt: str) -> None:
    args = ["timeline", "--shipped", "2026-02-10T08:30", "--delivered", "2026-03-01T19:00"]
    args += ["--tz", "America/New_York", "--format", fmt]
    unset = invoke(args, env={"TZ": None})
    shanghai = invoke(args, env={"TZ": "Asia/Shanghai"})
    utc = invoke(args, env={"TZ": "UTC"})
    assert unset.exit_code == shanghai.exit_code == utc.exit_code == 0, shanghai.output
    assert unset.stdout == shanghai.stdout == utc.stdout


def test_same_result_in_processes_with_different_tz() -> None:
    args = [sys.executable, "-m", "protectcalc", "timeline", *EXAMPLE, "--format", "json"]
    args += ["--as-of", "2026-03-02T12:00"]
    outputs = []
    for zone in (None, "Asia/Shanghai", "America/Los_Angeles"):
        env = subprocess_env() if zone is None else subprocess_env(TZ=zone)
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]


def test_without_tz_the_system_zone_is_used() -> None:
    args = ["timeline", "--confirmed", "2026-03-01", "--format", "json"]
    shanghai = json.loads(invoke(args, env={"TZ": "Asia/Shanghai"}).stdout)
    utc = json.loads(invoke(args, env={"TZ": "UTC"}).stdout)
    assert shanghai["timezone"] == "Asia/Shanghai"
    assert shanghai["summary"]["protection_end"] == "2026-03-16T00:00+08:00"
    assert utc["timezone"] == "UTC"
    assert utc["summary"]["protection_end"] == "2026-03-16T00:00+00:00"


def test_bad_tz_variable_is_named() -> None:
    result = invoke(["timeline", "--confirmed", "2026-03-01"], env={"TZ": "Mars/Olympus"})
    assert result.exit_code == 2
    assert result.stderr.startswith("protectcalc: TZ Mars/Olympus:")


def test_bare_command_shows_help_and_no_empty_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run([]) == 2
    captured = capsys.readouterr()
    assert "Usage: protectcalc" in captured.out + captured.err
    assert "protectcalc: \n" not in captured.err


def test_help_names_what_each_order_option_takes(runner: CliRunner) -> None:
    result = runner.invoke(app, ["timeline", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "--confirmed" in result.stdout and "DATE" in result.stdout
    assert "RULE=NAME" in result.stdout and "<list[str]>" not in result.stdout
