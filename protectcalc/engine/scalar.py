"""The scalar engine: one order through a compiled plan, with an explanation for every date.

No I/O, no clock, no printing: an :class:`Order`, a :class:`RuleSet` and the moment to judge
from go in; a :class:`Timeline` comes out. Nothing here names a marketplace: which
milestones exist, what they count from, the phases, next actions, traps and warnings all
come from the rule set (SPEC sections 2 and 3 are the time contract).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from protectcalc.calendars import (
    DEFAULT_SELLER_COUNTRY,
    CalendarChoice,
    check_calendar,
    nth_working_day,
    package_version,
    subdivisions,
)
from protectcalc.clock import add_elapsed, start_of_day, utc, wall, zone_name
from protectcalc.model import (
    EVENT_RULE,
    PLANNED_EVENTS,
    Actor,
    Milestone,
    NextAction,
    Order,
    Phase,
    Source,
    Summary,
    Timeline,
    Warning,
)
from protectcalc.order import check_order, check_reads
from protectcalc.rules import RuleSet
from protectcalc.rules.expr import FirstHolding, instant_of
from protectcalc.rules.plan import (
    REPEATED_EVENTS,
    SINGLE_EVENTS,
    CompiledCase,
    CompiledStep,
    CycleNode,
    MilestoneNode,
    Plan,
    period_index,
)
from protectcalc.rules.schema import Calendar, Reading, Rule, Unit

_ACTORS: dict[str, Actor] = {actor.value: actor for actor in Actor}
"""An actor by its rule-set name: a dict read, where ``Actor(name)`` goes through the enum's
call machinery (several times per order)."""

_PHASES: dict[str, Phase] = {phase.value: phase for phase in Phase}
"""A phase by its rule-set name (as ``_ACTORS``)."""

_ORDER_VALUES = (*SINGLE_EVENTS, *REPEATED_EVENTS, "processing_days", "delivery_days", "extended")
"""The order's fields an expression reads as they are (its events and listing inputs)."""
_read_order_values = operator.itemgetter(*_ORDER_VALUES)

_VALUE_NAMES = frozenset(
    (
        *_ORDER_VALUES,
        "dispute_outcome",
        "payment_method",
        "shipping",
        "buyer_country",
        "seller_country",
        "rules_label",
        "total_days",
        "rules",
    )
)
"""The names of an order's values in a scope's ``env`` (never shadowed by a milestone)."""

_NO_LOCALS: Mapping[str, Any] = {}
"""The locals of an expression that binds none (shared: locals are replaced, never changed)."""


@dataclass(frozen=True)
class RuleValue:
    """A rule as an expression sees it: a duration, a count, or text."""

    rule: Rule
    text: str
    """The rule as people say it (``rule.describe()``, worked out once per plan)."""
    duration: timedelta | None
    """What :meth:`as_duration` answers (worked out once per plan, see :func:`_duration`)."""

    def as_duration(self) -> timedelta | None:
        return self.duration

    def as_number(self) -> int | None:
        return self.rule.low if self.rule.has_number else None

    def describe(self) -> str:
        return self.text

    def attribute(self, name: str) -> Any:
        if name in ("low", "high"):
            amount = self.rule.low if name == "low" else self.rule.high
            if self.rule.unit is Unit.HOURS:
                return timedelta(hours=amount)
            return timedelta(days=amount) if self.rule.unit is not Unit.COUNT else amount
        if name == "value":
            return self.rule.low
        return None


def _duration(rule: Rule) -> timedelta | None:
    """A rule as elapsed time: hours, or days (business days as days); None for others."""
    if rule.unit is Unit.HOURS:
        return timedelta(hours=rule.low)
    if rule.unit in (Unit.DAYS, Unit.BUSINESS_DAYS):
        return timedelta(days=rule.low)
    return None


@dataclass(frozen=True)
class Missed:
    """A real deadline that passed with no reply in time: round ``k`` was due ``at``;
    ``reply`` is the late reply, if one was recorded. ``seq`` orders facts as they arose."""

    k: int
    at: datetime
    reply: datetime | None = None
    seq: int = 0

    def as_instant(self) -> datetime:
        return self.at

    def attribute(self, name: str) -> Any:
        return {"k": self.k, "at": self.at, "reply": self.reply}.get(name)


@dataclass(frozen=True)
class _RuleNamespace:
    """``rules.NAME``: a rule even where a milestone has the same name."""

    rules: dict[str, RuleValue]

    def attribute(self, name: str) -> Any:
        return self.rules.get(name)


