"""The scenario and order file format (SPEC section 5) as pydantic models, and its JSON Schema.

The models check shape only: which keys exist, what kind of value each holds, and that an
expected date is a real ISO date. Event values stay as written; the strict date parser in
:mod:`protectcalc.order` reads them later, so its errors can name the file, line and key.
The shipped ``scenario.schema.json`` is generated from these models (``protectcalc schema``).
"""

from __future__ import annotations

import json
import types
from datetime import date, datetime
from enum import Enum
from importlib import resources
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from protectcalc.model import DisputeOutcome, PaymentMethod, Phase, Shipping
from protectcalc.scenarios.shape import (
    DATE_TEXT,
    DATE_TIME_TEXT,
    expected_date,
    expected_moment,
    known_milestone,
)

__all__ = ["DATE_TEXT", "DATE_TIME_TEXT"]  # re-exported: they live with the fast check

SCHEMA_FILE = "scenario.schema.json"
SCHEMA_ID = "https://protectcalc.invalid/scenario.schema.json"


def _as_text(value: object) -> object:
    """Dates read by another YAML loader come back as objects; keep them as ISO text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def default_milestone_ids() -> list[str]:
    """The milestone ids of the default rule set (what a file without ``rules`` can expect)."""
    from protectcalc.rules import load_rule_set

    return load_rule_set().plan_for(None).milestone_ids()


def _known_milestone(milestone_id: str, info: ValidationInfo) -> str:
    """A milestone id of the file's rule set (passed in the validation context)."""
    context = info.context if isinstance(info.context, dict) else {}
    # Not context.get(key, default_milestone_ids()): that would work the default out per id.
    known = context["milestone_ids"] if "milestone_ids" in context else default_milestone_ids()
    return known_milestone(milestone_id, known)


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, int) and not isinstance(value, bool) else value


_MOMENT_HELP = (
    "YYYY-MM-DD (00:00 local time), YYYY-MM-DDTHH:MM, optionally with seconds and an "
    "offset (+03:00, Z); read in the scenario's timezone"
)

Moment = Annotated[
    str,
    BeforeValidator(_as_text),
    Field(description=_MOMENT_HELP, examples=["2026-03-01", "2026-03-01T14:30"]),
]
"""An event as written; parsed later by :func:`protectcalc.clock.parse_instant`."""

Days = Annotated[int, Field(strict=True, description="Whole days.")]
"""A day count; its range is the engine's to check, with the same message as on the CLI."""

ExpectedMoment = Annotated[
    str,
    BeforeValidator(_as_text),
    AfterValidator(expected_moment),
    Field(
        description="A date matches the milestone's local date; a date-time matches its instant.",
        examples=["2026-03-15", "2026-03-16T00:00+03:00"],
    ),
]
ExpectedDate = Annotated[
    str,
    BeforeValidator(_as_text),
    AfterValidator(expected_date),
    Field(description="A local date, YYYY-MM-DD.", examples=["2026-03-15"]),
]
MilestoneId = Annotated[str, AfterValidator(_known_milestone)]


