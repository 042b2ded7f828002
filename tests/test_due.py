"""``protectcalc due``: upcoming buyer deadlines across many order files, soonest first."""

from __future__ import annotations

import csv
import io
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from protectcalc.cli import run

AS_OF = "2026-03-02T09:00Z"

HEADPHONES = """\
    name: Headphones, confirmed by accident
    timezone: Europe/Moscow
    order:
      shipped: 2026-02-10
      confirmed: 2026-03-01
    """
LAMP = """\
    name: Lamp in dispute
    timezone: Asia/Shanghai
    as_of: 2020-01-01            # ignored by due: every order is judged at one moment
    order:
      shipped: 2026-02-01
    dispute:
      opened: 2026-02-20
      seller_responses: [2026-02-24]
    """
ESCALATED = """\
    timezone: Asia/Shanghai
    order:
      shipped: 2026-01-20
      delivered: 2026-01-28
    dispute:
      opened: 2026-01-30
      seller_responses: [2026-02-02]
      buyer_responses: [2026-02-05]
      escalated: 2026-02-26T10:00
      mediator_questions: [2026-02-26T10:00]
    """
BROKEN = """\
    name: Broken
    order:
      confirmed: 2026-02-30
    """


def invoke(args: list[str]) -> Result:
    runner = CliRunner()
    with runner.isolation(env={"NO_COLOR": "1", "COLUMNS": "160"}) as (out, err, mixed):
        code = run(args)
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(runner, out.getvalue(), err.getvalue(), mixed.getvalue(), None, code, None)


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    folder = tmp_path / "orders"
    (folder / "2026").mkdir(parents=True)
    (folder / ".trash").mkdir()
    (folder / "headphones.yaml").write_text(textwrap.dedent(HEADPHONES), encoding="utf-8")
    (folder / "2026" / "lamp.yml").write_text(textwrap.dedent(LAMP), encoding="utf-8")
    (folder / "2026" / "mediation.yaml").write_text(textwrap.dedent(ESCALATED), encoding="utf-8")
    (folder / ".trash" / "old.yaml").write_text(textwrap.dedent(BROKEN), encoding="utf-8")
    (folder / "notes.txt").write_text("not an order", encoding="utf-8")
    return folder


def rows_of(result: Result) -> list[dict[str, Any]]:
    data = json.loads(result.stdout)
    rows: list[dict[str, Any]] = data["deadlines"]
    return rows


def test_lists_every_buyer_deadline_soonest_first(orders: Path) -> None:
    result = invoke(["due", str(orders), "--as-of", AS_OF, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    got = [(row["name"], row["id"], row["due"]) for row in rows_of(result)]
    assert got == [  # same instant: by name
        ("Lamp in dispute", "buyer_response_due_1", "2026-03-06T00:00+08:00"),
        ("mediation", "escalated_response_due", "2026-03-06T00:00+08:00"),
        ("Headphones, confirmed by accident", "safe_dispute_open", "2026-03-15T00:00+03:00"),
        ("Headphones, confirmed by accident", "protection_end", "2026-03-16T00:00+03:00"),
        ("Headphones, confirmed by accident", "feedback_due", "2026-03-31T00:00+03:00"),
    ]
    first = rows_of(result)[1]
    # Escalated Thu 26 Feb: 27 Feb, 28 Feb (working Saturday), 2-6 Mar: 7 working days in China.
    assert (first["date"], first["at"], first["business_day"]) == ("2026-03-06", None, True)
    assert first["file"].endswith("mediation.yaml")
    assert first["seconds_left"] == 3 * 86400 + 7 * 3600


def test_within_keeps_the_near_ones_and_exits_3(orders: Path) -> None:
    result = invoke(["due", str(orders), "--as-of", AS_OF, "--within", "4d", "--format", "csv"])
    assert result.exit_code == 3, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["name"], row["id"]) for row in rows] == [
        ("Lamp in dispute", "buyer_response_due_1"),
        ("mediation", "escalated_response_due"),
    ]
    assert rows[1]["business_day"] == "true"
    assert rows[0]["time_left"] == "3d 7h"