class _Scope:
    """What the plan's expressions read for one order (see rules/expr.py).

    ``env`` holds every name but the locals, already resolved by precedence (the order's
    values, then milestones, then cycle facts, then rules, then ``now``, then tables), so that
    a compiled name is one dict read; the setters below keep it in step with what the engine
    computes. An order's value (an event, an input) is never shadowed, so ``env`` also
    answers for the values.
    """

    def __init__(
        self, order: Order, plan: Plan, as_of: datetime, texts: bool = True, traces: bool = False
    ) -> None:
        self.order = order
        self.plan = plan
        self.now = as_of
        self.now_utc = utc(as_of)  # for comparing instants (see clock.utc)
        self.milestones: dict[str, Milestone] = {}
        self.facts: dict[str, Missed] = {}
        self.locals: Mapping[str, Any] = _NO_LOCALS
        self.texts = texts
        """Render explanations (False: :func:`compute_deadlines`)."""
        self.traces = traces and texts
        """Write each milestone's ``trace`` (only ``timeline --explain`` shows it)."""
        names = self.names = _plan_names(plan)
        self.rule_values = names.rule_values
        self.value_names = _VALUE_NAMES
        env: dict[str, Any] = names.base.copy()
        self.env = env
        if names.now_free:
            env["now"] = as_of
        env.update(zip(_ORDER_VALUES, _read_order_values(vars(order)), strict=True))
        outcome, method = order.dispute_outcome, order.payment_method
        # an enum's _value_: its ``value`` property is a Python call
        env["dispute_outcome"] = outcome._value_ if outcome else None
        env["payment_method"] = method._value_ if method else None
        env["shipping"] = order.shipping._value_
        env["buyer_country"] = order.buyer_country
        env["seller_country"] = order.seller_country
        env["rules_label"] = names.label
        env["total_days"] = None
        env["rules"] = names.namespace

    def with_locals(self, **values: Any) -> _Scope:
        self.locals = values
        return self

    def set_value(self, name: str, value: Any) -> None:
        assert name in self.value_names
        self.env[name] = value

    def set_milestone(self, milestone_id: str, milestone: Milestone) -> None:
        self.milestones[milestone_id] = milestone
        if milestone_id not in self.value_names:
            self.env[milestone_id] = milestone

    def drop_milestone(self, milestone_id: str) -> None:
        del self.milestones[milestone_id]
        if milestone_id not in self.value_names:
            self.env[milestone_id] = self._below_milestones(milestone_id)

    def add_fact(self, name: str, fact: Missed) -> None:
        """Record a cycle fact; the first of a name stays (a later one does not replace it)."""
        if name in self.facts:
            return
        self.facts[name] = fact
        if name not in self.value_names and name not in self.milestones:
            self.env[name] = fact

    def _below_milestones(self, name: str) -> Any:
        if name in self.plan.facts:  # a cycle fact, set or not, shadows a rule's name
            return self.facts.get(name)
        if name in self.rule_values:
            return self.rule_values[name]
        if name == "now":
            return self.now
        return self.plan.tables.get(name)


@dataclass(frozen=True)
class _PlanNames:
    """What every order of one plan starts its ``env`` from (built once per plan)."""

    base: dict[str, Any]
    rule_values: dict[str, RuleValue]
    namespace: _RuleNamespace
    now_free: bool
    label: str
    disagreements: tuple[tuple[str, Warning], ...]
    """Per rule with other readings, the warning that says so (shown when the rule is used)."""
    cycle_limits: tuple[tuple[str, tuple[str, ...]], ...]
    """Per cycle with a time limit: its limit rule and the ids of its rounds' milestones (a
    round shown means the limit was used)."""
    cases: dict[CompiledCase, _CaseFacts]
    steps: dict[CompiledStep, _StepFacts]
    dated: bool
    """The rule set has effective periods (else the rules cannot change within an order)."""
    later_builtins: tuple[str, ...]
    """The engine's warning groups the rule set does not place, shown after its own."""
    fact_group: int | None
    """The place of the first warning that reports a cycle fact: those warnings are shown
    there, in the order their facts arose."""
    walk: tuple[_NodeWalk, ...]
    """The plan's nodes as :func:`compute_timeline` visits them."""
    margin: timedelta
    """The rule set's safety margin (zero without one)."""


_NodeWalk = tuple[
    "CycleNode | None",
    "MilestoneNode",
    "FirstHolding",
    "tuple[tuple[CompiledCase, _CaseFacts], ...]",
    tuple[int, int],
]
"""A node as the timeline's loop takes it, worked out once per plan: the cycle (None for a
milestone), the milestone, its ``first_case``, its cases with their facts, and its rank key
(a cycle's entry has None for the milestone and ``first_case``: they are not read). Unpacked
at once, where reading the node's fields and testing its class cost some 400 bytecodes an
order."""


@dataclass(frozen=True, slots=True)
class _CaseFacts:
    """What a milestone case yields that does not depend on the order (worked out once per
    plan: rules, their sources and texts are read many times an order otherwise)."""

    actor: Actor
    add: timedelta | None
    """The elapsed time a days or hours rule adds (None for business days or no rule)."""
    add_count: str
    """That rule as ``count`` shows it: ``15 days``."""
    add_trace: str
    subtract: timedelta | None
    subtract_trace: str
    sources: tuple[Source, ...]
    """The sources of its rules (when it borrows none from another milestone)."""
    applies_trace: str | None
    kind: str
    """The milestone's kind as the rule set names it (``deadline``, ``estimate`` ...)."""


@dataclass(frozen=True, slots=True)
class _StepFacts:
    """A cycle step's rule as every round uses it (once per plan)."""

    actor: Actor
    add: timedelta
    sources: tuple[Source, ...]
    rule_text: str
    on_calendar: bool
    ids: tuple[str, ...]
    """Round k's milestone id at ``k - 1`` (``seller_response_due_2``): made once, not per order."""
    labels: tuple[str | None, ...]
    """Round k's label at ``k - 1`` when its template reads nothing but ``k`` (the same
    for every order), else None: rendered per order."""


class _RoundScope:
    """The scope a label that reads only ``k`` is rendered in, once per plan."""

    def __init__(self, k: int) -> None:
        self.locals = {"k": k}
        self.env: dict[str, Any] = {}


_PLAN_NAMES: dict[int, tuple[Plan, _PlanNames]] = {}


