"""Order and scenario files of the usual shape, checked without pydantic.

Importing pydantic and building the models' validators costs a quarter of a second, and
validating one file about 145 µs; almost every file is well formed. :func:`check_shape`
accepts a document only when every key and value is of a kind it positively knows (text,
a number where text goes, a strict whole number, a list, a choice, a nested section) and
gives exactly what the models would; anything else it declines (returns None), and the
caller validates with the models as before, so every refusal keeps pydantic's wording.

The keys and kinds (:data:`FIELD_KINDS`) are written out here so that this module needs no
pydantic; ``protectcalc.scenarios.model.field_kinds`` derives the same table from the
models and a test fails when the two differ. The expected-date and milestone checks are the
models' own validators, which live here so both paths run the same code.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from protectcalc.clock import parse_instant
from protectcalc.errors import InputError
from protectcalc.model import DisputeOutcome, PaymentMethod, Phase, Shipping

_UTC = ZoneInfo("UTC")
_ANY_NOW = datetime(2000, 1, 1, tzinfo=UTC)  # expected values are never relative (no "today")

DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_TIME_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)


def expected_moment(text: str) -> str:
    """A date (matches the local date) or a date-time (matches the instant), strictly ISO."""
    if not (DATE_TEXT.fullmatch(text) or DATE_TIME_TEXT.fullmatch(text)):
        raise ValueError(
            "is not an expected date: use YYYY-MM-DD (the local date) or "
            "YYYY-MM-DDTHH:MM[+HH:MM] (the instant)"
        )
    try:
        parse_instant(text, _UTC, _ANY_NOW, field="expected")
    except InputError as error:
        raise ValueError(error.problem) from None
    return text


def expected_date(text: str) -> str:
    """A local date, strictly YYYY-MM-DD."""
    if not DATE_TEXT.fullmatch(text):
        raise ValueError("is not a date: use YYYY-MM-DD")
    return expected_moment(text)


def known_milestone(milestone_id: str, known: list[str] | None) -> str:
    """A milestone id of the file's rule set (None: not known here, checked at replay)."""
    if known is None or milestone_id in known:
        return milestone_id
    close = difflib.get_close_matches(milestone_id, known, n=1)
    if close:
        raise ValueError(f"is not a milestone id; did you mean {close[0]}?")
    raise ValueError(f"is not a milestone id (known: {', '.join(known)})")


# --- what a valid file gives ------------------------------------------------------------------
# Named tuples, not frozen dataclasses: building three dataclasses cost 4 ms of every start.


class SummaryExpected(NamedTuple):
    """Expected headline numbers; ``given`` names the keys the file wrote (null included)."""

    protection_end: str | None
    safe_dispute_date: str | None
    escalation: str | None
    total_days: int | None
    given: frozenset[str]


class Expected(NamedTuple):
    """A scenario's ``expect`` section; ``given`` names the keys the file wrote."""

    milestones: dict[str, str | None]
    summary: SummaryExpected | None
    phase: Phase | None
    next: str | None
    warnings: list[str]
    error: str | None
    given: frozenset[str]


class FileRecord(NamedTuple):
    """The parts of a validated file that are not order fields (those are its OrderInput)."""

    name: str | None
    description: str | None
    rules: str | None
    readings: dict[str, str]
    also: list[str]
    expect: Expected | None


# --- the keys and kinds of the format ---------------------------------------------------------

