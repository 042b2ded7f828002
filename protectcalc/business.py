"""Business-day milestones (SPEC section 2.4): escalated answers, refunds, delivery estimates.

Placeholder until the holiday calendars land: returns nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from protectcalc.model import Milestone, Order, Warning
from protectcalc.rules import RuleSet


def business_day_milestones(
    order: Order, rules: RuleSet, known: Mapping[str, Milestone]
) -> tuple[list[Milestone], list[Warning]]:
    """Milestones counted in working days, with warnings about uncertain calendars."""
    del order, rules, known
    return [], []
