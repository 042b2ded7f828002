"""The rule-set file format (schema 2), as pydantic models: what a TOML rule set may say.

A rule set declares its numbers (``rules``), its deadlines (``milestones``, with ``cases``
and repeating ``cycle``\\ s), how an order's state is named (``phases`` and ``phase``), what
the user must be told (``warnings``, ``late_events``) and the summary. The JSON Schema that
editors use is generated from these models (``protectcalc rules schema``).
"""

# No ``from __future__ import annotations``: pydantic reads these classes on every start, and
# string annotations made it evaluate each one again (a fifth of this module's import time).
# The two forward references (to MilestoneSpec and CycleSpec) are quoted instead.

from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Amount = Annotated[int, Field(ge=0, le=3650)]
Expression = Annotated[
    str, Field(min_length=1, description="An expression (README: rule language).")
]
Text = Annotated[str, Field(min_length=1, description="Text with {expression} placeholders.")]


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


class _Strict(BaseModel):
    """Frozen, no unknown keys; validators are built on first validation, not at import.

    ``defer_build``: the engine imports these classes on every start, but a shipped rule set
    comes from the validated store (``rules/trusted.py``) and is never validated again in
    that process; building the ~20 validators up front cost about a fifth of the start-up.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


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

    @model_validator(mode="after")
    def _check_kind(self) -> Self:
        if self.seed is not None:
            if self.quote is None or self.url is not None:
                raise ValueError("a seed source gives seed and quote (no url)")
        elif self.url is not None:
            if self.read is None or self.says is None or self.quote is not None:
                raise ValueError("a page source gives url, read (a date) and says (no quote)")
        else:
            raise ValueError("a source is a seed (seed, quote) or a page (url, read, says)")
        return self

    @property
    def short(self) -> str:
        """How a source is named in one line: ``000`` for a seed, the host for a page."""
        if self.seed is not None:
            return self.seed[:3]
        host = (self.url or "").split("//", 1)[-1].split("/", 1)[0]
        return host.removeprefix("www.")


class Effective(_Strict):
    """When a rule, milestone or reading is in force (both ends optional; until exclusive)."""

    effective_from: date | None = None
    effective_until: date | None = None

    @model_validator(mode="after")
    def _check_period(self) -> Self:
        start, end = self.effective_from, self.effective_until
        if start is not None and end is not None and end <= start:
            raise ValueError(f"effective_until {end} is not after effective_from {start}")
        return self

    def in_force(self, day: date) -> bool:
        """True when this applies to an order whose first event is on ``day``."""
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_until is None or day < self.effective_until


class Reading(Effective):
    """One reading of a rule: its number (or range), unit, meaning and sources."""

    value: Amount | None = None
    min: Amount | None = None
    max: Amount | None = None
    unit: Unit
    calendar: Calendar | None = None
    meaning: Annotated[str, Field(min_length=1)]
    sources: Annotated[tuple[SourceRef, ...], Field(min_length=1)]
    milestones: "dict[str, MilestoneSpec]" = Field(
        default_factory=dict,
        description="Milestones this reading replaces or adds (an overlay on the graph).",
    )

    @model_validator(mode="after")
    def _check_shape(self) -> Self:
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
        return self

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


class Rule(Reading):
    """A rule with its default reading and the other readings the sources give."""

    alternatives: dict[str, Reading] = Field(default_factory=dict)
    reading: str = "default"


class Case(_Strict):
    """One way a milestone is computed; a milestone's cases are tried in order."""

    when: Expression | None = None
    event: str | None = Field(default=None, description="The milestone is this given event.")
    from_: Expression | None = Field(default=None, alias="from")
    add: str | None = Field(default=None, description="A rule (RULE or RULE.high) to add.")
    add_days: Expression | None = Field(default=None, description="Whole days to add.")
    subtract: str | None = Field(default=None, description="A rule to subtract.")
    floor: Expression | None = Field(default=None, description="Never earlier than this.")
    start: Expression | None = Field(
        default=None, description="Where the window that this milestone ends begins."
    )
    rules: tuple[str, ...] | None = Field(
        default=None, description="The rules it cites (@MILESTONE: that milestone's rules)."
    )
    projected: bool | None = None
    explain: Text | None = None

    @model_validator(mode="after")
    def _check_shape(self) -> Self:
        if self.event is not None:
            if any(v is not None for v in (self.from_, self.add, self.add_days, self.subtract)):
                raise ValueError("an event milestone takes no from, add, add_days or subtract")
            return self
        if self.from_ is None:
            raise ValueError("a case needs `from` (what it counts from) or `event`")
        steps = [v for v in (self.add, self.add_days, self.subtract) if v is not None]
        if len(steps) > 1:
            raise ValueError("give at most one of add, add_days and subtract")
        return self


