"""The terminal picture: every window of an order as a bar on one time axis.

``chart_text`` is a pure function from (programme name, Timeline) layers and a width to a Rich
``Text``; ``Chart`` fits it to the console it is printed on. One column is a whole number of
local days; a bar covers the days from its first to its last (a deadline at midnight ends the
day before). Real windows are drawn ``█``, planned ones ``░`` (characters, not only colour, so
``NO_COLOR`` loses nothing); ``┊`` and ``▲`` mark ``--as-of``. A legend under the chart says what
each row and each character means, so no wider terminal is ever needed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import ceil

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from protectcalc.model import Actor
from protectcalc.render.when import clock_text, is_deadline
from protectcalc.render.windows import Lane, Layer, LayerLanes, Window, layer_lanes

REAL = "█"
PLANNED = "░"
AS_OF_LINE = "┊"
AS_OF_MARK = "▲"
KEY_WIDTH = 2
NAME_WIDTH = 16
LABEL_WIDTH = KEY_WIDTH + NAME_WIDTH + 1
"""The row key, its short name and the separator before the bars."""
MARGIN = 7
"""Room right of the axis for the last bar's date label (``15 Mar``)."""
MIN_WIDTH = 40
ACTOR_STYLE = {Actor.BUYER: "cyan", Actor.SELLER: "magenta", Actor.PLATFORM: "yellow"}


def day_label(day: date) -> str:
    """``15 Mar``: short enough for a bar's end, the same in every locale."""
    return f"{day.day} {_MONTHS[day.month - 1]}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Axis:
    """Local days mapped onto columns: ``days_per_column`` days each, from ``first``."""

    first: date
    last: date
    days_per_column: int
    columns: int

    @classmethod
    def fit(cls, first: date, last: date, room: int) -> Axis:
        """The finest whole-day scale that puts ``first``..``last`` into ``room`` columns."""
        days = (last - first).days + 1
        per = max(1, ceil(days / max(room, 1)))
        return cls(first, last, per, ceil(days / per))

    def column(self, day: date) -> int:
        """The column a local day falls in."""
        return (day - self.first).days // self.days_per_column

    def day(self, column: int) -> date:
        """The first day of a column."""
        return self.first + timedelta(days=column * self.days_per_column)


@dataclass
class _Row:
    cells: list[tuple[str, str]]

    def free(self, begin: int, end: int) -> bool:
        return 0 <= begin <= end < len(self.cells) and all(
            char == " " for char, _ in self.cells[begin : end + 1]
        )

    def put(self, column: int, text: str, style: str) -> None:
        for offset, char in enumerate(text):
            self.cells[column + offset] = (char, style)

    def text(self) -> Text:
        line = Text()
        for char, style in self.cells:
            line.append(char, style=style or None)
        line.rstrip()
        return line


