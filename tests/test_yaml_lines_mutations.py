"""The line reader against the pure YAML 1.2 parser on randomly edited scenario files.

Why: the line reader (``yaml_lines.read_common``) is a second reader of a subset of YAML; a
file it accepts must give exactly the data the full parser gives. Generated documents test
the shapes a generator knows; edits of real files (a character inserted, a few removed, a
piece copied elsewhere) reach the shapes nobody thought to generate. ``MUTATIONS=100000``
runs a larger check than the suite's default.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest

from protectcalc.scenarios import yaml_reader
from protectcalc.scenarios.yaml_lines import read_common

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").rglob("*.yaml"))
PIECES = [
    *" :#-'\"[]{},|>!&*?%@`\n",
    *"aZ09.+_~",
    "\u00e9",
    "\u00a0",
    "\u3000",
    "\u0416",
    "  ",
    "\n  ",
    "- ",
    ": ",
    " #",
    "\\",
    "null",
    "0x1",
    "1e3",
    ".inf",
]
"""What an edit inserts: YAML's indicators, spaces that are not YAML's, words it types."""


def _edited(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        choice = rng.random()
        if choice < 0.5:
            text = text[:at] + rng.choice(PIECES) + text[at:]
        elif choice < 0.8:
            text = text[:at] + text[at + rng.randint(1, 3) :]
        else:
            start = rng.randrange(len(text) + 1)
            text = text[:at] + text[start : start + rng.randint(1, 8)] + text[at:]
    return text


def _pure(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Any]:
    with monkeypatch.context() as patched:
        patched.setenv(yaml_reader.PURE_ENV, "1")
        try:
            return "data", yaml_reader.parse_yaml(text, "edited.yaml").data
        except yaml_reader.FileProblems as error:
            return "refused", [problem.message for problem in error.problems]


def test_edited_scenarios_read_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [path.read_text("utf-8") for path in SCENARIOS]
    rng = random.Random(20261203)
    accepted = 0
    for _ in range(int(os.environ.get("MUTATIONS", "1500"))):
        text = _edited(rng.choice(texts), rng)
        fast = read_common(text)
        if fast is None:
            continue  # the full reader reads it, as before
        accepted += 1
        assert _pure(text, monkeypatch) == ("data", fast), text
    assert accepted > 300  # not vacuous: about half of the edits keep the usual shape