class MilestoneSpec(Case, Effective):
    """A deadline or event: who acts, its label, and its cases (or one case inline)."""

    label: Annotated[str, Field(min_length=1)] = "?"
    actor: str = Field(default="buyer", pattern="^(buyer|seller|platform)$")
    kind: Kind = Kind.DEADLINE
    cases: tuple[Case, ...] = ()
    done: Expression | None = Field(
        default=None, description="The buyer has done what it asks (status stops listing it)."
    )
    note: Text | None = None
    on_calendar: bool | None = None
    cycle: "CycleSpec | None" = None

    @model_validator(mode="after")
    def _check_shape(self) -> Self:
        if self.cycle is not None:
            return self
        inline = self.from_ is not None or self.event is not None
        if inline and self.cases:
            raise ValueError("give the case inline or as cases, not both")
        if not inline and not self.cases:
            raise ValueError("a milestone needs `from`, `event`, `cases` or `cycle`")
        return self

    def all_cases(self) -> tuple[Case, ...]:
        """The cases in order (an inline case is the only one)."""
        if self.cases:
            return self.cases
        # Already validated as part of this milestone: copy the case's fields, unchecked
        # (model_validate would build Case's validator just for this).
        values = {name: getattr(self, name) for name in Case.model_fields}
        return (Case.model_construct(**values),)


class CycleStart(_Strict):
    """Where the rounds start: a real event, or a planned moment."""

    when: Expression | None = None
    at: Expression
    projected: bool = False
    label: Text


class CycleStep(_Strict):
    """One party's turn in a round: its deadline, the real reply, or the planned one."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    labels: Annotated[tuple[str, ...], Field(min_length=1)] = ("?",)
    actor: str = Field(pattern="^(buyer|seller|platform)$")
    add: str
    explain: Text
    reply: str = Field(description="The repeatable event that is this step's real reply.")
    reply_label: Text
    plan: Expression = Field(description="The planned reply (names `from` and `due`).")
    plan_label: Text
    missed: str | None = Field(
        default=None, description="A fact set when a real deadline passed without a reply."
    )
    late: str | None = Field(
        default=None, description="A fact set when a real reply came after a real deadline."
    )
    done: Expression | None = None


class CycleEnd(_Strict):
    """The milestone after the last round (the escalation)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Annotated[str, Field(min_length=1)]
    actor: str = Field(default="platform", pattern="^(buyer|seller|platform)$")
    event: str | None = None
    event_explain: Text | None = None
    none_when: Expression | None = None
    limit_explain: Text | None = None
    last_explain: Text
    last_projected: bool = Field(
        default=False,
        description="After the last real reply, the end is still planned until its event is given.",
    )
    on_calendar: bool | None = None


class CycleSpec(_Strict):
    """Repeating rounds: the steps, how many rounds, what stops them and what ends them."""

    rounds: str = Field(description="A count rule.")
    limit: str | None = Field(
        default=None, description="A days rule: planned rounds stop this long after the start."
    )
    stop: tuple[str, ...] = ()
    start: Annotated[tuple[CycleStart, ...], Field(min_length=1)]
    steps: Annotated[tuple[CycleStep, ...], Field(min_length=1)]
    end: CycleEnd


BUILTIN_WARNINGS = ("calendars", "disagreements", "as_of", "late_events")
"""Warnings the engine makes itself; ``builtin`` places them in the list (else: at the end)."""