def _plan_names(plan: Plan) -> _PlanNames:
    cached = _PLAN_NAMES.get(id(plan))
    if cached is not None and cached[0] is plan:
        return cached[1]
    rule_values = {
        rule_id: RuleValue(rule, rule.describe(), _duration(rule))
        for rule_id, rule in plan.rules.items()
    }
    base: dict[str, Any] = dict(plan.tables)
    base.pop("now", None)
    base.update(rule_values)
    base.update(dict.fromkeys(plan.facts))
    placed = {item.builtin for item in plan.warnings if item.builtin is not None}
    cases = {
        case: _case_facts(plan, node, case, rule_values)
        for node in plan.nodes
        if isinstance(node, MilestoneNode)
        for case in node.cases
    }
    walk: list[_NodeWalk] = [
        (node, cast(MilestoneNode, None), cast(FirstHolding, None), (), (node.rank, 0))
        if isinstance(node, CycleNode)
        else (
            None,
            node,
            node.first_case,
            tuple((case, cases[case]) for case in node.cases),
            (node.rank, 0),
        )
        for node in plan.nodes
    ]
    names = _PlanNames(
        base,
        rule_values,
        _RuleNamespace(rule_values),
        "now" not in base,
        plan.rules.label,
        tuple(_disagreements(plan)),
        tuple(
            (node.limit_rule, tuple(node.outputs()[:-1]))
            for node in plan.nodes
            if isinstance(node, CycleNode) and node.limit_rule is not None
        ),
        cases,
        {
            step: _step_facts(plan, step, rule_values, node.rounds)
            for node in plan.nodes
            if isinstance(node, CycleNode)
            for step in node.steps
        },
        period_index(plan.rules, date.min) != -1,
        tuple(name for name in _BUILTIN_WARNINGS if name not in placed),
        next(
            (
                index
                for index, item in enumerate(plan.warnings)
                if item.builtin is None and item.fact is not None
            ),
            None,
        ),
        tuple(walk),
        plan.rules.elapsed(plan.margin_rule) if plan.margin_rule else timedelta(0),
    )
    _PLAN_NAMES[id(plan)] = (plan, names)
    return names


def _case_facts(
    plan: Plan, node: MilestoneNode, case: CompiledCase, rule_values: dict[str, RuleValue]
) -> _CaseFacts:
    rules = plan.rules
    add: timedelta | None = None
    add_count = add_trace = ""
    if case.add_rule is not None:
        rule = rules[case.add_rule]
        if rule.unit is not Unit.BUSINESS_DAYS:
            add = rules.elapsed(case.add_rule, high=case.add_high)
            add_count = f"{rule.high if case.add_high else rule.low} {rule.unit.value}"
            add_trace = f"+ {case.add_rule}{'.high' if case.add_high else ''} = {add_count}"
    subtract: timedelta | None = None
    subtract_trace = ""
    if case.subtract_rule is not None:
        subtract = -rules.elapsed(case.subtract_rule)
        subtract_trace = f"- {case.subtract_rule} = {rule_values[case.subtract_rule].text}"
    return _CaseFacts(
        _ACTORS[node.spec.actor],
        add,
        add_count,
        add_trace,
        subtract,
        subtract_trace,
        () if case.borrows_rules else rules.sources(*case.rule_ids),
        f"applies because {case.when_text}" if case.when_text else None,
        node.spec.kind.value,
    )


def _step_facts(
    plan: Plan, step: CompiledStep, rule_values: dict[str, RuleValue], rounds: int
) -> _StepFacts:
    labels: list[str | None] = []
    for k in range(1, rounds + 1):
        label = step.labels[min(k, len(step.labels)) - 1]
        fixed = label.names <= {"k"}
        labels.append(label.render(_RoundScope(k)) if fixed else None)  # type: ignore[arg-type]
    return _StepFacts(
        _ACTORS[step.actor],
        plan.rules.elapsed(step.add_rule),
        plan.rules.sources(step.add_rule),
        rule_values[step.add_rule].text,
        step.actor == "buyer",
        tuple(f"{step.id}_{k}" for k in range(1, rounds + 1)),
        tuple(labels),
    )


@dataclass
class _Calendars:
    """Business-day bookkeeping: which milestones counted weekends only, unknown years."""

    weekends_only: list[str]
    unconfirmed: dict[tuple[str, tuple[int, ...], int | None], list[str]]
    buyer_calendar_used: bool = False


def compute_deadlines(order: Order, rules: RuleSet, as_of: datetime) -> Timeline:
    """The order's milestones (dates, labels, notes, who acts, done or not) and its phase, for
    views that list deadlines only (``due``): no warnings, traps, next action or summary
    (left empty), and no milestone's ``explain`` or ``trace`` (left blank).

    The same evaluation as :func:`compute_timeline`, which it equals on every field it fills
    (tests/test_deadlines_only.py); the texts it skips were about a third of an order's work.
    """
    return _compute(order, rules, as_of, frozenset(), texts=False)


def compute_timeline(
    order: Order,
    rules: RuleSet,
    as_of: datetime,
    also_reads: frozenset[str] = frozenset(),
    *,
    traces: bool = False,
) -> Timeline:
    """Every milestone the order's events allow, the phase as of ``as_of``, and what to do next.

    An event the rule set does not read is refused, unless ``also_reads`` (what the other
    layers of the same order read) has it: then this layer simply does not use it.
    ``traces``: also write each milestone's ``trace``, the steps ``timeline --explain``
    shows (no other view reads them; left empty otherwise: about 3 % of an order's
    instructions).
    """
    return _compute(order, rules, as_of, also_reads, texts=True, traces=traces)


