"""Rule sets: the deadlines as data, each with its meaning and its sources.

A rule set is a TOML file (``aliexpress.toml`` ships in this package). It is validated on
load; :func:`load_rule_set` raises :class:`RuleSetError` with the file and the rule named,
never a traceback. Readings where the seeds disagree are kept as ``alternatives`` and
selected by name (``post_confirmation_protection=ends_at_once``).
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from protectcalc.errors import InputError, RuleSetError
from protectcalc.model import Source

DEFAULT_RULE_SET = "aliexpress"
_MAX_FILE_BYTES = 1_000_000

REQUIRED_RULES: tuple[str, ...] = (
    "payment_window",
    "cancel_response",
    "processing_time",
    "delivery_period",
    "protection_extension_max",
    "admin_extension",
    "auto_confirm",
    "post_confirmation_protection",
    "safety_margin",
    "seller_response",
    "seller_expected_response",
    "buyer_response",
    "dispute_rounds",
    "negotiation_limit",
    "seller_silence",
    "escalated_response",
    "appeal_window",
    "feedback_window",
    "feedback_edit_window",
    "refund_after_cancel",
    "refund_after_dispute",
    "shipping_standard",
    "shipping_premium",
)
"""Every rule the engine reads; a rule set must define them all."""


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


class SourceRef(BaseModel):
    """A seed document and a short quote from it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: Annotated[str, Field(pattern=r"^\d{3}_[0-9a-f]{16}\.txt$")]
    quote: Annotated[str, Field(min_length=1, max_length=400)]


Amount = Annotated[int, Field(ge=0, le=3650)]


class Reading(BaseModel):
    """One reading of a rule: its number (or range), unit, meaning and sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Amount | None = None
    min: Amount | None = None
    max: Amount | None = None
    unit: Unit
    calendar: Calendar | None = None
    meaning: Annotated[str, Field(min_length=1)]
    sources: Annotated[tuple[SourceRef, ...], Field(min_length=1)]

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
        """The value, or the low end of the range."""
        number = self.value if self.value is not None else self.min
        assert number is not None, f"unit {self.unit} has no number"
        return number

    @property
    def high(self) -> int:
        """The value, or the high end of the range."""
        number = self.value if self.value is not None else self.max
        assert number is not None, f"unit {self.unit} has no number"
        return number

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
    """A rule with its default reading and the other readings the seeds give."""

    alternatives: dict[str, Reading] = Field(default_factory=dict)
    reading: str = "default"


class RuleSetFile(BaseModel):
    """The whole file, as validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    title: str
    schema_: Annotated[int, Field(alias="schema", ge=1, le=1)]
    rules: dict[str, Rule]


class RuleSet:
    """A validated rule set with the chosen readings applied."""

    def __init__(self, data: RuleSetFile, readings: dict[str, str] | None = None) -> None:
        self.name = data.name
        self.title = data.title
        self.readings = dict(readings or {})
        self._rules: dict[str, Rule] = dict(data.rules)
        for rule_id, reading_name in self.readings.items():
            self._rules[rule_id] = self._choose(rule_id, reading_name)

    def _choose(self, rule_id: str, reading_name: str) -> Rule:
        rule = self._rules.get(rule_id)
        if rule is None:
            raise InputError("reading", f"{rule_id}={reading_name}", "names no rule of this set")
        if reading_name == "default":
            return rule
        chosen = rule.alternatives.get(reading_name)
        if chosen is None:
            known = ", ".join(["default", *rule.alternatives]) or "default"
            raise InputError(
                "reading", f"{rule_id}={reading_name}", f"is not a reading of it (known: {known})"
            )
        default = Reading(**rule.model_dump(exclude={"alternatives", "reading"}))
        others = {"default": default, **rule.alternatives}
        return Rule(**chosen.model_dump(), alternatives=others, reading=reading_name)

    @property
    def label(self) -> str:
        """The name shown in output: ``aliexpress`` or ``aliexpress[rule=reading]``."""
        chosen = [
            f"{rule}={name}" for rule, name in sorted(self.readings.items()) if name != "default"
        ]
        return f"{self.name}[{','.join(chosen)}]" if chosen else self.name

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def items(self) -> list[tuple[str, Rule]]:
        """Every rule, in file order."""
        return list(self._rules.items())

    def elapsed(self, rule_id: str, *, high: bool = False) -> timedelta:
        """A days or hours rule as exact elapsed time."""
        rule = self._rules[rule_id]
        amount = rule.high if high else rule.low
        if rule.unit is Unit.HOURS:
            return timedelta(hours=amount)
        assert rule.unit is Unit.DAYS, f"{rule_id} is in {rule.unit}, not days or hours"
        return timedelta(days=amount)

    def count(self, rule_id: str) -> int:
        """A count rule's number."""
        return self._rules[rule_id].low

    def sources(self, *rule_ids: str) -> tuple[Source, ...]:
        """The sources of these rules, each once."""
        found: list[Source] = []
        for rule_id in rule_ids:
            for ref in self._rules[rule_id].sources:
                source = Source(ref.seed, ref.quote)
                if source not in found:
                    found.append(source)
        return tuple(found)


