"""Issue 7, section 5: every error in an order file (or on the command line) in one run."""

from __future__ import annotations

from pathlib import Path

import pytest

from protectcalc.cli import run

BAD_FILE = """name: two mistakes
timezone: Europe/Moscow
order:
  shipped: 2026-02-30
  confirmed: 2026-13-01
  delivery_days: 400
"""


def _errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    code = run(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


def test_every_bad_value_of_an_order_file_is_reported_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_FILE, "utf-8")
    code, out, lines = _errors(["timeline", str(path)], capsys)
    assert (code, out) == (2, "")
    assert lines == [
        f"protectcalc: {path}:4:12: order.shipped 2026-02-30: is not a real date or time "
        "(day is out of range for month)",
        f"protectcalc: {path}:5:14: order.confirmed 2026-13-01: is not a real date or time "
        "(month must be in 1..12)",
        f"protectcalc: {path}:6:18: order.delivery_days 400: must be from 1 to 365 days",
    ]


def test_every_bad_option_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, lines = _errors(
        ["timeline", "--tz", "Mars/Base", "--confirmed", "2026-02-30", "--buyer-country", "XYZ"],
        capsys,
    )
    assert (code, out) == (2, "")
    assert [line.split(":")[1].strip() for line in lines] == [
        "--tz Mars/Base",
        "--confirmed 2026-02-30",
        "--buyer-country XYZ",
    ]


def test_due_names_each_problem_of_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_FILE, "utf-8")
    code, _, lines = _errors(["due", str(tmp_path), "--as-of", "2026-03-01"], capsys)
    assert code == 2
    assert len(lines) == 3 and all(str(tmp_path / "bad.yaml") in line for line in lines)
