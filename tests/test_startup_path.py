"""What the start-up budget (benchmarks/startup.py) leaves out must not change what users get."""

from __future__ import annotations

from pathlib import Path
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


def _given_parameters() -> list[tuple[str, Any]]:
    found = []
    commands = dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    for name, command in list(commands.items()):
        for sub_name, sub in getattr(command, "commands", {}).items():
            commands[f"{name} {sub_name}"] = sub
    for name, command in commands.items():
        for param in command.params:
            if isinstance(param, _TyperParameter) and param.type_descriptor.annotation is not bool:
                found.append((f"{name} {param.name}", param))
    return found


@pytest.mark.parametrize(("where", "param"), _given_parameters())
def test_a_given_value_is_coerced_as_typers_adapter_does(
    where: str, param: Any, tmp_path: Path
) -> None:
    """Differential: the shortcut against Typer's own adapter, for every option and argument.

    A value the shortcut declines (``_NO_SHORTCUT``) goes to the adapter; a value it takes
    must come out equal and of the same type, and a value Typer refuses must be declined.
    """
    from enum import Enum
    from typing import get_args

    from typer._click import Context

    from protectcalc.cli import _NO_SHORTCUT, _coerced_without_adapter

    ctx = Context(typer.main.get_command(app))
    annotation = param.type_descriptor.annotation
    (tmp_path / "a file.yaml").write_text("x", "utf-8")
    texts = ["json", "JSON", "x", "", "2026-03-01", "Ünïcode", " table ", "-"]
    texts += [str(tmp_path), str(tmp_path / "a file.yaml"), str(tmp_path / "missing")]
    leaf = (get_args(annotation) or (annotation,))[0]
    if isinstance(leaf, type) and issubclass(leaf, Enum):
        texts += [str(member.value) for member in leaf]
        texts += [str(member.value).upper() for member in leaf]
    many = param.multiple or param.nargs != 1
    values: list[Any] = [tuple(texts[i : i + 2]) for i in range(len(texts))] if many else texts
    runtime = param.get_runtime_param()
    for value in values:
        shortcut = _coerced_without_adapter(param, ctx, value)
        try:
            expected = runtime.coerce(value, param=param, ctx=ctx)
        except Exception:
            assert shortcut is _NO_SHORTCUT, value
            continue
        if shortcut is _NO_SHORTCUT:
            continue
        assert shortcut == expected, value
        assert type(shortcut) is type(expected), value


def test_common_commands_build_no_adapter(tmp_path: Path) -> None:
    """The shortcut covers what people type: texts, repeated texts, choices and paths."""
    from protectcalc.cli import run

    built: list[str] = []
    original = _TyperParameter.get_runtime_param

    def spy(self: _TyperParameter) -> Any:
        built.append(str(self.name))
        return original(self)

    order = tmp_path / "order.yaml"
    order.write_text("order:\n  confirmed: 2026-03-01\n", "utf-8")
    _TyperParameter.get_runtime_param = spy  # type: ignore[method-assign]
    try:
        args = ["--dispute-opened", "2026-03-02", "--seller-responded", "2026-03-04"]
        assert run(["timeline", "--paid", "2026-03-01", *args, "--format", "csv"]) == 0
        assert run(["status", str(order), "--format", "json"]) == 0
        assert run(["due", str(tmp_path), "--format", "csv"]) == 0
    finally:
        _TyperParameter.get_runtime_param = original  # type: ignore[method-assign]
    assert built == []


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