def parse_readings(pairs: list[str] | tuple[str, ...], field: str = "reading") -> dict[str, str]:
    """``RULE=NAME`` pairs into a mapping; malformed pairs are input errors."""
    chosen: dict[str, str] = {}
    for pair in pairs:
        rule_id, sep, reading_name = pair.partition("=")
        if not sep or not rule_id.strip() or not reading_name.strip():
            raise InputError(
                field, pair, "is not RULE=READING (e.g. post_confirmation_protection=ends_at_once)"
            )
        chosen[rule_id.strip()] = reading_name.strip()
    return chosen


def load_rule_set(
    name_or_path: str | None = None, readings: dict[str, str] | None = None
) -> RuleSet:
    """The named shipped rule set, or a rule set file by path, validated."""
    source = name_or_path or DEFAULT_RULE_SET
    text, origin = _read(source)
    data = _VALIDATED.get(text)
    if data is None:
        data = _validate(text, origin)
        _VALIDATED[text] = data
    return RuleSet(data, readings)


_VALIDATED: dict[str, RuleSetFile] = {}
"""Rule set texts already parsed and validated in this process, keyed by the text itself.

Why: ``due`` and ``replay`` load the rule set once per order, and the TOML parse plus
validation costs more than reading the order. Keyed by text (still read every time), so an
edited file is never stale; only valid sets are kept, so an error is raised every time.
"""


def _validate(text: str, origin: str) -> RuleSetFile:
    """A rule set file's text parsed and validated; any problem is a RuleSetError."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleSetError(f"rule set {origin}: not valid TOML ({error})") from None
    try:
        data = RuleSetFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RuleSetError(f"rule set {origin}: {where}: {first['msg']}") from None
    missing = [rule_id for rule_id in REQUIRED_RULES if rule_id not in data.rules]
    if missing:
        raise RuleSetError(f"rule set {origin}: missing rules: {', '.join(missing)}")
    return data


def _read(source: str) -> tuple[str, str]:
    if "/" not in source and "\\" not in source and not source.endswith(".toml"):
        resource = resources.files("protectcalc.rules.data").joinpath(f"{source}.toml")
        if not resource.is_file():
            raise InputError(
                "rules", source, f"is not a shipped rule set (known: {DEFAULT_RULE_SET})"
            )
        return resource.read_text(encoding="utf-8"), source
    path = Path(source)
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise RuleSetError(f"rule set {source}: larger than {_MAX_FILE_BYTES} bytes")
        return path.read_text(encoding="utf-8"), source
    except FileNotFoundError:
        raise InputError("rules", source, "no such rule set file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RuleSetError(f"rule set {source}: cannot be read ({error})") from None
