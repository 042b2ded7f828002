"""A table of many plain-text rows that prints exactly as ``rich.table.Table`` would, faster.

Why: ``due`` over a folder of 10,000 orders lists some 7,000 deadlines, and Rich's general
table (measure every cell, wrap every cell, pad and crop every segment) spent about 0.8 ms a
row on them: five seconds, more than reading and computing every order. This table knows its
cells are lines of plain-text runs, each run with at most one style, so a line that fits its
column is padded and joined into as few segments as its styles allow; only a line that must
wrap (or holds a tab, or ends in a space) is broken as Rich breaks it (one run of ASCII with
Rich's own line breaker, anything else with ``Text.wrap``), once per distinct line and width.
The column widths follow Rich's algorithm, and the title, the header and the box come from a
header-only Rich table of the same widths. A layout it does not reproduce (a terminal too
narrow for the columns that may not wrap) is handed to the Rich table it stands for.
:class:`LongStack` does the same for the stacked view of narrow terminals. A differential
test checks that each prints the same bytes as what it stands for, colours included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.box import Box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

Run = tuple[str, str | None]
"""A stretch of text and its style name (``None``: plain)."""

Line = tuple[Run, ...]
"""One line of a cell: its runs, left to right."""

Cell = tuple[Line, ...]
"""A cell: its lines, top to bottom (a line wider than its column wraps)."""

PADDING = 1
"""Rich's default cell padding, each side."""

_collapse_widths: Callable[[list[int], list[bool], int], list[int]] | None = getattr(
    Table, "_collapse_widths", None
)
"""Rich's own (private) narrowing of a table's columns, so the widths are its table's.

Private parts of Rich can move in any release: without them (or when a call no longer fits
their signature) the layout is left to Rich's table, which prints the same, only slower."""

_divide_line: Callable[..., list[int]] | None
"""Rich's own (private) line breaker, for wrapping a run of ASCII without a ``Text``."""
try:
    from rich._wrap import divide_line as _divide_line
except ImportError:  # a Rich without it: Text.wrap does the work
    _divide_line = None


@dataclass(frozen=True)
class LongColumn:
    """A column: its header, whether it may wrap, how its lines are justified, and the most
    cells it may take (its padding aside)."""

    header: str
    no_wrap: bool = False
    justify: Literal["left", "right"] = "left"
    max_width: int | None = None


