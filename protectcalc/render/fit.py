"""One renderable for wide terminals and another for narrow ones, chosen as Rich prints.

Why: a table squeezed into 40 columns hides the milestone name (the column that matters)
and cuts ids mid-way. The renderers stay pure: the width is known only when Rich renders.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult


class Fit:
    """``wide`` when at least ``min_width`` columns are available, else ``narrow``."""

    def __init__(self, wide: RenderableType, narrow: RenderableType, min_width: int) -> None:
        self.wide = wide
        self.narrow = narrow
        self.min_width = min_width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.wide if options.max_width >= self.min_width else self.narrow


class Deferred:
    """A renderable built only if it is printed: the view a ``Fit`` may never choose.

    Why: ``due``'s stacked view of thousands of deadlines took a tenth of a second to build
    for a wide terminal that never shows it.
    """

    def __init__(self, build: Callable[[], RenderableType]) -> None:
        self.build = build

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.build()
