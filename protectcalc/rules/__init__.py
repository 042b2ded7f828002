"""Rule sets: every deadline, what it counts from and how, as data (schema 2 TOML files).

A rule set is read, validated and compiled once per process (:func:`load_rule_set` is
cached); the engine evaluates the compiled :class:`~protectcalc.rules.plan.Plan` per order.
Shipped rule sets live in ``rules/data/``; a user's file may ``extends`` one of them.
Readings where the sources disagree are ``alternatives`` of a rule, chosen by name
(``post_confirmation_protection=ends_at_once``); ``--set RULE=VALUE`` overrides one number
for one run.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import date, timedelta
from typing import TYPE_CHECKING

from protectcalc.errors import InputError, RuleSetError
from protectcalc.model import Source
from protectcalc.rules.schema import Calendar, Reading, Rule, RuleSetFile, Unit

if TYPE_CHECKING:
    from protectcalc.rules.plan import Plan

__all__ = [
    "DEFAULT_RULE_SET",
    "Calendar",
    "Reading",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "Unit",
    "load_rule_set",
    "parse_readings",
    "parse_sets",
]

DEFAULT_RULE_SET = "aliexpress"


class RuleSet:
    """A validated rule set with the chosen readings and overrides applied."""

    def __init__(
        self,
        data: RuleSetFile,
        readings: dict[str, str] | None = None,
        overrides: dict[str, int] | None = None,
        origin: str = "",
    ) -> None:
        self.data = data
        self.origin = origin or data.name
        self.name = data.name
        self.title = data.title
        self.version = data.version
        self.readings = dict(readings or {})
        self.overrides = dict(overrides or {})
        self._rules: dict[str, Rule] = dict(data.rules)
        for rule_id, reading_name in self.readings.items():
            self._rules[rule_id] = self._choose(rule_id, reading_name)
        for rule_id, value in self.overrides.items():
            self._rules[rule_id] = self._override(rule_id, value)
        self._plans: dict[int, Plan] = {}

    def _choose(self, rule_id: str, reading_name: str) -> Rule:
        rule = self._rules.get(rule_id)
        if rule is None:
            raise InputError("reading", f"{rule_id}={reading_name}", "names no rule of this set")
        if reading_name == "default":
            return rule
        if reading_name not in rule.alternatives:
            known = ", ".join(["default", *rule.alternatives]) or "default"
            raise InputError(
                "reading", f"{rule_id}={reading_name}", f"is not a reading of it (known: {known})"
            )
        return rule.with_reading(reading_name)

    def _override(self, rule_id: str, value: int) -> Rule:
        rule = self._rules.get(rule_id)
        if rule is None:
            raise InputError("set", f"{rule_id}={value}", "names no rule of this set")
        if not rule.has_number:
            raise InputError(
                "set", f"{rule_id}={value}", f"is a rule in unit {rule.unit}: it takes no value"
            )
        if rule.unit is Unit.COUNT and not 1 <= value <= 20:
            raise InputError("set", f"{rule_id}={value}", "must be a count from 1 to 20")
        return dataclasses.replace(rule, value=value, min=None, max=None)

    @property
    def label(self) -> str:
        """The name shown in output: ``aliexpress`` or ``aliexpress[rule=reading]``."""
        chosen = [
            f"{rule}={name}" for rule, name in sorted(self.readings.items()) if name != "default"
        ]
        chosen += [f"{rule}:={value}" for rule, value in sorted(self.overrides.items())]
        return f"{self.name}[{','.join(chosen)}]" if chosen else self.name

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def items(self) -> list[tuple[str, Rule]]:
        """Every rule, in file order."""
        return list(self._rules.items())

    def elapsed(self, rule_id: str, *, high: bool = False) -> timedelta:
        """A days or hours rule as exact elapsed time (a business-day rule: its days)."""
        rule = self._rules[rule_id]
        amount = rule.high if high else rule.low
        if rule.unit is Unit.HOURS:
            return timedelta(hours=amount)
        return timedelta(days=amount)

    def count(self, rule_id: str) -> int:
        """A count rule's number."""
        return self._rules[rule_id].low

    def sources(self, *rule_ids: str) -> tuple[Source, ...]:
        """The sources of these rules, each once (cached: they never change)."""
        cache: dict[tuple[str, ...], tuple[Source, ...]] = self.__dict__.setdefault("_sources", {})
        cached = cache.get(rule_ids)
        if cached is None:
            cached = cache[rule_ids] = self._sources_of(rule_ids)
        return cached

    def _sources_of(self, rule_ids: tuple[str, ...]) -> tuple[Source, ...]:
        found: list[Source] = []
        for rule_id in rule_ids:
            for ref in self._rules[rule_id].sources:
                source = Source(ref.seed, ref.quote, ref.url, ref.read, ref.says)
                if source not in found:
                    found.append(source)
        return tuple(found)

    def in_period(self, rules: dict[str, Rule], chosen: dict[str, str]) -> RuleSet:
        """This rule set with some rules replaced by their dated versions (named in the label)."""
        if not chosen:
            return self
        view = RuleSet.__new__(RuleSet)
        view.__dict__.update(self.__dict__)
        view._rules = dict(rules)
        view.readings = {**self.readings, **chosen}
        view._plans = {}
        view.__dict__.pop("_sources", None)
        return view

    def plan_for(self, day: date | None) -> Plan:
        """The compiled plan in force for an order whose first event is on ``day``."""
        if day is None:  # an undated rule set's one plan: no import statement on the way
            plan = self._plans.get(-1)
            if plan is not None:
                return plan
        from protectcalc.rules.plan import compile_plan, period_index

        index = period_index(self, day)
        plan = self._plans.get(index)
        if plan is None:
            plan = compile_plan(self, day)
            self._plans[index] = plan
        return plan


