"""The shipped scenarios, taken together, prove every rule of the seeds (issue 3).

Each scenario is replayed on its own by tests/test_scenario_files.py; this file checks the
collection: enough stories, enough bad-input stories, a seed named in every description,
every milestone id expected somewhere, and every rule of the default rule set exercised.

When a rule counts as exercised (explicitly):
1. a milestone that some scenario expects to appear (a non-null expectation) was computed
   with that rule: its ``rule`` is the rule id, or its ``sources`` include a source of the
   rule (safe_dispute_open cites post_confirmation_protection's sources, for instance);
2. a scenario selects one of the rule's readings (``readings: {rule: name}``);
3. a scenario expects a warning whose code is the rule id (``seller_silence``);
4. only for the rules in ``CITED_ONLY`` - rules with no milestone of their own - a scenario
   description names the rule id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from protectcalc.model import Source
from protectcalc.rules import RuleSet, load_rule_set

scenarios = pytest.importorskip(
    "protectcalc.scenarios.replay",
    reason="the scenario loader (protectcalc.scenarios.replay) is not there yet",
)

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

CITED_ONLY = frozenset(
    {
        "admin_extension",
        "feedback_edit_window",
        "seller_expected_response",
        "seller_usual_response",
        "usual_dispute_length",
    }
)
"""Rules that shape no milestone of their own, so a description citing them is enough.

admin_extension: granted case by case by the administration, never counted.
feedback_edit_window: counts from the day a review was left, which no order records.
seller_expected_response: a planning assumption; the planned answers it gives are not
milestones, only the buyer deadlines computed from them are.
seller_usual_response, usual_dispute_length: what usually happens (000), shown beside the plan
(the summary's total_days_usual), never a deadline.
"""

SEED_NAME = re.compile(r"\b\d{3}_[0-9a-f]{16}\.txt\b")


@cache
def default_rules() -> RuleSet:
    return load_rule_set()


@cache
def loaded_scenarios() -> tuple[Any, ...]:
    """Every scenario file under scenarios/ of the default rule set that the replay loader
    reads and validates (the other programmes' stories: tests/test_programmes.py).

    A file that does not load is left out here: tests/test_scenario_files.py reports it.
    """
    found = []
    for path in scenarios.scenario_files(SCENARIO_DIR):
        try:
            loaded = scenarios.load_file(path, str(path.relative_to(SCENARIO_DIR)))
        except ValueError:  # FileProblems: unreadable or invalid
            continue
        if loaded.record.rules in (None, "aliexpress") and not loaded.record.also:
            found.append(loaded)
    return tuple(found)


def known_seeds(rules: RuleSet) -> set[str]:
    """The seed files the rule set cites, alternatives included."""
    seeds: set[str] = set()
    for _, rule in rules.items():
        for reading in (rule, *rule.alternatives.values()):
            seeds.update(ref.seed for ref in reading.sources)
    return seeds


def rules_of_sources(rules: RuleSet, sources: tuple[Source, ...]) -> set[str]:
    """The rule ids (by their default reading) whose sources a milestone cites."""
    cited = set(sources)
    return {rule_id for rule_id, _ in rules.items() if cited & set(rules.sources(rule_id))}


def expected_ids(loaded: Any) -> set[str]:
    """Milestone ids this scenario expects to appear (null expectations excluded)."""
    expect = loaded.record.expect
    if expect is None:
        return set()
    return {key for key, value in expect.milestones.items() if value is not None}


def test_at_least_40_scenarios_and_10_bad_input_stories() -> None:
    stories = loaded_scenarios()
    bad_input = [item for item in stories if item.record.expect and item.record.expect.error]
    assert len(stories) >= 40, f"only {len(stories)} scenarios under {SCENARIO_DIR}"
    assert len(bad_input) >= 10, f"only {len(bad_input)} bad-input (expect: error) scenarios"


def test_every_scenario_names_its_seed_in_the_description() -> None:
    seeds = known_seeds(default_rules())
    assert len(seeds) == 5
    missing = [
        item.shown
        for item in loaded_scenarios()
        if not set(SEED_NAME.findall(item.record.description or "")) & seeds
    ]
    assert missing == [], f"no seed file named in the description of: {missing}"


def test_expected_milestones_cover_every_milestone_id() -> None:
    covered: set[str] = set()
    for item in loaded_scenarios():
        covered |= expected_ids(item)
    missing = [
        milestone_id
        for milestone_id in load_rule_set().plan_for(None).milestone_ids()
        if milestone_id not in covered
    ]
    assert missing == [], f"no scenario expects these milestones to appear: {missing}"


def exercised_rules() -> dict[str, set[str]]:
    """Rule id -> the scenario files that exercise it, by the four ways of the module doc."""
    rules = default_rules()
    rule_ids = {rule_id for rule_id, _ in rules.items()}
    replayer = scenarios.Replayer(NOW)
    found: dict[str, set[str]] = {rule_id: set() for rule_id in rule_ids}
    for item in loaded_scenarios():
        record = item.record
        expect = record.expect
        if expect is None or expect.error:
            continue
        for rule_id in record.readings:
            found[rule_id].add(item.shown)
        for code in expect.warnings:
            if code in rule_ids:
                found[code].add(item.shown)
        for rule_id in CITED_ONLY:
            if rule_id in (record.description or ""):
                found[rule_id].add(item.shown)
        timeline, _ = replayer.compute(item.order)
        for milestone_id in expected_ids(item):
            milestone = timeline.milestone(milestone_id)
            if milestone is None:
                continue  # a failing scenario; tests/test_scenario_files.py reports it
            used = {milestone.rule} | rules_of_sources(rules, milestone.sources)
            for rule_id in used & rule_ids:
                found[rule_id].add(item.shown)
    return found


def test_every_rule_of_the_default_rule_set_is_exercised() -> None:
    missing = sorted(rule_id for rule_id, files in exercised_rules().items() if not files)
    assert missing == [], f"no scenario exercises these rules: {missing}"


def test_every_alternative_reading_has_a_scenario() -> None:
    """One scenario per reading where the seeds disagree (SPEC section 1)."""
    chosen = {
        (rule_id, reading)
        for item in loaded_scenarios()
        for rule_id, reading in item.record.readings.items()
        if item.record.expect is not None and not item.record.expect.error
    }
    wanted = {
        (rule_id, name) for rule_id, rule in default_rules().items() for name in rule.alternatives
    }
    assert wanted - chosen == set()
