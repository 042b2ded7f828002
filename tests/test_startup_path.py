"""What the start-up budget (benchmarks/startup.py) leaves out must not change what users get."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.core import _TyperParameter

from protectcalc.cli import BOOK_COMMANDS, _app_for, app


def command_names(built: Any) -> set[str]:
    return set(built.commands)


@pytest.mark.parametrize(
    "name", ["timeline", "status", "due", "replay", "schema", "rules", "batch"]
)
def test_the_command_that_runs_is_the_only_one_built(name: str) -> None:
    built = typer.main.get_command(_app_for([name, "--help"]))
    assert command_names(built) == {name}
    full = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    assert [p.name for p in built.commands[name].params] == [p.name for p in full.params]  # type: ignore[attr-defined]


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"], ["timelin"], [BOOK_COMMANDS[0]]])
def test_without_a_known_command_the_whole_app_is_built(args: list[str]) -> None:
    assert _app_for(args) is app


def test_an_option_not_given_is_not_coerced_but_still_defaults() -> None:
    from protectcalc.cli import run

    built: list[str] = []
    original = _TyperParameter.get_runtime_param

    def spy(self: _TyperParameter) -> Any:
        built.append(str(self.name))
        return original(self)

    _TyperParameter.get_runtime_param = spy  # type: ignore[method-assign]
    try:
        code = run(["timeline", "--confirmed", "2026-03-01", "--format", "json"])
    finally:
        _TyperParameter.get_runtime_param = original  # type: ignore[method-assign]
    assert code == 0
    assert "confirmed" in built and "output_format" in built
    assert "shipped" not in built and "seller_responded" not in built