def _compute(
    order: Order,
    rules: RuleSet,
    as_of: datetime,
    also_reads: frozenset[str],
    texts: bool,
    traces: bool = False,
) -> Timeline:
    zone = order.timezone
    day: date | None = None
    if period_index(rules, date.min) >= 0:  # a dated rule set: the rules at the first event
        first = min((at.astimezone(UTC) for _, at in order.events()), default=None)
        day = first.astimezone(zone).date() if first else None
    plan = rules.plan_for(day)
    rules = plan.rules
    check_reads(order, plan.reads | also_reads if also_reads else plan.reads, rules.name)
    check_order(order, plan)
    _check_given_calendars(order)
    scope = _Scope(order, plan, as_of.astimezone(zone), texts, traces)
    names = scope.names
    calendars = _Calendars([], {})
    ranks: dict[str, tuple[int, int]] = {}
    milestones, env, value_names = scope.milestones, scope.env, scope.value_names
    for cycle, node, first_case, cases, rank in names.walk:
        if cycle is not None:
            _evaluate_cycle(cycle, scope, ranks)
            continue
        # The first case whose condition holds and whose anchor is known gives the milestone.
        scope.locals = _NO_LOCALS
        index = first_case(scope, 0)
        while index >= 0:
            case, facts = cases[index]
            milestone = _evaluate_case(node, case, facts, scope, calendars)
            if milestone is not None:
                node_id = node.id
                milestones[node_id] = milestone  # scope.set_milestone, inline
                if node_id not in value_names:
                    env[node_id] = milestone
                ranks[node_id] = rank
                break
            index = first_case(scope, index + 1)
    warnings: list[Warning] = []
    if texts:
        warnings = _warnings(plan, scope, calendars)
        if names.dated:
            warnings.extend(_straddle(order, plan))
    phase = _phase(plan, scope)
    if texts:
        scope.set_value("total_days", _total_days(plan, scope))
    spec = plan.phase_specs.get(phase.value)
    margin = names.margin
    return Timeline(
        rules=names.label,
        timezone=zone_name(zone),
        as_of=scope.now,
        phase=phase,
        milestones=_in_time_order(scope, ranks),
        summary=_summary(plan, scope) if texts else Summary(),
        next=_next_action(plan, scope, phase, margin) if texts else None,
        safety_margin=margin,
        warnings=tuple(warnings),
        phase_text=spec.text if spec else phase.value,
        traps=tuple(_traps(plan, scope, phase)) if texts else (),
        ranges=plan.ranges,
        plan_note=_plan_note(plan, scope) if texts else None,
        projected_note=plan.projected_note,
        rules_version=rules.version,
    )


def _in_time_order(scope: _Scope, ranks: dict[str, tuple[int, int]]) -> tuple[Milestone, ...]:
    """The milestones by due instant, ties by rank (a business-day date: when its day begins)."""
    zone = scope.order.timezone
    last = (1 << 30, 0)
    keyed = [  # item.due(zone), inline for an instant (all but business-day dates)
        (utc(item.at if item.at is not None else item.due(zone)), ranks.get(item.id, last), item)
        for item in scope.milestones.values()
    ]
    keyed.sort(key=_first_two)
    return tuple([item for _, _, item in keyed])


_first_two = operator.itemgetter(0, 1)
"""A timeline's order: by due instant (in UTC), ties by rank (never the milestone)."""


def _straddle(order: Order, plan: Plan) -> list[Warning]:
    """Say so when the rules changed between the order's first and last events."""
    moments = sorted(utc(at) for name, at in order.events() if name not in PLANNED_EVENTS)
    if len(moments) < 2:
        return []
    first = moments[0].astimezone(order.timezone).date()
    last = moments[-1].astimezone(order.timezone).date()
    if period_index(plan.rules, first) == period_index(plan.rules, last):
        return []
    return [
        Warning(
            "rules_changed",
            f"The rules of {plan.rules.name} changed between this order's first event "
            f"({first.isoformat()}) and its last ({last.isoformat()}): this timeline uses the "
            "rules in force at the first.",
        )
    ]


def _check_given_calendars(order: Order) -> None:
    """A country the user named must be known even if no rule needs its calendar (SPEC 6)."""
    if order.buyer_country is not None:
        check_calendar(
            CalendarChoice(order.buyer_country, order.buyer_subdivision, field="buyer_country")
        )
    if order.seller_country != DEFAULT_SELLER_COUNTRY:
        check_calendar(CalendarChoice(order.seller_country, field="seller_country"))


