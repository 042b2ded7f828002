"""``compute_deadlines`` (what ``due`` computes) equals ``compute_timeline`` on every field it
fills: the same milestones with the same dates, labels, notes, actors and ``done``, and the
same phase; only the explanations, traces, warnings, traps, next action and summary are left
out. A differential test over generated orders of every shipped rule set (which also checks
that ``traces=True`` only adds the traces), and a property test over the engine's story
strategy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given

from benchmarks.engine import generated_inputs
from protectcalc.engine.scalar import compute_deadlines, compute_timeline
from protectcalc.errors import InputError, RuleSetError
from protectcalc.model import Summary, Timeline
from protectcalc.order import OrderInput, build_order
from protectcalc.rules import RuleSet, load_rule_set, parse_readings
from protectcalc.rules.loader import shipped_names
from tests.test_properties import SETTINGS, Story, rules_for, stories

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _assert_same_deadlines(full: Timeline, light: Timeline) -> None:
    assert light.milestones == tuple(
        replace(item, explain="", trace=()) for item in full.milestones
    )
    assert (light.phase, light.phase_text, light.as_of, light.timezone) == (
        full.phase,
        full.phase_text,
        full.as_of,
        full.timezone,
    )
    assert (light.warnings, light.traps, light.next, light.summary) == ((), (), None, Summary())


def _assert_traces_only_add_traces(full: Timeline, traced: Timeline) -> None:
    """``traces=True`` (``timeline --explain``) fills every milestone's trace, nothing else."""
    assert all(item.trace for item in traced.milestones)
    assert all(item.trace == () for item in full.milestones)
    untraced = tuple(replace(item, trace=()) for item in traced.milestones)
    assert replace(traced, milestones=untraced) == full


@pytest.mark.parametrize("rules_name", shipped_names())
def test_deadlines_equal_the_timelines_over_generated_orders(rules_name: str) -> None:
    compared = refused = 0
    for given_order in generated_inputs(600, 20261204, business_days=True):
        try:
            rules: RuleSet = load_rule_set(rules_name, parse_readings(given_order.readings))
            order, as_of = build_order(given_order, NOW, ZoneInfo("UTC"))
        except (InputError, RuleSetError):
            continue  # not an order of this rule set: nothing to compute
        try:
            full = compute_timeline(order, rules, as_of)
        except InputError as error:  # refused by the one, refused by the other, in the same words
            with pytest.raises(InputError) as light_error:
                compute_deadlines(order, rules, as_of)
            assert str(light_error.value) == str(error)
            refused += 1
            continue
        _assert_same_deadlines(full, compute_deadlines(order, rules, as_of))
        _assert_traces_only_add_traces(full, compute_timeline(order, rules, as_of, traces=True))
        compared += 1
    assert compared >= 50, f"only {compared} orders of {rules_name} were computed"


@SETTINGS
@given(stories())
def test_deadlines_equal_the_timeline_of_every_story(story: Story) -> None:
    order, as_of = build_order(OrderInput(**story.fields()), NOW, ZoneInfo("UTC"))
    rules = rules_for(story.reading)
    _assert_same_deadlines(
        compute_timeline(order, rules, as_of), compute_deadlines(order, rules, as_of)
    )
