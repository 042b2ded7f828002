"""The columnar engine: a compiled :class:`Plan` turned into Polars column expressions.

Not a second engine: the same parsed expression trees (:class:`protectcalc.rules.expr.Node`)
that the scalar engine compiles to Python functions are compiled here to column expressions, with
the scalar engine's semantics (SPEC 2: instants compare as instants, N days are N x 24 h of
elapsed time, absent values propagate, a comparison with an absent value is false, a name
is looked up as the scalar scope looks it up: events, inputs, milestones computed so far,
cycle facts, rules). :class:`OutputCompiler` gives, for the orders of one rule set (any
mix of time zones), the stages and the output columns of one output row per order (the
columns of :mod:`protectcalc.batch.rows`), plus a ``_scalar`` flag on every row that must be
computed by the scalar engine instead.

Internally every instant is ``Datetime("us", "UTC")``; local dates and output text use the
row's zone through a :class:`ZoneTable` (per-row UTC offsets; the ``_zone`` column holds the
zone's number in it, ``_tz`` its name). Business days come
from the ``holidays`` package's own ``is_working_day`` answers, as one sorted array of
working days per calendar, searched per row (``search_sorted``), so make-up working days
(China's working Saturdays) count exactly as the scalar engine counts them.

What falls back to the scalar engine (rows flagged ``_scalar``):
  * dates not in the plain ISO forms (``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM[:SS]``): offsets,
    keywords (``today``), numeric day/month forms, fractions of seconds;
    any value the fast checks refuse (every error message comes from the scalar path);
  * a wall time in a daylight-saving gap, a business-day date whose midnight is in a gap;
  * a buyer subdivision; a business-day date outside the years prepared;
  * an order the fast order checks refuse (every error message comes from the scalar path).
What falls back for a whole rule set (:class:`Unsupported` at compile time): effective
periods (dated readings, ``rules_changed``), ``min``/``max`` over milestones, ``item``
with a computed position, and any construct this compiler does not know. Explain texts,
notes, sources and traps are not batch columns, so they are never computed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import polars as pl

from protectcalc.engine.zonetable import ZoneTable
from protectcalc.rules.expr import Node, Template, parse, template
from protectcalc.rules.plan import (
    REPEATED_EVENTS,
    SINGLE_EVENTS,
    CompiledCase,
    CycleNode,
    MilestoneNode,
    Plan,
)
from protectcalc.rules.schema import Calendar, Rule, Unit

UTC_TYPE = pl.Datetime("us", "UTC")
ZONE_COLUMN = "_zone"
"""The row's zone as a number of the :class:`ZoneTable`."""
TZ_COLUMN = "_tz"
"""The row's zone name."""
DAY_US = 86_400_000_000
STRING_INPUTS = (
    "dispute_outcome",
    "payment_method",
    "shipping",
    "buyer_country",
    "seller_country",
)
INT_INPUTS = ("processing_days", "delivery_days")


class Unsupported(Exception):
    """A construct the column compiler cannot express: the rule set runs on the scalar engine."""


# --- values ----------------------------------------------------------------------------


@dataclass
class Mil:
    """A milestone as columns: present, instant (null for a date), local day, and so on."""

    present: pl.Expr
    at: pl.Expr
    day: pl.Expr
    begins: pl.Expr
    projected: pl.Expr
    start: pl.Expr
    uses: dict[str, pl.Expr] = field(default_factory=dict)

    def instant(self) -> pl.Expr:
        return pl.coalesce(self.at, self.begins)


@dataclass
class Fact:
    """A cycle fact (a missed or late step): present, when due, the round, the reply."""

    present: pl.Expr
    at: pl.Expr
    k: pl.Expr
    reply: pl.Expr
    seq: pl.Expr


@dataclass
class V:
    """A compiled value. ``kind`` is static; nullness is per row."""

    kind: str
    expr: pl.Expr | None = None
    mil: Mil | None = None
    rule: Rule | None = None
    items: tuple[pl.Expr, ...] = ()
    fact: Fact | None = None
    table: dict[str, str] | None = None
    choice: tuple[pl.Expr, V, V] | None = None

    def e(self) -> pl.Expr:
        assert self.expr is not None
        return self.expr


NULL = V("null", pl.lit(None))
INSTANT, DATE, DURATION, INT, BOOL, STR = "instant", "date", "duration", "int", "bool", "str"


def _const(value: Any) -> V:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return V(BOOL, pl.lit(value))
    if isinstance(value, int):
        return V(INT, pl.lit(value, dtype=pl.Int64))
    if isinstance(value, str):
        return V(STR, pl.lit(value, dtype=pl.String))
    raise Unsupported(f"constant {value!r}")


def _rule_duration(rule: Rule, high: bool = False) -> timedelta | None:
    amount = rule.high if high else rule.low
    if rule.unit is Unit.HOURS:
        return timedelta(hours=amount)
    if rule.unit in (Unit.DAYS, Unit.BUSINESS_DAYS):
        return timedelta(days=amount)
    return None


def _lit_duration(span: timedelta) -> pl.Expr:
    return pl.lit(span, dtype=pl.Duration("us"))


class Ctx:
    """What names mean while compiling one partition (the scalar ``_Scope``, as columns)."""

    def __init__(self, plan: Plan, zones: ZoneTable, rounds_width: int) -> None:
        self.plan = plan
        self.zones = zones
        self.zone = pl.col(ZONE_COLUMN)
        self.rounds_width = rounds_width
        self.milestones: dict[str, Mil] = {}
        self.facts: dict[str, Fact] = {}
        self.locals: dict[str, V] = {}
        self.rules = dict(plan.rules.items())
        self.seq: pl.Expr = pl.lit(0, dtype=pl.Int64)

    def local_date(self, instant: pl.Expr) -> pl.Expr:
        return self.zones.local_date(self.zone, instant)

    def begins(self, day: pl.Expr) -> pl.Expr:
        """The first instant of a local day (null in a midnight gap: the row falls back)."""
        return self.zones.day_start(self.zone, day)

    def lookup(self, name: str) -> V:
        if name in self.locals:
            return self.locals[name]
        if name in SINGLE_EVENTS:
            return V(INSTANT, pl.col(f"ev_{name}"))
        if name in REPEATED_EVENTS:
            cols = tuple(pl.col(f"ev_{name}_{k}") for k in range(1, self.rounds_width + 1))
            return V("list", pl.col(f"n_{name}"), items=cols)
        if name in INT_INPUTS:
            return V(INT, pl.col(f"in_{name}"))
        if name == "extended":
            return V("intlist", pl.col("in_extended_sum"), items=(pl.col("in_extended_n"),))
        if name in STRING_INPUTS:
            return V(STR, pl.col(f"in_{name}"))
        if name == "rules_label":
            return _const(self.plan.rules.label)
        if name == "total_days":
            return NULL
        if name == "rules":
            return V("ns")
        options: list[V] = []
        conds: list[pl.Expr] = []
        if name in self.milestones:
            mil = self.milestones[name]
            options.append(V("mil", mil=mil))
            conds.append(mil.present)
        if name in self.facts:
            fact = self.facts[name]
            options.append(V("fact", fact=fact))
            conds.append(fact.present)
        if name in self.rules:
            options.append(V("rule", rule=self.rules[name]))
            conds.append(pl.lit(True))
        elif name == "now":
            options.append(V(INSTANT, pl.col("now")))
            conds.append(pl.lit(True))
        elif name in self.plan.tables:
            options.append(V("table", table=self.plan.tables[name]))
            conds.append(pl.lit(True))
        else:
            options.append(NULL)
            conds.append(pl.lit(True))
        value = options[-1]
        for cond, option in zip(reversed(conds[:-1]), reversed(options[:-1]), strict=True):
            value = V("choice", choice=(cond, option, value))
        return value


