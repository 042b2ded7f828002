"""Order files: the scenario format read as an order record by timeline, status and friends.

The same YAML as a scenario file (SPEC section 5); ``name`` is optional and ``expect`` is
ignored. Events are read in the file's ``timezone`` (UTC unless given); a missing ``as_of``
means now. Options given on the command line override the file (``OrderInput.merged``).
Any error about a value that came from the file names the file, line, column and key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from protectcalc.errors import InputError, InputErrors, raise_all
from protectcalc.order import OrderInput

if TYPE_CHECKING:
    from protectcalc.scenarios.replay import LoadedFile

_LOADED: dict[Path, LoadedFile] = {}
"""Files loaded in this process, so an error found later can be placed in them."""


def load_order_input(path: Path) -> OrderInput:
    """The order recorded in a YAML file; any problem is one InputError naming file and line."""
    from protectcalc.scenarios.replay import load_file
    from protectcalc.scenarios.yaml_reader import FileProblems

    try:
        loaded = load_file(path, str(path), scenario=False)
    except FileProblems as error:
        # Every problem of the file at once, one line each: fix them all in one go.
        raise_all(
            [
                InputError(
                    _where(str(path), problem.line, problem.column, _label(problem.key)),
                    problem.value,
                    problem.message,
                )
                for problem in error.problems
            ]
        )
        raise AssertionError("unreachable") from None
    _LOADED[path] = loaded
    return loaded.order


@contextmanager
def errors_located_in(path: Path, used: OrderInput) -> Iterator[None]:
    """Re-raise an InputError about a value the file gave (not an option) at its place."""
    try:
        yield
    except InputError as error:
        errors = list(error.errors) if isinstance(error, InputErrors) else [error]
        raise_all([_located(path, item, used) for item in errors])


def _located(path: Path, error: InputError, used: OrderInput) -> InputError:
    """The error at its place in the file, when the value came from the file."""
    loaded = _LOADED.get(path)
    if loaded is None or not _from_file(error.field, loaded.order, used):
        return error
    problem = loaded.locate(error)
    if problem.line is None and not problem.key:
        return error
    return InputError(
        _where(str(path), problem.line, problem.column, _label(problem.key)),
        problem.value,
        problem.message,
    )


def _from_file(field_name: str, from_file: OrderInput, used: OrderInput) -> bool:
    """True when the value in use for this field is the one the file gave."""
    if field_name == "reading":
        field_name = "readings"
    names = {item.name for item in fields(OrderInput)}
    if field_name not in names:
        return False
    value = getattr(from_file, field_name)
    return value not in (None, ()) and value == getattr(used, field_name)


def _label(key: tuple[str | int, ...]) -> str:
    from protectcalc.scenarios.yaml_reader import show_path

    return show_path(key)


def _where(path: str, line: int | None, column: int | None, key: str) -> str:
    where = path
    if line is not None:
        where += f":{line}" + (f":{column}" if column is not None else "")
    return f"{where}: {key}" if key else where


def forget_loaded(path: Path) -> None:
    """Let go of what :func:`load_order_input` kept of ``path`` (``due`` and ``orders`` are
    done with it).

    Kept for every file, ten thousand files' trees stayed in memory for the whole run, and
    the garbage collector walked them again on each full collection.
    """
    _LOADED.pop(path, None)


def order_name(path: Path) -> str | None:
    """The ``name:`` of an order file already read by :func:`load_order_input` (no re-read)."""
    loaded = _LOADED.get(path)
    return loaded.record.name if loaded is not None else None