FIELD_KINDS: dict[str, dict[str, str]] = {
    "Scenario": {
        "name": "nonempty text",
        "description": "text or null",
        "timezone": "text or null",
        "rules": "text or null",
        "readings": "map of text to text",
        "also": "list of text",
        "as_of": "moment or null",
        "buyer_country": "text or null",
        "buyer_subdivision": "text or null",
        "seller_country": "text or null",
        "payment_method": "choice of PaymentMethod or null",
        "shipping": "choice of Shipping or null",
        "order": "section OrderSection",
        "dispute": "section DisputeSection",
        "expect": "section Expect or null",
    },
    "OrderSection": {
        "placed": "moment or null",
        "paid": "moment or null",
        "cancel_requested": "moment or null",
        "shipped": "moment or null",
        "delivered": "moment or null",
        "confirmed": "moment or null",
        "processing_days": "whole number or null",
        "delivery_days": "whole number or null",
        "extended": "one or list of whole number",
        "estimated_delivery": "moment or null",
        "seller_contacted": "moment or null",
        "return_submitted": "moment or null",
        "transaction_posted": "moment or null",
    },
    "DisputeSection": {
        "opened": "moment or null",
        "seller_responses": "list of moment",
        "buyer_responses": "list of moment",
        "escalated": "moment or null",
        "mediator_questions": "list of moment",
        "claim_escalated": "moment or null",
        "closed": "moment or null",
        "outcome": "choice of DisputeOutcome or null",
    },
    "Expect": {
        "milestones": "map of milestone id to expected moment or null",
        "summary": "section SummaryExpect or null",
        "phase": "choice of Phase or null",
        "next": "milestone id or null",
        "warnings": "list of text",
        "error": "nonempty text or null",
    },
    "SummaryExpect": {
        "protection_end": "expected moment or null",
        "safe_dispute_date": "expected date or null",
        "escalation": "expected moment or null",
        "total_days": "whole number or null",
    },
}
"""Each section's keys and what each holds; ``Scenario``'s name is optional in an order file.

Must equal ``protectcalc.scenarios.model.field_kinds()`` (tests/test_shape.py)."""

CHOICES: dict[str, type[Enum]] = {
    "PaymentMethod": PaymentMethod,
    "Shipping": Shipping,
    "DisputeOutcome": DisputeOutcome,
    "Phase": Phase,
}


class _Declined(Exception):
    """The value is not of a kind the fast check knows to be valid: the models decide."""


_DECLINED = _Declined()
_NUMBER_LIMIT = 10**18  # str() of a huge int is slow or refused; the models judge those