# --- the generic operations, each the scalar one on columns ---------------------------------


def _split(value: V, build: Callable[[V], V]) -> V:
    """Apply ``build`` to each branch of a name that is a milestone *or* a rule (per row)."""
    if value.choice is None:
        return build(value)
    cond, first, second = value.choice
    a, b = _split(first, build), _split(second, build)
    if a.kind == b.kind and a.kind in (INSTANT, DATE, DURATION, INT, BOOL, STR):
        return V(a.kind, pl.when(cond).then(a.e()).otherwise(b.e()))
    if a.kind == "null" and b.kind != "null" and b.expr is not None:
        return V(b.kind, pl.when(cond).then(pl.lit(None)).otherwise(b.e()))
    if b.kind == "null" and a.kind != "null" and a.expr is not None:
        return V(a.kind, pl.when(cond).then(a.e()).otherwise(pl.lit(None)))
    raise Unsupported(f"a name that is a {a.kind} or a {b.kind}")


def present(value: V) -> V:
    def build(v: V) -> V:
        match v.kind:
            case "null":
                return V(BOOL, pl.lit(False))
            case "mil":
                assert v.mil is not None
                return V(BOOL, v.mil.present)
            case "fact":
                assert v.fact is not None
                return V(BOOL, v.fact.present)
            case "rule" | "table" | "ns" | "bool":
                return V(BOOL, pl.lit(True))
            case "list":
                return V(BOOL, v.e() > 0)
            case "intlist":
                return V(BOOL, v.items[0] > 0)
        return V(BOOL, v.e().is_not_null())

    return build(value) if value.choice is None else _split(value, build)


def truthy(value: V) -> pl.Expr:
    if value.kind == BOOL:
        return value.e().fill_null(False)
    return present(value).e()


def instant_of(value: V) -> V:
    def build(v: V) -> V:
        match v.kind:
            case "instant":
                return v
            case "mil":
                assert v.mil is not None
                return V(INSTANT, v.mil.instant())
            case "fact":
                assert v.fact is not None
                return V(INSTANT, v.fact.at)
        return NULL

    return _split(value, build)


def duration_of(value: V) -> V:
    def build(v: V) -> V:
        if v.kind == DURATION:
            return v
        if v.kind == "rule":
            assert v.rule is not None
            span = _rule_duration(v.rule)
            return NULL if span is None else V(DURATION, _lit_duration(span))
        return NULL

    return _split(value, build)


def number_of(value: V) -> V:
    def build(v: V) -> V:
        if v.kind == INT:
            return v
        if v.kind == "rule":
            assert v.rule is not None
            return _const(v.rule.low) if v.rule.has_number else NULL
        return NULL

    return _split(value, build)


def comparable(value: V) -> V:
    """What a comparison sees (``_comparable`` in expr.py)."""

    def build(v: V) -> V:
        if v.kind in ("null", BOOL, STR, DATE, DURATION, INSTANT, INT):
            return v
        if v.kind in ("mil", "fact"):
            return instant_of(v)
        if v.kind == "rule":
            number = number_of(v)
            return number if number.kind != "null" else duration_of(v)
        raise Unsupported(f"comparing a {v.kind}")

    return _split(value, build)


def _distribute(left: V, right: V, build: Callable[[V, V], V]) -> V:
    """A binary operation over a name that is a milestone in some rows and a rule in others."""
    if left.choice is not None:
        cond, first, second = left.choice
        return _merge(cond, _distribute(first, right, build), _distribute(second, right, build))
    if right.choice is not None:
        cond, first, second = right.choice
        return _merge(cond, _distribute(left, first, build), _distribute(left, second, build))
    return build(left, right)


def _merge(cond: pl.Expr, a: V, b: V) -> V:
    if a.kind == "null" and b.kind == "null":
        return NULL
    if a.kind == "null":
        return V(b.kind, pl.when(cond).then(None).otherwise(b.e()))
    if b.kind == "null":
        return V(a.kind, pl.when(cond).then(a.e()).otherwise(None))
    if a.kind != b.kind:
        raise Unsupported(f"a value that is a {a.kind} or a {b.kind}")
    return V(a.kind, pl.when(cond).then(a.e()).otherwise(b.e()))


def compare(operator: str, left: V, right: V) -> V:
    return _distribute(left, right, lambda a, b: _compare(operator, a, b))


def arith(operator: str, left: V, right: V) -> V:
    return _distribute(left, right, lambda a, b: _arith(operator, a, b))


