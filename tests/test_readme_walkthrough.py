"""The README's order-book walkthrough and reminder script, run exactly as printed there.

The walkthrough is the ``console`` block under "A whole dispute without editing a file or
retyping a date": each ``$`` line runs in bash (with this environment's ``protectcalc`` first
on PATH) and its output must be the lines that follow it. The reminder script is the ``sh``
block that starts with ``#!/bin/sh``; it runs with a stand-in ``notify-send`` for each exit
code of ``due``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
HEADING = "### A whole dispute without editing a file or retyping a date"

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or not (BIN / "protectcalc").exists(),
    reason="needs bash and the installed protectcalc script",
)


def block_after(text: str, marker: str, fence: str) -> str:
    """The first fenced block of kind ``fence`` after ``marker``."""
    start = text.index(marker)
    match = re.compile(rf"^```{fence}\n(.*?)^```$", re.DOTALL | re.MULTILINE).search(text, start)
    assert match is not None, f"no ```{fence} block after {marker!r}"
    return match.group(1)


def steps(block: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each ``$`` line of a console block."""
    found: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        else:
            found[-1][1].append(line)
    return found


def environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROTECTCALC")}
    env.update(PATH=f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}", COLUMNS="90", NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    env.update(extra)
    return env


def test_the_walkthrough_runs_as_printed(tmp_path: Path) -> None:
    text = README.read_text("utf-8")
    env = environment(HOME=str(tmp_path))
    for command, expected in steps(block_after(text, HEADING, "console")):
        exported = re.fullmatch(r"export (\w+)=(\S+)", command)
        if exported:
            env[exported.group(1)] = exported.group(2)
            continue
        done = subprocess.run(
            ["bash", "-c", "exec 2>&1; " + command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        got = [line.rstrip() for line in done.stdout.splitlines()]
        assert got == expected, f"$ {command}"
    # The book file at the end is the one the README shows.
    shown = block_after(text, "The file is still plain YAML", "yaml")
    assert (tmp_path / "orders" / "8123.yaml").read_text("utf-8") == shown
    # And the calendar holds the deadlines that still apply, and the cancelled ones.
    calendar = (tmp_path / "deadlines.ics").read_text("utf-8")
    assert calendar.count("BEGIN:VEVENT") == 5
    assert calendar.count("STATUS:CANCELLED") == 3


NEAR = """\
    timezone: UTC
    order:
      confirmed: 2026-03-01
    """


def run_reminder(tmp_path: Path, book: Path) -> tuple[int, str]:
    """Run the README's script with a stand-in notify-send that writes what it was given."""
    script = tmp_path / "protectcalc-remind"
    script.write_text(block_after(README.read_text("utf-8"), "Reminders that reach you", "sh"))
    script.chmod(0o755)
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    log = tmp_path / "notified.txt"
    log.unlink(missing_ok=True)
    notify = stubs / "notify-send"
    notify.write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> {log}\necho >> {log}\n')
    notify.chmod(0o755)
    env = environment(HOME=str(tmp_path), PROTECTCALC_ORDERS=str(book))
    env["PATH"] = f"{stubs}:{env['PATH']}"
    done = subprocess.run(
        [str(script)], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    return done.returncode, log.read_text("utf-8") if log.exists() else ""


def test_the_reminder_script_tells_due_from_failed(tmp_path: Path) -> None:
    book = tmp_path / "orders"
    book.mkdir()
    # Nothing in the book: nothing due, no notification.
    assert run_reminder(tmp_path, book) == (0, "")
    # Receipt confirmed 14 days ago: protection ends at the next midnight, within 2 days.
    confirmed = (datetime.now(UTC) - timedelta(days=14)).date().isoformat()
    (book / "near.yaml").write_text(textwrap.dedent(NEAR).replace("2026-03-01", confirmed))
    code, notified = run_reminder(tmp_path, book)
    assert code == 0
    assert notified.startswith("-u|critical|AliExpress: act now|")
    assert "Protection ends: last moment to open a dispute" in notified
    assert "near" in notified
    # A bad file, nothing near: exit 2 from due is an error, not "act now".
    (book / "near.yaml").unlink()
    (book / "bad.yaml").write_text("order:\n  shipped: 2026-02-30\n", "utf-8")
    code, notified = run_reminder(tmp_path, book)
    assert code == 1
    assert notified.startswith("protectcalc failed (exit 2)|")
    assert "bad.yaml:2:12: order.shipped 2026-02-30" in notified
    assert "act now" not in notified
