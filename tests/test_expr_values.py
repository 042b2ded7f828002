"""Values as expressions compare and show them: the fast paths for common kinds (an instant,
a count, a label, absent) must answer as the general rules do."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from protectcalc.rules.expr import compile_node, parse, template

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


class _Env:
    """A scope with no locals: every name is read from ``env``."""

    def __init__(self, **values: Any) -> None:
        self.env: Mapping[str, Any] = values
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def lookup(self, name: str) -> Any:
        return self.env.get(name)


def _value(text: str, **values: Any) -> Any:
    return compile_node(parse(text))(_Env(**values))


def test_counts_and_absent_values_compare_as_before() -> None:
    assert _value("a < b", a=1, b=2) is True
    assert _value("a >= b", a=3, b=3) is True
    assert _value("a < b", a=None, b=2) is False  # an ordering with absent is false
    assert _value("a == b", a=None, b=None) is True
    assert _value("a != b", a=1, b=None) is True
    assert _value("a == b", a=True, b=1) is True  # a bool is not taken for a count
    assert _value("a < b", a=1, b="x") is False  # kinds that do not order: false


def test_instants_sharing_one_zone_compare_as_instants_across_dst() -> None:
    # 02:30 first (CEST, 00:30 UTC) and second (CET, 01:30 UTC) on the autumn change in Berlin.
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
    second = first.replace(fold=1)
    assert _value("a < b", a=first, b=second) is True
    assert _value("a == b", a=first, b=second) is False
    assert _value("a == b", a=first, b=first.astimezone(MOSCOW)) is True


def test_templates_show_common_kinds_as_the_general_rules_do() -> None:
    moment = datetime(2026, 3, 1, 14, 30, tzinfo=MOSCOW)
    shown = template("{a} | {b} | {c} | {d} | {e}").render(
        _Env(a=moment, b="label", c=7, d=True, e=timedelta(days=1, hours=2))
    )
    assert shown == "2026-03-01 14:30 | label | 7 | true | 1d 2h"
    assert template("{a}").render(_Env(a=None)) is None


def test_conditions_tried_in_turn_stop_where_a_loop_would() -> None:
    from protectcalc.rules.expr import compile_first

    nodes = [parse("a > 1"), None, parse("present(b)")] + [parse("a == 9")] * 9 + [None]
    first = compile_first(nodes)
    scope = _Env(a=1, b=None)
    assert [first(scope, start) for start in range(14)] == [1, 1, *[12] * 11, -1]
    assert first(_Env(a=2, b=()), 0) == 0
    assert first(_Env(a=9, b=5), 2) == 2 and first(_Env(a=9, b=None), 5) == 5
    assert compile_first([])(scope, 0) == -1


def test_an_expression_nested_too_deeply_is_refused_when_parsed() -> None:
    import pytest

    from protectcalc.rules.expr import MAX_NESTING, ExpressionError

    with pytest.raises(ExpressionError, match="nested more than"):
        parse("not " * (MAX_NESTING + 1) + "a")
    assert _value(" and ".join(["present(a)"] * 100), a=1) is True  # a chain nests once