class LongTable:
    """Rows of plain-text cells under a title and a header, printed as Rich's table.

    Texts are never read as Rich markup: a name or a label from a file prints as written.
    """

    def __init__(
        self, title: str, columns: Sequence[LongColumn], rows: Sequence[Sequence[Cell]]
    ) -> None:
        self.title = title
        self.columns = tuple(columns)
        self.rows = rows

    def rich_table(self) -> Table:
        """The same table built with Rich: what this one stands for, and its fallback."""
        table = _titled(self.title)
        for column in self.columns:
            table.add_column(
                column.header,
                no_wrap=column.no_wrap,
                justify=column.justify,
                max_width=column.max_width,
            )
        for row in self.rows:
            table.add_row(*(_rich_text(cell) for cell in row))
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        extra_width = len(self.columns) + 1  # the edges and the dividers
        widths = self._widths(options.max_width - extra_width)
        head = self._head(console, options, widths) if widths is not None else None
        if widths is None or head is None:
            yield self.rich_table()
            return
        segments, box, bottom = head
        yield from segments
        yield from self._body(console, widths, box)
        yield bottom
        yield Segment.line()

    def _widths(self, available: int) -> list[int] | None:
        """Each column's width with its padding, as Rich's table computes it; None: defer."""
        if available < 1 + 2 * PADDING:
            return None
        pad = 2 * PADDING
        maxima = [_widest(column.header) + pad for column in self.columns]
        for row in self.rows:
            for index, cell in enumerate(row):
                high = _widest("\n".join("".join(text for text, _style in line) for line in cell))
                if high + pad > maxima[index]:
                    maxima[index] = high + pad
        # Rich clamps every measure to the room there is, then to the column's own limit.
        widths = [
            min(min(high, available), column.max_width + pad)
            if column.max_width is not None
            else min(high, available)
            for high, column in zip(maxima, self.columns, strict=True)
        ]
        widths = [width or 1 for width in widths]
        if sum(widths) > available:
            if _collapse_widths is None:
                return None
            wrapable = [not column.no_wrap for column in self.columns]
            try:
                widths = _collapse_widths(widths, wrapable, available)
            except TypeError:  # a Rich whose private helper changed: its own table draws
                return None
            if sum(widths) > available:
                return None  # Rich shrinks even the no-wrap columns then: let it
            # Rich measures again at the narrower widths, which changes nothing: a collapsed
            # column is never wider than its widest line.
        if min(widths) < 1 + 2 * PADDING:
            return None
        return widths

    def _head(
        self, console: Console, options: ConsoleOptions, widths: list[int]
    ) -> tuple[list[Segment], Box, Segment] | None:
        """The title, top edge, header and header rule, from a header-only Rich table."""
        table = _titled(self.title)
        for column, width in zip(self.columns, widths, strict=True):
            table.add_column(
                column.header,
                no_wrap=column.no_wrap,
                justify=column.justify,
                width=width - 2 * PADDING,
            )
        segments = list(console.render(table, options))
        assert table.box is not None
        box = table.box.substitute(
            options, safe=table.safe_box if table.safe_box is not None else console.safe_box
        )
        bottom = box.get_bottom(widths)
        if len(segments) < 2 or segments[-2].text != bottom or segments[-1].text != "\n":
            return None
        return segments[:-2], box, segments[-2]

    def _body(self, console: Console, widths: list[int], box: Box) -> RenderResult:
        """The rows: every line of a row as few segments as its styles allow."""
        styles: dict[str, Style] = {}
        wrapped: dict[tuple[Line, int, str, bool], list[list[Segment]]] = {}
        blanks = [" " * width for width in widths]
        justify = [column.justify for column in self.columns]
        no_wrap = [column.no_wrap for column in self.columns]
        edge = " " * PADDING
        count = len(self.rows)
        for number, row in enumerate(self.rows, start=1):
            if number < count:
                left, divider, right = box.mid_left, box.mid_vertical, box.mid_right
            else:
                left, divider, right = box.foot_left, box.foot_vertical, box.foot_right
            cells: list[list[list[Segment]]] = []
            for index, cell in enumerate(row):
                width = widths[index] - 2 * PADDING
                lines: list[list[Segment]] = []
                for line in _split_lines(cell):
                    text = line[0][0] if len(line) == 1 else "".join(run for run, _ in line)
                    size = _cells(text)
                    if text and size <= width and "\t" not in text and not text[-1].isspace():
                        fill = Segment(" " * (width - size))
                        runs = [
                            Segment(run, _style(console, styles, style_name))
                            for run, style_name in line
                            if run
                        ]
                        lines.append([fill, *runs] if justify[index] == "right" else [*runs, fill])
                        continue
                    key = (line, width, justify[index], no_wrap[index])
                    found = wrapped.get(key)
                    if found is None:
                        found = wrapped[key] = _wrap(console, styles, *key)
                    lines.extend(found)
                cells.append(lines)
            height = max(len(lines) for lines in cells)
            for line_number in range(height):
                out: list[Segment] = []
                plain = left
                for index, lines in enumerate(cells):
                    if index:
                        plain += divider
                    if line_number >= len(lines):
                        plain += blanks[index]
                        continue
                    plain += edge
                    for segment in lines[line_number]:
                        if segment.style:
                            if plain:
                                out.append(Segment(plain))
                                plain = ""
                            out.append(segment)
                        else:
                            plain += segment.text
                    plain += edge
                plain += right + "\n"
                out.append(Segment(plain))
                yield from out


def _style(console: Console, styles: dict[str, Style], name: str | None) -> Style | None:
    if name is None:
        return None
    found = styles.get(name)
    if found is None:
        found = styles[name] = console.get_style(name)
    return found or None


def _wrap(
    console: Console,
    styles: dict[str, Style],
    runs: Line,
    width: int,
    justify: Literal["left", "right"] | str,
    no_wrap: bool,
) -> list[list[Segment]]:
    """A line that does not simply fit: wrapped, justified and cut as Rich does."""
    if len(runs) == 1 and not no_wrap:
        text, style_name = runs[0]
        if text.isascii() and text.isprintable():
            wrapped = _wrap_ascii(text, _style(console, styles, style_name), width, justify)
            if wrapped is not None:
                return wrapped
    line = Text()
    for text, style_name in runs:
        line.append(text, style_name)
    lines = line.wrap(
        console,
        width,
        justify="right" if justify == "right" else "left",
        overflow="ellipsis",
        tab_size=console.tab_size,
        no_wrap=no_wrap,
    )
    out = []
    for part in lines:
        segments = [
            Segment(segment.text, segment.style or None) for segment in part.render(console)
        ]
        out.append(Segment.adjust_line_length(segments, width, pad=True))
    return out


