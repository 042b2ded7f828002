"""A progress bar for long batch runs: on a terminal only (stderr), never when piped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def _total(source: str) -> int | None:
    if source == "-" or not source.endswith(".parquet"):
        return None
    try:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(Path(source)).metadata.num_rows)
    except (OSError, ValueError, ImportError):
        return None


@contextmanager
def progress_bar(source: str) -> Iterator[Callable[[int], None] | None]:
    """Yields a callback taking the rows just done (None when stderr is not a terminal)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("orders", total=_total(source))
        yield lambda rows: bar.advance(task, rows)