class _Section(BaseModel):
    """Unknown keys are errors; numbers are accepted where text is expected (``name: 404``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class OrderSection(_Section):
    """The order's own events and the listing's day counts."""

    placed: Moment | None = Field(default=None, description="When the order was placed.")
    paid: Moment | None = Field(default=None, description="When the payment was confirmed.")
    cancel_requested: Moment | None = Field(
        default=None, description="When the buyer asked to cancel (paid, not shipped)."
    )
    shipped: Moment | None = Field(default=None, description="When the seller shipped.")
    delivered: Moment | None = Field(
        default=None, description="When tracking showed 'Issued to recipient'."
    )
    confirmed: Moment | None = Field(
        default=None, description="When receipt was confirmed (also by accident)."
    )
    processing_days: Days | None = Field(
        default=None, description="Processing time from the listing."
    )
    delivery_days: Days | None = Field(
        default=None, description="Delivery period from the listing."
    )
    extended: Annotated[
        list[Days],
        BeforeValidator(_one_or_many),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "integer"},
                    {"type": "array", "items": {"type": "integer"}},
                ],
                "description": "Days the seller extended protection: one number or a list.",
            }
        ),
    ] = Field(default_factory=list)
    estimated_delivery: Moment | None = Field(
        default=None, description="The latest estimated delivery date shown at checkout."
    )
    seller_contacted: Moment | None = Field(
        default=None, description="When the buyer first wrote to the seller about the problem."
    )
    return_submitted: Moment | None = Field(
        default=None, description="When the buyer submitted a return request."
    )
    transaction_posted: Moment | None = Field(
        default=None, description="The card network's posting (processing) date of the payment."
    )


class DisputeSection(_Section):
    """The dispute's real events, in order."""

    opened: Moment | None = Field(default=None, description="When the buyer opened the dispute.")
    seller_responses: list[Moment] = Field(
        default_factory=list, description="When the seller answered, one per round, in order."
    )
    buyer_responses: list[Moment] = Field(
        default_factory=list, description="When the buyer answered or edited, in order."
    )
    escalated: Moment | None = Field(default=None, description="When the dispute escalated.")
    mediator_questions: list[Moment] = Field(
        default_factory=list,
        description="When the mediator asked a question (escalated dispute), in order.",
    )
    claim_escalated: Moment | None = Field(
        default=None,
        description="When the dispute went to the platform (a PayPal claim, eBay stepping in).",
    )
    closed: Moment | None = Field(default=None, description="When the dispute was closed.")
    outcome: DisputeOutcome | None = Field(default=None, description="How the dispute closed.")


class SummaryExpect(_Section):
    """Expected headline numbers; a key given as null must be null."""

    protection_end: ExpectedMoment | None = None
    safe_dispute_date: ExpectedDate | None = None
    escalation: ExpectedMoment | None = None
    total_days: Annotated[int, Field(strict=True)] | None = None


class Expect(_Section):
    """What the engine must compute for this order."""

    milestones: Annotated[
        dict[MilestoneId, ExpectedMoment | None],
        Field(
            description="Milestone id -> expected date or date-time; null: it must not appear.",
            json_schema_extra={"propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"}},
        ),
    ] = Field(default_factory=dict)
    summary: SummaryExpect | None = None
    phase: Phase | None = Field(default=None, description="The phase as of as_of.")
    next: Annotated[
        MilestoneId | None,
        Field(
            description="The milestone id of the buyer's next action (null: none).",
            json_schema_extra={"pattern": "^[a-z][a-z0-9_]*$"},
        ),
    ] = None
    warnings: list[str] = Field(
        default_factory=list, description="Warning codes that must be present."
    )
    error: str | None = Field(
        default=None,
        min_length=1,
        description="A bad-input story: computing must refuse the order with a message "
        "containing this text.",
    )

    @model_validator(mode="after")
    def _error_stands_alone(self) -> Expect:
        others = self.model_fields_set - {"error"}
        if self.error is not None and others:
            raise ValueError(
                f"error cannot be combined with {', '.join(sorted(others))}: a refused "
                "order has no timeline"
            )
        if not self.model_fields_set:
            raise ValueError("is empty: give milestones, summary, phase, next, warnings or error")
        return self


class OrderRecord(_Section):
    """An order file: the scenario format; ``expect`` is allowed and ignored by timeline/status."""

    model_config = ConfigDict(title="protectcalc order file")

    name: str | None = Field(
        default=None, min_length=1, description="What the story is, in one line."
    )
    description: str | None = Field(default=None, description="The story and its seed sources.")
    timezone: str | None = Field(
        default=None, description="The order's IANA time zone (default UTC in these files)."
    )
    rules: str | None = Field(
        default=None,
        description="Rule set name or TOML file, relative to this file (default aliexpress).",
    )
    readings: dict[str, str] = Field(
        default_factory=dict,
        description="Other readings where the seeds disagree: RULE: READING.",
    )
    also: list[str] = Field(
        default_factory=list,
        description="Other programmes protecting the same order (rule set names or files), "
        "computed from the same events: [paypal, card].",
    )
    as_of: Moment | None = Field(
        default=None, description="Judge the order as of this moment (replay: the latest event)."
    )
    buyer_country: str | None = Field(default=None, description="ISO 3166 code, for business days.")
    buyer_subdivision: str | None = Field(
        default=None, description="State or region, where needed."
    )
    seller_country: str | None = Field(default=None, description="ISO 3166 code (default CN).")
    payment_method: PaymentMethod | None = None
    shipping: Shipping | None = None
    order: OrderSection = Field(default_factory=OrderSection)
    dispute: DisputeSection = Field(default_factory=DisputeSection)
    expect: Expect | None = None