def _compare(operator: str, left: V, right: V) -> V:
    a, b = comparable(left), comparable(right)
    if operator in ("==", "!="):
        if a.kind == "null" or b.kind == "null":
            other = b if a.kind == "null" else a
            same = pl.lit(True) if other.kind == "null" else other.e().is_null()
        elif a.kind != b.kind:
            same = a.e().is_null() & b.e().is_null()
        else:
            same = (a.e() == b.e()).fill_null(False) | (a.e().is_null() & b.e().is_null())
        return V(BOOL, same if operator == "==" else ~same)
    if a.kind == "null" or b.kind == "null" or a.kind != b.kind or a.kind == BOOL:
        return V(BOOL, pl.lit(False))
    x, y = a.e(), b.e()
    result = {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[operator]
    return V(BOOL, result.fill_null(False))


def _arith(operator: str, left: V, right: V) -> V:
    if left.kind == "null" or right.kind == "null":
        return NULL
    moment = instant_of(left)
    if moment.kind != "null":
        span = duration_of(right)
        if span.kind != "null":
            return V(INSTANT, moment.e() + span.e() if operator == "+" else moment.e() - span.e())
        other = instant_of(right)
        if other.kind != "null" and operator == "-":
            return V(DURATION, moment.e() - other.e())
        return NULL
    a, b = number_of(left), number_of(right)
    if a.kind != "null" and b.kind != "null":
        return V(INT, a.e() + b.e() if operator == "+" else a.e() - b.e())
    da, db = duration_of(left), duration_of(right)
    if da.kind != "null" and db.kind != "null":
        return V(DURATION, da.e() + db.e() if operator == "+" else da.e() - db.e())
    return NULL


def attribute(ctx: Ctx, value: V, name: str) -> V:
    def build(v: V) -> V:
        match v.kind:
            case "null":
                return NULL
            case "instant":
                return V(DATE, ctx.local_date(v.e())) if name == "day" else NULL
            case "date":
                return v if name == "day" else NULL
            case "mil":
                mil = v.mil
                assert mil is not None
                absent = ~mil.present
                if name == "at":
                    return V(INSTANT, pl.when(absent).then(None).otherwise(mil.at))
                if name == "day":
                    return V(DATE, pl.when(absent).then(None).otherwise(mil.day))
                if name == "start":
                    return V(INSTANT, pl.when(absent).then(None).otherwise(mil.start))
                if name == "projected":
                    return V(BOOL, pl.when(absent).then(None).otherwise(mil.projected))
                return NULL
            case "fact":
                fact = v.fact
                assert fact is not None
                found = {
                    "k": (INT, fact.k),
                    "at": (INSTANT, fact.at),
                    "reply": (INSTANT, fact.reply),
                }
                if name not in found:
                    return NULL
                kind, expr = found[name]
                return V(kind, pl.when(fact.present).then(expr).otherwise(None))
            case "rule":
                rule = v.rule
                assert rule is not None
                if name in ("low", "high"):
                    amount = rule.low if name == "low" else rule.high
                    if rule.unit is Unit.HOURS:
                        return V(DURATION, _lit_duration(timedelta(hours=amount)))
                    if rule.unit is Unit.COUNT:
                        return _const(amount)
                    return V(DURATION, _lit_duration(timedelta(days=amount)))
                return _const(rule.low) if name == "value" else NULL
            case "ns":
                return V("rule", rule=ctx.rules[name]) if name in ctx.rules else NULL
        raise Unsupported(f"attribute {name} of a {v.kind}")

    return _split(value, build)


def call(ctx: Ctx, name: str, args: list[V], nodes: Sequence[Node]) -> V:
    match name:
        case "present":
            return present(args[0])
        case "absent":
            return V(BOOL, ~present(args[0]).e())
        case "count":
            value = args[0]
            if value.kind == "list":
                return V(INT, value.e())
            if value.kind == "intlist":
                return V(INT, value.items[0])
            return V(INT, present(value).e().cast(pl.Int64))
        case "sum":
            value = args[0]
            if value.kind == "intlist":
                return V(INT, value.e())
            if value.kind == "list":
                return _const(0)
            number = number_of(value)
            return _const(0) if number.kind == "null" else V(INT, number.e().fill_null(0))
        case "item":
            if args[0].kind != "list":
                raise Unsupported("item() of something other than a repeated event")
            if nodes[1].kind == "const":
                position = nodes[1].value
                if not isinstance(position, int) or not 1 <= position <= len(args[0].items):
                    return NULL
                return V(INSTANT, args[0].items[position - 1])
            index = number_of(args[1])
            if index.kind != INT:
                return NULL
            picked: pl.Expr = pl.lit(None, dtype=UTC_TYPE)
            for k, item in reversed(list(enumerate(args[0].items, 1))):
                picked = pl.when(index.e() == k).then(item).otherwise(picked)
            return V(INSTANT, picked)
        case "days" | "hours":
            number = number_of(args[0])
            if number.kind == "null":
                return NULL
            unit = DAY_US if name == "days" else DAY_US // 24
            return V(DURATION, (number.e() * unit).cast(pl.Duration("us")))
        case "date":
            value = args[0]
            if value.kind == DATE:
                return value
            if value.kind == "mil":
                return attribute(ctx, value, "day")
            moment = instant_of(value)
            return NULL if moment.kind == "null" else V(DATE, ctx.local_date(moment.e()))
        case "left":
            moment = instant_of(args[0])
            if moment.kind == "null":
                return NULL
            return V(DURATION, moment.e() - pl.col("now"))
    raise Unsupported(f"function {name}()")


def compile_value(ctx: Ctx, node: Node) -> V:
    """A parsed expression as a column value, with the scalar engine's semantics."""
    match node.kind:
        case "const":
            return _const(node.value)
        case "name":
            return ctx.lookup(node.value)
        case "attr":
            return attribute(ctx, compile_value(ctx, node.children[0]), node.value)
        case "index":
            base, key = (compile_value(ctx, child) for child in node.children)
            if base.kind != "table" or key.kind not in (STR, "null"):
                raise Unsupported("an index into something other than a table")
            if key.kind == "null":
                return NULL
            assert base.table is not None
            found: pl.Expr = pl.lit(None, dtype=pl.String)
            for entry, text in base.table.items():
                found = pl.when(key.e() == entry).then(pl.lit(text)).otherwise(found)
            return V(STR, found)
        case "not":
            return V(BOOL, ~truthy(compile_value(ctx, node.children[0])))
        case "and" | "or":
            left, right = (truthy(compile_value(ctx, child)) for child in node.children)
            return V(BOOL, left & right if node.kind == "and" else left | right)
        case "compare":
            a, b = (compile_value(ctx, child) for child in node.children)
            return compare(node.value, a, b)
        case "arith":
            a, b = (compile_value(ctx, child) for child in node.children)
            return arith(node.value, a, b)
        case "negate":
            number = number_of(compile_value(ctx, node.children[0]))
            return NULL if number.kind == "null" else V(INT, -number.e())
        case "call":
            if node.value in ("min", "max"):
                return _pick(ctx, node)
            args = [compile_value(ctx, child) for child in node.children]
            return call(ctx, node.value, args, node.children)
    raise Unsupported(f"expression {node.kind}")


def _pick(ctx: Ctx, node: Node) -> V:
    values = [instant_of(compile_value(ctx, child)) for child in node.children]
    if any(compile_value(ctx, child).kind not in (INSTANT, "null") for child in node.children):
        raise Unsupported(f"{node.value}() over milestones")
    exprs = [value.e() for value in values if value.kind != "null"]
    if not exprs:
        return NULL
    picked = pl.min_horizontal(*exprs) if node.value == "min" else pl.max_horizontal(*exprs)
    return V(INSTANT, picked)


def expression(ctx: Ctx, text: str | None, **local: V) -> V:
    saved = ctx.locals
    ctx.locals = local
    try:
        return compile_value(ctx, parse(text)) if text is not None else V(BOOL, pl.lit(True))
    finally:
        ctx.locals = saved


def renders(ctx: Ctx, text: str, **local: V) -> pl.Expr:
    """True where a template renders (every placeholder has a value), as ``render`` decides."""
    compiled: Template = template(text)
    ok: pl.Expr = pl.lit(True)
    saved = ctx.locals
    ctx.locals = local
    try:
        for part in compiled.parts:
            if isinstance(part, str):
                continue
        for body, filter_name in _placeholders(text):
            value = compile_value(ctx, parse(body))
            if filter_name == "date":
                value = call(ctx, "date", [value], ())
            elif filter_name == "time":
                value = instant_of(value)
            elif filter_name == "span":
                value = duration_of(value)
            ok = ok & present(value).e()
    finally:
        ctx.locals = saved
    return ok


def render_text(ctx: Ctx, text: str) -> V:
    """A template whose placeholders are numbers or text, rendered per row (null if any is)."""
    parts: list[pl.Expr] = []
    position = 0
    import re

    for match in re.finditer(r"\{([^{}]+)\}", text):
        parts.append(pl.lit(text[position : match.start()]))
        body, _, filter_name = match.group(1).partition("|")
        if filter_name.strip():
            raise Unsupported("a filter in a milestone name")
        value = compile_value(ctx, parse(body))
        if value.kind == "rule":
            value = number_of(value)
        if value.kind not in (INT, STR):
            raise Unsupported(f"a {value.kind} in a milestone name")
        parts.append(value.e().cast(pl.String))
        position = match.end()
    parts.append(pl.lit(text[position:]))
    return V(STR, pl.concat_str(parts))


def _placeholders(text: str) -> Iterable[tuple[str, str]]:
    import re

    for match in re.finditer(r"\{([^{}]+)\}", text):
        body, _, filter_name = match.group(1).partition("|")
        yield body, filter_name.strip()


# --- business days ---------------------------------------------------------------------------


class WorkingDays:
    """Every calendar's working days in one sorted array: key = calendar << 20 | epoch day."""

    SHIFT = 20

    def __init__(self, years: tuple[int, int]) -> None:
        self.years = years
        self.ids: dict[str | None, int] = {}
        self.last: dict[str | None, int | None] = {}
        self.span: dict[str | None, tuple[int, int]] = {}
        self.keys: list[int] = []

    def add(self, country: str | None) -> None:
        from protectcalc.calendars import (
            _country_years,
            _weekends_only,
            last_scheduled_year,
        )

        if country in self.ids:
            return
        cal_id = len(self.ids)
        self.ids[country] = cal_id
        first, last_year = self.years
        calendar = (
            _weekends_only((first, last_year))
            if country is None
            else _country_years(country, None, (first, last_year), "buyer_country")
        )
        self.last[country] = last_scheduled_year(calendar)
        self.span[country] = (int(calendar.start_year), int(calendar.end_year))
        day, end = date(first, 1, 1), date(last_year, 12, 31)
        epoch = date(1970, 1, 1)
        while day <= end:
            if calendar.is_working_day(day):
                self.keys.append((cal_id << self.SHIFT) | (day - epoch).days)
            day += timedelta(days=1)

    def series(self) -> pl.Series:
        return pl.Series("working_days", sorted(self.keys), dtype=pl.Int64)


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class _Calendar:
    """One business-day milestone's calendar bookkeeping, as columns."""

    used: pl.Expr
    country: pl.Expr
    buyer: bool
    first_year: pl.Expr
    day_year: pl.Expr


class PlanCompiler:
    """Compile one plan for one zone into stages of ``with_columns``."""

    def __init__(
        self,
        plan: Plan,
        zones: ZoneTable,
        rounds_width: int,
        calendars: WorkingDays,
        countries: list[str],
    ) -> None:
        from protectcalc.rules.plan import _boundaries

        if _boundaries(plan.rules):
            raise Unsupported("effective periods (dated readings)")
        self.plan = plan
        self.ctx = Ctx(plan, zones, rounds_width)
        self.cal = calendars
        self.countries = countries
        self.stages: list[list[pl.Expr]] = []
        self.bd: list[_Calendar] = []
        self.dated: set[str] = set()
        """Milestones with a business-day case: present, they may be a date without an instant."""
        self.fallback: list[pl.Expr] = []
        self.cycle_used: dict[str, pl.Expr] = {}
        self.tracked = [rule_id for rule_id, rule in plan.rules.items() if rule.alternatives]
        self.cycle_limit_used: list[tuple[str, pl.Expr]] = []

    # materialise a milestone into columns, so later stages read small expressions
    def _store(self, name: str, mil: Mil) -> Mil:
        prefix = f"m__{name}__"
        exprs = [
            mil.present.fill_null(False).alias(prefix + "present"),
            pl.when(mil.present).then(mil.at).otherwise(None).cast(UTC_TYPE).alias(prefix + "at"),
            pl.when(mil.present).then(mil.day).otherwise(None).cast(pl.Date).alias(prefix + "day"),
            pl.when(mil.present)
            .then(mil.begins)
            .otherwise(None)
            .cast(UTC_TYPE)
            .alias(prefix + "begins"),
            mil.projected.fill_null(False).alias(prefix + "projected"),
            pl.when(mil.present)
            .then(mil.start)
            .otherwise(None)
            .cast(UTC_TYPE)
            .alias(prefix + "start"),
        ]
        uses = {}
        for rule_id, used in mil.uses.items():
            exprs.append((used & mil.present).fill_null(False).alias(f"{prefix}uses__{rule_id}"))
            uses[rule_id] = pl.col(f"{prefix}uses__{rule_id}")
        self.stages.append(exprs)
        zones = self.ctx.zones
        self.fallback.append(
            pl.col(prefix + "present")
            & (
                zones.outside(pl.col(prefix + "at"))
                | zones.outside(pl.col(prefix + "begins"))
                | (
                    pl.col(prefix + "at").is_null()
                    & pl.col(prefix + "day").is_not_null()
                    & pl.col(prefix + "begins").is_null()
                )
            )
        )
        stored = Mil(
            present=pl.col(prefix + "present"),
            at=pl.col(prefix + "at"),
            day=pl.col(prefix + "day"),
            begins=pl.col(prefix + "begins"),
            projected=pl.col(prefix + "projected"),
            start=pl.col(prefix + "start"),
            uses=uses,
        )
        self.ctx.milestones[name] = stored
        return stored

    def _uses(self, rule_ids: Iterable[str]) -> dict[str, pl.Expr]:
        found: dict[str, pl.Expr] = {}
        for rule_id in rule_ids:
            if rule_id.startswith("@"):
                other = self.ctx.milestones.get(rule_id[1:])
                if other is None:
                    continue
                for key, used in other.uses.items():
                    found[key] = found.get(key, pl.lit(False)) | (used & other.present)
            elif rule_id in self.tracked:
                found[rule_id] = pl.lit(True)
        return found

    def compile(self) -> None:
        for node in self.plan.nodes:
            if isinstance(node, CycleNode):
                self._cycle(node)
            else:
                self._milestone(node)

    def _calendar_country(self, rule: Rule) -> tuple[pl.Expr, bool]:
        match rule.calendar:
            case Calendar.PLATFORM:
                return pl.lit(self.plan.platform_calendar, dtype=pl.String), False
            case Calendar.SELLER:
                return pl.col("in_seller_country"), False
        return pl.col("in_buyer_country"), True

    def _business_days(self, anchor: pl.Expr, rule: Rule, amount: int) -> tuple[pl.Expr, _Calendar]:
        country, buyer = self._calendar_country(rule)
        local = self.ctx.local_date(anchor)
        epoch_day = local.cast(pl.Int64)
        if amount == 0:
            day = local
        else:
            mapping = {key: value for key, value in self.cal.ids.items() if key is not None}
            cal_id = (
                country.replace_strict(mapping, default=None, return_dtype=pl.Int64)
                if mapping
                else pl.lit(None, dtype=pl.Int64)
            )
            cal_id = pl.when(country.is_null()).then(self.cal.ids[None]).otherwise(cal_id)
            key = (cal_id * (1 << WorkingDays.SHIFT)) + epoch_day
            series = pl.lit(self.cal.series())
            index = series.search_sorted(key, side="right") + (amount - 1)
            size = len(self.cal.keys)
            found = series.gather(index.clip(0, size - 1).cast(pl.Int64))
            good = (index < size) & ((found // (1 << WorkingDays.SHIFT)) == cal_id)
            key_name = f"bd__{len(self.stages)}__"
            self.stages.append(
                [
                    (anchor.is_not_null() & ~good.fill_null(False)).alias(key_name + "bad"),
                    (found % (1 << WorkingDays.SHIFT))
                    .cast(pl.Int32)
                    .cast(pl.Date)
                    .alias(key_name + "day"),
                ]
            )
            self.fallback.append(pl.col(key_name + "bad"))
            day = pl.col(key_name + "day")
        first_year = (local + pl.duration(days=1)).dt.year()
        return day, _Calendar(pl.lit(True), country, buyer, first_year, day.dt.year())

    def _case(
        self, node: MilestoneNode, case: CompiledCase
    ) -> tuple[pl.Expr, Mil, _Calendar | None]:
        ctx = self.ctx
        when = truthy(expression(ctx, case.when_text)) if case.when_text else pl.lit(True)
        rule_ids = case.rule_ids
        if case.event is not None:
            given = ctx.lookup(case.event).e()
            mil = Mil(
                given.is_not_null(),
                given,
                ctx.local_date(given),
                pl.lit(None, dtype=UTC_TYPE),
                pl.lit(False),
                pl.lit(None, dtype=UTC_TYPE),
                {},
            )
            return when & given.is_not_null(), mil, None
        anchor_value = expression(ctx, case.spec.from_)
        anchor_v = instant_of(anchor_value)
        if anchor_v.kind == "null":
            return pl.lit(False), self._absent(), None
        anchor = anchor_v.e()
        ok = anchor.is_not_null()
        if case.projected is not None:
            projected: pl.Expr = pl.lit(case.projected)
        else:
            projected = (
                attribute(ctx, anchor_value, "projected").e()
                if anchor_value.kind in ("mil", "choice")
                else pl.lit(False)
            )
            projected = projected.fill_null(False)
        calendar = None
        at: pl.Expr
        day: pl.Expr
        if case.add_rule is not None:
            rule = self.plan.rules[case.add_rule]
            amount = rule.high if case.add_high else rule.low
            if rule.unit is Unit.BUSINESS_DAYS:
                day, calendar = self._business_days(anchor, rule, amount)
                at = pl.lit(None, dtype=UTC_TYPE)
            else:
                span = self.plan.rules.elapsed(case.add_rule, high=case.add_high)
                at = anchor + _lit_duration(span)
                day = ctx.local_date(at)
        elif case.add_days is not None:
            days = number_of(expression(ctx, case.spec.add_days))
            if days.kind == "null":
                return pl.lit(False), self._absent(), None
            ok = ok & days.e().is_not_null()
            at = anchor + (days.e() * DAY_US).cast(pl.Duration("us"))
            day = ctx.local_date(at)
        elif case.subtract_rule is not None:
            at = anchor - _lit_duration(self.plan.rules.elapsed(case.subtract_rule))
            day = ctx.local_date(at)
        else:
            at, day = anchor, ctx.local_date(anchor)
        if case.spec.floor is not None and calendar is None:  # instants only
            floor = instant_of(expression(ctx, case.spec.floor))
            if floor.kind != "null":
                higher = floor.e().is_not_null() & (floor.e() >= at)
                at = pl.when(higher).then(floor.e()).otherwise(at)
                day = ctx.local_date(at)
        start = anchor
        if case.spec.start is not None:
            given_start = instant_of(expression(ctx, case.spec.start))
            if given_start.kind != "null":
                start = pl.coalesce(given_start.e(), anchor)
        # a business-day date whose midnight is skipped: the row falls back (``_store``)
        begins = ctx.begins(day) if calendar is not None else pl.lit(None, dtype=UTC_TYPE)
        mil = Mil(ok, at, day, begins, projected, start, self._uses(rule_ids))
        return when & ok, mil, calendar

    @staticmethod
    def _absent() -> Mil:
        none = pl.lit(None, dtype=UTC_TYPE)
        return Mil(pl.lit(False), none, pl.lit(None, dtype=pl.Date), none, pl.lit(False), none)

    def _milestone(self, node: MilestoneNode) -> None:
        chosen: list[tuple[pl.Expr, Mil, _Calendar | None]] = [
            self._case(node, case) for case in node.cases
        ]
        # first case that holds wins: fold from the last
        result = self._absent()
        calendar_used: list[tuple[pl.Expr, _Calendar]] = []
        taken: pl.Expr = pl.lit(False)
        for cond, _, calendar in chosen:
            if calendar is not None:
                calendar_used.append((cond & ~taken, calendar))
            taken = taken | cond
        for cond, mil, _ in reversed(chosen):
            uses_keys = set(result.uses) | set(mil.uses)
            result = Mil(
                present=pl.when(cond).then(True).otherwise(result.present),
                at=pl.when(cond).then(mil.at).otherwise(result.at),
                day=pl.when(cond).then(mil.day).otherwise(result.day),
                begins=pl.when(cond).then(mil.begins).otherwise(result.begins),
                projected=pl.when(cond).then(mil.projected).otherwise(result.projected),
                start=pl.when(cond).then(mil.start).otherwise(result.start),
                uses={
                    key: pl.when(cond)
                    .then(mil.uses.get(key, pl.lit(False)))
                    .otherwise(result.uses.get(key, pl.lit(False)))
                    for key in uses_keys
                },
            )
        self._store(node.id, result)
        if calendar_used:
            self.dated.add(node.id)
        for used, calendar in calendar_used:
            key = f"bdu__{len(self.bd)}__"
            self.stages.append(
                [
                    used.fill_null(False).alias(key + "used"),
                    calendar.first_year.alias(key + "first"),
                    calendar.day_year.alias(key + "year"),
                ]
            )
            self.bd.append(
                replace(
                    calendar,
                    used=pl.col(key + "used"),
                    first_year=pl.col(key + "first"),
                    day_year=pl.col(key + "year"),
                )
            )

    def _cycle(self, node: CycleNode) -> None:
        ctx = self.ctx
        rules = self.plan.rules
        start_at: pl.Expr = pl.lit(None, dtype=UTC_TYPE)
        start_projected: pl.Expr = pl.lit(False)
        found: pl.Expr = pl.lit(False)
        for spec, start in zip(node.spec.start, node.starts, strict=True):
            cond = truthy(expression(ctx, spec.when)) if spec.when else pl.lit(True)
            moment = instant_of(expression(ctx, spec.at))
            if moment.kind == "null":
                continue
            take = ~found & cond & moment.e().is_not_null()
            start_at = pl.when(take).then(moment.e()).otherwise(start_at)
            start_projected = pl.when(take).then(pl.lit(start.projected)).otherwise(start_projected)
            found = found | take
        self.stages.append(
            [
                found.alias("c__started"),
                start_at.cast(UTC_TYPE).alias("c__start"),
                start_projected.alias("c__start_projected"),
            ]
        )
        started, start_col, start_proj = (
            pl.col("c__started"),
            pl.col("c__start"),
            pl.col("c__start_projected"),
        )
        stop_at = (
            pl.coalesce(*(pl.col(f"ev_{name}") for name in node.stop))
            if node.stop
            else (pl.lit(None, dtype=UTC_TYPE))
        )
        limit_at: pl.Expr | None = None
        if node.limit_rule is not None and rules[node.limit_rule].unit is Unit.DAYS:
            limit_at = start_col + _lit_duration(timedelta(days=rules[node.limit_rule].low))
        # state
        self.stages.append(
            [
                start_col.alias("c__cursor"),
                start_proj.alias("c__cproj"),
                (~started).alias("c__stopped"),
                pl.lit(False).alias("c__last_set"),
                pl.lit(None, dtype=UTC_TYPE).alias("c__last_at"),
                pl.lit(False).alias("c__last_proj"),
                pl.lit(0, dtype=pl.Int64).alias("c__seq"),
            ]
        )
        fact_names = sorted({n for s in node.steps for n in (s.missed, s.late) if n})
        for name in fact_names:
            self.stages.append(
                [
                    pl.lit(False).alias(f"f__{name}__present"),
                    pl.lit(None, dtype=UTC_TYPE).alias(f"f__{name}__at"),
                    pl.lit(None, dtype=pl.Int64).alias(f"f__{name}__k"),
                    pl.lit(None, dtype=UTC_TYPE).alias(f"f__{name}__reply"),
                    pl.lit(None, dtype=pl.Int64).alias(f"f__{name}__seq"),
                ]
            )
        cursor, cproj, stopped = pl.col("c__cursor"), pl.col("c__cproj"), pl.col("c__stopped")
        output_ids: list[str] = []
        for k in range(1, node.rounds + 1):
            halt = stop_at.is_not_null() & (cursor >= stop_at)
            if limit_at is not None:
                halt = halt | (cproj & (cursor >= limit_at))
            self.stages.append([(stopped | halt.fill_null(False)).alias("c__stopped")])
            for step in node.steps:
                due = cursor + _lit_duration(rules.elapsed(step.add_rule))
                milestone_id = f"{step.id}_{k}"
                output_ids.append(milestone_id)
                mil = Mil(
                    ~stopped,
                    due,
                    ctx.local_date(due),
                    pl.lit(None, dtype=UTC_TYPE),
                    cproj,
                    cursor,
                    {step.add_rule: pl.lit(True)} if step.add_rule in self.tracked else {},
                )
                self._store(milestone_id, mil)
                reply_col = (
                    pl.col(f"ev_{step.reply}_{k}")
                    if k <= ctx.rounds_width
                    else pl.lit(None, dtype=UTC_TYPE)
                )
                has_reply = reply_col.is_not_null()
                active = ~stopped
                facts_now: list[pl.Expr] = []
                seq_add: pl.Expr = pl.lit(0, dtype=pl.Int64)
                # a late real reply
                if step.late:
                    late = active & has_reply & ~cproj & (reply_col > due)
                    new = late & ~pl.col(f"f__{step.late}__present")
                    facts_now += self._set_fact(step.late, new, due, k, reply_col)
                    seq_add = seq_add + new.cast(pl.Int64)
                stop_here = active & ~has_reply & stop_at.is_not_null()
                missed = active & ~has_reply & stop_at.is_null() & ~cproj & (pl.col("now") > due)
                if step.missed:
                    new = missed & ~pl.col(f"f__{step.missed}__present")
                    facts_now += self._set_fact(
                        step.missed, new, due, k, pl.lit(None, dtype=UTC_TYPE)
                    )
                    seq_add = seq_add + new.cast(pl.Int64)
                local = {"from": V(INSTANT, cursor), "due": V(INSTANT, due), "k": _const(k)}
                planned = instant_of(expression(ctx, step_plan_text(node, step.id), **local))
                planned_e = planned.e() if planned.kind != "null" else pl.lit(None, dtype=UTC_TYPE)
                plan_path = active & ~has_reply & ~stop_here & ~missed
                no_plan = plan_path & planned_e.is_null()
                self.stages.append(
                    [
                        *facts_now,
                        (pl.col("c__seq") + seq_add).alias("c__seq"),
                        pl.when(active & has_reply)
                        .then(reply_col)
                        .when(plan_path)
                        .then(planned_e)
                        .otherwise(cursor)
                        .alias("c__cursor"),
                        pl.when(active & has_reply)
                        .then(False)
                        .when(plan_path)
                        .then(True)
                        .otherwise(cproj)
                        .alias("c__cproj"),
                        (stopped | stop_here | missed | no_plan)
                        .fill_null(True)
                        .alias("c__stopped"),
                    ]
                )
            if k == node.rounds:
                self.stages.append(
                    [
                        (~stopped).alias("c__last_set"),
                        pl.when(~stopped).then(cursor).otherwise(None).alias("c__last_at"),
                        pl.when(~stopped).then(cproj).otherwise(False).alias("c__last_proj"),
                    ]
                )
        for name in fact_names:
            self.ctx.facts[name] = Fact(
                pl.col(f"f__{name}__present"),
                pl.col(f"f__{name}__at"),
                pl.col(f"f__{name}__k"),
                pl.col(f"f__{name}__reply"),
                pl.col(f"f__{name}__seq"),
            )
        self._cycle_end(node, started, start_col, start_proj, limit_at, output_ids)

    def _set_fact(
        self, name: str, new: pl.Expr, due: pl.Expr, k: int, reply: pl.Expr
    ) -> list[pl.Expr]:
        prefix = f"f__{name}__"
        return [
            (pl.col(prefix + "present") | new).alias(prefix + "present"),
            pl.when(new).then(due).otherwise(pl.col(prefix + "at")).alias(prefix + "at"),
            pl.when(new).then(k).otherwise(pl.col(prefix + "k")).alias(prefix + "k"),
            pl.when(new).then(reply).otherwise(pl.col(prefix + "reply")).alias(prefix + "reply"),
            pl.when(new)
            .then(pl.col("c__seq"))
            .otherwise(pl.col(prefix + "seq"))
            .alias(prefix + "seq"),
        ]

    def _cycle_end(
        self,
        node: CycleNode,
        started: pl.Expr,
        start_at: pl.Expr,
        start_proj: pl.Expr,
        limit_at: pl.Expr | None,
        output_ids: list[str],
    ) -> None:
        ctx = self.ctx
        given = pl.col(f"ev_{node.end_event}") if node.end_event else pl.lit(None, dtype=UTC_TYPE)
        none_when = (
            truthy(expression(ctx, node.spec.end.none_when))
            if node.end_none_when
            else pl.lit(False)
        )
        has_given = started & given.is_not_null()
        nothing = started & ~has_given & none_when
        use_limit = started & ~has_given & ~nothing & pl.lit(limit_at is not None)
        use_last = started & ~has_given & ~nothing & ~use_limit & pl.col("c__last_set")
        if limit_at is not None:
            # drop projected milestones of the cycle after the limit
            stage = []
            for milestone_id in output_ids:
                mil = ctx.milestones[milestone_id]
                drop = use_limit & mil.present & mil.projected & (mil.at > limit_at)
                stage.append(
                    (mil.present & ~drop.fill_null(False)).alias(f"m__{milestone_id}__present")
                )
            self.stages.append(stage)
        at = (
            pl.when(has_given)
            .then(given)
            .when(use_limit)
            .then(limit_at if limit_at is not None else pl.lit(None))
            .when(use_last)
            .then(pl.col("c__last_at"))
            .otherwise(None)
        )
        projected = (
            pl.when(has_given)
            .then(False)
            .when(use_limit)
            .then(start_proj)
            .when(use_last)
            .then(pl.col("c__last_proj") | pl.lit(node.end_last_projected))
            .otherwise(False)
        )
        present_ = has_given | use_limit | use_last
        uses: dict[str, pl.Expr] = {}
        if node.limit_rule in self.tracked:
            uses[node.limit_rule] = use_limit
        if node.rounds_rule in self.tracked:
            uses[node.rounds_rule] = use_last
        self._store(
            node.end_id,
            Mil(
                present_,
                at,
                ctx.local_date(at),
                pl.lit(None, dtype=UTC_TYPE),
                projected,
                start_at,
                uses,
            ),
        )
        if node.limit_rule is not None:
            any_output = pl.lit(False)
            for milestone_id in output_ids:
                any_output = any_output | ctx.milestones[milestone_id].present
            self.cycle_limit_used.append((node.limit_rule, any_output))


def step_plan_text(node: CycleNode, step_id: str) -> str:
    for step in node.spec.steps:
        if step.id == step_id:
            return step.plan
    raise Unsupported(f"step {step_id}")  # pragma: no cover


# --- phase, next action, summary, warnings: the output row --------------------------------------


def iso(instant: pl.Expr, ctx: Ctx) -> pl.Expr:
    """``jsonout.iso``: ISO 8601 with the offset, to the minute unless seconds are set.

    The minutes, then ``:SS`` only where the seconds are set, then the offset (null where the
    instant is): a quarter faster than writing the seconds on every row and cutting them off.
    """
    local, offset_text = ctx.zones.local_and_text(ctx.zone, instant)
    seconds = (local.dt.epoch("us") % 60_000_000) != 0
    return pl.concat_str(
        local.dt.strftime("%Y-%m-%dT%H:%M"),
        pl.when(seconds).then(local.dt.strftime(":%S")).otherwise(pl.lit("")),
        offset_text,
    )


class OutputCompiler(PlanCompiler):
    """The plan's milestones plus everything an output row holds."""

    def milestone_value(self, milestone_id: str) -> pl.Expr:
        mil = self.ctx.milestones.get(milestone_id)
        if mil is None:
            return pl.lit(None, dtype=pl.String)
        if milestone_id not in self.dated:  # always an instant: no date text to write as well
            return pl.when(mil.present).then(iso(mil.at, self.ctx)).otherwise(None)
        text = (
            pl.when(mil.at.is_not_null())
            .then(iso(mil.at, self.ctx))
            .otherwise(mil.day.dt.strftime("%Y-%m-%d"))
        )
        return pl.when(mil.present).then(text).otherwise(None)

    def phase(self) -> pl.Expr:
        result: pl.Expr = pl.lit("closed")
        for rule in reversed(self.plan.rules.data.phases):
            cond = truthy(expression(self.ctx, rule.when))
            result = pl.when(cond).then(pl.lit(rule.phase)).otherwise(result)
        return result

    def outputs(self, milestone_ids: list[str]) -> tuple[list[pl.Expr], pl.Expr]:
        """The output columns (named as in rows.output_columns) and the fallback flag."""
        from protectcalc.batch.rows import milestone_column

        ctx = self.ctx
        self.stages.append([self.phase().alias("o__phase")])
        next_milestone, deadline, act_by = self.next_action(pl.col("o__phase"))
        self.stages.append(
            [
                next_milestone.alias("o__next_m"),
                deadline.cast(UTC_TYPE).alias("o__next_dl"),
                act_by.cast(UTC_TYPE).alias("o__next_ab"),
            ]
        )
        next_milestone, deadline, act_by = (
            pl.col("o__next_m"),
            pl.col("o__next_dl"),
            pl.col("o__next_ab"),
        )
        summary = self.summary()
        warnings, warn_fallback = self.warnings()
        self.stages.append([warnings.alias("o__warnings"), warn_fallback.alias("o__warn_fb")])
        warnings, warn_fallback = pl.col("o__warnings"), pl.col("o__warn_fb")
        columns = [
            pl.col("order_id"),
            pl.lit(self.plan.rules.label).alias("rules"),
            pl.col(TZ_COLUMN).alias("timezone"),
            pl.col("o__phase").alias("phase"),
            *(self.milestone_value(m).alias(milestone_column(m)) for m in milestone_ids),
            next_milestone.alias("next_milestone"),
            iso(deadline, ctx).alias("next_deadline"),
            iso(act_by, ctx).alias("next_act_by"),
            *summary,
            warnings.alias("warnings"),
            pl.lit(None, dtype=pl.String).alias("error"),
        ]
        flags = [*self.fallback, warn_fallback]
        self.stages.append(
            [flag.fill_null(False).alias(f"fb__{i}") for i, flag in enumerate(flags)]
        )
        fallback = pl.any_horizontal(pl.col(f"fb__{i}") for i in range(len(flags)))
        return columns, fallback

    def _find(self, milestone_id: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        """Is there a milestone with this (per-row) id, and its due instant."""
        found: pl.Expr = pl.lit(False)
        due: pl.Expr = pl.lit(None, dtype=UTC_TYPE)
        for name, mil in self.ctx.milestones.items():
            hit = (milestone_id == name) & mil.present
            found = pl.when(hit).then(True).otherwise(found)
            due = pl.when(hit).then(mil.instant()).otherwise(due)
        return found.fill_null(False), due

    def next_action(self, phase: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        none_s, none_t = pl.lit(None, dtype=pl.String), pl.lit(None, dtype=UTC_TYPE)
        result = (none_s, none_t, none_t)
        margin = self.plan.rules.elapsed(self.plan.margin_rule) if self.plan.margin_rule else None
        specs = dict(self.plan.rules.data.phase.items())
        for phase_id, spec in specs.items():
            if phase_id not in self.plan.phase_specs:
                continue
            chosen = (none_s, none_t, none_t)
            for step in reversed(spec.next):
                cond = truthy(expression(self.ctx, step.when)) if step.when else pl.lit(True)
                if step.milestone is None:
                    option = (none_s, none_t, none_t)
                else:
                    key = f"n__{phase_id}__{len(self.stages)}__"
                    self.stages.append(
                        [render_text(self.ctx, step.milestone).e().alias(key + "id")]
                    )
                    milestone_id = pl.col(key + "id")
                    found, due = self._find(milestone_id)
                    self.stages.append([found.alias(key + "found"), due.alias(key + "due")])
                    found, due = pl.col(key + "found"), pl.col(key + "due")
                    passed = due <= pl.col("now")
                    name = pl.when(found & (~passed | pl.lit(step.passed is not None))).then(
                        milestone_id
                    )
                    live = found & ~passed
                    deadline = pl.when(live).then(due)
                    buyer_by = (
                        pl.when(live).then(due - _lit_duration(margin))
                        if step.buyer and margin is not None
                        else pl.when(live & pl.lit(step.buyer)).then(due)
                    )
                    option = (
                        name.otherwise(None),
                        deadline.otherwise(None),
                        buyer_by.otherwise(None),
                    )
                chosen = tuple(  # type: ignore[assignment]
                    pl.when(cond).then(a).otherwise(b) for a, b in zip(option, chosen, strict=True)
                )
            result = tuple(  # type: ignore[assignment]
                pl.when(phase == phase_id).then(a).otherwise(b)
                for a, b in zip(chosen, result, strict=True)
            )
        return result

    def summary(self) -> list[pl.Expr]:
        ids = self.plan.summary_ids
        ctx = self.ctx

        def get(key: str) -> Mil | None:
            milestone_id = ids.get(key)
            return ctx.milestones.get(milestone_id) if milestone_id else None

        none = pl.lit(None, dtype=pl.String)
        end, safe, escalation = get("protection_end"), get("safe_dispute_date"), get("escalation")
        out = [
            (pl.when(end.present).then(iso(end.at, ctx)) if end else none).alias(
                "summary_protection_end"
            ),
            (pl.when(safe.present).then(safe.day.dt.strftime("%Y-%m-%d")) if safe else none).alias(
                "summary_safe_dispute_date"
            ),
            (
                pl.when(escalation.present).then(iso(escalation.at, ctx)) if escalation else none
            ).alias("summary_escalation"),
        ]
        total: pl.Expr = pl.lit(None, dtype=pl.Int64)
        if escalation is not None and self.plan.total_days_from:
            base = pl.coalesce(*(pl.col(f"ev_{name}") for name in self.plan.total_days_from))
            span = (escalation.at - base).dt.total_microseconds()
            total = pl.when(escalation.present).then(span // DAY_US)
        out.append(total.cast(pl.Int64).alias("summary_total_days"))
        return out

    def warnings(self) -> tuple[pl.Expr, pl.Expr]:
        ctx = self.ctx
        pieces: list[tuple[tuple[int, int], pl.Expr]] = []  # static sort key, code or null
        fact_slots: list[tuple[pl.Expr, pl.Expr, str]] = []  # fires, seq, code
        fallback: pl.Expr = pl.lit(False)
        fired_codes: dict[str, pl.Expr] = {}
        fact_group: int | None = None
        placed: set[str] = set()
        builders = {
            "calendars": self._calendar_warnings,
            "disagreements": self._disagreements,
            "as_of": self._as_of,
            "late_events": self._late_events,
        }
        for index, item in enumerate(self.plan.rules.data.warnings):
            if item.builtin is not None:
                placed.add(item.builtin)
                pieces.extend(((index, n), code) for n, code in enumerate(builders[item.builtin]()))
                continue
            assert item.when is not None and item.message is not None and item.code is not None
            compiled = self.plan.warnings[index]
            if compiled.fact is not None and fact_group is None:
                fact_group = index
            fires = truthy(expression(ctx, item.when)) & renders(ctx, item.message)
            earlier = fired_codes.get(item.code, pl.lit(False))
            self.stages.append([(fires & ~earlier).fill_null(False).alias(f"w__{index}")])
            fires = pl.col(f"w__{index}")
            self.stages.append([(earlier | fires).alias(f"w__code__{item.code}")])
            fired_codes[item.code] = pl.col(f"w__code__{item.code}")
            code = pl.when(fires).then(pl.lit(item.code))
            if compiled.fact is not None and compiled.fact in ctx.facts:
                fact = ctx.facts[compiled.fact]
                fallback = fallback | (fires & ~fact.present)
                fact_slots.append((fires & fact.present, fact.seq, item.code))
                pieces.append(((index, 0), pl.when(fires & ~fact.present).then(pl.lit(item.code))))
            else:
                pieces.append(((index, 0), code))
        end = len(self.plan.rules.data.warnings)
        for offset, name in enumerate(name for name in builders if name not in placed):
            pieces.extend(((end + offset, n), code) for n, code in enumerate(builders[name]()))
        if fact_slots:
            assert fact_group is not None
            self.stages.append(
                [
                    expr.alias(f"wf__{i}__{part}")
                    for i, (fires, seq, _) in enumerate(fact_slots)
                    for part, expr in (("fires", fires.fill_null(False)), ("seq", seq))
                ]
            )
            fact_slots = [
                (pl.col(f"wf__{i}__fires"), pl.col(f"wf__{i}__seq"), code)
                for i, (_, _, code) in enumerate(fact_slots)
            ]
            for position in range(len(fact_slots)):
                slot: pl.Expr = pl.lit(None, dtype=pl.String)
                for i, (fires, seq, fact_code) in enumerate(fact_slots):
                    before = pl.lit(0, dtype=pl.Int64)
                    for j, (other_fires, other_seq, _) in enumerate(fact_slots):
                        if j == i:
                            continue
                        ahead = (other_seq < seq) | ((other_seq == seq) & pl.lit(j < i))
                        before = before + (other_fires & ahead).fill_null(False).cast(pl.Int64)
                    slot = (
                        pl.when(fires & (before == position))
                        .then(pl.lit(fact_code))
                        .otherwise(slot)
                    )
                pieces.append(((fact_group, -1_000 + position), slot))
        pieces.sort(key=lambda pair: pair[0])
        self.stages.append([code.alias(f"wp__{i}") for i, (_, code) in enumerate(pieces)])
        codes = pl.concat_str(
            [pl.col(f"wp__{i}") for i in range(len(pieces))], separator=" ", ignore_nulls=True
        )
        return pl.coalesce(codes, pl.lit("")), fallback

    def _calendar_warnings(self) -> list[pl.Expr]:
        found: list[pl.Expr] = []
        weekends = pl.lit(False)
        buyer_used = pl.lit(False)
        for entry in self.bd:
            if entry.buyer:
                weekends = weekends | (entry.used & entry.country.is_null())
                buyer_used = buyer_used | entry.used
        found.append(pl.when(weekends).then(pl.lit("calendar_weekends_only")))
        keys: list[tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]] = []
        lasts = {k: v for k, v in self.cal.last.items() if k is not None and v is not None}
        for entry in self.bd:
            last = (
                entry.country.replace_strict(lasts, default=None, return_dtype=pl.Int64)
                if lasts
                else pl.lit(None, dtype=pl.Int64)
            )
            unconfirmed = (entry.used & last.is_not_null() & (entry.day_year > last)).fill_null(
                False
            )
            low = pl.max_horizontal(entry.first_year, last + 1)
            keys.append((unconfirmed, entry.country.fill_null("-"), low, entry.day_year))
            spans = [(k, v) for k, v in self.cal.span.items()]
            for name, (first, final) in spans:
                match = entry.country.is_null() if name is None else entry.country == name
                outside = (entry.first_year < first) | (entry.day_year > final)
                self.fallback.append(entry.used & match.fill_null(False) & outside)
        stage: list[pl.Expr] = []
        for i, key in enumerate(keys):
            for part, expr in zip(("unconfirmed", "country", "low", "high"), key, strict=True):
                stage.append(expr.alias(f"wc__{i}__{part}"))
        if stage:
            self.stages.append(stage)
        keys = [
            (
                pl.col(f"wc__{i}__unconfirmed"),
                pl.col(f"wc__{i}__country"),
                pl.col(f"wc__{i}__low"),
                pl.col(f"wc__{i}__high"),
            )
            for i in range(len(keys))
        ]
        for i, (unconfirmed, key_country, low, high) in enumerate(keys):
            seen = pl.lit(False)
            for other, o_country, o_low, o_high in keys[:i]:
                same = (o_country == key_country) & (o_low == low) & (o_high == high)
                seen = seen | (other & same)
            found.append(
                pl.when(unconfirmed & ~seen.fill_null(False)).then(pl.lit("calendar_unconfirmed"))
            )
        with_subdivisions = [c for c in self.countries if _has_subdivisions(c)]
        national = buyer_used & pl.col("in_buyer_country").is_in(with_subdivisions)
        found.append(pl.when(national.fill_null(False)).then(pl.lit("calendar_national_only")))
        return found

    def _disagreements(self) -> list[pl.Expr]:
        found: list[pl.Expr] = []
        for rule_id in self.tracked:
            used: pl.Expr = pl.lit(False)
            for mil in self.ctx.milestones.values():
                if rule_id in mil.uses:
                    used = used | (mil.uses[rule_id] & mil.present)
            for limit_rule, any_output in self.cycle_limit_used:
                if limit_rule == rule_id:
                    used = used | any_output
            found.append(pl.when(used.fill_null(False)).then(pl.lit("seeds_disagree")))
        return found

    def _as_of(self) -> list[pl.Expr]:
        later: pl.Expr = pl.lit(False)
        for name in SINGLE_EVENTS:
            later = later | (pl.col(f"ev_{name}") > pl.col("now")).fill_null(False)
        for name in REPEATED_EVENTS:
            for k in range(1, self.ctx.rounds_width + 1):
                later = later | (pl.col(f"ev_{name}_{k}") > pl.col("now")).fill_null(False)
        return [pl.when(later).then(pl.lit("as_of_before_events"))]

    def _late_events(self) -> list[pl.Expr]:
        found: list[pl.Expr] = []
        for check in self.plan.rules.data.late_events:
            given = pl.col(f"ev_{check.event}")
            deadline = instant_of(expression(self.ctx, check.deadline))
            if deadline.kind == "null":
                continue
            late = (given > deadline.e()).fill_null(False)
            found.append(pl.when(late).then(pl.lit("late_event")))
        return found


def _has_subdivisions(country: str) -> bool:
    from protectcalc.calendars import subdivisions

    return bool(subdivisions(country))
