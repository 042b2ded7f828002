"""Start-up benchmark: ``protectcalc timeline --format json`` against a bare Typer app.

Why: protectcalc runs from shell scripts and cron jobs, often many times in a row, so its
start-up must stay close to the floor any Typer program pays (target: ratio <= 1.15).

Both programs run the same way, ``sys.executable -m MODULE ...``, so both pay the same
interpreter start-up and ``site`` cost; the runs are interleaved (bare, protectcalc, bare, ...)
so that machine noise hits both alike. Reported: median and minimum wall time of each, the ratio
of the medians, the peak RSS of the child processes, and the slowest imports of protectcalc's
start-up (``python -X importtime``, cumulative microseconds).

Usage::

    .venv/bin/python benchmarks/startup.py            # 20 runs each
    .venv/bin/python benchmarks/startup.py --runs 50 --top 15

Exit status: 0 when the ratio is within the target, 1 when it is over (so CI may use it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.15

BARE_APP = """\
import typer

app = typer.Typer()


@app.command()
def main() -> None:
    print("hi")


if __name__ == "__main__":
    app()
"""

PROTECTCALC_ARGS = (
    "-m",
    "protectcalc",
    "timeline",
    "--confirmed",
    "2026-03-01",
    "--tz",
    "Europe/Moscow",
    "--format",
    "json",
)


def run_once(argv: list[str], env: dict[str, str]) -> float:
    """Wall time of one run, in seconds; a failing run stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def peak_rss_mib(argv: list[str], env: dict[str, str]) -> float:
    """Peak resident memory of one run, in MiB (via a wrapper so children are measured alone)."""
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv], env=env, capture_output=True, text=True, check=True
    )
    kib = int(done.stdout.strip())
    return kib / 1024 if sys.platform != "darwin" else kib / (1024 * 1024)


def import_offenders(env: dict[str, str], top: int) -> list[tuple[int, str]]:
    """The modules with the largest cumulative import time in protectcalc's start-up."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *PROTECTCALC_ARGS],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    rows: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.rstrip()))
    rows.sort(reverse=True)
    return rows[:top]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each program (default 20)")
    parser.add_argument("--top", type=int, default=12, help="slowest imports to list")
    options = parser.parse_args(argv)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0", NO_COLOR="1")
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "bare_typer_app.py").write_text(BARE_APP, encoding="utf-8")
        bare_env = dict(env, PYTHONPATH=folder + os.pathsep + env.get("PYTHONPATH", ""))
        bare = [sys.executable, "-m", "bare_typer_app"]
        ours = [sys.executable, *PROTECTCALC_ARGS]
        for _ in range(2):  # warm the byte-code caches and the disk cache
            run_once(bare, bare_env)
            run_once(ours, env)
        bare_times: list[float] = []
        our_times: list[float] = []
        for _ in range(options.runs):
            bare_times.append(run_once(bare, bare_env))
            our_times.append(run_once(ours, env))
        bare_rss = peak_rss_mib(bare, bare_env)
    our_rss = peak_rss_mib(ours, env)
    bare_median, our_median = statistics.median(bare_times), statistics.median(our_times)
    ratio = our_median / bare_median
    print(f"python: {sys.executable} ({sys.version.split()[0]}), {options.runs} runs each")
    print(f"{'program':<44} {'median':>9} {'min':>9} {'peak RSS':>10}")
    for name, times, rss in (
        ("(a) bare Typer app (python -m)", bare_times, bare_rss),
        ("(b) protectcalc timeline --format json", our_times, our_rss),
    ):
        print(
            f"{name:<44} {statistics.median(times) * 1000:>7.1f}ms "
            f"{min(times) * 1000:>7.1f}ms {rss:>7.1f}MiB"
        )
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"ratio b/a (medians): {ratio:.3f} (target <= {TARGET_RATIO}) {verdict}")
    print(f"\nslowest imports of (b), cumulative (python -X importtime), top {options.top}:")
    for cumulative, name in import_offenders(env, options.top):
        print(f"{cumulative / 1000:>9.1f}ms  {name}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
