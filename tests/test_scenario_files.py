"""Every scenario under scenarios/ is its own test case, named by its path (issue 3).

``protectcalc replay scenarios/`` runs the same files in CI; here a failing scenario shows
up by name in pytest's report, with what differs. Engine exceptions are not caught, so a
crash shows its traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from protectcalc.scenarios.replay import Replayer, Status, scenario_files
from protectcalc.scenarios.report import text_report
from tests.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FILES = scenario_files(SCENARIOS) if SCENARIOS.is_dir() else []


@pytest.mark.parametrize("path", FILES, ids=[path.relative_to(ROOT).as_posix() for path in FILES])
def test_scenario(path: Path) -> None:
    shown = path.relative_to(ROOT).as_posix()
    outcome = Replayer(FIXED_NOW, catch_internal=False).run_file(path, shown)
    assert outcome.status is Status.PASS, text_report([outcome])


def test_scenario_files_are_found_recursively_and_in_order() -> None:
    assert [path.as_posix() for path in FILES] == sorted(path.as_posix() for path in FILES)
    assert all(path.suffix in (".yaml", ".yml") for path in FILES)
