"""batch reads every event of the shared vocabulary, as the command line does."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

pytest.importorskip("polars", reason="protectcalc[batch] (Polars) is not installed")

from protectcalc.cli import run


def test_batch_takes_the_newer_events_as_columns(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "order_id,rules,paid,estimated_delivery,seller_contacted,shipped,dispute_opened,"
        "seller_responded_1,buyer_responded_1,escalated,mediator_asked_1,tz\n"
        "A,etsy,2026-03-01,2026-03-20,2026-03-22T10:00,,,,,,,UTC\n"
        "C,aliexpress,,,,2026-01-20,2026-01-30,2026-02-02,2026-02-05,2026-02-26T10:00,"
        "2026-02-26T10:00,Asia/Shanghai\n",
        "utf-8",
    )
    out = tmp_path / "out.csv"
    assert run(["batch", str(source), "-o", str(out), "--as-of", "2026-03-23T00:00"]) == 0
    rows = {row["order_id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["A"]["case_end"] == "2026-04-19T00:00+00:00"  # as `timeline --rules etsy`
    assert rows["C"]["escalated_response_due"] == "2026-03-06"  # 7 CN business days
    assert rows["A"]["error"] == rows["C"]["error"] == ""
