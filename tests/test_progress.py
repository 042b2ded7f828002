"""Progress bars of ``replay`` and ``due``: on a terminal's stderr only, never piped or JSON."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from protectcalc.cli import progress
from protectcalc.scenarios.replay import Replayer
from tests.conftest import FIXED_NOW
from tests.test_cli import invoke

SCENARIO = """\
    name: Accidental confirmation {n}
    timezone: Europe/Moscow
    order:
      confirmed: 2026-03-01
    expect:
      milestones:
        protection_end: 2026-03-16T00:00+03:00
    """

ORDER = """\
    name: Lamp {n}
    timezone: Europe/Moscow
    order:
      confirmed: 2026-03-01
    """


def folder_of(tmp_path: Path, text: str, count: int) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    for n in range(1, count + 1):
        body = textwrap.dedent(text).format(n=n)
        (folder / f"f{n}.yaml").write_text(body, encoding="utf-8")
    return folder


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """stderr as a terminal (drawn into a buffer) and no delay before the bar appears."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    monkeypatch.setattr(progress, "stderr_console", lambda: console)
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    return screen


@pytest.fixture
def no_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)


def test_replay_draws_a_bar_on_a_terminal(tmp_path: Path, terminal: io.StringIO) -> None:
    folder = folder_of(tmp_path, SCENARIO, 3)
    result = invoke(["replay", str(folder)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "replay: 3 passed, 0 failed"
    assert result.stderr == ""
    drawn = terminal.getvalue()
    assert "replay" in drawn
    assert " 0/3" in drawn
    assert "3/3" in drawn
    assert drawn.startswith("\x1b[?25l")  # the cursor is hidden while drawing,
    assert "\x1b[?25h" in drawn  # shown again at the end,
    assert drawn.endswith("\x1b[2K")  # and the bar's line is erased


def test_due_draws_a_bar_on_a_terminal(tmp_path: Path, terminal: io.StringIO) -> None:
    folder = folder_of(tmp_path, ORDER, 2)
    result = invoke(["due", str(folder), "--as-of", "2026-03-02T09:00Z", "--format", "csv"])
    assert result.exit_code == 0
    assert result.stderr == ""
    drawn = terminal.getvalue()
    assert "due" in drawn
    assert "2/2" in drawn


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["replay", "--format", "json"], SCENARIO),
        (["due", "--as-of", "2026-03-02T09:00Z", "--format", "json"], ORDER),
    ],
)
def test_no_bar_with_json_even_on_a_terminal(
    tmp_path: Path, terminal: io.StringIO, args: list[str], text: str
) -> None:
    folder = folder_of(tmp_path, text, 3)
    result = invoke([*args, str(folder)])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert terminal.getvalue() == ""


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["replay"], SCENARIO),
        (["due", "--as-of", "2026-03-02T09:00Z"], ORDER),
    ],
)
def test_no_bar_when_stderr_is_not_a_terminal(
    tmp_path: Path, no_delay: None, args: list[str], text: str
) -> None:
    """FORCE_COLOR (set by many CI systems) does not make a pipe a terminal."""
    folder = folder_of(tmp_path, text, 3)
    result = invoke([*args, str(folder)], env={"FORCE_COLOR": "1", "TERM": "xterm"})
    assert result.exit_code == 0
    assert result.stderr == ""


def test_a_piped_run_never_imports_rich_progress(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, SCENARIO, 3)
    code = (
        "import sys; from protectcalc.cli import run; "
        f"code = run(['replay', {str(folder)!r}]); "
        "print(code, 'rich.progress' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stderr == "0 False\n"
    assert done.stdout.splitlines()[-1] == "replay: 3 passed, 0 failed"


def test_a_quick_run_shows_no_bar(tmp_path: Path, terminal: io.StringIO) -> None:
    """A run that ends before the delay draws nothing: no flash for a handful of files."""
    progress.DELAY_SECONDS = 3600.0  # restored by monkeypatch after the test
    folder = folder_of(tmp_path, SCENARIO, 2)
    assert invoke(["replay", str(folder)]).exit_code == 0
    assert terminal.getvalue() == ""


def test_the_replayer_reports_each_file_done(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, SCENARIO, 3)
    seen: list[tuple[int, int]] = []
    outcomes = Replayer(FIXED_NOW).replay([str(folder)], progress=lambda *step: seen.append(step))
    assert len(outcomes) == 3
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_replay_orders_accepts_order_files(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, ORDER, 1)
    (folder / "bad.yaml").write_text(
        "name: Bad\norder:\n  confirmed: 2026-02-30\n", encoding="utf-8"
    )
    plain = invoke(["replay", str(folder)])
    assert plain.exit_code == 2
    assert f"{folder.as_posix()}/f1.yaml:1:1: expect: is missing" in plain.stdout
    result = invoke(["replay", "--orders", str(folder)])
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"ERROR {folder.as_posix()}/bad.yaml  Bad",
        f"  {folder.as_posix()}/bad.yaml:3:14: order.confirmed 2026-02-30: "
        "is not a real date or time (day is out of range for month)",
        f"PASS {folder.as_posix()}/f1.yaml  Lamp 1",
        "replay: 1 error",
        "replay: 1 passed, 0 failed",
    ]