def _evaluate_case(
    node: MilestoneNode,
    case: CompiledCase,
    facts: _CaseFacts,
    scope: _Scope,
    calendars: _Calendars,
) -> Milestone | None:
    if case.event is not None:
        given = scope.env.get(case.event)
        if not isinstance(given, datetime):
            return None
        given_explain = ""
        if case.explain and scope.texts:
            scope.locals = {"from": given}
            given_explain = case.explain.render(scope) or ""
        return Milestone(
            node.id,
            given.date(),
            given,
            facts.actor,
            EVENT_RULE,
            given_explain,
            label=node.spec.label,
            on_calendar=node.on_calendar,
            trace=(f"{case.event} given: {wall(given)}",) if scope.traces else (),
            kind=facts.kind,
        )
    plan = scope.plan
    assert case.anchor is not None
    anchor_value = case.anchor(scope)
    if type(anchor_value) is datetime:  # an event's instant: instant_of and the flag, inline
        anchor = anchor_value
        projected = bool(case.projected)
    else:
        found = instant_of(anchor_value)
        if found is None:
            return None
        anchor = found
        projected = (
            case.projected
            if case.projected is not None
            else bool(getattr(anchor_value, "projected", False))
        )
    day: date
    at: datetime | None
    count_text = ""
    unconfirmed_note: str | None = None
    counted: str | None = None  # the trace's line for what was added or subtracted
    add = facts.add
    if add is not None:
        # N days are N x 24 h of elapsed time (SPEC 2.2)
        at = add_elapsed(anchor, add)
        day = at.date()
        count_text = facts.add_count
        counted = facts.add_trace
    elif case.add_rule is not None:  # business days
        day, count_text, unconfirmed_note = _business_days(node, case, anchor, scope, calendars)
        at = None
        counted = f"+ {case.add_rule}{'.high' if case.add_high else ''} = {count_text}"
    elif case.add_days is not None:
        days = case.add_days(scope)
        if not isinstance(days, int):
            return None
        at = add_elapsed(anchor, timedelta(days=days))
        day = at.date()
        counted = f"+ {case.spec.add_days} = {days} days"
    elif facts.subtract is not None:
        at = add_elapsed(anchor, facts.subtract)
        day = at.date()
        counted = facts.subtract_trace
    else:
        at, day = anchor, anchor.date()
    floored: str | None = None
    if case.floor is not None and at is not None:
        floor = instant_of(case.floor(scope))
        if floor is not None and utc(floor) >= utc(at):
            at, day = floor, floor.date()
            floored = f"no earlier than {case.spec.floor} = {wall(floor)}"
    start = anchor
    if case.start is not None:
        start = instant_of(case.start(scope)) or anchor
    if case.borrows_rules:
        rule_ids = _rule_ids(case, scope)
        sources = plan.rules.sources(*rule_ids)
    else:
        rule_ids, sources = case.rule_ids, facts.sources
    scope.locals = {"from": anchor, "count": count_text}
    texts = scope.texts
    explain = case.explain.render(scope) if case.explain and texts else None
    note: str | None = None
    if node.note is not None:
        note = node.note.render(scope) or None
    if unconfirmed_note is not None:
        note = f"{note}; {unconfirmed_note}" if note else unconfirmed_note
    trace: tuple[str, ...] = ()
    if scope.traces:
        origin = f"from {case.anchor_text} = {wall(anchor)}"
        if floored is None and counted is not None:  # the usual shapes, one tuple each
            applies = facts.applies_trace
            trace = (origin, counted) if applies is None else (applies, origin, counted)
        else:
            steps = [origin] if facts.applies_trace is None else [facts.applies_trace, origin]
            if counted is not None:
                steps.append(counted)
            if floored is not None:
                steps.append(floored)
            trace = tuple(steps)
    done = False
    if node.done is not None:
        scope.locals = _NO_LOCALS
        done = node.done(scope)
    return Milestone(
        node.id,
        day,
        at,
        facts.actor,
        rule_ids[0] if rule_ids else EVENT_RULE,
        explain or "",
        projected,
        sources,
        note,
        node.spec.label,
        start,
        rule_ids,
        done,
        node.on_calendar,
        trace,
        start_of_day(day, scope.order.timezone) if at is None else None,
        facts.kind,
    )


def _business_days(
    node: MilestoneNode,
    case: CompiledCase,
    anchor: datetime,
    scope: _Scope,
    calendars: _Calendars,
) -> tuple[date, str, str | None]:
    """A business-day count: the local date, the count as ``count`` shows it, and the note
    when the calendar's schedule for a year reached is not known yet."""
    plan, order = scope.plan, scope.order
    assert case.add_rule is not None
    rule = plan.rules[case.add_rule]
    amount = rule.high if case.add_high else rule.low
    choice = _calendar_choice(plan, order, rule.calendar)
    result = nth_working_day(choice, anchor.date(), amount)
    unit = f"business day{'s' if amount != 1 else ''} ({result.calendar})"
    count_text = f"{amount} {unit}, counted from the day after {anchor.date().isoformat()}"
    if choice.country is None:
        calendars.weekends_only.append(node.id)
    if rule.calendar is Calendar.BUYER:
        calendars.buyer_calendar_used = True
    note = None
    if result.unconfirmed_years:
        key = (result.calendar, result.unconfirmed_years, result.last_scheduled_year)
        calendars.unconfirmed.setdefault(key, []).append(node.id)
        years = ", ".join(str(year) for year in result.unconfirmed_years)
        note = (
            f"unconfirmed: the {result.calendar} working-day schedule for {years} "
            "is not in the holidays package yet; the date may move"
        )
    return result.day, count_text, note


def _rule_ids(case: CompiledCase, scope: _Scope) -> tuple[str, ...]:
    """The rules a case cites, with each ``@ID`` replaced by milestone ID's rules."""
    if not case.borrows_rules:
        return case.rule_ids
    found: list[str] = []
    for rule_id in case.rule_ids:
        if rule_id.startswith("@"):
            other = scope.milestones.get(rule_id[1:])
            found.extend(other.rule_ids if other is not None else ())
        else:
            found.append(rule_id)
    return tuple(dict.fromkeys(found))


def _calendar_choice(plan: Plan, order: Order, calendar: Calendar | None) -> CalendarChoice:
    """Whose working days a rule counts (one object per choice: the working-day cache then
    finds its key by identity, without the dataclass's ``__eq__``)."""
    key: tuple[str | None, str | None, str]
    match calendar:
        case Calendar.PLATFORM:
            key = (plan.platform_calendar, None, "rules")
        case Calendar.SELLER:
            key = (order.seller_country, None, "seller_country")
        case Calendar.BUYER | None:
            key = (order.buyer_country, order.buyer_subdivision, "buyer_country")
    choice = _CHOICES.get(key)
    if choice is None:
        if len(_CHOICES) >= 1024:  # a user's own subdivisions: keep the table small
            _CHOICES.clear()
        choice = _CHOICES[key] = CalendarChoice(*key)
    return choice


