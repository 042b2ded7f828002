"""``protectcalc batch``: every order of a CSV, JSON Lines or Parquet file, one row each.

Polars is imported only when the command runs (the ``batch`` extra), so the other commands
start as fast as before.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from protectcalc.errors import InputError


class Engine(StrEnum):
    """Where the columns are computed."""

    POLARS = "polars"
    DASK = "dask"


def batch(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="Orders: a .csv, .jsonl or .parquet file (a folder of .parquet files with "
            "--engine dask), or - for CSV on stdin.",
            show_default=False,
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write here (.csv, .jsonl or .parquet; default CSV on stdout).",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge every order as of this moment.")
    ] = None,
    rules: Annotated[
        str | None, typer.Option("--rules", help="Rule set name or TOML file (default aliexpress).")
    ] = None,
    reading: Annotated[
        list[str] | None, typer.Option("--reading", help="RULE=NAME; repeatable.")
    ] = None,
    engine: Annotated[
        Engine, typer.Option("--engine", help="polars (this machine) or dask (a cluster).")
    ] = Engine.POLARS,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --engine dask: the scheduler address "
            "(tcp://host:8786); default a local cluster.",
        ),
    ] = None,
) -> None:
    """Compute every order of a file: one output row per order, every milestone a column.

    A row the engine refuses is reported on stderr (row number, column, reason) and gets
    an [bold]error[/bold] column; the other rows go on; the exit code is 1 when any row failed.

    [bold]Examples[/bold]

        [cyan]protectcalc batch orders.csv -o deadlines.parquet --as-of 2026-03-02T09:00[/cyan]
    """
    try:
        from protectcalc.batch.run import Options, Stats, run_batch
    except ImportError:
        raise InputError("batch", None, "needs Polars: pip install 'protectcalc[batch]'") from None
    if source != "-" and output is not None and Path(source).resolve() == Path(output).resolve():
        raise InputError("output", output, "is the input file: not overwritten")
    options = Options(rules=rules, readings=tuple(reading or ()), as_of=as_of)
    stats: Stats
    if engine is Engine.DASK:
        from protectcalc.batch.distributed import run_dask

        stats = run_dask(source, output, options, scheduler)
    else:
        from protectcalc.batch.progress import progress_bar

        with progress_bar(source) as advance:
            stats = run_batch(source, output, options, advance)
    for message in stats.messages[:1000]:
        sys.stderr.write(f"protectcalc: {message}\n")
    if len(stats.messages) > 1000:
        sys.stderr.write(f"protectcalc: ... and {len(stats.messages) - 1000} more refused rows\n")
    if output not in (None, "-"):
        sys.stderr.write(f"wrote {output}: {stats.orders} orders, {stats.failed} refused\n")
    if stats.failed:
        raise typer.Exit(1)
