"""Plain words for a milestone, for people reading a table or a calendar."""

from __future__ import annotations

from protectcalc.model import Milestone


def label(item: Milestone) -> str:
    """The rule set's label of a milestone (its id in words when it has none)."""
    return item.label or item.id.replace("_", " ")