_CHOICES: dict[tuple[str | None, str | None, str], CalendarChoice] = {}


def _evaluate_cycle(node: CycleNode, scope: _Scope, ranks: dict[str, tuple[int, int]]) -> None:
    """The rounds: each step's deadline from the previous reply, real or planned."""
    plan = scope.plan
    rules = plan.rules
    start_at: datetime | None = None
    start_projected = False
    label = ""
    texts, traces = scope.texts, scope.traces  # the labels feed explanations and traces only
    for start in node.starts:
        scope.locals = _NO_LOCALS
        if start.when is not None and not start.when(scope):
            continue
        moment = instant_of(start.at(scope))
        if moment is None:
            continue
        start_at, start_projected = moment, start.projected
        if texts:
            label = start.label.render(scope.with_locals(at=moment)) or ""
        break
    if start_at is None:
        return
    stop_at = next((scope.env[name] for name in node.stop if scope.env.get(name) is not None), None)
    limit_at = None
    if node.limit_rule is not None and rules[node.limit_rule].unit is Unit.DAYS:
        limit_at = add_elapsed(start_at, timedelta(days=rules[node.limit_rule].low))
    cursor, cursor_projected = start_at, start_projected
    step_facts = scope.names.steps
    last_action: tuple[datetime, bool] | None = None
    sub = 0
    stopped = False
    for k in range(1, node.rounds + 1):
        if stop_at is not None and utc(cursor) >= utc(stop_at):
            break
        if limit_at is not None and cursor_projected and utc(cursor) >= utc(limit_at):
            break
        for step in node.steps:
            facts = step_facts[step]
            due = add_elapsed(cursor, facts.add)
            milestone_id = facts.ids[k - 1]
            local = {"from": cursor, "from_label": label, "k": k, "due": due}
            scope.locals = local
            explain = (step.explain.render(scope) or "") if texts else ""
            scope.locals = {"k": k}
            text = facts.labels[k - 1]
            if text is None:
                text = step.labels[min(k, len(step.labels)) - 1].render(scope)
            done = False
            if step.done is not None:
                done = step.done(scope)
            scope.set_milestone(
                milestone_id,
                Milestone(
                    milestone_id,
                    due.date(),
                    due,
                    facts.actor,
                    step.add_rule,
                    explain,
                    cursor_projected,
                    facts.sources,
                    None,
                    text or milestone_id,
                    cursor,
                    (step.add_rule,),
                    done,
                    facts.on_calendar,
                    (f"{label} + {step.add_rule} = {facts.rule_text}",) if traces else (),
                ),
            )
            ranks[milestone_id] = (node.rank, sub)
            sub += 1
            replies = scope.env[step.reply]
            if k <= len(replies):
                reply, reply_projected = replies[k - 1], False
                if texts:
                    scope.locals = {"at": reply, "k": k}
                    label = step.reply_label.render(scope) or ""
                late = step.late
                if late and not cursor_projected and utc(reply) > utc(due):
                    fact = Missed(k, due, reply, seq=len(scope.facts))
                    scope.add_fact(late, fact)
            else:
                if stop_at is not None:
                    stopped = True
                    break
                if not cursor_projected and scope.now_utc > utc(due):
                    if step.missed is not None:
                        fact = Missed(k, due, seq=len(scope.facts))
                        scope.add_fact(step.missed, fact)
                    stopped = True
                    break
                scope.locals = local
                planned = instant_of(step.plan(scope))
                if planned is None:
                    stopped = True
                    break
                reply, reply_projected = planned, True
                if texts:
                    scope.locals = {"at": reply, "k": k}
                    label = step.plan_label.render(scope) or ""
            cursor, cursor_projected = reply, reply_projected
        if stopped:
            break
        if k == node.rounds:
            last_action = (cursor, cursor_projected)
    _cycle_end(node, scope, ranks, start_at, start_projected, limit_at, last_action)


def _cycle_end(
    node: CycleNode,
    scope: _Scope,
    ranks: dict[str, tuple[int, int]],
    start_at: datetime,
    start_projected: bool,
    limit_at: datetime | None,
    last_action: tuple[datetime, bool] | None,
) -> None:
    rules = scope.plan.rules
    given = scope.env.get(node.end_event) if node.end_event else None
    if isinstance(given, datetime):
        at, rule_id, projected = given, EVENT_RULE, False
        template = node.end_event_explain
    elif node.end_none_when is not None and node.end_none_when(scope.with_locals()):
        return
    elif limit_at is not None and node.limit_rule is not None:
        for milestone_id, item in list(scope.milestones.items()):
            if (
                ranks.get(milestone_id, (-1, 0))[0] == node.rank
                and item.projected
                and item.at is not None
                and utc(item.at) > utc(limit_at)
            ):
                scope.drop_milestone(milestone_id)
        at, rule_id, projected = limit_at, node.limit_rule, start_projected
        template = node.end_limit_explain
    elif last_action is None:
        return
    else:
        at, projected = last_action
        projected = projected or node.end_last_projected
        rule_id, template = node.rounds_rule, node.end_last_explain
    local = {"at": at, "start": start_at, "rounds": scope.rule_values[node.rounds_rule]}
    explain = template.render(scope.with_locals(**local)) if template and scope.texts else ""
    scope.set_milestone(
        node.end_id,
        Milestone(
            id=node.end_id,
            day=at.date(),
            at=at,
            actor=_ACTORS[node.end_actor],
            rule=rule_id,
            explain=explain or "",
            projected=projected,
            sources=rules.sources(rule_id) if rule_id != EVENT_RULE else (),
            label=node.end_label,
            start=start_at,
            rule_ids=(rule_id,) if rule_id != EVENT_RULE else (),
            on_calendar=node.end_on_calendar or node.end_actor == "buyer",
            trace=(f"{rule_id}: {explain}",) if scope.traces else (),
        ),
    )
    ranks[node.end_id] = (node.rank, 1 << 20)


