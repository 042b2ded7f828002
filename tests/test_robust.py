"""Issue 7, sections 3 and 4: no traceback on hostile input, bounded reads, careful writes.

Each test names the exact one-line message and exit code a user gets; the files read are
regular files only, and every write keeps what is already there (links, modes, owners).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from protectcalc.rules.data import __file__ as _rules_data
from tests.test_cli import invoke

RULES_FILE = Path(_rules_data).parent / "aliexpress.toml"
CONFIRMED = ["--confirmed", "2026-03-01", "--tz", "UTC"]
ORDER = "name: Test order\ntimezone: UTC\norder:\n  confirmed: 2026-03-01\n"


def one_line(args: list[str], code: int = 2) -> str:
    """Run ``args``; assert the exit code, nothing on stdout and exactly one stderr line."""
    result = invoke(args)
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# --- section 3: numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--processing-days", "²"],
            "protectcalc: --processing-days ²: is not a whole number of days",
        ),
        (
            ["--delivery-days=--5"],
            "protectcalc: --delivery-days --5: is not a whole number of days",
        ),
        (["--extended", "²"], "protectcalc: --extended ²: is not a whole number of days"),
        (["--extended", "٣"], "protectcalc: --extended ٣: is not a whole number of days"),
    ],
)
def test_non_ascii_digits_and_doubled_signs_are_refused(args: list[str], message: str) -> None:
    assert one_line(["timeline", *CONFIRMED, "-f", "json", *args]) == message


@pytest.mark.parametrize("within", ["99999999999999999999d", "P99999999999999999999D", "P9999999W"])
@pytest.mark.parametrize("command", ["status", "due"])
def test_huge_durations_are_refused(command: str, within: str, tmp_path: Path) -> None:
    target = [*CONFIRMED] if command == "status" else [str(tmp_path)]
    assert one_line([command, *target, "--within", within]) == (
        f"protectcalc: --within {within}: is longer than ten years"
    )


def test_non_ascii_digits_in_a_duration_are_refused() -> None:
    assert one_line(["status", *CONFIRMED, "--within", "٣d"]) == (
        "protectcalc: --within ٣d: is not a duration: use e.g. 36h, 3d, 2d12h or P2D"
    )


# --- section 3: rule files ------------------------------------------------------------


def test_a_rule_file_that_changes_a_rules_unit_is_refused(tmp_path: Path) -> None:
    text = RULES_FILE.read_text("utf-8")
    start = text.index("[rules.auto_confirm]")
    at = text.index('unit = "days"', start)
    changed = text[:at] + 'unit = "business_days"\ncalendar = "buyer"' + text[at + 13 :]
    path = tmp_path / "unit.toml"
    path.write_text(changed, "utf-8")
    assert one_line(["timeline", "--delivered", "2026-03-01", "--rules", str(path)]) == (
        f"protectcalc: rule set {path}: rules.auto_confirm.unit business_days: "
        "this rule can only be in days or hours"
    )


def test_an_alternative_reading_in_another_unit_is_refused(tmp_path: Path) -> None:
    text = RULES_FILE.read_text("utf-8")
    start = text.index("[rules.post_confirmation_protection.alternatives.ends_at_once]")
    at = text.index('unit = "days"', start)
    path = tmp_path / "alt.toml"
    path.write_text(text[:at] + 'unit = "count"' + text[at + 13 :], "utf-8")
    assert one_line(["rules", "--rules", str(path)]) == (
        f"protectcalc: rule set {path}: rules.post_confirmation_protection.alternatives."
        "ends_at_once.unit count: this rule can only be in days or hours"
    )


def test_rules_from_dev_zero_are_refused_at_once() -> None:
    assert one_line(["rules", "--rules", "/dev/zero"]) == (
        "protectcalc: rule set /dev/zero: is a device, not a regular file"
    )


def test_rules_from_a_fifo_are_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "rules.toml"
    os.mkfifo(fifo)
    assert one_line(["timeline", *CONFIRMED, "--rules", str(fifo)]) == (
        f"protectcalc: rule set {fifo}: is a FIFO (named pipe), not a regular file"
    )


def test_rules_from_a_folder_and_a_huge_file_are_refused(tmp_path: Path) -> None:
    assert one_line(["rules", "--rules", f"{tmp_path}/"]) == (
        f"protectcalc: rule set {tmp_path}/: is a folder, not a regular file"
    )
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (1024 * 1024 + 1))
    assert one_line(["rules", "--rules", str(big)]) == (
        f"protectcalc: rule set {big}: is larger than 1 MiB"
    )


def test_rules_dev_zero_inside_an_order_file(tmp_path: Path) -> None:
    order = tmp_path / "order.yaml"
    order.write_text(ORDER + "rules: /dev/zero\n", "utf-8")
    assert one_line(["timeline", str(order), "-f", "json"]) == (
        "protectcalc: rule set /dev/zero: is a device, not a regular file"
    )


def test_rules_dev_zero_inside_a_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(ORDER + "rules: /dev/zero\nexpect:\n  phase: confirmed\n", "utf-8")
    result = invoke(["replay", str(scenario)])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    shown = scenario.as_posix()
    assert result.stdout.splitlines()[:2] == [
        f"ERROR {shown}  Test order",
        f"  {shown}:5:8: rules: rule set /dev/zero: is a device, not a regular file",
    ]


# --- section 3: order and scenario files that are not regular files --------------------


def test_an_order_file_that_is_a_device_or_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "order.yaml"
    os.mkfifo(fifo)
    assert one_line(["timeline", str(fifo)]) == (
        f"protectcalc: {fifo}: is a FIFO (named pipe), not a YAML file"
    )
    assert one_line(["status", "/dev/zero"]) == (
        "protectcalc: /dev/zero: is a device, not a YAML file"
    )


def test_due_and_replay_name_a_device_as_such(tmp_path: Path) -> None:
    result = invoke(["due", "/dev/zero"])
    assert result.exit_code == 2
    assert result.stderr == "protectcalc: /dev/zero: is a device, not a YAML file\n"
    result = invoke(["replay", "/dev/zero"])
    assert result.exit_code == 2
    assert "/dev/zero: is a device, not a YAML file" in result.stdout
