"""Loading an order or scenario file does no work its validation does not need."""

from __future__ import annotations

from pathlib import Path

import pytest

from protectcalc.rules.plan import CycleNode, MilestoneNode, Plan
from protectcalc.scenarios import replay
from protectcalc.scenarios.replay import load_text

ORDER = "name: x\norder:\n  placed: 2026-03-01\n"
SCENARIO = ORDER + "expect:\n  milestones:\n    protection_end: 2026-05-01\n"


def test_an_order_file_works_out_no_milestone_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Plan) -> list[str]:
        raise AssertionError("milestone ids worked out for a file without expect")

    monkeypatch.setattr(Plan, "milestone_ids", refuse)
    assert load_text(ORDER, "x.yaml", tmp_path, scenario=False).order.placed == "2026-03-01"
    assert load_text(ORDER, "x.yaml", tmp_path).record.name == "x"


def test_a_plan_s_milestone_ids_are_worked_out_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from protectcalc.rules import load_rule_set

    calls = []
    real = Plan.nodes_by_rank

    def counted(self: Plan) -> list[MilestoneNode | CycleNode]:
        calls.append(self)
        return real(self)

    monkeypatch.setattr(Plan, "nodes_by_rank", counted)
    monkeypatch.setattr(load_rule_set().plan_for(None), "_milestone_ids", None)  # not yet known
    for _ in range(3):
        load_text(SCENARIO, "x.yaml", tmp_path)
    assert len(calls) == 1
    with pytest.raises(replay.FileProblems, match="is not a milestone id"):
        load_text(SCENARIO.replace("protection_end", "protection_ends"), "x.yaml", tmp_path)


def test_an_order_s_zone_is_read_once_and_a_bad_one_refused_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from protectcalc import order as order_module
    from protectcalc.errors import InputError
    from protectcalc.order import OrderInput, build_order

    parsed: list[str] = []
    real_parse_zone = order_module.parse_zone

    def counted(name: str, field: str = "tz") -> ZoneInfo:
        parsed.append(name)
        return real_parse_zone(name, field)

    monkeypatch.setattr(order_module, "parse_zone", counted)
    monkeypatch.setattr(order_module, "_ZONES", {})
    now = datetime(2026, 3, 2, tzinfo=UTC)
    utc = ZoneInfo("UTC")
    first, _ = build_order(OrderInput(placed="2026-03-01", tz="Asia/Tokyo"), now, utc)
    again, _ = build_order(OrderInput(placed="2026-03-01", tz="Asia/Tokyo"), now, utc)
    assert parsed == ["Asia/Tokyo"]
    assert again.timezone is first.timezone is ZoneInfo("Asia/Tokyo")
    assert str(first.placed) == "2026-03-01 00:00:00+09:00"
    for _ in range(2):
        with pytest.raises(InputError, match="is not a known IANA time zone"):
            build_order(OrderInput(placed="2026-03-01", tz="Asia/Nowhere"), now, utc)
    assert parsed == ["Asia/Tokyo", "Asia/Nowhere", "Asia/Nowhere"]
