"""Renderers for the order book: ``protectcalc orders`` and the one-line confirmations.

Pure: computed orders go in, text (or a Rich table, imported inside the function) comes out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protectcalc.clock import format_span
from protectcalc.engine.status import Deadline, Status
from protectcalc.model import Phase
from protectcalc.render.jsonout import SCHEMA_VERSION, iso
from protectcalc.render.jsontext import dumps_indented
from protectcalc.render.labels import label
from protectcalc.render.when import when_text

ORDER_COLUMNS = (
    "name",
    "rules",
    "phase",
    "next",
    "label",
    "due",
    "time_left",
    "seconds_left",
    "note",
    "file",
)


@dataclass(frozen=True)
class BookRow:
    """One order of the book as ``orders`` lists it."""

    name: str
    path: Path
    note: str | None
    rules: str
    """The rule set the order was judged by."""
    phase: Phase
    next: Deadline | None
    """The order's soonest open buyer deadline."""


def when(deadline: Deadline) -> str:
    """A deadline as its last day, as every view says it (SPEC 2.3):
    ``2026-03-15 Sun until 24:00 MSK`` for 16 March 00:00, never ``2026-03-16 Mon 00:00``,
    which reads as a day more than there is."""
    return when_text(deadline.milestone, " ")


def next_line(status: Status) -> str:
    """``in_transit; next: Open a dispute by ... 2026-03-14 Sat until 24:00 MSK (13d 15h left)``."""
    phase = status.timeline.phase.value
    if not status.deadlines:
        return f"{phase}; no open deadline of yours"
    first = status.deadlines[0]
    return (
        f"{phase}; next: {label(first.milestone)}, {when(first)} ({format_span(first.left)} left)"
    )


def row_dict(row: BookRow) -> dict[str, Any]:
    """One order: its name, rule set, phase and next deadline (null when none)."""
    first = row.next
    return {
        "name": row.name,
        "rules": row.rules,
        "phase": row.phase.value,
        "next": first.milestone.id if first else None,
        "label": label(first.milestone) if first else None,
        "due": iso(first.due) if first else None,
        "time_left": format_span(first.left) if first else None,
        "seconds_left": int(first.left.total_seconds()) if first else None,
        "note": row.note,
        "file": str(row.path),
    }


def render_orders_json(rows: list[BookRow], folder: Path, errors: list[tuple[str, str]]) -> str:
    """The book as one JSON object: its folder, the orders, and the files that failed."""
    data = {
        "schema": SCHEMA_VERSION,
        "book": str(folder),
        "orders": [row_dict(row) for row in rows],
        "errors": [{"file": path, "message": message} for path, message in errors],
    }
    return dumps_indented(data) + "\n"


def render_orders_csv(rows: list[BookRow]) -> str:
    """A header row and one row per order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDER_COLUMNS)
    for row in rows:
        data = row_dict(row)
        writer.writerow(["" if data[key] is None else str(data[key]) for key in ORDER_COLUMNS])
    return buffer.getvalue()


def render_orders_table(rows: list[BookRow], folder: Path) -> Any:
    """The human view: one line per order, the soonest next deadline first."""
    from rich.text import Text

    if not rows:
        return Text(f"No orders in {folder}: add one with protectcalc add NAME ...", style="green")
    from protectcalc.render.longtable import Cell, LongColumn, LongTable

    columns = (
        LongColumn("Order", max_width=26),
        LongColumn("Phase", max_width=24),
        LongColumn("Next deadline of yours"),
        LongColumn("Time left", justify="right", no_wrap=True),
    )
    cells: list[tuple[Cell, Cell, Cell, Cell]] = []
    for row in rows:
        first = row.next
        name: Cell = (((row.name, "bold"), (f" ({row.rules})", "bold dim")),)
        if row.note:
            name += (((row.note, "bold dim"),),)
        cells.append(
            (
                name,
                (((row.phase.value.replace("_", " "), None),),),
                (((label(first.milestone), None),), ((when(first), None),))
                if first
                else ((("-", None),),),
                (((format_span(first.left), None),),) if first else ((("", None),),),
            )
        )
    return LongTable(f"Orders in {folder}", columns, cells)
