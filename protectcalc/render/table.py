"""The human view: a Rich table of milestones, the next action, the plan and warnings.

Imported only when ``--format table`` is used, so machine formats start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from protectcalc.clock import format_span, time_between, utc
from protectcalc.model import Actor, Milestone, Timeline
from protectcalc.render.labels import label

if TYPE_CHECKING:
    from protectcalc.engine.layers import Layered

_ACTOR_STYLE = {Actor.BUYER: "bold cyan", Actor.SELLER: "magenta", Actor.PLATFORM: "yellow"}


def _when(item: Milestone) -> str:
    if item.at is None:
        return item.day.strftime("%Y-%m-%d %a") + "\n(business day)"
    return item.at.strftime("%Y-%m-%d %a\n%H:%M %Z")


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
    table.add_column("Source", no_wrap=True)
    for item in timeline.milestones:
        name = Text(label(item), style="bold" if item.actor is Actor.BUYER else "")
        name.append(f"  {item.id}" + (" (planned)" if item.projected else ""), style="dim")
        name.append(f"\n{item.explain}", style="dim")
        if item.note:
            name.append(f"\n{item.note}", style="yellow")
        past = item.at is not None and utc(item.at) < utc(timeline.as_of)
        when = Text(_when(item), style="dim" if past else "")
        seeds = list(dict.fromkeys(src.short for src in item.sources))
        table.add_row(
            when,
            Text(item.actor.value, style=_ACTOR_STYLE[item.actor]),
            name,
            " ".join(seeds) or "given",
            style="italic" if item.projected else "",
        )
    return table


def render_table(timeline: Timeline) -> RenderableType:
    """The whole human view as one Rich renderable."""
    parts: list[RenderableType] = [milestone_table(timeline)]
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
            left = format_span(time_between(timeline.as_of, action.deadline))
            lines.append(
                f"\nDeadline: {action.deadline.strftime('%Y-%m-%d %H:%M %Z')} ({left} left)"
            )
        if action.act_by is not None:
            lines.append(f"\nSafe to act by: {action.act_by.strftime('%Y-%m-%d %H:%M %Z')}")
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

    from protectcalc.engine.layers import last_open_text

    parts: list[RenderableType] = []
    for layer in layered.all:
        parts.append(Rule(f"{layer.title} ({layer.timeline.rules})", align="left"))
        parts.append(render_table(layer.timeline))
    text = last_open_text(layered)
    parts.append(Text(text[:1].upper() + text[1:], style="bold"))
    return Group(*parts)
