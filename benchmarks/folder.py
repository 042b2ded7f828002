"""Folder benchmark: how long ``protectcalc due FOLDER`` takes over many order files.

Why: people keep one YAML file per order and run ``due`` over the whole folder from cron, so a
folder of 10,000 orders must be listed in well under a few seconds (target: 2 s on 2 cores).

The script writes N order files (default 10,000; the stories of ``benchmarks/replay.py``, no
``expect``) into a temporary folder and times the whole process,
``python -m protectcalc due FOLDER --as-of ... --format csv``, median of several runs. Side by
side it times the same command over an empty folder (the start-up floor every run pays) and,
with ``PROTECTCALC_PURE_YAML=1``, with the pure-Python YAML parser instead of libyaml, so the
parser's share is visible, and with ``PROTECTCALC_WORKERS=1`` (one process: the workers'
share), and with the default ``--format table`` (the rendering of every row: what a person at
a terminal waits for). ``--profile`` adds a cProfile of one in-process run (on one process).

Usage::

    .venv/bin/python benchmarks/folder.py                   # 10,000 files, 3 runs each
    .venv/bin/python benchmarks/folder.py --files 2000 --runs 5 --profile

Exit status: 0 when every run listed the orders (exit 0 from ``due``), 1 otherwise.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.replay import STORIES, story, to_yaml  # noqa: E402

AS_OF = "2026-03-02T09:00Z"


def generate(folder: Path, count: int, seed: int) -> None:
    """N order files: every story of the replay benchmark except bad input."""
    rng = random.Random(seed)
    good = [kind for kind in STORIES if kind != "bad_input"]
    for index in range(count):
        data = story(STORIES.index(good[index % len(good)]), rng)
        data.pop("as_of", None)
        data["name"] = f"Order {index}"
        text = "# generated order\n" + to_yaml(data)
        (folder / f"order_{index:05d}.yaml").write_text(text, "utf-8")


def run_due(
    folder: Path, extra_env: Mapping[str, str], output: str = "csv"
) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system) and exit code of one ``python -m protectcalc due``.

    CPU time is printed too because on a busy machine the wall time mostly measures the load.
    """
    env = {key: value for key, value in os.environ.items() if key != "TZ"}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra_env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-m", "protectcalc", "due", str(folder), "--as-of", AS_OF]
    started = time.perf_counter()
    done = subprocess.run(  # cwd: ``-m`` puts it first on sys.path, ahead of PYTHONPATH
        [*command, "--format", output],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder.parent,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode not in (0, 2) or (
        done.returncode == 2 and "no order files" not in done.stderr
    ):
        print(done.stderr[-2000:], file=sys.stderr)
    return elapsed, cpu, done.returncode


def profile(folder: Path, top: int) -> None:
    """The slowest functions (cumulative) of one in-process ``due`` run, on one process."""
    from typer.testing import CliRunner

    from protectcalc.cli import app

    profiler = cProfile.Profile()
    profiler.enable()
    arguments = ["due", str(folder), "--as-of", AS_OF, "--format", "csv"]
    CliRunner().invoke(app, arguments, env={"PROTECTCALC_WORKERS": "1"})
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="order files to generate")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command")
    parser.add_argument("--seed", type=int, default=3, help="random seed of the stories")
    parser.add_argument("--no-pure", action="store_true", help="skip the pure-parser runs")
    parser.add_argument(
        "--compare",
        type=Path,
        help="another checkout of protectcalc (e.g. from git archive) timed the same way",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process run")
    parser.add_argument("--top", type=int, default=30, help="profile lines to print")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="protectcalc-folder-") as temporary:
        empty = Path(temporary) / "empty"
        folder = Path(temporary) / "orders"
        empty.mkdir()
        folder.mkdir()
        generate(folder, args.files, args.seed)
        size = sum(path.stat().st_size for path in folder.iterdir())
        print(f"{args.files} order files ({size / 1024:.0f} KiB), due --as-of {AS_OF}")
        # CSV measures reading and computing; the table (what a person at a terminal gets,
        # 80 columns when piped) adds the rendering of every row.
        modes: dict[str, tuple[Path, dict[str, str], str]] = {
            "empty folder (start-up floor)": (empty, {}, "csv"),
            "libyaml parser (default)": (folder, {}, "csv"),
            "one process (WORKERS=1)": (folder, {"PROTECTCALC_WORKERS": "1"}, "csv"),
            "--format table (the default)": (folder, {}, "table"),
        }
        if args.compare is not None:
            old = {"PYTHONPATH": str(args.compare)}
            modes[f"checkout {args.compare}"] = (folder, old, "csv")
            modes[f"checkout {args.compare}, table"] = (folder, old, "table")
        if not args.no_pure:
            modes["pure-Python parser"] = (folder, {"PROTECTCALC_PURE_YAML": "1"}, "csv")
        times: dict[str, list[float]] = {name: [] for name in modes}
        cpus: dict[str, list[float]] = {name: [] for name in modes}
        failed = False
        for _ in range(args.runs):  # interleaved, so machine noise hits every mode alike
            for name, (target, env, output) in modes.items():
                elapsed, cpu, code = run_due(target, env, output)
                times[name].append(elapsed)
                cpus[name].append(cpu)
                failed |= target is folder and code != 0
        floor = statistics.median(times["empty folder (start-up floor)"])
        for name, measured in times.items():
            median = statistics.median(measured)
            cpu = statistics.median(cpus[name])
            rate = "" if name.startswith("empty") else f" = {args.files / median:,.0f} files/s"
            beyond = "" if name.startswith("empty") else f", {median - floor:.3f} s over the floor"
            print(
                f"  {name:32} median {median:.3f} s (min {min(measured):.3f}, "
                f"CPU {cpu:.3f} s){rate}{beyond}"
            )
        if args.profile:
            profile(folder, args.top)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
