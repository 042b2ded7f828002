"""The domain types stay immutable and complete where they are built by hand for speed."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime

import pytest

from protectcalc.model import Actor, Milestone


def _milestone() -> Milestone:
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return Milestone("paid", at.date(), at, Actor.BUYER, "event", "", label="Paid")


def test_milestone_init_takes_every_field_with_its_default() -> None:
    """Milestone writes its own ``__init__``: a field added later must be added there too."""
    parameters = list(inspect.signature(Milestone.__init__).parameters.values())[1:]
    declared = dataclasses.fields(Milestone)
    assert [parameter.name for parameter in parameters] == [item.name for item in declared]
    for parameter, item in zip(parameters, declared, strict=True):
        expected = inspect.Parameter.empty if item.default is dataclasses.MISSING else item.default
        assert parameter.default == expected, item.name
    item = _milestone()
    assert vars(item) == {field.name: getattr(item, field.name) for field in declared}


def test_milestone_stays_frozen_hashable_and_replaceable() -> None:
    item = _milestone()
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.label = "changed"  # type: ignore[misc]
    assert item == _milestone() and hash(item) == hash(_milestone())
    moved = dataclasses.replace(item, label="Paid at last")
    assert moved.label == "Paid at last" and moved.id == item.id and item.label == "Paid"
