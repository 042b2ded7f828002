"""``protectcalc completion bash|zsh|fish`` and ``protectcalc man``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from protectcalc.cli import run
from tests.test_book import invoke

BIN = Path(sys.executable).parent


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "orders"
    for name in ("headphones", "lamp"):
        result = invoke(["add", name, "--shipped", "2026-02-10", "--tz", "UTC"], folder)
        assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o default -F _protectcalc_completion protectcalc"),
        ("zsh", "#compdef protectcalc"),
        ("fish", "complete --command protectcalc"),
    ],
)
def test_completion_prints_the_script(shell: str, marker: str) -> None:
    result = invoke(["completion", shell])
    assert result.exit_code == 0, result.output
    assert marker in result.stdout
    assert f"_PROTECTCALC_COMPLETE=complete_{shell}" in result.stdout


def test_completion_refuses_another_shell() -> None:
    result = invoke(["completion", "tcsh"])
    assert result.exit_code == 2
    assert "tcsh" in result.stderr


def complete(words: str, book: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What the bash script gets back for the words typed so far (the last may be partial)."""
    parts = words.split(" ")
    env = {
        "_PROTECTCALC_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
        "PROTECTCALC_ORDERS": str(book),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        with pytest.raises(SystemExit) as done:
            run([])
        assert done.value.code == 0
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return capsys.readouterr().out.split()


def test_completes_names_events_rules_and_commands(
    book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert complete("protectcalc rec", book, capsys) == ["record"]
    assert complete("protectcalc record ", book, capsys) == ["headphones", "lamp"]
    assert complete("protectcalc record l", book, capsys) == ["lamp"]
    assert complete("protectcalc record lamp s", book, capsys) == [
        "shipped",
        "seller-contacted",
        "seller-responded",
    ]
    assert "dispute-closed" in complete("protectcalc record lamp ", book, capsys)
    assert complete("protectcalc status h", book, capsys) == ["headphones"]
    assert complete("protectcalc timeline --rules ", book, capsys) == [
        "aliexpress",
        "amazon",
        "card",
        "ebay",
        "etsy",
        "paypal",
        "temu",
    ]
    assert complete("protectcalc record lamp dispute-closed --outcome b", book, capsys) == [
        "buyer_won"
    ]


@pytest.mark.skipif(
    shutil.which("bash") is None or not (BIN / "protectcalc").exists(),
    reason="needs bash and the installed protectcalc script",
)
def test_the_bash_script_completes_in_a_real_bash(book: Path, tmp_path: Path) -> None:
    script = tmp_path / "protectcalc.bash"
    script.write_text(invoke(["completion", "bash"]).stdout, "utf-8")
    probe = (
        f"source {script}; COMP_WORDS=(protectcalc record ''); COMP_CWORD=2; "
        '_protectcalc_completion protectcalc; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    env["PROTECTCALC_ORDERS"] = str(book)
    out = subprocess.run(
        ["bash", "--norc", "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["headphones", "lamp"]


def test_man_page_roff_structure() -> None:
    result = invoke(["man"])
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert page.startswith(".TH PROTECTCALC 1 ")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT"):
        assert f"\n.SH {section}\n" in page
    commands = re.findall(r"^\.SS (\S+)$", page, flags=re.MULTILINE)
    for name in ("timeline", "status", "due", "add", "record", "orders", "calendar", "man"):
        assert name in commands
    assert "\\fB\\-\\-within\\fR \\fIWITHIN\\fR" in page or "\\-\\-within" in page
    assert "[cyan]" not in page and "[/bold]" not in page
    # Every line that starts with a dot is a known request (no text line begins with a dot).
    requests = {line.split(" ")[0] for line in page.splitlines() if line.startswith(".")}
    assert requests <= {".TH", ".SH", ".SS", ".PP", ".TP", ".RS", ".RE", ".nf", ".fi", ".br", ".B"}


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_page_renders_with_man(tmp_path: Path) -> None:
    page = tmp_path / "protectcalc.1"
    result = invoke(["man", "-o", str(page)])
    assert result.exit_code == 0, result.output
    shown = subprocess.run(
        ["man", "-l", str(page)],
        capture_output=True,
        text=True,
        env={**os.environ, "MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"},
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    text = re.sub(r".\x08", "", shown.stdout)  # overstrike bold, if any
    assert "PROTECTCALC(1)" in text
    assert "protectcalc record NAME EVENT [WHEN] [OPTIONS]" in text
    assert "PROTECTCALC_ORDERS" in text
    assert "warning" not in shown.stderr.lower()
