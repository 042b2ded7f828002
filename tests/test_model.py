"""The domain types stay immutable and complete where they are built by hand for speed."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime

import pytest

from protectcalc.model import Actor, Milestone, Summary, Timeline, Warning

HAND_WRITTEN_INITS = (Milestone, Warning, Summary, Timeline)
"""The domain types whose ``__init__`` is written by hand (one dict update, for speed)."""


def _milestone() -> Milestone:
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return Milestone("paid", at.date(), at, Actor.BUYER, "event", "", label="Paid")


@pytest.mark.parametrize("kind", HAND_WRITTEN_INITS, ids=lambda kind: kind.__name__)
def test_hand_written_init_takes_every_field_with_its_default(kind: type) -> None:
    """These types write their own ``__init__``: a field added later must be added there too."""
    parameters = list(inspect.signature(kind.__init__).parameters.values())[1:]
    declared = dataclasses.fields(kind)
    assert [parameter.name for parameter in parameters] == [item.name for item in declared]
    for parameter, item in zip(parameters, declared, strict=True):
        expected = inspect.Parameter.empty if item.default is dataclasses.MISSING else item.default
        assert parameter.default == expected, item.name


def test_milestone_init_sets_every_field() -> None:
    item = _milestone()
    declared = dataclasses.fields(Milestone)
    assert vars(item) == {field.name: getattr(item, field.name) for field in declared}


def test_warning_and_summary_set_every_field_and_stay_frozen() -> None:
    warning = Warning("late", "Too late")
    assert vars(warning) == {"code": "late", "message": "Too late"}
    summary = Summary(total_days=53)
    assert vars(summary) == {
        "protection_end": None,
        "safe_dispute_date": None,
        "escalation": None,
        "total_days": 53,
        "total_days_usual": None,
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        warning.code = "other"  # type: ignore[misc]
    assert warning == Warning("late", "Too late") and hash(summary) == hash(Summary(total_days=53))


def test_milestone_stays_frozen_hashable_and_replaceable() -> None:
    item = _milestone()
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.label = "changed"  # type: ignore[misc]
    assert item == _milestone() and hash(item) == hash(_milestone())
    moved = dataclasses.replace(item, label="Paid at last")
    assert moved.label == "Paid at last" and moved.id == item.id and item.label == "Paid"
