"""Shell completion of values: order names from the book, event names, rule set names.

Called by the shell completion machinery (``protectcalc completion bash|zsh|fish``) while the
user presses Tab; cheap to import (the command line imports it at start-up) and never raises:
a completion that fails offers nothing, and the shell falls back to file names.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer


def order_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """The names of the orders in the book (``--orders`` given before the cursor wins)."""
    from protectcalc.book import SUFFIXES, book_folder

    try:
        option = ctx.params.get("orders") if ctx is not None else None
        folder = book_folder(
            Path(option) if option else None, os.environ, Path.home(), sys.platform
        )
        names = sorted(
            item.stem
            for item in folder.iterdir()
            if item.suffix in SUFFIXES and not item.name.startswith(".") and item.is_file()
        )
    except (OSError, ValueError, TypeError):
        return []
    return [name for name in names if name.startswith(incomplete)]


def event_names(incomplete: str) -> list[str]:
    """The events ``record`` knows."""
    from protectcalc.book import EVENT_NAMES

    return [name for name in EVENT_NAMES if name.startswith(incomplete)]


def rule_set_names(incomplete: str) -> list[str]:
    """The rule sets shipped in the package (a TOML file path is completed by the shell)."""
    from importlib import resources

    try:
        names = sorted(
            item.name.removesuffix(".toml")
            for item in resources.files("protectcalc.rules.data").iterdir()
            if item.name.endswith(".toml")
        )
    except (OSError, ModuleNotFoundError):
        return []
    return [name for name in names if name.startswith(incomplete)]


def outcome_names(incomplete: str) -> list[str]:
    """How a dispute can close."""
    from protectcalc.model import DisputeOutcome

    return [item.value for item in DisputeOutcome if item.value.startswith(incomplete)]
