"""The validated store of the shipped rule sets: up to date, faithful, and never trusted blindly."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from protectcalc.errors import RuleSetError
from protectcalc.rules import load_rule_set
from protectcalc.rules.loader import read_raw, read_text, shipped_names
from protectcalc.rules.schema import to_json_data, validate_rule_set
from protectcalc.rules.trusted import SUFFIX, store_text, trusted_rule_set

SHIPPED = shipped_names()


def stored(name: str) -> str:
    return resources.files("protectcalc.rules.data").joinpath(f"{name}{SUFFIX}").read_text("utf-8")


@pytest.mark.parametrize("name", SHIPPED)
def test_the_store_is_up_to_date(name: str) -> None:
    """Edited a shipped rule set or schema.py? Run: python -m protectcalc.rules.trusted"""
    raw, _, text = read_raw(name)
    assert stored(name) == store_text(validate_rule_set(raw), text)


@pytest.mark.parametrize("name", SHIPPED)
def test_the_store_gives_what_validation_gives(name: str) -> None:
    raw, _, text = read_raw(name)
    validated = validate_rule_set(raw)
    trusted = trusted_rule_set(name, text)
    assert trusted == validated
    assert trusted is not None
    assert to_json_data(trusted, by_alias=True) == to_json_data(validated, by_alias=True)


def test_an_entry_for_another_text_is_not_used() -> None:
    text, _ = read_text("aliexpress")
    assert trusted_rule_set("aliexpress", text) is not None
    assert trusted_rule_set("aliexpress", text.replace("title", "title ", 1)) is None
    assert trusted_rule_set("no_such_set", text) is None


def test_a_users_copy_of_a_shipped_set_is_validated(tmp_path: Path) -> None:
    text, _ = read_text("aliexpress")
    path = tmp_path / "mine.toml"
    path.write_text(text.replace("schema = 2", "schema = 3", 1), "utf-8")
    with pytest.raises(RuleSetError, match=r"mine\.toml:\d+: schema: "):
        load_rule_set(str(path))


def test_a_timeline_builds_no_validator_and_parses_no_toml() -> None:
    """The start-up budget (benchmarks/startup.py): pydantic validates nothing for a shipped set."""
    probe = (
        "import sys\n"
        "import pydantic\n"
        "from protectcalc import compute\n"
        "from protectcalc.rules import schema\n"
        "compute({'confirmed': '2026-03-01', 'tz': 'Europe/Moscow'}, as_of='2026-03-02')\n"
        "built = [name for name, item in vars(schema).items() if isinstance(item, type)\n"
        "         and issubclass(item, pydantic.BaseModel) and item.__pydantic_complete__]\n"
        "print(built, 'tomllib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "False"]