class Scenario(OrderRecord):
    """A scenario file: an order and the deadlines it must give."""

    model_config = ConfigDict(title="protectcalc scenario")

    name: str = Field(min_length=1, description="What the story is, in one line.")


def top_keys(section: tuple[str | int, ...]) -> list[str]:
    """The keys a section of the format allows, for 'unknown key' messages."""
    models: dict[tuple[str | int, ...], type[BaseModel]] = {
        (): Scenario,
        ("order",): OrderSection,
        ("dispute",): DisputeSection,
        ("expect",): Expect,
        ("expect", "summary"): SummaryExpect,
    }
    model = models.get(section)
    return list(model.model_fields) if model is not None else []


def generate_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, generated from the models."""
    schema = Scenario.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def generated_schema_text() -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(generate_schema(), indent=2, ensure_ascii=False) + "\n"


def shipped_schema_text() -> str:
    """The JSON Schema file shipped in the package."""
    return resources.files("protectcalc").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def field_kinds() -> dict[str, dict[str, str]]:
    """Each section's keys and kinds, read off the models: what ``shape.FIELD_KINDS`` must say.

    An annotation this does not recognise raises, so a new kind of field cannot slip past
    the fast check's table unnoticed.
    """
    models: list[type[BaseModel]] = [Scenario, OrderSection, DisputeSection, Expect, SummaryExpect]
    return {
        model.__name__: {name: _field_kind(info) for name, info in model.model_fields.items()}
        for model in models
    }


def _field_kind(info: Any) -> str:
    """A field's kind in the words of ``shape.FIELD_KINDS``."""
    kind = _kind(info.annotation)
    for item in info.metadata:
        if isinstance(item, BeforeValidator) and item.func is _one_or_many:
            kind = f"one or {kind}"
        elif type(item).__name__ == "MinLen" and getattr(item, "min_length", None) == 1:
            kind = f"nonempty {kind}"
        elif not isinstance(item, WithJsonSchema):
            raise ValueError(f"unknown field metadata {item!r}")
    return kind


def _kind(annotation: Any) -> str:
    """The kind of one annotation (recursively for lists, maps and optional values)."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, types.UnionType) and len(args) == 2 and type(None) in args:
        other = args[0] if args[1] is type(None) else args[1]
        return f"{_kind(other)} or null"
    if origin is list:
        return f"list of {_kind(args[0])}"
    if origin is dict:
        return f"map of {_kind(args[0])} to {_kind(args[1])}"
    if origin is Annotated:
        base, *extras = args
        validators = [
            item.func for item in extras if isinstance(item, AfterValidator | BeforeValidator)
        ]
        strict = any(
            isinstance(meta, Strict) and meta.strict
            for item in extras
            for meta in getattr(item, "metadata", [item])
        )
        if base is int and strict and not validators:
            return "whole number"
        named: dict[tuple[object, ...], str] = {
            (_as_text,): "moment",
            (_as_text, expected_moment): "expected moment",
            (_as_text, expected_date): "expected date",
            (_known_milestone,): "milestone id",
        }
        if base is str and tuple(validators) in named:
            return named[tuple(validators)]
        raise ValueError(f"unknown annotation {annotation!r}")
    if annotation is str:
        return "text"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return f"choice of {annotation.__name__}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"section {annotation.__name__}"
    raise ValueError(f"unknown annotation {annotation!r}")
