"""A progress bar on stderr for ``replay`` and ``due`` over many files, only where one watches.

The bar appears only when stderr is a terminal and the work has already taken a moment, so
a pipe, a log, CI or a quick run sees nothing of it; it is drawn on stderr and erased when
the work ends, so stdout (the report) is never touched. Rich's progress module is imported
only when a bar is about to be drawn.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

Step = Callable[[int, int], None]
"""Called with (files done, files in all) before the first file and after each one."""

DELAY_SECONDS = 0.3
"""A run that ends sooner never shows a bar (no flash for a handful of files)."""


def stderr_console() -> Console | None:
    """The console to draw on: None unless stderr is a terminal that can redraw a line.

    Asked of stderr itself rather than of Rich, which would also take ``FORCE_COLOR`` (set
    by many CI systems) as a terminal. Tests replace this function to force a terminal.
    """
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    console = Console(stderr=True)
    return None if console.is_dumb_terminal else console


@contextmanager
def progress(label: str, *, enabled: bool = True) -> Iterator[Step]:
    """A step callback that draws a transient bar once the work has run for a moment.

    With ``enabled`` False (``--format json``), or when stderr is not a terminal, the
    callback does nothing and costs nothing.
    """
    console = stderr_console() if enabled else None
    if console is None:
        yield _nothing
        return
    started = time.monotonic()
    drawn: tuple[Progress, TaskID] | None = None

    def step(done: int, total: int) -> None:
        nonlocal drawn
        if drawn is None:
            if done >= total or time.monotonic() - started < DELAY_SECONDS:
                return
            bar = _bar(console)
            drawn = bar, bar.add_task(label, total=total)
            bar.start()
        drawn[0].update(drawn[1], completed=done, total=total)

    try:
        yield step
    finally:
        if drawn is not None:
            drawn[0].stop()


def _nothing(done: int, total: int) -> None:
    """The step of a run without a bar."""


def _bar(console: Console) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
