"""Dask throughput: orders per second on a local cluster of 1 and of 2 worker processes.

Why: ``protectcalc batch --engine dask`` is for data sets beyond one machine; the README says
how throughput grows with workers, and this script is where that figure comes from. The
orders are generated as in ``benchmarks/batch.py`` and written as ``--files`` Parquet files
(the partitions); each cluster (one thread per worker process) is started and warmed on one
partition before the timed runs, so start-up is not counted; the figure is the median over
``--repeats`` runs of ``compute_dask`` (what the command runs) on the whole folder.

    .venv/bin/python benchmarks/dask_workers.py --orders 400000 --files 8 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def write_partitions(folder: Path, orders: int, files: int) -> None:
    """``files`` Parquet files holding ``orders`` generated orders between them."""
    import polars as pl

    from benchmarks.batch import write_inputs

    parquet, _ = write_inputs(folder, orders, min(orders, 20_000), csv_too=False)
    frame = pl.read_parquet(parquet)
    parquet.unlink()
    size = -(-orders // files)
    parts = folder / "parts"
    parts.mkdir()
    for index in range(files):
        frame.slice(index * size, size).write_parquet(parts / f"part-{index:03d}.parquet")


def timed_runs(parts: Path, workers: int, repeats: int) -> list[float]:
    """Seconds per run of ``compute_dask`` over the folder on ``workers`` local processes."""
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    from protectcalc.batch.distributed import compute_dask
    from protectcalc.batch.run import Options

    options = Options(now=NOW, zone=ZoneInfo("UTC"))
    seconds: list[float] = []
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster,
        Client(cluster),
    ):
        first = sorted(parts.iterdir())[0]
        compute_dask(dd.read_parquet(str(first)), options)  # warm every worker's imports
        for _ in range(repeats):
            start = time.perf_counter()
            result = compute_dask(dd.read_parquet(str(parts)), options)
            seconds.append(time.perf_counter() - start)
            assert len(result["frame"]) > 0
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400_000)
    parser.add_argument("--files", type=int, default=8, help="Parquet files (partitions)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_partitions(folder, args.orders, args.files)
        for workers in (1, 2):
            seconds = timed_runs(folder / "parts", workers, args.repeats)
            median = statistics.median(seconds)
            print(
                f"{workers} worker(s): median {median:.2f} s over {args.repeats} runs "
                f"= {args.orders / median:,.0f} orders/s (min {min(seconds):.2f} s)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
