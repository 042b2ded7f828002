"""Shared fixtures: the default rule set, a fixed clock, and a CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from protectcalc.cli import shell
from protectcalc.engine.scalar import compute_timeline
from protectcalc.model import Timeline
from protectcalc.order import OrderInput, build_order
from protectcalc.rules import RuleSet, load_rule_set

FIXED_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rule_set()


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test runs at 2026-03-02 09:00 UTC unless it passes --as-of."""
    monkeypatch.setattr(shell, "now", lambda: FIXED_NOW)
    yield


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def timeline_for(rules: RuleSet | None = None, **fields: object) -> Timeline:
    """Compute a timeline from raw order fields (tz defaults to UTC)."""
    fields.setdefault("tz", "UTC")
    order, as_of = build_order(OrderInput(**fields), FIXED_NOW, ZoneInfo("UTC"))  # type: ignore[arg-type]
    return compute_timeline(order, rules or load_rule_set(), as_of)
