"""The process-wide cache of parsed rule sets: fast, and never stale or forgiving."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from protectcalc.errors import RuleSetError
from protectcalc.rules import DEFAULT_RULE_SET, load_rule_set


def shipped_text() -> str:
    source = resources.files("protectcalc.rules.data").joinpath(f"{DEFAULT_RULE_SET}.toml")
    return source.read_text(encoding="utf-8")


def test_an_edited_rule_set_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(shipped_text(), "utf-8")
    first = load_rule_set(str(path))
    path.write_text(shipped_text().replace(f'name = "{first.name}"', 'name = "edited"', 1), "utf-8")
    assert load_rule_set(str(path)).name == "edited"


def test_a_broken_rule_set_fails_every_time(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("name = [", "utf-8")
    for _ in range(2):
        with pytest.raises(RuleSetError):
            load_rule_set(str(path))


def test_readings_are_applied_per_call_not_cached() -> None:
    plain = load_rule_set()
    chosen = load_rule_set(None, {"post_confirmation_protection": "ends_at_once"})
    assert plain.label == DEFAULT_RULE_SET
    assert chosen.label != plain.label
    assert load_rule_set().label == DEFAULT_RULE_SET