def _warnings(plan: Plan, scope: _Scope, calendars: _Calendars) -> list[Warning]:
    """The rule set's warnings in its order, with the engine's own groups where it puts them.

    Warnings that report cycle facts (a silent seller, a late edit) keep the order in which
    the facts arose, among themselves.
    """
    keyed: list[tuple[tuple[int, int], Warning]] = []
    codes: set[str] = set()
    fact_group = scope.names.fact_group
    items = plan.warnings
    scope.locals = _NO_LOCALS
    index = plan.first_warning(scope, 0)  # skips the screened warnings whose condition fails
    while index >= 0:
        item = items[index]
        if item.builtin is not None:
            found = _BUILTIN_WARNINGS[item.builtin](plan, scope, calendars)
            if found:
                keyed.extend(((index, n), w) for n, w in enumerate(found))
        elif item.screened or (
            item.code not in codes and item.when is not None and item.when(scope)
        ):
            assert item.message is not None
            message = item.message.render(scope)
            if message:
                codes.add(item.code)
                fact = scope.facts.get(item.fact) if item.fact else None
                key = (
                    (fact_group, fact.seq)
                    if fact is not None and fact_group is not None
                    else (index, 0)
                )
                keyed.append((key, Warning(item.code, message)))
        index = plan.first_warning(scope, index + 1)
    end = len(plan.warnings)
    for offset, name in enumerate(scope.names.later_builtins):
        found = _BUILTIN_WARNINGS[name](plan, scope, calendars)
        keyed.extend(((end + offset, n), w) for n, w in enumerate(found))
    keyed.sort(key=_first)
    return [warning for _, warning in keyed]


_first = operator.itemgetter(0)


def _calendar_warnings(plan: Plan, scope: _Scope, calendars: _Calendars) -> list[Warning]:
    order = scope.order
    found: list[Warning] = []
    if calendars.weekends_only:
        found.append(
            Warning(
                "calendar_weekends_only",
                f"No --buyer-country: {', '.join(calendars.weekends_only)} count only "
                "Saturdays and Sundays as days off. Give --buyer-country (e.g. RU, US) to "
                "count your public holidays too.",
            )
        )
    for (calendar, years, last), ids in calendars.unconfirmed.items():
        shown = ", ".join(str(year) for year in years)
        latest = f" (its latest is {last})" if last is not None else ""
        found.append(
            Warning(
                "calendar_unconfirmed",
                f"{', '.join(ids)} reach into {shown}, and holidays "
                f"{package_version()} has no announced {calendar} working-day schedule "
                f"for {shown}{latest}: moved days off and make-up working days are "
                "missing, so these dates may move. Check the official calendar or "
                "upgrade the holidays package.",
            )
        )
    if (
        calendars.buyer_calendar_used
        and order.buyer_country is not None
        and order.buyer_subdivision is None
    ):
        codes = subdivisions(order.buyer_country)
        if codes:
            shown = ", ".join(codes[:8]) + (", ..." if len(codes) > 8 else "")
            found.append(
                Warning(
                    "calendar_national_only",
                    f"Refund dates count {order.buyer_country}'s national holidays only; give "
                    f"--buyer-subdivision ({shown}) to count your region's holidays too.",
                )
            )
    return found


def _disagreements_used(plan: Plan, scope: _Scope, calendars: _Calendars) -> list[Warning]:
    """Say where the sources disagree on a rule this timeline used (SPEC section 1)."""
    names = scope.names
    if not names.disagreements:
        return []
    milestones = scope.milestones
    used: set[str] = set()
    for item in milestones.values():
        used.add(item.rule)
        used.update(item.rule_ids)
    for limit_rule, round_ids in names.cycle_limits:
        if any(item_id in milestones for item_id in round_ids):
            used.add(limit_rule)
    return [warning for rule_id, warning in names.disagreements if rule_id in used]


def _disagreements(plan: Plan) -> list[tuple[str, Warning]]:
    """For each rule the sources disagree on, the warning that says so (once per plan)."""
    found: list[tuple[str, Warning]] = []
    for rule_id, rule in plan.rules.items():
        if not rule.alternatives:
            continue
        others = "; ".join(
            f"{name}: {alt.describe()} ({', '.join(dict.fromkeys(s.short for s in alt.sources))}"
            f"{_period_text(alt)})"
            for name, alt in rule.alternatives.items()
            if name != rule.reading
        )
        seeds = ", ".join(dict.fromkeys(src.short for src in rule.sources))
        every_seed = all(
            src.seed is not None
            for reading in (rule, *rule.alternatives.values())
            for src in reading.sources
        )
        message = (
            f"{rule_id}: this timeline uses {rule.describe()} ({seeds}, reading "
            f"'{rule.reading}'); the {'seeds' if every_seed else 'sources'} also say "
            f"{others}. Choose with --reading {rule_id}=NAME."
        )
        found.append((rule_id, Warning("seeds_disagree", message)))
    return found


def _period_text(reading: Rule | Reading) -> str:
    """``; in force until 2014-11-18``: a dated reading says when it applied."""
    start, end = reading.effective_from, reading.effective_until
    if start and end:
        return f"; in force {start.isoformat()} to {end.isoformat()}"
    if end:
        return f"; in force until {end.isoformat()}"
    return f"; in force from {start.isoformat()}" if start else ""


