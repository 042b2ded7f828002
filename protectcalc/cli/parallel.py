"""Many files, several cores: ``due`` and ``replay`` spread their files over worker processes.

Why: each file is independent (read, validate, compute), and a folder of thousands of orders
kept one core busy while the others idled. The work is handed out in chunks, in order, and
the results come back in the same order, so the output is the same as from one process.
The first file is done before the fork, so the workers inherit what it imported and built.

Only where it is safe and pays: on Linux (the workers are forked, so they start at once and
share the rule sets already compiled), and for a folder of at least :data:`MIN_FILES` files.
``PROTECTCALC_WORKERS`` sets the number of processes (``1``: never more than one; any other
number: that many, whatever the folder's size).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from protectcalc.errors import InputError

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_FILES = 400
"""Fewer files than this run in one process: forking would cost more than it saves."""

CHUNK = 32
"""Files handed to a worker at a time (fewer round trips; the progress bar still moves)."""

WORKERS_VARIABLE = "PROTECTCALC_WORKERS"

_task: Callable[[Any], Any] | None = None
"""The function the forked workers run (inherited by fork, so it need not be picklable)."""


def worker_count(files: int) -> int:
    """How many processes to use for ``files`` files (1: the calling process alone)."""
    given = os.environ.get(WORKERS_VARIABLE)
    if given is not None:
        try:
            chosen = int(given)
        except ValueError:
            chosen = 0
        if chosen < 1:
            raise InputError(WORKERS_VARIABLE, given, "is not a number of processes (1 or more)")
        return chosen if sys.platform == "linux" else 1
    if sys.platform != "linux" or files < MIN_FILES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def map_in_order(
    task: Callable[[Item], Result],
    items: Sequence[Item],
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """``[task(item) for item in items]``, on several processes when :func:`worker_count` says so.

    ``progress`` is told (items done, items in all) before the first item and as they finish.
    """
    total = len(items)
    if progress is not None:
        progress(0, total)
    workers = min(worker_count(total), total)
    if workers <= 1:
        results: list[Result] = []
        for item in items:
            results.append(task(item))
            if progress is not None:
                progress(len(results), total)
        return results
    import multiprocessing

    # The first item runs here, before the fork: the modules it imports and the rule sets
    # and calendars it builds are then inherited by every worker, not built once in each.
    gathered: list[Result] = [task(items[0])]
    if progress is not None:
        progress(1, total)
    global _task
    _task = task
    chunks = [list(items[start : start + CHUNK]) for start in range(1, total, CHUNK)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for done in pool.imap(_run_chunk, chunks):
                gathered.extend(done)
                if progress is not None:
                    progress(len(gathered), total)
    finally:
        _task = None
    return gathered


def _run_chunk(chunk: list[Any]) -> list[Any]:
    assert _task is not None
    return [_task(item) for item in chunk]
