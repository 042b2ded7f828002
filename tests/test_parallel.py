"""``due`` and ``replay`` on several processes: the same output, exit code and errors as on one.

The scenario folder is the input: 168 stories, some with bad input, read as order files by
``due`` and as scenarios by ``replay``. Forked workers exist on Linux only.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from protectcalc.cli import parallel, run
from protectcalc.errors import InputError

SCENARIOS = str(Path(__file__).resolve().parent.parent / "scenarios")
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="forked workers: Linux only")


def invoke(args: list[str], workers: str) -> Result:
    runner = CliRunner()
    env = {"NO_COLOR": "1", "COLUMNS": "160", parallel.WORKERS_VARIABLE: workers}
    with runner.isolation(env=env) as (out, err, mixed):
        code = run(args)
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(runner, out.getvalue(), err.getvalue(), mixed.getvalue(), None, code, None)


@linux_only
@pytest.mark.parametrize("output_format", ["csv", "json"])
def test_due_on_two_processes_says_what_one_says(output_format: str) -> None:
    args = ["due", SCENARIOS, "--as-of", "2026-03-02T09:00Z", "--format", output_format]
    alone, spread = invoke(args, "1"), invoke(args, "2")
    assert alone.exit_code == 2  # scenarios/bad_input holds files that cannot be read
    assert (spread.exit_code, spread.stdout, spread.stderr) == (
        alone.exit_code,
        alone.stdout,
        alone.stderr,
    )
    assert alone.stdout.count("\n") > 100
    assert alone.stderr.count("protectcalc: ") > 10


@linux_only
def test_replay_on_two_processes_says_what_one_says() -> None:
    alone, spread = invoke(["replay", SCENARIOS], "1"), invoke(["replay", SCENARIOS], "2")
    assert alone.exit_code == 0
    assert (spread.exit_code, spread.stdout) == (alone.exit_code, alone.stdout)
    assert alone.stdout.splitlines()[-1].startswith("replay: 168 passed, 0 failed")


def test_a_bad_number_of_processes_is_one_line_and_exit_2() -> None:
    result = invoke(["due", SCENARIOS, "--as-of", "2026-03-02T09:00Z"], "two")
    assert result.exit_code == 2
    assert result.stderr == (
        "protectcalc: PROTECTCALC_WORKERS two: is not a number of processes (1 or more)\n"
    )


def test_how_many_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.WORKERS_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 4)
    assert parallel.worker_count(parallel.MIN_FILES - 1) == 1
    assert parallel.worker_count(parallel.MIN_FILES) == 4
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "3")
    assert parallel.worker_count(5) == 3
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "0")
    with pytest.raises(InputError):
        parallel.worker_count(5)
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "3")
    assert parallel.worker_count(5) == 1


@linux_only
def test_results_come_back_in_order_with_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "2")
    seen: list[tuple[int, int]] = []
    items = list(range(100))
    result = parallel.map_in_order(lambda n: n * n, items, lambda d, t: seen.append((d, t)))
    assert result == [n * n for n in items]
    assert seen[0] == (0, 100) and seen[-1] == (100, 100)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@linux_only
def test_the_first_item_runs_before_the_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the first item builds (imports, rule sets) is inherited by the workers; the
    calling process works beside them."""
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "3")
    parent = os.getpid()

    def slow_pid(_n: int) -> int:
        time.sleep(0.002)  # long enough that every process gets chunks
        return os.getpid()

    pids = parallel.map_in_order(slow_pid, list(range(400)))
    assert pids[0] == parent
    assert parent in pids[1:]
    assert len(set(pids)) == 3


@linux_only
def test_many_items_make_bigger_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """More chunks than a pipe holds at once would block: the chunks grow instead."""
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "2")
    items = list(range(parallel.MAX_CHUNKS * parallel.CHUNK * 3 + 7))
    assert parallel.map_in_order(lambda n: n + 1, items) == [n + 1 for n in items]


def _raise_in_a_worker(n: int) -> None:
    raise ValueError(f"item {n} broke")


def _killed_in_a_worker(_n: int) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@linux_only
@pytest.mark.parametrize(
    ("fail", "told"),
    [
        (_raise_in_a_worker, r"a worker process failed:(.|\n)*ValueError: item \d+ broke"),
        (_killed_in_a_worker, "a worker process failed:\nkilled by signal 9 before its last"),
    ],
)
def test_a_failing_worker_is_raised_and_none_is_left(
    monkeypatch: pytest.MonkeyPatch, fail: Callable[[int], None], told: str
) -> None:
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "2")
    parent = os.getpid()

    def fails_elsewhere(n: int) -> int:
        if os.getpid() != parent:
            fail(n)
        time.sleep(0.001)
        return n

    before = children()
    with pytest.raises(RuntimeError, match=told):
        parallel.map_in_order(fails_elsewhere, list(range(200)))
    assert children() == before  # every worker was reaped


def children() -> set[int]:
    """This process's children, reaped or not yet (Linux lists them per thread)."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found.update(int(pid) for pid in (task / "children").read_text().split())
    return found
