"""``timeline --explain MILESTONE``: how one deadline was computed, in words a shopper follows."""

from __future__ import annotations

from protectcalc.clock import wall
from protectcalc.errors import InputError
from protectcalc.model import Timeline


def render_explain(timeline: Timeline, milestone_id: str) -> str:
    """The milestone, then each step of its chain: what it counts from, the rules, readings."""
    item = timeline.milestone(milestone_id)
    if item is None:
        known = ", ".join(entry.id for entry in timeline.milestones) or "none"
        raise InputError(
            "explain", milestone_id, f"is not on this order's timeline (here: {known})"
        )
    when = wall(item.at) if item.at is not None else f"{item.day.isoformat()} (a business day)"
    lines = [f"{item.id}: {item.label or item.id}", f"  falls at {when}"]
    if item.projected:
        lines.append("  planned: it assumes the steps before it happen as planned")
    lines.append(f"  because {item.explain}")
    for step in item.trace:
        lines.append(f"  - {step}")
    for rule_id in item.rule_ids:
        lines.append(f"  rule {rule_id} (rules {timeline.rules})")
    for source in item.sources:
        lines.append(f'  source {source.name}: "{source.text}"')
    if item.note:
        lines.append(f"  note: {item.note}")
    return "\n".join(lines) + "\n"
