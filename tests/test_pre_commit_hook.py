"""The pre-commit hook, as a user's repository runs it: ``pre-commit try-repo`` on this one.

try-repo reads ``.pre-commit-hooks.yaml`` from this repository's git history (with the
uncommitted changes to tracked files laid over it) and pip-installs the package into an
environment of its own, which needs the package registry: the test is marked ``network``
(``pytest -m 'not network'`` leaves it out) and is skipped when git or pre-commit is missing.
try-repo builds that environment afresh in a temporary store every time: about a minute.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FLAGS = ("--all-files", "--verbose")
"""Every file of the user's repository, and the hook's output even when it passes."""

PASSING = """\
    name: Accidental confirmation
    timezone: Europe/Moscow
    order:
      confirmed: 2026-03-01
    expect:
      milestones:
        protection_end: 2026-03-16T00:00+03:00
    """
FAILING = """\
    name: Wrong protection end
    timezone: Europe/Moscow
    order:
      confirmed: 2026-03-01
    expect:
      milestones:
        protection_end: 2026-03-17T00:00+03:00
    """
ORDER = """\
    name: Lamp
    order:
      shipped: 2026-02-10
    """


def _git_env() -> dict[str, str]:
    """The environment without GIT_* variables (set when pytest itself runs in a git hook)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}


def _skip_reason() -> str | None:
    if shutil.which("git") is None:
        return "git is not installed: pre-commit needs it"
    if importlib.util.find_spec("pre_commit") is None:
        return "pre-commit is not installed: pip install -e '.[dev]'"
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".pre-commit-hooks.yaml"],
        cwd=REPO,
        capture_output=True,
        env=_git_env(),
        check=False,
    )
    if tracked.returncode != 0:
        return "this checkout is not a git repository with .pre-commit-hooks.yaml committed"
    return None


@pytest.mark.network
def test_try_repo_passes_the_good_scenario_and_fails_the_bad_one(tmp_path: Path) -> None:
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    work = tmp_path / "user-repo"
    for name, text in {
        "scenarios/good.yaml": PASSING,
        "scenarios/bad.yaml": FAILING,
        "orders/lamp.yaml": ORDER,
    }.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(textwrap.dedent(text), encoding="utf-8")
    env = _git_env()
    subprocess.run(["git", "init", "-q", str(work)], check=True, env=env)
    subprocess.run(["git", "add", "."], cwd=work, check=True, env=env)
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["PRE_COMMIT_COLOR"] = "never"
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "protectcalc-replay", *FLAGS],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        timeout=540,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    lines = [line.rstrip() for line in done.stdout.splitlines()]
    assert any(line.startswith("protectcalc replay.") and line.endswith("Failed") for line in lines)
    assert "- exit code: 1" in lines
    report = lines[lines.index("- exit code: 1") + 2 :]
    assert report[:6] == [
        "PASS orders/lamp.yaml  Lamp",
        "FAIL scenarios/bad.yaml  Wrong protection end",
        "  milestones.protection_end: expected 2026-03-17T00:00+03:00, got 2026-03-16T00:00+03:00",
        "PASS scenarios/good.yaml  Accidental confirmation",
        "replay: 2 passed, 1 failed",
        "",
    ]
