"""``batch --engine dask``: the same compiled plan over the partitions of a Parquet dataset.

Each Dask partition is a pandas frame of text columns; the workers run
:func:`protectcalc.batch.run.evaluate_chunk` on it (the columnar engine, with the scalar
fallback), so a cluster computes exactly what one process computes. ``scheduler`` is the
address of a running cluster (``tcp://host:8786``); without it a local cluster starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from protectcalc.batch.run import Options, Stats


def _partition(frame: Any, options: Options, columns: list[str]) -> Any:
    import polars as pl

    from protectcalc.batch.run import evaluate_chunk

    offset = int(frame["_offset"].iloc[0]) if len(frame) else 0
    text = pl.from_pandas(frame.drop(columns=["_offset"])).select(
        [pl.col(c).cast(pl.String) for c in columns]
    )
    stats = Stats()
    out = evaluate_chunk(text, options, stats, offset)
    return out.to_pandas(use_pyarrow_extension_array=True)


def run_dask(source: str, output: str | None, options: Options, scheduler: str | None) -> Stats:
    """Compute a Parquet file or folder of Parquet files on a Dask cluster."""
    try:
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster
    except ImportError:
        from protectcalc.errors import InputError

        raise InputError("engine", "dask", "needs Dask: pip install 'protectcalc[dask]'") from None
    from datetime import UTC, datetime

    from protectcalc.batch import rows as R

    options = Options(**{**options.__dict__, "now": options.now or datetime.now(UTC)})
    cluster = None
    if scheduler:
        client = Client(scheduler)  # type: ignore[no-untyped-call]
    else:
        cluster = LocalCluster(n_workers=2)  # type: ignore[no-untyped-call]
        client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        stats = compute_dask(dd.read_parquet(source), options)
        frame = stats.pop("frame")
        result: Stats = stats["stats"]
        if output is None or output == "-":
            import sys

            frame.to_csv(sys.stdout, index=False)
        elif Path(output).suffix == ".parquet":
            frame.to_parquet(output, index=False)
        else:
            frame.to_csv(output, index=False)
        _ = R
        return result
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()


def compute_dask(frame: Any, options: Options) -> dict[str, Any]:
    """Evaluate a Dask dataframe of orders partition by partition; the rows as pandas."""
    import pandas as pd

    from protectcalc.batch import rows as R

    columns = R.check_columns(list(frame.columns))
    sizes = frame.map_partitions(len).compute()
    offsets = [0]
    for size in list(sizes)[:-1]:
        offsets.append(offsets[-1] + int(size))
    parts = frame.to_delayed()
    from dask.delayed import delayed

    @delayed  # type: ignore[untyped-decorator]
    def run(part: Any, offset: int) -> Any:
        part = part.copy()
        part["_offset"] = offset
        return _partition(part, options, columns)

    from dask.base import compute

    results = compute(  # type: ignore[no-untyped-call]
        *(run(p, o) for p, o in zip(parts, offsets, strict=True))
    )
    frame_out = pd.concat(results, ignore_index=True) if results else pd.DataFrame()
    stats = Stats(orders=len(frame_out))
    if len(frame_out):
        failed = frame_out[frame_out["error"].notna()]
        stats.failed = len(failed)
        stats.messages = [f"{m}" for m in failed["error"].tolist()]
    return {"frame": frame_out, "stats": stats}
