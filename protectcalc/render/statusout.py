"""Renderers for ``status`` and ``due``: pure functions from plain data to text or Rich.

JSON and CSV never import Rich (they run from cron and scripts); the table renderers import it
inside the function. The status JSON is the timeline's JSON contract (render/jsonout.py) plus
``phase_text``, ``deadlines`` (the open buyer deadlines) and ``within``; the seeds' traps are
listed first in ``warnings``, with codes starting ``trap_``.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from protectcalc.clock import format_span, time_between
from protectcalc.engine.status import Deadline, DueRow, Status
from protectcalc.model import Timeline
from protectcalc.render.jsonout import SCHEMA_VERSION, iso, timeline_dict
from protectcalc.render.jsontext import dumps_indented
from protectcalc.render.labels import label, plain
from protectcalc.render.when import by_text, last_open_text, when_text

if TYPE_CHECKING:
    from protectcalc.engine.layers import Layered
    from protectcalc.render.longtable import Run

DUE_COLUMNS = (
    "name",
    "file",
    "id",
    "date",
    "due",
    "business_day",
    "seconds_left",
    "time_left",
    "label",
    "note",
    "last_day",
)
"""``last_day`` came later, so it is last: scripts that cut the first columns keep working."""


def deadline_dict(deadline: Deadline) -> dict[str, Any]:
    """One open buyer deadline: the milestone's id and date, when it falls due, time left."""
    item = deadline.milestone
    return {
        "id": item.id,
        "label": label(item),
        "date": item.day.isoformat(),
        "last_day": item.last_day.isoformat(),
        "at": iso(item.at),
        "due": iso(deadline.due),
        "business_day": deadline.business_day,
        "seconds_left": int(deadline.left.total_seconds()),
        "time_left": format_span(deadline.left),
        "note": item.note,
    }


def status_dict(status: Status) -> dict[str, Any]:
    """The timeline's JSON object with the open deadlines, --within and the traps added."""
    data = timeline_dict(status.timeline)
    data["phase_text"] = status.phase_text
    data["deadlines"] = [deadline_dict(item) for item in status.deadlines]
    data["within"] = (
        None
        if status.within is None
        else {
            "seconds": int(status.within.total_seconds()),
            "matched": [item.milestone.id for item in status.near],
        }
    )
    traps = [{"code": item.code, "message": item.message} for item in status.traps]
    data["warnings"] = traps + data["warnings"]
    return data


def render_status_json(status: Status, layered: Layered | None = None) -> str:
    """The status document, indented, ending in a newline (with ``--also``: the layers)."""
    data = status_dict(status)
    if layered is not None:
        from protectcalc.render.jsonout import layers_dict

        data |= layers_dict(layered)
    return dumps_indented(data) + "\n"


def _when(due: Deadline) -> str:
    return when_text(due.milestone, "\n")


NARROW = 60
"""Below this many columns the deadlines are stacked, one block each, instead of a table."""
DUE_NARROW = 80
"""``due`` has one column more (the order): below 80 columns its ids would be cut."""


def _stacked(title: str, blocks: list[list[Run]]) -> Any:
    """The narrow view: a bold title, then one block of bold lines per deadline."""
    from protectcalc.render.longtable import LongStack

    return LongStack(title, blocks, base="bold")


def _block(due: Deadline, order: str | None = None) -> list[Run]:
    """One deadline's lines for the narrow view, each with the style added to bold."""
    lines: list[Run] = [
        (when_text(due.milestone), None),
        (f"{format_span(due.left)} left", None),
    ]
    if order is not None:
        lines.append((plain(order), None))
    lines += [(label(due.milestone), None), (due.milestone.id, "dim")]
    if due.milestone.note:
        lines.append((due.milestone.note, "yellow"))
    return lines


def _range(timeline: Timeline, first: str, last: str) -> tuple[str, str | None] | None:
    early, late = timeline.milestone(first), timeline.milestone(last)
    if early is None or late is None:
        return None
    text = f"{early.day.strftime('%Y-%m-%d %a')} to {late.day.strftime('%Y-%m-%d %a')}"
    return text, late.note