def _text(value: object, _known: list[str] | None) -> str:
    """Text, or a whole number as its digits (the models' ``coerce_numbers_to_str``)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is int and -_NUMBER_LIMIT < value < _NUMBER_LIMIT:  # type: ignore[operator]
        return str(value)
    raise _DECLINED


def _nonempty_text(value: object, known: list[str] | None) -> str:
    text = _text(value, known)
    if not text:
        raise _DECLINED
    return text


def _whole_number(value: object, _known: list[str] | None) -> int:
    if type(value) is int:
        return value
    raise _DECLINED


Check = Callable[[object, "list[str] | None"], Any]
"""Returns the value the models would give, or raises _Declined."""


def _declining(validator: Callable[[str], str]) -> Check:
    """The models' validator of an expected date as a check: text it refuses is declined,
    so the models word the refusal."""

    def check(value: object, _known: list[str] | None) -> str:
        if type(value) is not str:
            raise _DECLINED
        try:
            return validator(value)
        except ValueError:
            raise _DECLINED from None

    return check


def _milestone_id(value: object, known: list[str] | None) -> str:
    if type(value) is not str or (known is not None and value not in known):
        raise _DECLINED
    return value


_SCALARS: dict[str, Check] = {
    "text": _text,
    "moment": _text,  # a moment stays as written; dates as objects only come from elsewhere
    "nonempty text": _nonempty_text,
    "whole number": _whole_number,
    "expected moment": _declining(expected_moment),
    "expected date": _declining(expected_date),
    "milestone id": _milestone_id,
}


def _or_null(check: Check) -> Check:
    def checked(value: object, known: list[str] | None) -> Any:
        return None if value is None else check(value, known)

    return checked


def _list_of(check: Check, *, one: bool = False) -> Check:
    def checked(value: object, known: list[str] | None) -> list[Any]:
        if one and type(value) is int:
            return [value]
        if type(value) is not list:
            raise _DECLINED
        return [check(item, known) for item in value]

    return checked


def _map_of(key_check: Check, value_check: Check) -> Check:
    def checked(value: object, known: list[str] | None) -> dict[str, Any]:
        if type(value) is not dict:
            raise _DECLINED
        return {key_check(key, known): value_check(item, known) for key, item in value.items()}

    return checked


def _choice(choices: type[Enum]) -> Check:
    by_value = {member.value: member for member in choices}

    def checked(value: object, _known: list[str] | None) -> Enum:
        member = by_value.get(value) if type(value) is str else None
        if member is None:
            raise _DECLINED
        return member

    return checked


def _section(name: str) -> Check:
    def checked(value: object, known: list[str] | None) -> dict[str, Any]:
        if type(value) is not dict:
            raise _DECLINED
        return _check_section(_SECTIONS[name], value, known)

    return checked


def _compile(kind: str) -> Check:
    """The check a kind of :data:`FIELD_KINDS` names."""
    if kind.endswith(" or null") and not kind.startswith("map of"):
        return _or_null(_compile(kind.removesuffix(" or null")))
    if kind.startswith("one or list of "):
        return _list_of(_compile(kind.removeprefix("one or list of ")), one=True)
    if kind.startswith("list of "):
        return _list_of(_compile(kind.removeprefix("list of ")))
    if kind.startswith("map of "):
        key, _, value = kind.removeprefix("map of ").partition(" to ")
        return _map_of(_compile(key), _compile(value))
    if kind.startswith("choice of "):
        return _choice(CHOICES[kind.removeprefix("choice of ")])
    if kind.startswith("section "):
        return _section(kind.removeprefix("section "))
    return _SCALARS[kind]


_SECTIONS: dict[str, dict[str, Check]] = {
    section: {key: _compile(kind) for key, kind in kinds.items()}
    for section, kinds in FIELD_KINDS.items()
}


def _check_section(
    checks: Mapping[str, Check], data: Mapping[str, object], known: list[str] | None
) -> dict[str, Any]:
    """The section's values as the models give them; only the keys written appear."""
    checked: dict[str, Any] = {}
    for key, value in data.items():
        check = checks.get(key) if type(key) is str else None
        if check is None:
            raise _DECLINED
        checked[key] = check(value, known)
    return checked


def check_shape(
    data: Mapping[str, object], *, scenario: bool, milestone_ids: list[str] | None
) -> tuple[dict[str, Any], FileRecord] | None:
    """The file's checked top-level values and its record, or None to let the models decide.

    ``data`` is the file's mapping (an order file's without ``expect``); ``milestone_ids``
    are the ids ``expect`` may name (None: any). The values are those the models would
    give, with the ``order`` and ``dispute`` sections as dicts of the keys written.
    """
    if scenario and "name" not in data:
        return None  # required: the model words the refusal
    try:
        top = _check_section(_SECTIONS["Scenario"], data, milestone_ids)
        expect = _expected(top.get("expect"))
    except _Declined:
        return None
    record = FileRecord(
        top.get("name"),
        top.get("description"),
        top.get("rules"),
        top.get("readings", {}),
        top.get("also", []),
        expect,
    )
    return top, record


def _expected(section: dict[str, Any] | None) -> Expected | None:
    """The ``expect`` section, declined where the model's whole-section rules object."""
    if section is None:
        return None
    given = frozenset(section)
    if not given or (section.get("error") is not None and len(given) > 1):
        raise _DECLINED
    summary = section.get("summary")
    return Expected(
        section.get("milestones", {}),
        None if summary is None else summary_expected(summary, frozenset(summary)),
        section.get("phase"),
        section.get("next"),
        section.get("warnings", []),
        section.get("error"),
        given,
    )


def summary_expected(values: Mapping[str, Any], given: frozenset[str]) -> SummaryExpected:
    """An ``expect.summary`` from its values (absent keys are null)."""
    return SummaryExpected(
        values.get("protection_end"),
        values.get("safe_dispute_date"),
        values.get("escalation"),
        values.get("total_days"),
        given,
    )
