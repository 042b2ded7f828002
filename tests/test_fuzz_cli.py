"""A random-argument fuzzer of the command line (issue 7): no traceback, ever.

Hypothesis builds a few hundred command lines with a fixed seed (``derandomize``): real
commands and options with junk values, unicode, huge numbers, doubled signs, paths to
``/dev/zero``, a FIFO, a folder, missing files and real order files. Each runs in-process
through :func:`protectcalc.cli.run`, the function the ``protectcalc`` script runs; every
one must end with a documented exit code and without a traceback. It runs in a scratch
folder, so ``replay --update`` and ``-o`` can only touch files made here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_cli import invoke

EXIT_CODES = {0, 1, 2, 3, 130}

COMMANDS = ["timeline", "status", "due", "rules", "replay", "schema", "--version", "help", ""]
OPTIONS = [
    "--placed", "--paid", "--cancel-requested", "--shipped", "--delivered", "--confirmed",
    "--dispute-opened", "--seller-responded", "--buyer-responded", "--escalated",
    "--dispute-closed", "--dispute-outcome", "--processing-days", "--delivery-days",
    "--extended", "--tz", "--buyer-country", "--buyer-subdivision", "--seller-country",
    "--payment-method", "--shipping", "--rules", "--reading", "--as-of", "--format", "-f",
    "--output", "-o", "--within", "--junit", "--update", "--dayfirst", "--monthfirst",
    "--help", "--nonsense",
]  # fmt: skip
VALUES = [
    "2026-03-01", "2026-03-01T14:30", "2026-03-01T14:30+03:00", "2026-02-30", "today", "now",
    "03/04/2026", "0", "-1", "--5", "+5", "²", "٣", "99999999999999999999", "1e9", "3d",
    "36h", "P2D", "99999999999999999999d", "P99999999999999999999D", "PT", "Europe/Moscow",
    "Mars/Olympus", "UTC", "RU", "CN", "json", "csv", "ics", "table", "text", "bogus",
    "post_confirmation_protection=ends_at_once", "x=y", "=", "", " ", "[/]", "[bold]x",
    "\x1b[31mred", "Заказ", "😀", "\udcff", "a\nb", "aliexpress", "/dev/zero", "/dev/null",
    "/dev/full", "/nonexistent/file.yaml",
]  # fmt: skip
PATH_NAMES = ["order.yaml", "scenario.yaml", "fifo.yaml", "folder", "missing.yaml", "out.json"]

ORDER = "name: Fuzz order\ntimezone: UTC\norder:\n  shipped: 2026-02-10\n  confirmed: 2026-03-01\n"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with an order, a scenario, a FIFO and a sub-folder; the cwd while fuzzing."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "order.yaml").write_text(ORDER, "utf-8")
    (folder / "scenario.yaml").write_text(ORDER + "expect:\n  phase: in_transit\n", "utf-8")
    os.mkfifo(folder / "fifo.yaml")
    (folder / "folder").mkdir()
    (folder / "folder" / "order.yaml").write_text(ORDER, "utf-8")
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(before)


def _argument(draw: st.DrawFn) -> list[str]:
    kind = draw(st.integers(0, 9))
    if kind <= 4:
        option = draw(st.sampled_from(OPTIONS))
        value = draw(st.one_of(st.sampled_from(VALUES + PATH_NAMES), st.text(max_size=12)))
        return [f"{option}={value}"] if kind == 0 else [option, value]
    if kind <= 6:
        return [draw(st.sampled_from([*PATH_NAMES, "/dev/zero", "."]))]
    if kind == 7:
        return [str(draw(st.integers(-(10**30), 10**30)))]
    return [draw(st.text(max_size=10))]


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(COMMANDS))
    args = [command] if command else []
    if draw(st.booleans()):
        args += ["--confirmed", draw(st.sampled_from(["2026-03-01", "2026-03-01T23:59", "now"]))]
    for _ in range(draw(st.integers(0, 6))):
        args += _argument(draw)
    return [arg.replace("\x00", "") for arg in args]


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(args=command_lines())
def test_no_traceback_and_a_documented_exit_code(scratch: Path, args: list[str]) -> None:
    result = invoke(args)
    assert result.exit_code in EXIT_CODES, (args, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, args
    if result.exit_code == 2:  # says why: one line on stderr, replay's report or the usage
        assert result.stderr.startswith("protectcalc: ") or result.stdout.strip(), args
    assert (scratch / "order.yaml").read_text("utf-8") == ORDER
