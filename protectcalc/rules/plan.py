"""Compile a rule set into a plan: one graph of milestones, checked once, evaluated per order.

Like a dbt project, each milestone declares what it reads (events, listing inputs, other
milestones, rules); the compiler builds the graph from those names, refuses unknown names and
cycles with a message that names them, and orders the nodes so that each is evaluated after
everything it reads. Expressions and templates are compiled here, once, to Python functions.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from protectcalc.errors import RuleSetError
from protectcalc.model import NOT_ACTED_BY, Phase
from protectcalc.model import SINGLE_EVENTS as SINGLE_EVENTS  # the shared vocabulary
from protectcalc.rules.expr import (
    Compiled,
    Condition,
    ExpressionError,
    FirstHolding,
    Node,
    Template,
    compile_condition,
    compile_first,
    compile_node,
    parse,
    template,
)
from protectcalc.rules.schema import (
    Case,
    CycleSpec,
    InputSpec,
    MilestoneSpec,
    Reading,
    Rule,
    Unit,
)

if TYPE_CHECKING:
    from protectcalc.rules import RuleSet

REPEATED_EVENTS = ("seller_responded", "buyer_responded", "mediator_asked")
EVENTS = SINGLE_EVENTS + REPEATED_EVENTS
"""The shared event vocabulary: what any rule set may read of an order."""

INPUTS = (
    "processing_days",
    "delivery_days",
    "extended",
    "dispute_outcome",
    "payment_method",
    "shipping",
    "buyer_country",
    "seller_country",
)
"""The listing and order inputs any rule set may read."""

BUILTINS = ("now", "rules", "rules_label", "total_days")
"""Names every expression may read."""

CASE_LOCALS = ("from", "count")
CYCLE_LOCALS = ("k", "at", "from", "due", "start", "from_label", "rounds")


# The compiled nodes below are compared by identity and never printed (their fields are
# functions): without ``eq`` and ``repr``, Python creates each class in less time, a share of
# every command's start-up.


@dataclass(frozen=True, eq=False, repr=False)
class CompiledCase:
    """One case of a milestone, ready to evaluate."""

    spec: Case
    when_text: str | None
    """Its condition as written (the node's ``first_case`` evaluates it)."""
    event: str | None
    anchor: Compiled | None
    anchor_text: str | None
    add_rule: str | None
    add_high: bool
    add_days: Compiled | None
    subtract_rule: str | None
    floor: Compiled | None
    start: Compiled | None
    rule_ids: tuple[str, ...]
    """The rules it cites, each once; ``@ID`` stands for milestone ID's rules."""
    borrows_rules: bool
    """Some of ``rule_ids`` are ``@ID``: the rules cited depend on the order."""
    projected: bool | None
    explain: Template | None


@dataclass(frozen=True, eq=False, repr=False)
class MilestoneNode:
    """A milestone of the graph with its compiled cases."""

    id: str
    spec: MilestoneSpec
    cases: tuple[CompiledCase, ...]
    done: Condition | None
    note: Template | None
    on_calendar: bool
    rank: int
    first_case: FirstHolding
    """The cases' conditions in one function: the first case from a start on that applies."""


@dataclass(frozen=True, eq=False, repr=False)
class CompiledStep:
    """A cycle step, compiled."""

    id: str
    labels: tuple[Template, ...]
    actor: str
    add_rule: str
    explain: Template
    reply: str
    reply_label: Template
    plan: Compiled
    plan_label: Template
    missed: str | None
    late: str | None
    done: Condition | None


@dataclass(frozen=True, eq=False, repr=False)
class CompiledStart:
    """A way a cycle starts, compiled."""

    when: Condition | None
    at: Compiled
    projected: bool
    label: Template


@dataclass(frozen=True, eq=False, repr=False)
class CycleNode:
    """Repeating rounds of the graph, compiled."""

    id: str
    spec: CycleSpec
    rounds: int
    rounds_rule: str
    limit_rule: str | None
    stop: tuple[str, ...]
    starts: tuple[CompiledStart, ...]
    steps: tuple[CompiledStep, ...]
    end_id: str
    end_label: str
    end_actor: str
    end_event: str | None
    end_event_explain: Template | None
    end_none_when: Condition | None
    end_limit_explain: Template | None
    end_last_explain: Template
    end_last_projected: bool
    end_on_calendar: bool
    rank: int

    def outputs(self) -> list[str]:
        """The milestone ids the cycle can add, in rank order."""
        ids = [f"{step.id}_{k}" for k in range(1, self.rounds + 1) for step in self.steps]
        return [*ids, self.end_id]


@dataclass(frozen=True, eq=False, repr=False)
class CompiledWarning:
    """A data warning (condition and message), or the place of a builtin group."""

    code: str
    when: Condition | None
    """Its condition, unless it is ``screened`` (then only ``first_warning`` evaluates it)."""
    message: Template | None
    fact: str | None = None
    """The cycle fact it reports: such warnings keep the order the facts arose in."""
    builtin: str | None = None
    screened: bool = False
    """Its condition is tried by the plan's ``first_warning`` (the first warning of its code:
    no earlier one can have claimed the code, so the condition is always tried)."""


@dataclass(frozen=True, eq=False, repr=False)
class CompiledLate:
    """A late-event check."""

    event: str
    deadline: Compiled
    meaning: str


@dataclass(frozen=True, eq=False, repr=False)
class CompiledNext:
    """A next action of a phase."""

    when: Condition | None
    milestone: Template | None
    action: Template
    if_nothing: Template | None
    passed: Template | None
    buyer: bool


@dataclass(frozen=True, eq=False, repr=False)
class CompiledPhase:
    """A phase's text, next actions and traps."""

    text: str
    next: tuple[CompiledNext, ...]
    traps: tuple[tuple[str, Condition | None, Template], ...]


@dataclass
class Plan:
    """A rule set compiled for evaluation: nodes in dependency order and every text."""

    rules: RuleSet
    nodes: list[MilestoneNode | CycleNode]
    labels: dict[str, str]
    tables: dict[str, dict[str, str]]
    warnings: list[CompiledWarning]
    first_warning: FirstHolding
    """The index of the next warning from a start on that may apply: a builtin group, a warning
    whose code an earlier one may have claimed, or a screened one whose condition holds."""
    late_events: list[CompiledLate]
    phases: list[str]
    """The phases in the order their conditions are tried."""
    first_phase: FirstHolding
    """The phases' conditions in one function: the index of the first that holds, or -1."""
    phase_specs: dict[str, CompiledPhase]
    inputs: dict[str, InputSpec]
    margin_rule: str | None
    platform_calendar: str | None
    summary_ids: dict[str, str | None]
    total_days_from: tuple[str, ...]
    total_days_usual: str | None
    plan_note: Template | None
    projected_note: str | None
    ranges: tuple[tuple[str, str, str], ...]
    reads: frozenset[str]
    facts: frozenset[str]
    cycle_limits: dict[str, str] = field(default_factory=dict)
    rounds_rule: str | None = None
    _milestone_ids: tuple[str, ...] | None = field(default=None, init=False, repr=False)

    @property
    def rounds(self) -> int | None:
        """How many rounds the rule set's cycle allows (None without a cycle)."""
        for node in self.nodes:
            if isinstance(node, CycleNode):
                return node.rounds
        return None

    def milestone_ids(self) -> list[str]:
        """Every milestone id the plan can produce, in rank order (worked out once: replay
        checks every scenario file's expectations against them)."""
        if self._milestone_ids is None:
            found: list[str] = []
            for node in self.nodes_by_rank():
                found.extend(node.outputs() if isinstance(node, CycleNode) else [node.id])
            self._milestone_ids = tuple(found)
        return list(self._milestone_ids)

    def nodes_by_rank(self) -> list[MilestoneNode | CycleNode]:
        """The nodes in declaration order (the order of ties on the timeline)."""
        return sorted(self.nodes, key=lambda node: node.rank)


def period_index(rule_set: RuleSet, day: date | None) -> int:
    """Which effective period ``day`` falls in (-1: undated, every item as declared).

    A rule set without effective dates has one period, the undated one: every order shares
    the plan compiled at load instead of compiling the same graph a second time.
    """
    if day is None:
        return -1
    boundaries = rule_set.__dict__.get("_boundaries")
    if boundaries is None:
        boundaries = _boundaries(rule_set)
        rule_set.__dict__["_boundaries"] = boundaries
    return bisect.bisect_right(boundaries, day) if boundaries else -1


def _boundaries(rule_set: RuleSet) -> list[date]:
    found: set[date] = set()
    items: list[object] = []
    for _, rule in rule_set.items():
        items.append(rule)
        items.extend(rule.alternatives.values())
    items.extend(rule_set.data.milestones.values())
    for item in items:
        for name in ("effective_from", "effective_until"):
            value = getattr(item, name, None)
            if value is not None:
                found.add(value)
    return sorted(found)


class _Problems:
    """Collects compile errors as ``key: problem``, raised together as one line each."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.found: list[str] = []

    def add(self, key: str, problem: str) -> None:
        self.found.append(f"{key}: {problem}")

    def raise_if_any(self) -> None:
        if not self.found:
            return
        from protectcalc.rules.loader import locate, read_text

        key = self.found[0].split(": ", 1)[0]
        where = self.origin
        try:
            text, _ = read_text(self.origin)
        except (OSError, ValueError):
            text = ""
        if text:
            where = f"{self.origin}:{locate(text, tuple(key.split('.')))}"
        raise RuleSetError(f"{where}: {self.found[0]}")


def compile_plan(rule_set: RuleSet, day: date | None) -> Plan:
    """Compile ``rule_set`` for orders whose first event is on ``day``; refuse a bad graph."""
    data = rule_set.data
    problems = _Problems(rule_set.origin)
    rules, dated = _rules_in_force(rule_set, day)
    rule_set = rule_set.in_period(rules, dated)
    specs = _milestones_in_force(rule_set, day)
    tables = dict(data.tables)
    facts: set[str] = set()
    outputs: dict[str, str] = {}  # milestone id -> node id
    for node_id, spec in specs.items():
        if spec.cycle is not None:
            cycle = spec.cycle
            if cycle.rounds not in rules:
                problems.add(f"milestones.{node_id}.cycle.rounds", f"unknown rule {cycle.rounds}")
                continue
            rounds = rules[cycle.rounds].low
            for k in range(1, rounds + 1):
                for step in cycle.steps:
                    outputs[f"{step.id}_{k}"] = node_id
                    facts.update(name for name in (step.missed, step.late) if name)
            outputs[cycle.end.id] = node_id
        else:
            outputs[node_id] = node_id
    known = _Known(rules, outputs, tables, facts, data.reads)

    nodes: list[MilestoneNode | CycleNode] = []
    deps: dict[str, set[str]] = {}
    labels: dict[str, str] = {}
    for rank, (node_id, spec) in enumerate(specs.items()):
        where = f"milestones.{node_id}"
        node: MilestoneNode | CycleNode
        try:
            if spec.cycle is not None:
                compiled, names = _compile_cycle(node_id, spec.cycle, rules, rank, known, problems)
                for k in range(1, compiled.rounds + 1):
                    for step in spec.cycle.steps:
                        text = step.labels[min(k, len(step.labels)) - 1]
                        labels[f"{step.id}_{k}"] = text.replace("{k}", str(k))
                labels[compiled.end_id] = compiled.end_label
                node = compiled
            else:
                node, names = _compile_milestone(node_id, spec, rules, rank, known, problems)
                labels[node_id] = spec.label
        except ExpressionError as error:
            problems.add(where, str(error))
            continue
        nodes.append(node)
        deps[node_id] = {outputs[name] for name in names if name in outputs} - {node_id}
    problems.raise_if_any()
    ordered = _topological(nodes, deps, problems)
    problems.raise_if_any()

    def expression(key: str, text: str, extra: Iterable[str] = ()) -> Compiled:
        try:
            node = parse(text)
        except ExpressionError as error:
            problems.add(key, str(error))
            return lambda scope: None
        known.check(key, node.names(), set(extra), problems)
        return compile_node(node)

    def checked(key: str, text: str) -> Node | None:
        try:
            node = parse(text)
        except ExpressionError as error:
            problems.add(key, str(error))
            return None
        known.check(key, node.names(), set(), problems)
        return node

    def condition(key: str, text: str) -> Condition:
        node = checked(key, text)
        return compile_condition(node) if node is not None else lambda scope: False

    def text_template(key: str, text: str, extra: Iterable[str] = ()) -> Template:
        try:
            compiled = template(text)
        except ExpressionError as error:
            problems.add(key, str(error))
            return template("")
        known.check(key, set(compiled.names), set(extra), problems)
        return compiled

    warnings: list[CompiledWarning] = []
    screens: list[str | None] = []  # per warning, the condition first_warning tries
    for item in data.warnings:
        if item.builtin is not None:
            warnings.append(CompiledWarning("", None, None, builtin=item.builtin))
            screens.append(None)
            continue
        assert item.code and item.when and item.message
        referenced = parse(item.when).names() & facts
        screened = all(earlier.code != item.code for earlier in warnings)
        key = f"warnings.{item.code}.when"
        when = None
        if screened:
            checked(key, item.when)  # compiled with the others into first_warning
        else:
            when = condition(key, item.when)
        warnings.append(
            CompiledWarning(
                item.code,
                when,
                text_template(f"warnings.{item.code}.message", item.message),
                fact=next(iter(referenced)) if len(referenced) == 1 else None,
                screened=screened,
            )
        )
        screens.append(item.when if screened else None)
    late = [
        CompiledLate(
            item.event,
            expression(f"late_events.{item.event}.deadline", item.deadline),
            item.meaning,
        )
        for item in data.late_events
    ]
    for late_event in data.late_events:
        if late_event.event not in EVENTS:
            problems.add(f"late_events.{late_event.event}", f"unknown event {late_event.event}")
    phases: list[str] = []
    for rule in data.phases:
        if rule.phase not in {phase.value for phase in Phase}:
            problems.add("phases", f"unknown phase {rule.phase} (known: {', '.join(Phase)})")
        if rule.phase not in data.phase:
            problems.add("phases", f"phase {rule.phase} has no [phase.{rule.phase}] text")
        checked(f"phases.{rule.phase}.when", rule.when)  # compiled together into first_phase
        phases.append(rule.phase)
    phase_specs: dict[str, CompiledPhase] = {}
    for phase_id, phase in data.phase.items():
        key = f"phase.{phase_id}"
        phase_specs[phase_id] = CompiledPhase(
            phase.text,
            tuple(
                CompiledNext(
                    condition(f"{key}.next.when", step.when) if step.when else None,
                    text_template(f"{key}.next.milestone", step.milestone)
                    if step.milestone
                    else None,
                    text_template(f"{key}.next.action", step.action),
                    text_template(f"{key}.next.if_nothing", step.if_nothing)
                    if step.if_nothing
                    else None,
                    text_template(f"{key}.next.passed", step.passed) if step.passed else None,
                    step.buyer,
                )
                for step in phase.next
            ),
            tuple(
                (
                    trap.code,
                    condition(f"{key}.traps.when", trap.when) if trap.when else None,
                    text_template(f"{key}.traps.message", trap.message),
                )
                for trap in phase.traps
            ),
        )
    summary = data.summary
    summary_ids = {
        "protection_end": summary.protection_end,
        "safe_dispute_date": summary.safe_dispute_date,
        "escalation": summary.escalation,
    }
    for key, milestone_id in summary_ids.items():
        if milestone_id is not None and milestone_id not in outputs:
            problems.add(f"summary.{key}", f"unknown milestone {milestone_id}")
    for event in summary.total_days_from:
        if event not in EVENTS:
            problems.add("summary.total_days_from", f"unknown event {event}")
    usual = summary.total_days_usual
    if usual is not None and (usual not in rules or rules[usual].unit is not Unit.DAYS):
        problems.add("summary.total_days_usual", f"{usual} is not a days rule")
    plan_note = text_template("summary.plan", summary.plan) if summary.plan else None
    for window in data.ranges:
        for milestone_id in (window.first, window.last):
            if milestone_id not in outputs:
                problems.add("ranges", f"unknown milestone {milestone_id}")
    for name, input_spec in data.inputs.items():
        if name not in EVENTS and name not in INPUTS:
            problems.add(f"inputs.{name}", "is neither an event nor an input")
        if input_spec.cap is not None and input_spec.cap not in rules:
            problems.add(f"inputs.{name}.cap", f"unknown rule {input_spec.cap}")
        for event in input_spec.before:
            if event not in EVENTS:
                problems.add(f"inputs.{name}.before", f"unknown event {event}")
    for event in data.reads:
        if event not in EVENTS:
            problems.add("reads", f"unknown event {event} (known: {', '.join(EVENTS)})")
    if data.margin_rule is not None and data.margin_rule not in rules:
        problems.add("margin_rule", f"unknown rule {data.margin_rule}")
    elif data.margin_rule is not None:
        check_units(rules[data.margin_rule], data.margin_rule, ELAPSED, "margin_rule", problems)
    for rule_id, chosen in rules.items():
        platform = chosen.calendar is not None and chosen.calendar.value == "platform"
        if chosen.unit is Unit.BUSINESS_DAYS and platform and data.platform_calendar is None:
            problems.add(
                f"rules.{rule_id}.calendar",
                "counts the platform's calendar: set platform_calendar",
            )
    for rule_id, declared in data.rules.items():
        readings: list[tuple[str, Reading]] = [("default", declared)]
        readings += list(declared.alternatives.items())
        periods = [
            (name, reading.effective_from or date.min, reading.effective_until or date.max)
            for name, reading in readings
            if reading.effective_from or reading.effective_until
        ]
        periods.sort(key=lambda item: item[1])
        for (first, _, first_end), (second, second_start, _) in itertools.pairwise(periods):
            if second_start < first_end:
                problems.add(
                    f"rules.{rule_id}",
                    f"readings {first} and {second} are in force at the same time "
                    f"(overlapping effective periods)",
                )
    problems.raise_if_any()
    cycle_limits = {
        node.id: node.limit_rule
        for node in ordered
        if isinstance(node, CycleNode) and node.limit_rule is not None
    }
    rounds_rule = next((n.rounds_rule for n in ordered if isinstance(n, CycleNode)), None)
    return Plan(
        rules=rule_set,
        nodes=ordered,
        labels=labels,
        tables=tables,
        warnings=warnings,
        first_warning=compile_first([parse(text) if text else None for text in screens]),
        late_events=late,
        phases=phases,
        first_phase=compile_first([parse(rule.when) for rule in data.phases]),
        phase_specs=phase_specs,
        inputs=dict(data.inputs),
        margin_rule=data.margin_rule,
        platform_calendar=data.platform_calendar,
        summary_ids=summary_ids,
        total_days_from=summary.total_days_from,
        total_days_usual=summary.total_days_usual,
        plan_note=plan_note,
        projected_note=summary.projected_note,
        ranges=tuple((item.label, item.first, item.last) for item in data.ranges),
        reads=frozenset(data.reads or EVENTS),
        facts=frozenset(facts),
        cycle_limits=cycle_limits,
        rounds_rule=rounds_rule,
    )


def _rules_in_force(rule_set: RuleSet, day: date | None) -> tuple[dict[str, Rule], dict[str, str]]:
    """The rules as chosen; on a dated order a rule out of force yields to its alternative
    in force (a version of the rule with its own period), unless a reading was chosen.
    Returns the rules and the versions chosen by date (rule id -> reading name)."""
    found: dict[str, Rule] = {}
    dated: dict[str, str] = {}
    for rule_id, rule in rule_set.items():
        if day is not None and rule_id not in rule_set.readings and not rule.in_force(day):
            for name, alternative in rule.alternatives.items():
                if alternative.in_force(day) and (
                    alternative.effective_from or alternative.effective_until
                ):
                    rule = rule.with_reading(name)
                    dated[rule_id] = name
                    break
        found[rule_id] = rule
    return found, dated


def _milestones_in_force(rule_set: RuleSet, day: date | None) -> dict[str, MilestoneSpec]:
    """Milestones in force, with the overlays of the chosen readings applied."""
    specs = dict(rule_set.data.milestones)
    for rule_id, reading_name in rule_set.readings.items():
        if reading_name == "default":
            continue
        chosen = rule_set.data.rules[rule_id].alternatives.get(reading_name)
        if chosen is not None:
            specs.update(chosen.milestones)
    if day is not None:
        specs = {key: spec for key, spec in specs.items() if spec.in_force(day)}
    return specs


class _Known:
    """Every name an expression may read, to refuse typos at load time."""

    def __init__(
        self,
        rules: dict[str, Rule],
        outputs: dict[str, str],
        tables: dict[str, dict[str, str]],
        facts: set[str],
        reads: tuple[str, ...],
    ) -> None:
        self.rules = rules
        self.outputs = outputs
        self.names = (
            set(EVENTS) | set(INPUTS) | set(BUILTINS) | set(rules) | set(outputs) | set(tables)
        )
        self.names |= facts

    def check(self, key: str, names: set[str], extra: set[str], problems: _Problems) -> None:
        for name in sorted(names - self.names - extra):
            problems.add(key, f"unknown name {name!r}")


ELAPSED = (Unit.DAYS, Unit.HOURS)
"""Units that are elapsed time: they can be subtracted, and they step a cycle."""
ADDABLE = (Unit.DAYS, Unit.HOURS, Unit.BUSINESS_DAYS)
"""Units that can be added to a moment (business days give a local date)."""


def check_units(
    rule: Rule, rule_id: str, units: tuple[Unit, ...], key: str, problems: _Problems
) -> None:
    """Every reading of a rule used as a duration must be in a unit that can be counted."""
    readings: list[tuple[str, Reading]] = [(rule.reading, rule), *rule.alternatives.items()]
    for name, reading in readings:
        if reading.unit not in units:
            where = "" if name == "default" else f" (reading {name})"
            allowed = " or ".join(unit.value for unit in units)
            problems.add(
                key,
                f"rule {rule_id}{where} is in {reading.unit.value}: it must be in {allowed} here",
            )


def _compile_case(
    key: str,
    case: Case,
    rules: dict[str, Rule],
    known: _Known,
    problems: _Problems,
    names: set[str],
) -> CompiledCase:
    def expr(text: str | None, part: str) -> Compiled | None:
        if text is None:
            return None
        node = parse(text)
        known.check(f"{key}.{part}", node.names(), set(CASE_LOCALS), problems)
        names.update(node.names())
        return compile_node(node)

    if case.when is not None:  # compiled with the other cases' into the node's first_case
        when = parse(case.when)
        known.check(f"{key}.when", when.names(), set(CASE_LOCALS), problems)
        names.update(when.names())

    def rule_ref(text: str | None, part: str) -> tuple[str | None, bool]:
        if text is None:
            return None, False
        rule_id, _, which = text.partition(".")
        if rule_id not in rules:
            problems.add(f"{key}.{part}", f"unknown rule {rule_id}")
        elif which not in ("", "high", "low"):
            problems.add(f"{key}.{part}", f"{text}: write RULE, RULE.low or RULE.high")
        else:
            units = ADDABLE if part == "add" else ELAPSED
            check_units(rules[rule_id], rule_id, units, f"{key}.{part}", problems)
        return rule_id, which == "high"

    if case.event is not None and case.event not in EVENTS:
        problems.add(f"{key}.event", f"unknown event {case.event}")
    add_rule, add_high = rule_ref(case.add, "add")
    subtract_rule, _ = rule_ref(case.subtract, "subtract")
    explicit = case.rules
    rule_ids: tuple[str, ...]
    if explicit is not None:
        rule_ids = tuple(dict.fromkeys(explicit))
        for rule_id in rule_ids:
            if rule_id.startswith("@"):
                if rule_id[1:] not in known.outputs:
                    problems.add(f"{key}.rules", f"unknown milestone {rule_id[1:]}")
                names.add(rule_id[1:])
            elif rule_id not in rules:
                problems.add(f"{key}.rules", f"unknown rule {rule_id}")
    elif case.event is not None:
        rule_ids = ()
    elif add_rule or subtract_rule:
        rule_ids = (add_rule or subtract_rule or "",)
    else:
        problems.add(f"{key}.rules", "name the rules this milestone comes from (a source)")
        rule_ids = ()
    explain = None
    if case.explain is not None:
        explain = template(case.explain)
        known.check(f"{key}.explain", set(explain.names), set(CASE_LOCALS), problems)
        names.update(explain.names)
    return CompiledCase(
        spec=case,
        when_text=case.when,
        event=case.event,
        anchor=expr(case.from_, "from"),
        anchor_text=case.from_,
        add_rule=add_rule,
        add_high=add_high,
        add_days=expr(case.add_days, "add_days"),
        subtract_rule=subtract_rule,
        floor=expr(case.floor, "floor"),
        start=expr(case.start, "start"),
        rule_ids=rule_ids,
        borrows_rules=any(rule_id.startswith("@") for rule_id in rule_ids),
        projected=case.projected,
        explain=explain,
    )


def _compile_milestone(
    node_id: str,
    spec: MilestoneSpec,
    rules: dict[str, Rule],
    rank: int,
    known: _Known,
    problems: _Problems,
) -> tuple[MilestoneNode, set[str]]:
    names: set[str] = set()
    key = f"milestones.{node_id}"
    all_cases = spec.all_cases()
    cases = tuple(
        _compile_case(f"{key}.cases" if spec.cases else key, case, rules, known, problems, names)
        for case in all_cases
    )
    done = None
    if spec.done is not None:
        node = parse(spec.done)
        known.check(f"{key}.done", node.names(), set(), problems)
        done = compile_condition(node)
    note = None
    if spec.note is not None:
        note = template(spec.note)
        known.check(f"{key}.note", set(note.names), set(CASE_LOCALS), problems)
        names.update(note.names)
    on_calendar = spec.on_calendar
    if on_calendar is None:
        # the buyer's own deadlines; an event, a planned step or an estimate is not one
        on_calendar = spec.actor == "buyer" and spec.kind.value not in NOT_ACTED_BY
    first_case = compile_first([parse(case.when) if case.when else None for case in all_cases])
    compiled = MilestoneNode(node_id, spec, cases, done, note, on_calendar, rank, first_case)
    return compiled, names


def _compile_cycle(
    node_id: str,
    spec: CycleSpec,
    rules: dict[str, Rule],
    rank: int,
    known: _Known,
    problems: _Problems,
) -> tuple[CycleNode, set[str]]:
    names: set[str] = set()
    key = f"milestones.{node_id}.cycle"
    local = set(CYCLE_LOCALS)

    def expr(text: str, part: str) -> Compiled:
        node = parse(text)
        known.check(f"{key}.{part}", node.names(), local, problems)
        names.update(node.names())
        return compile_node(node)

    def condition(text: str, part: str) -> Condition:
        node = parse(text)
        known.check(f"{key}.{part}", node.names(), local, problems)
        names.update(node.names())
        return compile_condition(node)

    def text(value: str, part: str) -> Template:
        compiled = template(value)
        known.check(f"{key}.{part}", set(compiled.names), local, problems)
        names.update(compiled.names)
        return compiled

    for event in (*spec.stop, spec.end.event):
        if event is not None and event not in EVENTS:
            problems.add(f"{key}", f"unknown event {event}")
    if spec.limit is not None and spec.limit not in rules:
        problems.add(f"{key}.limit", f"unknown rule {spec.limit}")
    if spec.rounds in rules:
        check_units(rules[spec.rounds], spec.rounds, (Unit.COUNT,), f"{key}.rounds", problems)
    if spec.limit is not None and spec.limit in rules:
        limit_units = (Unit.DAYS, Unit.NONE)
        check_units(rules[spec.limit], spec.limit, limit_units, f"{key}.limit", problems)
    steps = []
    for step in spec.steps:
        if step.add not in rules:
            problems.add(f"{key}.steps.add", f"unknown rule {step.add}")
        else:
            check_units(rules[step.add], step.add, ELAPSED, f"{key}.steps.add", problems)
        if step.reply not in REPEATED_EVENTS:
            problems.add(
                f"{key}.steps.reply", f"{step.reply} is not a repeatable event ({REPEATED_EVENTS})"
            )
        steps.append(
            CompiledStep(
                id=step.id,
                labels=tuple(template(label) for label in step.labels),
                actor=step.actor,
                add_rule=step.add,
                explain=text(step.explain, "steps.explain"),
                reply=step.reply,
                reply_label=text(step.reply_label, "steps.reply_label"),
                plan=expr(step.plan, "steps.plan"),
                plan_label=text(step.plan_label, "steps.plan_label"),
                missed=step.missed,
                late=step.late,
                done=condition(step.done, "steps.done") if step.done else None,
            )
        )
    end = spec.end
    node = CycleNode(
        id=node_id,
        spec=spec,
        rounds=rules[spec.rounds].low,
        rounds_rule=spec.rounds,
        limit_rule=spec.limit,
        stop=spec.stop,
        starts=tuple(
            CompiledStart(
                condition(start.when, "start.when") if start.when else None,
                expr(start.at, "start.at"),
                start.projected,
                text(start.label, "start.label"),
            )
            for start in spec.start
        ),
        steps=tuple(steps),
        end_id=end.id,
        end_label=end.label,
        end_actor=end.actor,
        end_event=end.event,
        end_event_explain=text(end.event_explain, "end.event_explain")
        if end.event_explain
        else None,
        end_none_when=condition(end.none_when, "end.none_when") if end.none_when else None,
        end_limit_explain=text(end.limit_explain, "end.limit_explain")
        if end.limit_explain
        else None,
        end_last_explain=text(end.last_explain, "end.last_explain"),
        end_last_projected=end.last_projected,
        end_on_calendar=bool(end.on_calendar),
        rank=rank,
    )
    return node, names


def _topological(
    nodes: list[MilestoneNode | CycleNode], deps: dict[str, set[str]], problems: _Problems
) -> list[MilestoneNode | CycleNode]:
    """Nodes after everything they read; declaration order breaks ties. A cycle is an error."""
    by_id = {node.id: node for node in nodes}
    remaining = {node.id: set(deps.get(node.id, set())) & set(by_id) for node in nodes}
    ordered: list[MilestoneNode | CycleNode] = []
    while remaining:
        ready = [node.id for node in nodes if node.id in remaining and not remaining[node.id]]
        if not ready:
            loop = _find_loop(remaining)
            problems.add("milestones", f"a cycle in the graph: {' -> '.join(loop)}")
            return ordered
        first = ready[0]
        ordered.append(by_id[first])
        del remaining[first]
        for waiting in remaining.values():
            waiting.discard(first)
    return ordered


def _find_loop(remaining: dict[str, set[str]]) -> list[str]:
    start = next(iter(remaining))
    path = [start]
    while True:
        following = sorted(remaining[path[-1]])[0]
        if following in path:
            return [*path[path.index(following) :], following]
        path.append(following)
