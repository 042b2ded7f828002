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
    assert "shipped" not in built and "seller_responded" not in built
    # a given text (--confirmed) and a given choice (--format) take the shortcut too
    assert "confirmed" not in built and "output_format" not in built


def _text_and_choice_parameters() -> list[tuple[str, Any]]:
    found = []
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            if isinstance(param, _TyperParameter) and not param.multiple and param.nargs == 1:
                found.append((f"{name} {param.name}", param))
    return found


@pytest.mark.parametrize(("where", "param"), _text_and_choice_parameters())
def test_a_given_text_or_choice_is_coerced_as_typers_adapter_does(where: str, param: Any) -> None:
    """Differential: the shortcut against Typer's own adapter, for every single-value option."""
    from enum import Enum

    from typer._click import Context

    from protectcalc.cli import _NO_SHORTCUT, _coerced_without_adapter

    ctx = Context(typer.main.get_command(app))
    annotation = param.type_descriptor.annotation
    values = ["json", "JSON", "x", "", "2026-03-01", "Ünïcode", " table "]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        values += [str(member.value) for member in annotation]
        values += [str(member.value).upper() for member in annotation]
    for value in values:
        shortcut = _coerced_without_adapter(param, ctx, value)
        if shortcut is _NO_SHORTCUT:
            continue
        assert shortcut == param.get_runtime_param().coerce(value, param=param, ctx=ctx), value
        assert type(shortcut) is type(param.get_runtime_param().coerce(value, param, ctx))


def test_a_choice_that_does_not_match_keeps_typers_message() -> None:
    from typer.testing import CliRunner

    from protectcalc.cli import app as whole

    result = CliRunner().invoke(whole, ["timeline", "--confirmed", "2026-03-01", "--format", "xml"])
    assert result.exit_code == 2
    assert "'xml' is not one of" in result.output


def test_timeline_starts_without_importing_pydantic() -> None:
    """pydantic validates files; a shipped rule set comes from the store (a third of start-up)."""
    import subprocess
    import sys

    args = ["timeline", "--confirmed", "2026-03-01", "--tz", "UTC", "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "protectcalc", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert "protectcalc.engine.scalar" in imported
    assert [name for name in imported if name.startswith("pydantic")] == []