def render_status_table(status: Status, layered: Layered | None = None) -> Any:
    """The human view of ``status``: phase, next step, time left, deadlines, traps."""
    from rich.console import Group, RenderableType
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    timeline = status.timeline
    parts: list[RenderableType] = [
        Text(
            f"As of {timeline.as_of.strftime('%Y-%m-%d %H:%M %Z')} "
            f"({timeline.timezone}, rules {timeline.rules})",
            style="dim",
        ),
        Text.assemble(
            ("Phase: ", "bold"), (timeline.phase.value, "bold cyan"), f" - {status.phase_text}"
        ),
    ]
    action = timeline.next
    if action is not None:
        lines = Text(action.action, style="bold")
        if action.deadline is not None:
            remaining = time_between(timeline.as_of, action.deadline)
            item = timeline.milestone(action.milestone or "")
            shown = by_text(action.deadline)
            if item is not None and item.at is None:
                shown += " (a business day: counted as due when it begins)"
            lines.append(f"\nDeadline: {shown}")
            if remaining < timedelta(0):
                lines.append(f"\nOverdue by {format_span(-remaining)}", style="bold")
            else:
                lines.append(f"\nTime left: {format_span(remaining)}", style="bold")
        if action.act_by is not None:
            lines.append(f"\nSafe to act by: {by_text(action.act_by)}")
        if action.if_nothing:
            lines.append(f"\nIf you do nothing: {action.if_nothing}.")
        parts.append(Panel(lines, title="Next", title_align="left", border_style="cyan"))
    if status.traps:
        warned = Text("\n".join(f"- {trap.message}" for trap in status.traps), style="bold red")
        parts.append(Panel(warned, title="Traps", title_align="left", border_style="red"))
    if status.deadlines:
        from protectcalc.render.fit import Fit

        table = Table(title="Your open deadlines", title_justify="left")
        table.add_column("When", no_wrap=True)
        table.add_column("Time left", no_wrap=True, justify="right")
        table.add_column("Deadline", ratio=3)  # at 80 columns the longest id fits whole
        for due in status.deadlines:
            near = any(due is item for item in status.near)
            name = Text(label(due.milestone))
            name.append(f"\n{due.milestone.id}", style="dim")
            if due.milestone.note:
                name.append(f"\n{due.milestone.note}", style="yellow")
            table.add_row(
                _when(due),
                Text(format_span(due.left), style="bold red" if near else ""),
                name,
            )
        stacked = _stacked("Your open deadlines", [_block(due) for due in status.deadlines])
        parts.append(Fit(table, stacked, NARROW))
    for what, first, last in timeline.ranges:
        window = _range(timeline, first, last)
        if window is not None:
            text, note = window
            parts.append(Text(f"{what}: {text}" + (f" ({note})" if note else "")))
    for warning in timeline.warnings:
        parts.append(Text(f"! {warning.message}", style="yellow"))
    if status.within is not None:
        span = format_span(status.within)
        if status.near:
            listed = ", ".join(
                f"{item.milestone.id} ({format_span(item.left)} left)" for item in status.near
            )
            parts.append(Text(f"Within {span}: {listed}", style="bold red"))
        else:
            parts.append(Text(f"Within {span}: no buyer deadline.", style="green"))
    if layered is not None:
        parts.extend(_layer_lines(layered))
    return Group(*parts)


def _layer_lines(layered: Layered) -> list[Any]:
    """Each programme's next action, the next across all, and the last protection open."""
    from rich.text import Text

    from protectcalc.engine.layers import next_across

    lines: list[Any] = [Text("Every protection of this order", style="bold")]
    for layer in layered.all:
        action = layer.timeline.next
        if action is None:
            lines.append(Text(f"  {layer.title}: {layer.timeline.phase_text}; nothing to do"))
            continue
        by = ""
        if action.deadline is not None:  # said as its last day, as the Next box says it
            left = format_span(time_between(layer.timeline.as_of, action.deadline))
            by = f": {by_text(action.deadline)} ({left} left)"
        lines.append(Text(f"  {layer.title}: {action.action.rstrip('.')}{by}"))
    across = next_across(layered)
    if across is not None:
        layer, action = across
        if action.deadline is not None:
            lines.append(
                Text(
                    f"Next across all: {layer.title}: {action.action.rstrip('.')}: "
                    f"{by_text(action.deadline)}",
                    style="bold",
                )
            )
    last_open = last_open_text(layered)
    lines.append(Text(last_open[:1].upper() + last_open[1:], style="bold"))
    return lines


def due_row_dict(row: DueRow) -> dict[str, Any]:
    """One row of ``due``: the order's name and file, then the deadline."""
    return {"name": row.name, "file": str(row.path), "timezone": row.timezone} | deadline_dict(
        row.deadline
    )


def render_due_json(rows: list[DueRow], errors: list[tuple[str, str]]) -> str:
    """Every open buyer deadline across the order files, and the files that failed."""
    data = {
        "schema": SCHEMA_VERSION,
        "deadlines": [due_row_dict(row) for row in rows],
        "errors": [{"file": path, "message": message} for path, message in errors],
    }
    return dumps_indented(data) + "\n"


def render_due_csv(rows: list[DueRow]) -> str:
    """A header row and one row per deadline, soonest first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DUE_COLUMNS)
    for row in rows:
        data = due_row_dict(row)
        writer.writerow([_cell(data[column]) for column in DUE_COLUMNS])
    return buffer.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_due_table(rows: list[DueRow]) -> Any:
    """The human view of ``due``: one row per deadline, soonest first."""
    from rich.text import Text

    if not rows:
        return Text("No open buyer deadlines.", style="green")
    from protectcalc.render.fit import Deferred, Fit
    from protectcalc.render.longtable import LongColumn, LongTable

    title = "Your open deadlines, soonest first"
    columns = (
        LongColumn("When", no_wrap=True),
        LongColumn("Time left", no_wrap=True, justify="right"),
        LongColumn("Order"),
        LongColumn("Deadline"),
    )
    table = LongTable(
        title,
        columns,
        [
            (
                (((_when(row.deadline), None),),),
                (((format_span(row.deadline.left), None),),),
                (((plain(row.name), None),),),  # a name from a file: no escapes (nor markup)
                (((label(row.deadline.milestone), None),), ((row.deadline.milestone.id, "dim"),)),
            )
            for row in rows
        ],
    )
    stacked = Deferred(lambda: _stacked(title, [_block(row.deadline, row.name) for row in rows]))
    return Fit(table, stacked, DUE_NARROW)
