"""The hooks this repository offers: each runs a real protectcalc command on the right files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from protectcalc.cli import run

HOOKS = (Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text("utf-8")


def test_both_hooks_are_offered() -> None:
    assert re.findall(r"^- id: (\S+)$", HOOKS, flags=re.M) == [
        "protectcalc-replay",
        "protectcalc-rules-check",
    ]
    assert "entry: protectcalc rules check\n" in HOOKS
    assert "files: \\.toml$\n" in HOOKS


def test_the_rules_check_entry_passes_a_good_file_and_fails_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.toml"
    good.write_text('schema = 2\nname = "good"\ntitle = "Good"\nextends = "aliexpress"\n', "utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'schema = 2\nname = "bad"\ntitle = "Bad"\nextends = "aliexpress"\n'
        '[milestones.x]\nlabel = "x"\nfrom = "nothing_here"\nadd = "payment_window"\n',
        "utf-8",
    )
    assert run(["rules", "check", str(good)]) == 0
    assert run(["rules", "check", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:7: milestones.x.from: unknown name 'nothing_here'" in err