class Warning(_Strict):
    """A warning: shown when its condition holds, once per code; or a ``builtin`` group."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = None
    when: Expression | None = None
    message: Text | None = None
    builtin: str | None = Field(
        default=None, description=f"Place the engine's own warnings: {', '.join(BUILTIN_WARNINGS)}."
    )

    @model_validator(mode="after")
    def _check_shape(self) -> Self:
        if self.builtin is not None:
            if self.builtin not in BUILTIN_WARNINGS:
                raise ValueError(f"builtin must be one of {', '.join(BUILTIN_WARNINGS)}")
            if self.code or self.when or self.message:
                raise ValueError("a builtin entry takes no code, when or message")
        elif not (self.code and self.when and self.message):
            raise ValueError("a warning needs code, when and message (or builtin)")
        return self


class LateEvent(_Strict):
    """A given event after the deadline that should have ended its step."""

    event: str
    deadline: Expression
    meaning: Annotated[str, Field(min_length=1)]


class PhaseRule(_Strict):
    """The order is in ``phase`` when ``when`` holds (the first that holds wins)."""

    phase: str
    when: Expression


class NextStep(_Strict):
    """The buyer's next action in a phase (the first whose ``when`` holds)."""

    when: Expression | None = None
    milestone: Text | None = None
    action: Text
    if_nothing: Text | None = None
    passed: Text | None = Field(
        default=None,
        description="When the milestone has already passed: what that means (else no action).",
    )
    buyer: bool = True


class Trap(_Strict):
    """A trap said loudly by ``status`` in a phase (the first of a code that holds)."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    when: Expression | None = None
    message: Text


class PhaseSpec(_Strict):
    """A phase in words, its next action and its traps."""

    text: Annotated[str, Field(min_length=1)]
    next: tuple[NextStep, ...] = ()
    traps: tuple[Trap, ...] = ()


class Range(_Strict):
    """Two estimate milestones shown as one window (``Refund expected: A to B``)."""

    label: Annotated[str, Field(min_length=1)]
    first: str
    last: str


class SummarySpec(_Strict):
    """Which milestones fill the summary of the JSON contract."""

    protection_end: str | None = None
    safe_dispute_date: str | None = None
    escalation: str | None = None
    total_days_from: tuple[str, ...] = ()
    total_days_usual: str | None = Field(
        default=None,
        description="A days rule (a range): how long the plan usually lasts, beside total_days.",
    )
    plan: Text | None = None
    projected_note: str | None = None


class InputSpec(_Strict):
    """What the rule set says about one input: a cap on a listing value, an order check."""

    cap: str | None = Field(default=None, description="A rule capping the sum of the values.")
    before: dict[str, str] = Field(
        default_factory=dict,
        description="Events this one must come before, each with the problem said otherwise.",
    )


class RuleSetFile(_Strict):
    """A whole rule-set file, as validated."""

    schema_: Annotated[int, Field(alias="schema", ge=2, le=2)]
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    title: Annotated[str, Field(min_length=1)]
    version: Annotated[str, Field(min_length=1)] = "1"
    extends: str | None = Field(
        default=None, description="A shipped rule set (or file) this one adds to or changes."
    )
    margin_rule: str | None = Field(
        default=None, description="The rule that says how long before a deadline to act."
    )
    platform_calendar: Annotated[str | None, Field(pattern=r"^[A-Z]{2}$")] = None
    reads: tuple[str, ...] = ()
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    rules: dict[str, Rule] = Field(default_factory=dict)
    milestones: dict[str, MilestoneSpec] = Field(default_factory=dict)
    tables: dict[str, dict[str, str]] = Field(default_factory=dict)
    ranges: tuple[Range, ...] = ()
    summary: SummarySpec = Field(default_factory=SummarySpec)
    warnings: tuple[Warning, ...] = ()
    late_events: tuple[LateEvent, ...] = ()
    phases: tuple[PhaseRule, ...] = ()
    phase: dict[str, PhaseSpec] = Field(default_factory=dict)
