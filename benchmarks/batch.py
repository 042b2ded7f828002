"""Batch throughput: orders per second, Parquet->Parquet and CSV->CSV, end to end.

The orders are generated as in ``compare_engines.py`` (``--distinct`` of them, repeated to
``--orders`` rows with their own ids), written once as Parquet and as CSV, then
``run_batch`` (what ``protectcalc batch`` runs) reads, computes and writes them; the figure
is the median over ``--repeats`` runs. Peak memory (``--peak SIZE ...``) is the maximum
resident size (``VmHWM``) of a fresh process that only runs ``run_batch`` on a Parquet
file of that many orders (written beforehand by this process, so generating the input does
not count).

    .venv/bin/python benchmarks/batch.py --orders 1000000 --repeats 3
    .venv/bin/python benchmarks/batch.py --orders 0 --peak 1000000 10000000
    .venv/bin/python benchmarks/batch.py --orders 0 --peak 1000000 4000000 --peak-format jsonl
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def write_inputs(
    folder: Path, orders: int, distinct: int, csv_too: bool = True
) -> tuple[Path, Path]:
    import polars as pl

    from benchmarks.batch_diff import rows
    from protectcalc.batch import rows as R

    columns = ["order_id", *R.SCALAR_COLUMNS]
    columns += [f"{e}_{k}" for e in R.REPEATED_COLUMNS for k in range(1, 4)]
    base = pl.DataFrame(
        [{c: item.get(c) for c in columns} for item in rows(distinct, 5)],
        schema=dict.fromkeys(columns, pl.String),
        orient="row",
    )
    repeats = -(-orders // distinct)
    frame = pl.concat([base] * repeats).head(orders)
    frame = frame.with_columns(pl.format("o{}", pl.int_range(pl.len())).alias("order_id"))
    parquet, csv = folder / "orders.parquet", folder / "orders.csv"
    frame.write_parquet(parquet, row_group_size=100_000)
    if csv_too:
        frame.write_csv(csv)
    return parquet, csv


def timed(source: Path, output: Path) -> float:
    from protectcalc.batch.run import Options, run_batch

    start = time.perf_counter()
    run_batch(str(source), str(output), Options(now=NOW, zone=ZoneInfo("UTC")))
    return time.perf_counter() - start


def peak(source: Path) -> None:
    """Run one file in this (fresh) process and print its peak resident memory."""
    if source.suffix == ".jsonl":
        with source.open("rb") as handle:
            orders = sum(1 for _ in handle)
        label = "JSON Lines->Parquet"
    else:
        import pyarrow.parquet as pq

        orders = pq.ParquetFile(source).metadata.num_rows
        label = "Parquet->Parquet"
    before = high_water()
    seconds = timed(source, source.with_name("out.parquet"))
    after = high_water()
    print(
        f"{orders} orders {label}: {orders / seconds:,.0f}/s, peak RSS "
        f"{after:,.0f} MiB (before the run {before:,.0f} MiB)",
        flush=True,
    )


def high_water() -> float:
    """This process's peak resident size in MiB: ``VmHWM`` (``ru_maxrss`` on Linux keeps
    the parent's peak across fork and exec, so it would count the generated input)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--distinct", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peak", type=int, nargs="*", default=[], help="sizes for peak memory")
    parser.add_argument(
        "--peak-format", choices=["parquet", "jsonl"], default="parquet", help="input of --peak"
    )
    parser.add_argument("--one-peak", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_peak:
        peak(args.one_peak)
        return 0
    if args.orders:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            parquet, csv = write_inputs(folder, args.orders, args.distinct)
            for label, source, out in (
                ("Parquet->Parquet", parquet, folder / "out.parquet"),
                ("CSV->CSV", csv, folder / "out.csv"),
            ):
                rates = [args.orders / timed(source, out) for _ in range(args.repeats)]
                print(
                    f"{label}: {args.orders} orders, median {statistics.median(rates):,.0f} "
                    f"orders/s (min {min(rates):,.0f}, max {max(rates):,.0f}) over "
                    f"{args.repeats} runs",
                    flush=True,
                )
    for size in args.peak:
        with tempfile.TemporaryDirectory() as name:
            parquet, _ = write_inputs(Path(name), size, args.distinct, csv_too=False)
            source = parquet
            if args.peak_format == "jsonl":
                import polars as pl

                source = parquet.with_suffix(".jsonl")
                pl.scan_parquet(parquet).sink_ndjson(source)
                parquet.unlink()
            subprocess.run([sys.executable, __file__, "--one-peak", str(source)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