def parse_readings(pairs: list[str] | tuple[str, ...], field: str = "reading") -> dict[str, str]:
    """``RULE=NAME`` pairs into a mapping; malformed or repeated pairs are input errors."""
    chosen: dict[str, str] = {}
    for pair in pairs:
        rule_id, sep, reading_name = pair.partition("=")
        if not sep or not rule_id.strip() or not reading_name.strip():
            raise InputError(
                field, pair, "is not RULE=READING (e.g. post_confirmation_protection=ends_at_once)"
            )
        if rule_id.strip() in chosen:
            raise InputError(field, pair, f"chooses a second reading for {rule_id.strip()}")
        chosen[rule_id.strip()] = reading_name.strip()
    return chosen


def parse_sets(pairs: list[str] | tuple[str, ...]) -> dict[str, int]:
    """``RULE=VALUE`` overrides (whole numbers) into a mapping."""
    chosen: dict[str, int] = {}
    for pair in pairs:
        rule_id, sep, value = pair.partition("=")
        rule_id, value = rule_id.strip(), value.strip()
        if not sep or not rule_id or not value:
            raise InputError("set", pair, "is not RULE=VALUE (e.g. seller_response=6)")
        if not (value.isascii() and value.isdigit()) or len(value) > 4:
            raise InputError("set", pair, "takes a whole number of the rule's unit (0 to 3650)")
        if rule_id in chosen:
            raise InputError("set", pair, f"sets {rule_id} a second time")
        number = int(value)
        if number > 3650:
            raise InputError("set", pair, "takes a whole number of the rule's unit (0 to 3650)")
        chosen[rule_id] = number
    return chosen


def load_rule_set(
    name_or_path: str | None = None,
    readings: dict[str, str] | None = None,
    overrides: dict[str, int] | None = None,
) -> RuleSet:
    """The named shipped rule set, or a rule-set file by path, validated and compiled once."""
    from protectcalc.rules.loader import file_stamp

    source = name_or_path or DEFAULT_RULE_SET
    key_readings = tuple(sorted((readings or {}).items()))
    key_overrides = tuple(sorted((overrides or {}).items()))
    return _load(source, file_stamp(source), key_readings, key_overrides)


@functools.lru_cache(maxsize=64)
def _load(
    source: str,
    stamp: str | None,
    readings: tuple[tuple[str, str], ...],
    overrides: tuple[tuple[str, int], ...],
) -> RuleSet:
    """Read and compile once; ``stamp`` (a digest of a file's text) makes an edit count."""
    from protectcalc.rules.loader import is_shipped_name, read_rule_set_file

    data, origin = read_rule_set_file(source)
    if is_shipped_name(source):
        from protectcalc.rules.codecache import use_shipped_code

        use_shipped_code(source)
    rule_set = RuleSet(data, dict(readings), dict(overrides), origin)
    rule_set.plan_for(None)  # compile now: a broken graph fails at load, not per order
    return rule_set