def _as_of_warning(plan: Plan, scope: _Scope, calendars: _Calendars) -> list[Warning]:
    """Say so when the moment judged lies before events the user gave."""
    now = scope.now_utc
    later = [
        (name, at)
        for name, at in scope.order.events()
        if utc(at) > now and name not in PLANNED_EVENTS  # an expected date is in the future
    ]
    if not later:
        return []
    name, at = max(later, key=lambda item: utc(item[1]))
    return [
        Warning(
            "as_of_before_events",
            (
                f"as_of {wall(scope.now)} is before {name} {wall(at)}: the phase and next action "
                "treat every event given as having happened."
            ),
        )
    ]


def _late_events(plan: Plan, scope: _Scope, calendars: _Calendars) -> list[Warning]:
    """A given event after the deadline that should have ended its step: used as given."""
    found: list[Warning] = []
    scope.locals = _NO_LOCALS
    for check in plan.late_events:
        given = scope.env.get(check.event)
        if not isinstance(given, datetime):
            continue  # most orders lack most of these events: no deadline to work out
        deadline = instant_of(check.deadline(scope))
        if deadline is not None and utc(given) > utc(deadline):
            found.append(
                Warning(
                    "late_event",
                    (
                        f"{check.event} {wall(given)} comes after {wall(deadline)}: "
                        f"{check.meaning}. Check the order page; the timeline uses the dates "
                        "as given."
                    ),
                )
            )
    return found


_BUILTIN_WARNINGS: dict[str, Callable[[Plan, _Scope, _Calendars], list[Warning]]] = {
    "calendars": _calendar_warnings,
    "disagreements": _disagreements_used,
    "as_of": _as_of_warning,
    "late_events": _late_events,
}
"""The engine's own warning groups, in the order they follow the rule set's when it does not
place them."""


def _phase(plan: Plan, scope: _Scope) -> Phase:
    scope.locals = _NO_LOCALS
    index = plan.first_phase(scope, 0)
    return _PHASES[plan.phases[index]] if index >= 0 else Phase.CLOSED


def _next_action(plan: Plan, scope: _Scope, phase: Phase, margin: timedelta) -> NextAction | None:
    spec = plan.phase_specs.get(phase.value)
    if spec is None:
        return None
    scope.locals = _NO_LOCALS
    for step in spec.next:
        if step.when is not None and not step.when(scope):
            continue
        action = step.action.render(scope) or ""
        if_nothing = step.if_nothing.render(scope) if step.if_nothing else None
        milestone_id = step.milestone.render(scope) if step.milestone else None
        item = scope.milestones.get(milestone_id) if milestone_id else None
        if item is None:
            return NextAction(action=action, if_nothing=if_nothing)
        due = item.due(scope.order.timezone)
        if utc(due) <= scope.now_utc:
            # A deadline already past is not the next action: say what its passing means.
            if step.passed is None:
                return None
            return NextAction(action=step.passed.render(scope) or "", milestone=milestone_id)
        return NextAction(
            action=action,
            milestone=milestone_id,
            deadline=due,
            deadline_day=item.day,
            act_by=add_elapsed(due, -margin) if step.buyer else None,
            if_nothing=if_nothing,
        )
    return None


def _traps(plan: Plan, scope: _Scope, phase: Phase) -> list[Warning]:
    spec = plan.phase_specs.get(phase.value)
    if spec is None:
        return []
    found: list[Warning] = []
    scope.locals = _NO_LOCALS
    for code, condition, message in spec.traps:
        if any(item.code == code for item in found):
            continue
        if condition is None or condition(scope):
            text = message.render(scope)
            if text:
                found.append(Warning(code, text))
    return found


def _total_days(plan: Plan, scope: _Scope) -> int | None:
    escalation_id = plan.summary_ids.get("escalation")
    escalation = scope.milestones.get(escalation_id) if escalation_id else None
    env = scope.env
    base = None
    for name in plan.total_days_from:
        if env.get(name):
            base = env[name]
            break
    if escalation is None or escalation.at is None or not isinstance(base, datetime):
        return None
    # In UTC: datetimes sharing a ZoneInfo subtract as wall-clock times (SPEC 2.2).
    return (utc(escalation.at) - utc(base)) // timedelta(days=1)


def _summary(plan: Plan, scope: _Scope) -> Summary:
    ids, milestones = plan.summary_ids, scope.milestones
    end_id, safe_id = ids.get("protection_end"), ids.get("safe_dispute_date")
    escalation_id = ids.get("escalation")
    end = milestones.get(end_id) if end_id else None
    safe = milestones.get(safe_id) if safe_id else None
    escalation = milestones.get(escalation_id) if escalation_id else None
    total_days = scope.env.get("total_days")
    usual = plan.rules[plan.total_days_usual] if plan.total_days_usual else None
    return Summary(
        protection_end=end.at if end else None,
        safe_dispute_date=safe.day if safe else None,
        escalation=escalation.at if escalation else None,
        total_days=total_days,
        total_days_usual=(usual.low, usual.high) if usual and total_days is not None else None,
    )


def _plan_note(plan: Plan, scope: _Scope) -> str | None:
    if plan.plan_note is None:
        return None
    escalation_id = plan.summary_ids.get("escalation")
    escalation = scope.milestones.get(escalation_id) if escalation_id else None
    if escalation is None or scope.env.get("total_days") is None:
        return None
    return plan.plan_note.render(scope.with_locals())
