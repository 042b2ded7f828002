"""Differential check: `protectcalc batch` (columns) against `timeline --format json` (scalar).

Generates orders as ``compare_engines.py`` does (every event combination, dispute rounds,
out-of-order events, zones with DST and odd offsets, business-day calendars), adds DST-edge
and leap-day orders, runs each reading of the rule set through the columnar evaluator, and
compares every output column of every row with the row flattened from the scalar engine's
JSON dict (``rows.row_from_timeline``, the dict ``timeline --format json`` prints).

    .venv/bin/python benchmarks/batch_diff.py --orders 100000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.compare_engines import READINGS, generate

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MORE_ZONES = (
    "America/Sao_Paulo",
    "America/Havana",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Europe/Berlin",
    "America/Los_Angeles",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "America/Santiago",
    "Asia/Tehran",
)
EDGES = (
    "2024-02-29",
    "2028-02-29",
    "2026-03-08T02:30",
    "2026-03-08T01:59",
    "2026-11-01T01:30",
    "2026-03-29T02:30",
    "2026-10-25T02:30",
    "2026-04-05T02:00",
    "2025-12-31T23:59",
    "2026-02-28T23:00",
    "2026-01-01",
)


def order_row(rng: random.Random, index: int) -> dict[str, Any]:
    """One generated order as a batch input row (text cells, None where empty)."""
    fields = dict(generate(rng)["fields"])
    if rng.random() < 0.3:
        fields["tz"] = rng.choice(MORE_ZONES)
    if rng.random() < 0.1:  # a DST edge or a leap day for the first event
        first = next((k for k in ("placed", "paid", "shipped", "delivered") if k in fields), None)
        if first is not None:
            fields[first] = rng.choice(EDGES)
    if rng.random() < 0.05:
        fields["buyer_country"] = rng.choice(["JP", "KR", "XX", "ru", "FR", "IN"])
    row: dict[str, Any] = {"order_id": f"o{index}"}
    for key, value in fields.items():
        if key in ("seller_responded", "buyer_responded"):
            for k, item in enumerate(value, 1):
                row[f"{key}_{k}"] = item
        elif key == "extended":
            row["extended"] = "+".join(value)
        elif key == "readings":
            continue
        else:
            row[key] = value
    return row


def rows(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [order_row(rng, index) for index in range(count)]


def compare(items: list[dict[str, Any]], readings: tuple[str, ...]) -> tuple[int, int, list[str]]:
    """(rows compared, rows that differ, the first differences)."""
    import polars as pl

    from protectcalc.batch import rows as R
    from protectcalc.batch.run import Options, Stats, evaluate_chunk

    columns = ["order_id", *R.SCALAR_COLUMNS]
    for event in R.REPEATED_COLUMNS:
        columns += [f"{event}_{k}" for k in range(1, 4)]
    frame = pl.DataFrame(
        [{c: item.get(c) for c in columns} for item in items],
        schema=dict.fromkeys(columns, pl.String),
        orient="row",
    )
    options = Options(readings=readings, now=NOW, zone=ZoneInfo("UTC"))
    stats = Stats()
    fast = evaluate_chunk(frame, options, stats)
    ids = [c for c in fast.columns if c not in R.FIXED_HEAD and c not in R.FIXED_TAIL]
    differ: list[str] = []
    count = 0
    for given, got in zip(items, fast.iter_rows(named=True), strict=True):
        expected = R.scalar_row(
            {c: given.get(c) for c in columns},
            rules=None,
            readings=readings,
            as_of=None,
            now=NOW,
            zone=ZoneInfo("UTC"),
            milestone_ids=ids,
        )
        if expected != got:
            count += 1
            if len(differ) < 5:
                keys = [k for k in expected if expected[k] != got.get(k)]
                differ.append(
                    f"{given}\n  "
                    + "\n  ".join(f"{k}: scalar={expected[k]!r} batch={got.get(k)!r}" for k in keys)
                )
    return len(items), count, differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    items = rows(args.orders, args.seed)
    readings_sets: list[tuple[str, ...]] = [(), *((r,) for r in READINGS)]
    per = max(1, len(items) // len(readings_sets))
    total = bad = 0
    start = time.perf_counter()
    for index, readings in enumerate(readings_sets):
        part = (
            items[index * per : (index + 1) * per]
            if index < len(readings_sets) - 1
            else items[index * per :]
        )
        compared, differ, shown = compare(part, readings)
        total += compared
        bad += differ
        print(f"readings {readings or '(default)'}: {compared} orders, {differ} differ")
        for text in shown:
            print(text)
    seconds = time.perf_counter() - start
    print(
        f"compared {total} orders, every column: {total - bad} identical, {bad} differ "
        f"({seconds:.0f} s)"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())


_ = timedelta
