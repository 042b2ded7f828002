"""The README's console examples, run as a reader would run them, against their real output.

Each ```console block starts with ``$ command`` (continued with a trailing backslash); the
rest of the block is exactly what it prints. A fixed ``--as-of`` keeps the output stable.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def console_examples() -> list[tuple[str, str]]:
    """(command, expected output) for every ```console block of the README."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL):
        lines = block.splitlines()
        assert lines[0].startswith("$ "), block
        command = [lines[0][2:]]
        rest = lines[1:]
        while command[-1].endswith("\\"):
            command.append(rest.pop(0))
        # One protectcalc command a block runs here (a `pytest` example would run this suite
        # inside itself, without end); the walkthrough's shell session has its own test.
        if not command[0].startswith("protectcalc ") or "\n$ " in block:
            continue
        found.append(("\n".join(command), "\n".join(rest) + "\n"))
    return found


EXAMPLES = console_examples()


def test_the_readme_has_console_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c[:60] for c, _ in EXAMPLES])
def test_readme_console_example_prints_what_the_readme_shows(command: str, expected: str) -> None:
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "COLUMNS": "80",
            "NO_COLOR": "1",
            "TZ": "UTC",
        },
    )
    assert done.stderr == ""
    assert done.stdout == expected


def test_every_readme_date_sentence_names_the_last_day() -> None:
    """No "open ... on 15 March" for a deadline that passes at 15 March 00:00."""
    assert "on **15 March**, the safe date" not in README
    assert "**by the end of 14 March**" in README
    assert "2026-03-16 Mon 00:00" not in README