def test_within_nothing_near_exits_0(orders: Path) -> None:
    result = invoke(["due", str(orders), "--as-of", AS_OF, "--within", "3d"])
    assert result.exit_code == 0, result.output
    assert "No open buyer deadlines." in result.stdout


def test_a_bad_file_is_named_and_the_rest_still_listed(orders: Path) -> None:
    bad = orders / "broken.yaml"
    bad.write_text(textwrap.dedent(BROKEN), encoding="utf-8")
    result = invoke(["due", str(orders), "--as-of", AS_OF, "--format", "json"])
    assert result.exit_code == 2
    assert len(rows_of(result)) == 5
    assert result.stderr.startswith(f"protectcalc: {bad}:3:")
    assert "2026-02-30" in result.stderr
    assert result.stderr.count("\n") == 1
    assert json.loads(result.stdout)["errors"][0]["file"] == str(bad)


def test_due_keeps_nothing_of_the_files_it_read(orders: Path) -> None:
    """Each file's parsed tree is let go once its rows (or its error, placed by line) are
    made: a folder of ten thousand orders must not keep ten thousand trees."""
    from protectcalc.scenarios import orderfile

    (orders / "broken.yaml").write_text(textwrap.dedent(BROKEN), encoding="utf-8")
    result = invoke(["due", str(orders), "--as-of", AS_OF, "--format", "json"])
    assert result.exit_code == 2
    assert f"{orders / 'broken.yaml'}:3:" in result.stderr  # still placed in the file
    assert [path for path in orderfile._LOADED if orders in path.parents] == []


def test_a_near_deadline_wins_over_a_bad_file(orders: Path) -> None:
    (orders / "broken.yaml").write_text(textwrap.dedent(BROKEN), encoding="utf-8")
    result = invoke(["due", str(orders), "--as-of", AS_OF, "--within", "4d"])
    assert result.exit_code == 3
    assert "broken.yaml" in result.stderr


def test_table_names_the_orders(orders: Path) -> None:
    result = invoke(["due", str(orders), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("Lamp in dispute") < out.index("mediation") < out.index("Headphones")
    assert "│ 2026-03-05 Thu  │" in out and "│ until 24:00     │" in out
    assert "Answer the mediator by" in out


def test_files_and_folders_can_be_mixed(orders: Path) -> None:
    result = invoke(
        ["due", str(orders / "headphones.yaml"), str(orders / "2026"), "--as-of", AS_OF,
         "--format", "json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(rows_of(result)) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.yaml"], "missing.yaml: no such file or folder"),
        (["empty"], "empty: no order files (*.yaml, *.yml) in it"),
    ],
)
def test_missing_paths_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke(["due", *[str(tmp_path / arg) for arg in args], "--as-of", AS_OF])
    assert result.exit_code == 2
    assert result.stderr == f"protectcalc: {tmp_path / message}\n"


def test_bad_options_exit_2_once(orders: Path) -> None:
    result = invoke(["due", str(orders), "--as-of", "2026-02-30"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("protectcalc: --as-of 2026-02-30:")
    assert invoke(["due", str(orders), "--within", "soon"]).exit_code == 2
    assert invoke(["due", str(orders), "--format", "ics"]).exit_code == 2


def test_with_fields_is_dataclasses_replace() -> None:
    from dataclasses import replace

    from protectcalc.order import OrderInput

    raw = OrderInput(placed="2026-03-01", seller_responded=("2026-03-05",), tz="Europe/Moscow")
    moment = "2026-03-09T10:00"
    changed = raw.with_fields(as_of=moment, shipping="premium")
    assert changed == replace(raw, as_of=moment, shipping="premium")
    assert changed.__dict__ == replace(raw, as_of=moment, shipping="premium").__dict__
    assert raw.as_of is None  # the original is untouched
    with pytest.raises(TypeError):
        raw.with_fields(not_a_field=1)
