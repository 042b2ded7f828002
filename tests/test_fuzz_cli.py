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
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.test_cli import invoke

EXIT_CODES = {0, 1, 2, 3, 130}

COMMANDS = ["timeline", "status", "due", "rules", "replay", "schema", "--version", "help", ""]
NUMBERS = ["0", "-1", "--5", "+5", "²", "٣", "99999999999999999999", "1e9", "3", "45", " 7 "]
DATES = [
    "2026-03-01", "2026-03-01T14:30", "2026-03-01T14:30+03:00", "2026-02-30", "today", "now",
    "03/04/2026", "9999-12-31", "0001-01-01", "2026-03-08T02:30", "-1", "²", "",
]  # fmt: skip
DURATIONS = [
    "3d", "36h", "P2D", "PT36H", "99999999999999999999d", "P99999999999999999999D", "PT",
    "P9999999W", "٣d", "-3d", "0m", "2d12h",
]  # fmt: skip
PATHS = [
    "/dev/zero", "devnull-link", "fifo.yaml", "folder", "missing.yaml", "order.yaml",
    "scenario.yaml", "out.json", "link.json", "/nonexistent/x.toml", ".",
]  # fmt: skip
"""No /dev path for -o and --junit: code without the fix, run as root, would rename a
temporary file over it. ``devnull-link`` (a symlink to /dev/null) stands in for one."""
WRITE_PATHS = [path for path in PATHS if not path.startswith("/")]
WORDS = [
    "json", "csv", "ics", "table", "text", "bogus", "Europe/Moscow", "Mars/Olympus", "UTC",
    "RU", "CN", "USA", "post_confirmation_protection=ends_at_once", "x=y", "=", "aliexpress",
    "[/]", "[bold]x", "\x1b[31mred", "Заказ", "😀", "\udcff", "a\nb", " ",
]  # fmt: skip
OPTIONS: dict[str, list[str]] = {
    **dict.fromkeys(
        ["--placed", "--paid", "--cancel-requested", "--shipped", "--delivered", "--confirmed",
         "--dispute-opened", "--seller-responded", "--buyer-responded", "--escalated",
         "--dispute-closed", "--as-of"],
        DATES,
    ),
    **dict.fromkeys(["--processing-days", "--delivery-days", "--extended"], NUMBERS),
    "--within": DURATIONS,
    "--rules": PATHS,
    **dict.fromkeys(["--output", "-o", "--junit"], WRITE_PATHS),
    **dict.fromkeys(
        ["--tz", "--buyer-country", "--buyer-subdivision", "--seller-country", "--format",
         "-f", "--payment-method", "--shipping", "--reading", "--dispute-outcome", "--nonsense"],
        WORDS,
    ),
}  # fmt: skip
FLAGS = ["--update", "--dayfirst", "--monthfirst", "--help", "--version", "-"]
VALID = {
    "--delivered": "2026-02-20",
    "--processing-days": "5",
    "--delivery-days": "45",
    "--extended": "10",
    "--tz": "Europe/Moscow",
    "--buyer-country": "RU",
    "--format": "json",
    "-f": "csv",
    "--within": "3d",
    "--as-of": "2026-03-02",
    "--output": "out.json",
    "-o": "out.json",
    "--junit": "junit.xml",
}
"""A good value for an option, so that a command line with one bad value reaches it."""
ORDER_OPTIONS = [name for name in OPTIONS if name not in ("--within", "--junit", "--nonsense")]
ACCEPTS: dict[str, list[str]] = {
    "timeline": ORDER_OPTIONS,
    "status": [*ORDER_OPTIONS, "--within", "--within"],
    "due": ["--within", "--as-of", "--format", "-f"],
    "rules": ["--rules", "--format"],
    "replay": ["--junit", "--format", "-f"],
    "schema": ["--output", "-o"],
}
"""The options each command takes: most junk must get past the parser to the code under test."""

ORDER = "name: Fuzz order\ntimezone: UTC\norder:\n  shipped: 2026-02-10\n  confirmed: 2026-03-01\n"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with an order, a scenario, a FIFO and a sub-folder; the cwd while fuzzing."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "order.yaml").write_text(ORDER, "utf-8")
    (folder / "scenario.yaml").write_text(ORDER + "expect:\n  phase: in_transit\n", "utf-8")
    os.mkfifo(folder / "fifo.yaml")
    (folder / "folder").mkdir()
    (folder / "link.json").symlink_to("out.json")
    (folder / "devnull-link").symlink_to("/dev/null")
    (folder / "folder" / "order.yaml").write_text(ORDER, "utf-8")
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(before)


def _argument(draw: st.DrawFn, command: str) -> list[str]:
    """One option with a value that is wrong in a way that option can be wrong, or junk."""
    kind = draw(st.integers(0, 9))
    if kind <= 6:
        accepted = ACCEPTS.get(command) if kind > 0 else None
        option = draw(st.sampled_from(accepted or sorted(OPTIONS)))
        pool = OPTIONS[option]
        if kind <= 3 and option in VALID:  # most options valid, so that one junk value counts
            value = VALID[option]
        elif kind <= 5:
            value = draw(st.sampled_from(pool))
        else:
            value = draw(st.text(max_size=12))
        return [f"{option}={value}"] if kind in (0, 1) else [option, value]
    if kind == 7:
        return [draw(st.sampled_from(FLAGS))]
    if kind == 8:
        return [draw(st.sampled_from(PATHS))]
    return [draw(st.one_of(st.text(max_size=10), st.integers(-(10**30), 10**30).map(str)))]


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """Mostly a real command on a valid order plus a few junk options, so that the junk
    reaches the code that parses it instead of stopping at the first missing event."""
    command = draw(st.sampled_from(COMMANDS))
    args = [command] if command else []
    junk = st.integers(0, 9).map(lambda n: n == 0)  # one command line in ten takes anything
    base = draw(st.integers(0, 3))
    if base == 1:
        args += ["--confirmed", draw(st.sampled_from(["2026-03-01", "2026-03-01T23:59", "now"]))]
    elif base == 2:
        args += [draw(st.sampled_from(["order.yaml", "scenario.yaml", "folder"]))]
    elif base == 3:
        args += ["--shipped", "2026-02-10", "--tz", "Europe/Moscow"]
    for _ in range(draw(st.integers(0, 4))):
        if draw(junk):
            args += _argument(draw, "")
        else:
            args += _argument(draw, command)
    return [arg.replace("\x00", "") for arg in args]


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(args=command_lines())
@example(args=["timeline", "--confirmed", "2026-03-01", "--processing-days", "²"])
@example(args=["status", "--confirmed", "2026-03-01", "--within", "P99999999999999999999D"])
@example(args=["timeline", "--confirmed", "2026-03-01", "--rules", "/dev/zero"])
@example(args=["timeline", "order.yaml", "-f", "json", "-o", "order.yaml"])
def test_no_traceback_and_a_documented_exit_code(scratch: Path, args: list[str]) -> None:
    result = invoke(args)
    assert result.exit_code in EXIT_CODES, (args, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, args
    if result.exit_code == 2:  # says why: one line on stderr, replay's report or the usage
        assert result.stderr.startswith("protectcalc: ") or result.stdout.strip(), args
    assert (scratch / "order.yaml").read_text("utf-8") == ORDER
