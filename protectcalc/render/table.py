"""The human view: a Rich table of milestones, the next action, the plan and warnings.

Imported only when ``--format table`` is used, so machine formats start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from protectcalc.clock import time_between, utc
from protectcalc.model import Actor, Timeline
from protectcalc.render.labels import label
from protectcalc.render.when import by_text, last_open_text, left_text, when_text

if TYPE_CHECKING:
    from protectcalc.engine.layers import Layered

_ACTOR_STYLE = {Actor.BUYER: "bold cyan", Actor.SELLER: "magenta", Actor.PLATFORM: "yellow"}


def milestone_table(timeline: Timeline) -> Table:
    """One row per milestone: when, what, who, computed from what, source."""
    table = Table(
        title=f"Timeline ({timeline.timezone}, rules {timeline.rules})",
        title_justify="left",
        expand=False,
        show_lines=False,
    )
    table.add_column("When", no_wrap=True)
    table.add_column("Who", no_wrap=True)
    table.add_column("Milestone and how it was computed", ratio=1)
    table.add_column("Source", overflow="fold", max_width=20)
    for item in timeline.milestones:
        name = Text(label(item), style="bold" if item.actor is Actor.BUYER else "")
        name.append(f"  {item.id}" + (" (planned)" if item.projected else ""), style="dim")
        name.append(f"\n{item.explain}", style="dim")
        if item.note:
            name.append(f"\n{item.note}", style="yellow")
        past = item.at is not None and utc(item.at) < utc(timeline.as_of)
        when = Text(when_text(item, "\n"), style="dim" if past else "")
        seeds = list(dict.fromkeys(src.short for src in item.sources))
        table.add_row(
            when,
            Text(item.actor.value, style=_ACTOR_STYLE[item.actor]),
            name,
            " ".join(seeds) or "given",
            style="italic" if item.projected else "",
        )
    return table


NARROW = 60
"""Below this many columns the milestones are stacked, one block each, instead of a table."""


def milestone_list(timeline: Timeline) -> RenderableType:
    """The milestones stacked for a narrow terminal: when, then what and who, then how."""
    parts: list[RenderableType] = [
        Text(f"Timeline ({timeline.timezone}, rules {timeline.rules})", style="bold")
    ]
    for item in timeline.milestones:
        block = Text(when_text(item), style="bold" if item.actor is Actor.BUYER else "")
        block.append(f"\n{label(item)}", style="bold" if item.actor is Actor.BUYER else "")
        block.append(f"\n{item.id}" + (" (planned)" if item.projected else ""), style="dim")
        block.append(f" - {item.actor.value}", style=_ACTOR_STYLE[item.actor])
        block.append(f"\n{item.explain}", style="dim")
        if item.note:
            block.append(f"\n{item.note}", style="yellow")
        parts.append(Text(""))
        parts.append(block)
    return Group(*parts)


def render_table(timeline: Timeline) -> RenderableType:
    """The whole human view as one Rich renderable."""
    from protectcalc.render.fit import Fit

    parts: list[RenderableType] = [Fit(milestone_table(timeline), milestone_list(timeline), NARROW)]
    parts.append(
        Text(
            f"Phase as of {timeline.as_of.strftime('%Y-%m-%d %H:%M %Z')}: {timeline.phase.value}",
            style="bold",
        )
    )
    action = timeline.next
    if action is not None:
        lines = Text(action.action, style="bold")
        if action.deadline is not None:
            left = left_text(time_between(timeline.as_of, action.deadline))
            lines.append(f"\nDeadline: {by_text(action.deadline)} ({left})")
        if action.act_by is not None:
            lines.append(f"\nSafe to act by: {by_text(action.act_by)}")
        if action.if_nothing:
            lines.append(f"\nIf you do nothing: {action.if_nothing}.")
        parts.append(Panel(lines, title="Next", title_align="left", border_style="cyan"))
    if timeline.plan_note is not None:
        parts.append(Text(timeline.plan_note))
    for warning in timeline.warnings:
        parts.append(Text(f"! {warning.message}", style="yellow"))
    return Group(*parts)


def render_layered_table(layered: Layered) -> RenderableType:
    """One section per programme protecting the order, then the last protection still open."""
    from rich.rule import Rule

    parts: list[RenderableType] = []
    for layer in layered.all:
        parts.append(Rule(f"{layer.title} ({layer.timeline.rules})", align="left"))
        parts.append(render_table(layer.timeline))
    text = last_open_text(layered)
    parts.append(Text(text[:1].upper() + text[1:], style="bold"))
    return Group(*parts)