def _wrap_ascii(
    text: str, style: Style | None, width: int, justify: str
) -> list[list[Segment]] | None:
    """``Text.wrap`` of one styled run of printable ASCII (a cell is a character), without
    building a ``Text``: the same breaks (Rich's own ``divide_line``), the same trimming of
    spaces, justification and ellipsis. A note or a long label wraps this way in every row."""
    if _divide_line is None:
        return None
    try:
        breaks = _divide_line(text, width, fold=False)
    except TypeError:  # a Rich whose private helper changed: Text.wrap does the work
        return None
    out: list[list[Segment]] = []
    for start, end in zip((0, *breaks), (*breaks, len(text)), strict=True):
        piece = text[start:end]
        if len(piece) > width:  # Text.rstrip_end: spaces beyond the width go
            trailing = len(piece) - len(piece.rstrip())
            piece = piece[: len(piece) - min(trailing, len(piece) - width)]
        if justify == "right":
            piece = piece.rstrip()
        if len(piece) > width:
            piece = piece[: width - 1] + "…"
        fill = Segment(" " * (width - len(piece)))
        if not piece:
            out.append([fill])
        elif justify == "right":
            out.append([fill, Segment(piece, style)])
        else:
            out.append([Segment(piece, style), fill])
    return out


def _widest(text: str) -> int:
    """A text cell's widest line in cells (Rich's measure; its minimum plays no part here)."""
    lines = text.splitlines()
    return max(_cells(line) for line in lines) if lines else 0


def _cells(text: str) -> int:
    """Rich's ``cell_len``, with printable ASCII (the usual line) counted at C speed."""
    return len(text) if text.isascii() and text.isprintable() else cell_len(text)


def _split_lines(cell: Cell) -> list[Line]:
    """A cell's lines as Rich splits its text: at every newline, a run's own too."""
    if not cell:
        return [(("", None),)]  # Rich prints an empty cell as one blank line
    if all("\n" not in text for line in cell for text, _ in line):
        return [line if line else (("", None),) for line in cell]
    found: list[Line] = []
    for line in cell:
        current: list[Run] = []
        for text, style_name in line:
            first, *more = text.split("\n")
            current.append((first, style_name))
            for part in more:
                found.append(tuple(current))
                current = [(part, style_name)]
        found.append(tuple(current) if current else (("", None),))
    return found


def _titled(title: str) -> Table:
    """An empty Rich table with the title as plain text (never markup), in the title style."""
    return Table(title=Text(title, style="table.title"), title_justify="left")


def _rich_text(cell: Cell) -> Text:
    text = Text()
    for number, line in enumerate(cell):
        if number:
            text.append("\n")
        for run, style_name in line:
            text.append(run, style_name)
    return text


class LongStack:
    """A bold title, then blocks of lines with a blank line before each, printed as Rich
    prints the same ``Text`` objects in a ``Group``: the narrow-terminal view of thousands of
    deadlines. A block whose lines all fit the width (printable ASCII, no tab) is written as
    one segment a line; any other block is handed to Rich as the ``Text`` it stands for.
    """

    def __init__(self, title: str, blocks: Sequence[Sequence[Run]], base: str | None) -> None:
        self.title = title
        self.blocks = blocks
        self.base = base
        """The style of every line of a block; a line's own style is added to it."""

    def rich_group(self) -> Group:
        """The same view built with Rich: what this one stands for."""
        return Group(Text(self.title, style="bold"), *self._texts())

    def _texts(self) -> list[Text]:
        parts: list[Text] = []
        for block in self.blocks:
            parts.append(Text(""))
            parts.append(_block_text(block, self.base))
        return parts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        newline = Segment.line()
        if _fits(self.title, width):
            yield Segment(self.title, console.get_style("bold"))
            yield newline
        else:
            yield Text(self.title, style="bold")
        base = console.get_style(self.base) if self.base else Style.null()
        styles: dict[str | None, Style | None] = {}
        for block in self.blocks:
            yield newline
            if not all(_fits(text, width) for text, _ in block):
                yield _block_text(block, self.base)
                continue
            for text, style_name in block or (("", None),):  # Rich: an empty block is a line
                if style_name in styles:
                    style = styles[style_name]
                else:
                    own = base + console.get_style(style_name) if style_name else base
                    style = styles[style_name] = own or None
                if text:
                    yield Segment(text, style)
                yield newline


def _fits(text: str, width: int) -> bool:
    """A line Rich prints as it is: printable ASCII no wider than the width."""
    return len(text) <= width and text.isascii() and text.isprintable()


def _block_text(block: Sequence[Run], base: str | None) -> Text:
    text = Text(style=base or "")
    for number, (line, style_name) in enumerate(block):
        text.append(("\n" if number else "") + line, style_name)
    return text