def _key(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return letters[index] if index < len(letters) else "?"


def _short(title: str) -> str:
    return title if len(title) <= NAME_WIDTH else title[: NAME_WIDTH - 1] + "…"


def _style(window: Window) -> str:
    base = ACTOR_STYLE[window.actor]
    return f"dim {base}" if window.planned else f"bold {base}"


def bar_columns(window: Window, axis: Axis) -> tuple[int, int]:
    """The first and last column a window's bar covers (inclusive)."""
    return axis.column(window.first_day), axis.column(window.last_day)


def _bars(lane: Lane, axis: Axis, width: int) -> _Row:
    row = _Row([(" ", "")] * width)
    spans = [bar_columns(window, axis) for window in lane.windows]
    for window, (first, last) in zip(lane.windows, spans, strict=True):
        row.put(first, (PLANNED if window.planned else REAL) * (last - first + 1), _style(window))
    for index, (window, (first, last)) in enumerate(zip(lane.windows, spans, strict=True)):
        day = window.deadline_day
        for text in (day_label(day), str(day.day)):
            if window.reversed:  # the margin after the last day: name that day before the bar
                limit = spans[index - 1][1] + 2 if index else 0
                at = first - 1 - len(text)
                if at >= limit and row.free(at, first - 1):
                    row.put(at, text, "")
                    break
            else:
                limit = spans[index + 1][0] - 2 if index + 1 < len(spans) else width - 1
                at = last + 2
                if at + len(text) - 1 <= limit and row.free(at - 1, at + len(text) - 1):
                    row.put(at, text, "")
                    break
    return row


def _as_of_text(moment: datetime) -> str:
    return f"as of {day_label(moment.date())} {moment:%H:%M}"


def chart_text(layers: Sequence[Layer], width: int = 80, title: str | None = None) -> Text:
    """The chart of one order's layers as text, no line wider than ``width`` (40 at least)."""
    width = max(width, MIN_WIDTH)
    built = layer_lanes(layers)
    head = Text(_heading(built, title), style="bold")
    windows = [window for layer in built for lane in layer.lanes for window in lane.windows]
    if not windows:
        head.append("\nNo windows to draw: no deadline here counts from an earlier moment.")
        return head
    axis = Axis.fit(
        min(window.first_day for window in windows),
        max(window.last_day for window in windows),
        width - LABEL_WIDTH - MARGIN,
    )
    room = width - LABEL_WIDTH
    lines: list[Text] = [head, _ticks(axis, room), _ruler(axis)]
    as_of = built[0].timeline.as_of.astimezone(windows[0].begin.tzinfo)
    marker = axis.column(as_of.date()) if axis.first <= as_of.date() <= axis.last else None
    keyed: list[tuple[str, Lane]] = []
    for layer in built:
        if len(built) > 1:
            lines.append(Text(f"── {layer.name} " + "─" * 8, style="bold"))
        for lane in layer.lanes:
            key = _key(len(keyed))
            keyed.append((key, lane))
            row = _bars(lane, axis, room)
            if marker is not None and row.cells[marker][0] == " ":
                row.put(marker, AS_OF_LINE, "red")
            line = Text(f"{key} {_short(lane.title):<{NAME_WIDTH}} ")
            line.append_text(row.text())
            lines.append(line)
    lines.append(_as_of_line(as_of, axis, marker, room))
    lines.extend(_legend(keyed, axis, width))
    return Text("\n").join(lines)


def _heading(built: Sequence[LayerLanes], title: str | None) -> str:
    if not built:
        return title or "order"
    names = " + ".join(layer.name for layer in built)
    return f"{title or 'order'} · {names} · {built[0].timeline.timezone}"


def _ticks(axis: Axis, room: int) -> Text:
    step = 7 if axis.days_per_column == 1 else 8
    cells = [" "] * room
    for column in range(0, axis.columns, step):
        text = day_label(axis.day(column))
        if column + len(text) <= room:
            cells[column : column + len(text)] = text
    return Text(" " * LABEL_WIDTH + "".join(cells).rstrip(), style="dim")


def _ruler(axis: Axis) -> Text:
    step = 7 if axis.days_per_column == 1 else 8
    cells = ["┬" if column % step == 0 else "─" for column in range(axis.columns)]
    return Text(" " * LABEL_WIDTH + "".join(cells), style="dim")


def _as_of_line(as_of: datetime, axis: Axis, marker: int | None, room: int) -> Text:
    text = _as_of_text(as_of)
    if marker is None:
        side = "◀ " + text if as_of.date() < axis.first else text + " ▶"
        return Text(" " * LABEL_WIDTH + side, style="red")
    if marker + 2 + len(text) <= room:
        shown = " " * marker + AS_OF_MARK + " " + text
    else:
        shown = " " * max(marker - len(text) - 1, 0) + text + " " + AS_OF_MARK
    return Text(" " * LABEL_WIDTH + shown, style="red")


def _legend(keyed: Sequence[tuple[str, Lane]], axis: Axis, width: int) -> list[Text]:
    per = axis.days_per_column
    scale = "1 column = 1 day" if per == 1 else f"1 column = {per} days"
    lines = _wrapped(
        f"{REAL} real  {PLANNED} planned  {AS_OF_LINE}{AS_OF_MARK} as of  ·  dates: the last "
        f"day of each deadline  ·  {_glued(scale)}",
        width,
        "dim",
    )
    for key, lane in keyed:
        planned = [window.planned for window in lane.windows]
        mixed = any(planned) and not all(planned)
        days = ", ".join(
            _glued(_day_text(window)) + (" (planned)" if mixed and window.planned else "")
            for window in lane.windows
        )
        noun = ""  # a platform step or an estimate is named by its date, not a last day
        if is_deadline(lane.windows[0].milestone):
            noun = "last days " if len(lane.windows) > 1 else "last day "
        text = f"{key} {lane.title}: {noun}{days}" + (" (planned)" if all(planned) else "")
        if any(window.reversed for window in lane.windows):
            text += "; the bar is the margin kept after it"
        lines.extend(_wrapped(text, width, ""))
    return lines


def _day_text(window: Window) -> str:
    """A deadline's last day (``15 Mar``); for a platform step its day and time as the table
    says it (``7 Nov at 24:00``), for an estimate its own date (``9 Mar``)."""
    item = window.milestone
    text = day_label(window.deadline_day)
    if item.at is None or is_deadline(item):
        return text
    return f"{text} at {clock_text(item.at)}"


_GLUE = "\u00a0"


def _glued(text: str) -> str:
    """Spaces that line wrapping must not break at (textwrap breaks at ASCII whitespace only)."""
    return text.replace(" ", _GLUE)


def _wrapped(text: str, width: int, style: str) -> list[Text]:
    return [
        Text(line.replace(_GLUE, " "), style=style)
        for line in textwrap.wrap(text, width, subsequent_indent="  ", break_long_words=True)
    ]


class Chart:
    """The chart as a Rich renderable that fits the console it is printed on."""

    def __init__(self, layers: Sequence[Layer], title: str | None = None) -> None:
        self.layers = tuple(layers)
        self.title = title

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield chart_text(self.layers, options.max_width, self.title)


def render_chart(layers: Sequence[Layer], title: str | None = None) -> Chart:
    """The terminal chart of an order: one lane per window family, per programme."""
    return Chart(layers, title)
