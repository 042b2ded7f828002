"""The rule-set file format (schema 2), as frozen dataclasses: what a TOML rule set may say.

A rule set declares its numbers (``rules``), its deadlines (``milestones``, with ``cases``
and repeating ``cycle``\\ s), how an order's state is named (``phases`` and ``phase``), what
the user must be told (``warnings``, ``late_events``) and the summary. The JSON Schema that
editors use is generated from these classes (``protectcalc rules schema``).

Why dataclasses and not pydantic models: every command builds a rule set from these
classes, but only a rule-set file that is not shipped needs validating. Importing pydantic's
models cost about a third of every command's start-up; these classes import nothing of
pydantic. A file is validated by a pydantic ``TypeAdapter`` (:func:`validate_rule_set`)
that reads the constraints written in the annotations. The annotations stay text (``from
__future__ import annotations``) and name ``Field``, ``Amount``, ``Expression`` and
``Text``, which :func:`_validation_names` binds only when something is validated. The
checks that span several fields run in ``__post_init__``, so every object built is whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import Field, TypeAdapter

    Amount = Annotated[int, Field(ge=0, le=3650)]
    Expression = Annotated[
        str, Field(min_length=1, description="An expression (README: rule language).")
    ]
    Text = Annotated[str, Field(min_length=1, description="Text with {expression} placeholders.")]


def _validation_names() -> dict[str, Any]:
    """The names the annotations use beside the classes (pydantic's, so imported only here)."""
    from pydantic import Field

    return {
        "Field": Field,
        "Amount": Annotated[int, Field(ge=0, le=3650)],
        "Expression": Annotated[
            str, Field(min_length=1, description="An expression (README: rule language).")
        ],
        "Text": Annotated[
            str, Field(min_length=1, description="Text with {expression} placeholders.")
        ],
    }


class Unit(StrEnum):
    """What a rule's number counts."""

    DAYS = "days"
    HOURS = "hours"
    BUSINESS_DAYS = "business_days"
    LISTING = "listing"
    COUNT = "count"
    NONE = "none"


class Calendar(StrEnum):
    """Whose working days a business-day rule counts."""

    PLATFORM = "platform"
    BUYER = "buyer"
    SELLER = "seller"


class Kind(StrEnum):
    """What a milestone is for the buyer."""

    DEADLINE = "deadline"
    SAFE_DATE = "safe_date"
    PLANNED = "planned"
    ESTIMATE = "estimate"
    EVENT = "event"


class _Strict:
    """No unknown keys, names or aliases both accepted (how pydantic validates a file)."""

    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid", "populate_by_name": True}


@dataclass(frozen=True, kw_only=True)
class SourceRef(_Strict):
    """Where a number comes from: a seed file and its exact quote, or a public page.

    A page source gives its address, the date it was read and what it says about the rule in
    our own words (never copied text).
    """

    seed: Annotated[str | None, Field(pattern=r"^\d{3}_[0-9a-f]{16}\.txt$")] = None
    quote: Annotated[str | None, Field(min_length=1, max_length=400)] = None
    url: Annotated[str | None, Field(pattern=r"^https?://\S+$")] = None
    read: date | None = None
    says: Annotated[str | None, Field(min_length=1, max_length=600)] = None
    secondary: bool = False

    def __post_init__(self) -> None:
        if self.seed is not None:
            if self.quote is None or self.url is not None:
                raise ValueError("a seed source gives seed and quote (no url)")
        elif self.url is not None:
            if self.read is None or self.says is None or self.quote is not None:
                raise ValueError("a page source gives url, read (a date) and says (no quote)")
        else:
            raise ValueError("a source is a seed (seed, quote) or a page (url, read, says)")

    @property
    def short(self) -> str:
        """How a source is named in one line: ``000`` for a seed, the host for a page."""
        if self.seed is not None:
            return self.seed[:3]
        host = (self.url or "").split("//", 1)[-1].split("/", 1)[0]
        return host.removeprefix("www.")


@dataclass(frozen=True, kw_only=True)
class Effective(_Strict):
    """When a rule, milestone or reading is in force (both ends optional; until exclusive)."""

    effective_from: date | None = None
    effective_until: date | None = None

    def __post_init__(self) -> None:
        self._check_period()

    def _check_period(self) -> None:
        start, end = self.effective_from, self.effective_until
        if start is not None and end is not None and end <= start:
            raise ValueError(f"effective_until {end} is not after effective_from {start}")

    def in_force(self, day: date) -> bool:
        """True when this applies to an order whose first event is on ``day``."""
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_until is None or day < self.effective_until


@dataclass(frozen=True, kw_only=True)
class Reading(Effective):
    """One reading of a rule: its number (or range), unit, meaning and sources."""

    value: Amount | None = None
    min: Amount | None = None
    max: Amount | None = None
    unit: Unit
    calendar: Calendar | None = None
    meaning: Annotated[str, Field(min_length=1)]
    sources: Annotated[tuple[SourceRef, ...], Field(min_length=1)]
    milestones: Annotated[
        dict[str, MilestoneSpec],
        Field(description="Milestones this reading replaces or adds (an overlay on the graph)."),
    ] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_period()
        self._check_shape()

    def _check_shape(self) -> None:
        ranged = self.min is not None or self.max is not None
        if ranged and (self.min is None or self.max is None):
            raise ValueError("a range needs both min and max")
        if ranged and self.value is not None:
            raise ValueError("give either value or min and max, not both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        numberless = self.unit in (Unit.LISTING, Unit.NONE)
        if numberless and (ranged or self.value is not None):
            raise ValueError(f"a rule in unit {self.unit} takes no value")
        if not numberless and not ranged and self.value is None:
            raise ValueError(f"a rule in unit {self.unit} needs a value or min and max")
        if (self.unit is Unit.BUSINESS_DAYS) != (self.calendar is not None):
            raise ValueError("business_days rules, and only they, name a calendar")

    @property
    def low(self) -> int:
        """The value, or the low end of the range (0 for a rule without a number)."""
        number = self.value if self.value is not None else self.min
        return number if number is not None else 0

    @property
    def high(self) -> int:
        """The value, or the high end of the range (0 for a rule without a number)."""
        number = self.value if self.value is not None else self.max
        return number if number is not None else 0

    @property
    def has_number(self) -> bool:
        """False for listing and none rules."""
        return self.unit not in (Unit.LISTING, Unit.NONE)

    def describe(self) -> str:
        """The value as people say it: ``15 days``, ``3-20 business days``."""
        unit = self.unit.value.replace("_", " ")
        if self.unit is Unit.LISTING:
            return "from the listing"
        if self.unit is Unit.NONE:
            return "no fixed value"
        amount = f"{self.min}-{self.max}" if self.value is None else str(self.value)
        if self.unit is Unit.COUNT:
            return amount
        if self.value == 1:
            unit = unit.rstrip("s")
        return f"{amount} {unit}"


def _values(item: Any, kind: type[Any]) -> dict[str, Any]:
    """The fields of ``kind`` (a class ``item`` is or extends) as they are in ``item``."""
    return {name.name: getattr(item, name.name) for name in fields(kind)}


@dataclass(frozen=True, kw_only=True)
class Rule(Reading):
    """A rule with its default reading and the other readings the sources give."""

    alternatives: dict[str, Reading] = field(default_factory=dict)
    reading: str = "default"

    def with_reading(self, name: str) -> Rule:
        """This rule with its alternative ``name`` in force; the default becomes an alternative."""
        others = {"default": Reading(**_values(self, Reading)), **self.alternatives}
        return Rule(**_values(self.alternatives[name], Reading), alternatives=others, reading=name)


@dataclass(frozen=True, kw_only=True)
class Case(_Strict):
    """One way a milestone is computed; a milestone's cases are tried in order."""

    when: Expression | None = None
    event: Annotated[str | None, Field(description="The milestone is this given event.")] = None
    from_: Annotated[Expression | None, Field(alias="from")] = None
    add: Annotated[str | None, Field(description="A rule (RULE or RULE.high) to add.")] = None
    add_days: Annotated[Expression | None, Field(description="Whole days to add.")] = None
    subtract: Annotated[str | None, Field(description="A rule to subtract.")] = None
    floor: Annotated[Expression | None, Field(description="Never earlier than this.")] = None
    start: Annotated[
        Expression | None,
        Field(description="Where the window that this milestone ends begins."),
    ] = None
    rules: Annotated[
        tuple[str, ...] | None,
        Field(description="The rules it cites (@MILESTONE: that milestone's rules)."),
    ] = None
    projected: bool | None = None
    explain: Text | None = None

    def __post_init__(self) -> None:
        self._check_case()

    def _check_case(self) -> None:
        if self.event is not None:
            if any(v is not None for v in (self.from_, self.add, self.add_days, self.subtract)):
                raise ValueError("an event milestone takes no from, add, add_days or subtract")
            return
        if self.from_ is None:
            raise ValueError("a case needs `from` (what it counts from) or `event`")
        steps = [v for v in (self.add, self.add_days, self.subtract) if v is not None]
        if len(steps) > 1:
            raise ValueError("give at most one of add, add_days and subtract")


@dataclass(frozen=True, kw_only=True)
class MilestoneSpec(Case, Effective):
    """A deadline or event: who acts, its label, and its cases (or one case inline)."""

    label: Annotated[str, Field(min_length=1)] = "?"
    actor: Annotated[str, Field(pattern="^(buyer|seller|platform)$")] = "buyer"
    kind: Kind = Kind.DEADLINE
    cases: tuple[Case, ...] = ()
    done: Annotated[
        Expression | None,
        Field(description="The buyer has done what it asks (status stops listing it)."),
    ] = None
    note: Text | None = None
    on_calendar: bool | None = None
    cycle: CycleSpec | None = None

    def __post_init__(self) -> None:
        self._check_period()
        if self.cycle is not None:
            return
        inline = self.from_ is not None or self.event is not None
        if inline and self.cases:
            raise ValueError("give the case inline or as cases, not both")
        if not inline and not self.cases:
            raise ValueError("a milestone needs `from`, `event`, `cases` or `cycle`")
        if inline:
            self._check_case()

    def all_cases(self) -> tuple[Case, ...]:
        """The cases in order (an inline case is the only one)."""
        if self.cases:
            return self.cases
        return (Case(**_values(self, Case)),)


@dataclass(frozen=True, kw_only=True)
class CycleStart(_Strict):
    """Where the rounds start: a real event, or a planned moment."""

    when: Expression | None = None
    at: Expression
    projected: bool = False
    label: Text


@dataclass(frozen=True, kw_only=True)
class CycleStep(_Strict):
    """One party's turn in a round: its deadline, the real reply, or the planned one."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    labels: Annotated[tuple[str, ...], Field(min_length=1)] = ("?",)
    actor: Annotated[str, Field(pattern="^(buyer|seller|platform)$")]
    add: str
    explain: Text
    reply: Annotated[str, Field(description="The repeatable event that is this step's real reply.")]
    reply_label: Text
    plan: Annotated[Expression, Field(description="The planned reply (names `from` and `due`).")]
    plan_label: Text
    missed: Annotated[
        str | None,
        Field(description="A fact set when a real deadline passed without a reply."),
    ] = None
    late: Annotated[
        str | None,
        Field(description="A fact set when a real reply came after a real deadline."),
    ] = None
    done: Expression | None = None


@dataclass(frozen=True, kw_only=True)
class CycleEnd(_Strict):
    """The milestone after the last round (the escalation)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Annotated[str, Field(min_length=1)]
    actor: Annotated[str, Field(pattern="^(buyer|seller|platform)$")] = "platform"
    event: str | None = None
    event_explain: Text | None = None
    none_when: Expression | None = None
    limit_explain: Text | None = None
    last_explain: Text
    last_projected: Annotated[
        bool,
        Field(
            description="After the last real reply, the end is still planned until its event "
            "is given."
        ),
    ] = False
    on_calendar: bool | None = None


@dataclass(frozen=True, kw_only=True)
class CycleSpec(_Strict):
    """Repeating rounds: the steps, how many rounds, what stops them and what ends them."""

    rounds: Annotated[str, Field(description="A count rule.")]
    limit: Annotated[
        str | None,
        Field(description="A days rule: planned rounds stop this long after the start."),
    ] = None
    stop: tuple[str, ...] = ()
    start: Annotated[tuple[CycleStart, ...], Field(min_length=1)]
    steps: Annotated[tuple[CycleStep, ...], Field(min_length=1)]
    end: CycleEnd


BUILTIN_WARNINGS = ("calendars", "disagreements", "as_of", "late_events")
"""Warnings the engine makes itself; ``builtin`` places them in the list (else: at the end)."""


@dataclass(frozen=True, kw_only=True)
class Warning(_Strict):
    """A warning: shown when its condition holds, once per code; or a ``builtin`` group."""

    code: Annotated[str | None, Field(pattern=r"^[a-z][a-z0-9_]*$")] = None
    when: Expression | None = None
    message: Text | None = None
    builtin: Annotated[
        str | None,
        Field(
            description="Place the engine's own warnings: calendars, disagreements, as_of, "
            "late_events."
        ),
    ] = None

    def __post_init__(self) -> None:
        if self.builtin is not None:
            if self.builtin not in BUILTIN_WARNINGS:
                raise ValueError(f"builtin must be one of {', '.join(BUILTIN_WARNINGS)}")
            if self.code or self.when or self.message:
                raise ValueError("a builtin entry takes no code, when or message")
        elif not (self.code and self.when and self.message):
            raise ValueError("a warning needs code, when and message (or builtin)")


@dataclass(frozen=True, kw_only=True)
class LateEvent(_Strict):
    """A given event after the deadline that should have ended its step."""

    event: str
    deadline: Expression
    meaning: Annotated[str, Field(min_length=1)]


@dataclass(frozen=True, kw_only=True)
class PhaseRule(_Strict):
    """The order is in ``phase`` when ``when`` holds (the first that holds wins)."""

    phase: str
    when: Expression


@dataclass(frozen=True, kw_only=True)
class NextStep(_Strict):
    """The buyer's next action in a phase (the first whose ``when`` holds)."""

    when: Expression | None = None
    milestone: Text | None = None
    action: Text
    if_nothing: Text | None = None
    passed: Annotated[
        Text | None,
        Field(
            description="When the milestone has already passed: what that means (else no action)."
        ),
    ] = None
    buyer: bool = True


@dataclass(frozen=True, kw_only=True)
class Trap(_Strict):
    """A trap said loudly by ``status`` in a phase (the first of a code that holds)."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    when: Expression | None = None
    message: Text


@dataclass(frozen=True, kw_only=True)
class PhaseSpec(_Strict):
    """A phase in words, its next action and its traps."""

    text: Annotated[str, Field(min_length=1)]
    next: tuple[NextStep, ...] = ()
    traps: tuple[Trap, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Range(_Strict):
    """Two estimate milestones shown as one window (``Refund expected: A to B``)."""

    label: Annotated[str, Field(min_length=1)]
    first: str
    last: str


@dataclass(frozen=True, kw_only=True)
class SummarySpec(_Strict):
    """Which milestones fill the summary of the JSON contract."""

    protection_end: str | None = None
    safe_dispute_date: str | None = None
    escalation: str | None = None
    total_days_from: tuple[str, ...] = ()
    total_days_usual: Annotated[
        str | None,
        Field(
            description="A days rule (a range): how long the plan usually lasts, beside total_days."
        ),
    ] = None
    plan: Text | None = None
    projected_note: str | None = None


@dataclass(frozen=True, kw_only=True)
class InputSpec(_Strict):
    """What the rule set says about one input: a cap on a listing value, an order check."""

    cap: Annotated[str | None, Field(description="A rule capping the sum of the values.")] = None
    before: Annotated[
        dict[str, str],
        Field(
            description="Events this one must come before, each with the problem said otherwise."
        ),
    ] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RuleSetFile(_Strict):
    """A whole rule-set file, as validated."""

    schema_: Annotated[int, Field(alias="schema", ge=2, le=2)]
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    title: Annotated[str, Field(min_length=1)]
    version: Annotated[str, Field(min_length=1)] = "1"
    extends: Annotated[
        str | None,
        Field(description="A shipped rule set (or file) this one adds to or changes."),
    ] = None
    margin_rule: Annotated[
        str | None,
        Field(description="The rule that says how long before a deadline to act."),
    ] = None
    platform_calendar: Annotated[str | None, Field(pattern=r"^[A-Z]{2}$")] = None
    reads: tuple[str, ...] = ()
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    milestones: dict[str, MilestoneSpec] = field(default_factory=dict)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    ranges: tuple[Range, ...] = ()
    summary: SummarySpec = field(default_factory=SummarySpec)
    warnings: tuple[Warning, ...] = ()
    late_events: tuple[LateEvent, ...] = ()
    phases: tuple[PhaseRule, ...] = ()
    phase: dict[str, PhaseSpec] = field(default_factory=dict)


# --- validation (pydantic, imported only here) ---------------------------------------------


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    """pydantic's validator of one class of the format, built on first use."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        from pydantic import TypeAdapter

        globals().update(_validation_names())
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def validate_rule_set(raw: Any) -> RuleSetFile:
    """A rule-set file's TOML data, validated (raises pydantic's ``ValidationError``)."""
    validated = _adapter(RuleSetFile).validate_python(raw)
    assert isinstance(validated, RuleSetFile)
    return validated


def to_json_data(item: Any, **options: Any) -> Any:
    """An object of the format as JSON data (``mode="json"``; ``options`` as pydantic's)."""
    return _adapter(type(item)).dump_python(item, mode="json", **options)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule-set file, for editors (``rules/rules.schema.json``)."""
    schema: dict[str, Any] = _adapter(RuleSetFile).json_schema(by_alias=True)
    return schema
