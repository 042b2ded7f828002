"""Compare the JSON output of two versions of the engine over generated orders and scenarios.

Why: the rule language replaced hand-written Python with data; for AliExpress nothing may
change for users. This script extracts the package at an older git ref into a temporary
folder, computes the same orders with both (in separate processes), and compares the JSON
documents byte for byte (and the error message, for an order either refuses).

    python benchmarks/compare_engines.py --old 8c6d74f --orders 10000

Fields the newer engine adds to the JSON contract (schema 1 allows new fields) can be left
out of the comparison with --ignore (default: rules_version).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DRIVER = r"""
import json, sys
from datetime import UTC, datetime
from protectcalc.cli import shell
from protectcalc.cli import compute
from protectcalc.order import OrderInput
from protectcalc.render.jsonout import render_json
from protectcalc.errors import InputError, RuleSetError

shell.now = lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ignore = set(sys.argv[1:])
for line in sys.stdin:
    item = json.loads(line)
    try:
        if "scenario" in item:
            from protectcalc.scenarios.replay import load_file
            from pathlib import Path
            order = load_file(Path(item["scenario"])).order
        else:
            fields = item["fields"]
            for key in ("seller_responded", "buyer_responded", "extended", "readings"):
                fields[key] = tuple(fields.get(key, ()))
            order = OrderInput(**fields)
        data = json.loads(render_json(compute(order)))
        for key in ignore:
            data.pop(key, None)
            for item in data.get("milestones", []):
                item.pop(key, None)
        out = {"json": json.dumps(data, ensure_ascii=False, indent=2)}
    except (InputError, RuleSetError) as error:
        out = {"error": str(error)}
    except Exception as error:  # a crash is a difference too
        out = {"crash": f"{type(error).__name__}: {error}"}
    print(json.dumps(out, ensure_ascii=False))
"""

ZONES = (
    "UTC",
    "Europe/Moscow",
    "America/New_York",
    "Asia/Shanghai",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "America/Sao_Paulo",
    "Europe/London",
    "Pacific/Pago_Pago",
)
READINGS = (
    "post_confirmation_protection=ends_at_once",
    "negotiation_limit=seven_days",
    "negotiation_limit=fifteen_days",
    "refund_after_cancel=calendar_days",
    "refund_after_cancel=about_20_days",
)


def _stamp(moment: datetime, rng: random.Random) -> str:
    if rng.random() < 0.4:
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M")


def generate(rng: random.Random) -> dict[str, object]:
    """One order: a chain of events stopping at a random step, sometimes out of order."""
    fields: dict[str, object] = {"tz": rng.choice(ZONES)}
    moment = datetime(2025, 1, 1) + timedelta(hours=rng.randrange(0, 3 * 365 * 24))
    step = lambda low, high: timedelta(hours=rng.randrange(low * 24, high * 24 + 1))  # noqa: E731
    chain = ["placed", "paid", "shipped", "delivered", "confirmed", "dispute_opened"]
    last = rng.randrange(1, len(chain) + 1)
    start = rng.randrange(0, last)
    for name in chain[start:last]:
        if name == "delivered" and rng.random() < 0.3:
            continue
        if name == "confirmed" and rng.random() < 0.3:
            continue
        fields[name] = _stamp(moment, rng)
        moment += step(0, 20)
    if "paid" in fields and "shipped" not in fields and rng.random() < 0.4:
        fields["cancel_requested"] = _stamp(moment, rng)
    if "paid" in fields and rng.random() < 0.5:
        fields["processing_days"] = str(rng.randrange(0, 30))
    if "shipped" in fields and rng.random() < 0.7:
        fields["delivery_days"] = str(rng.randrange(1, 90))
        if rng.random() < 0.3:
            fields["extended"] = [str(rng.randrange(1, 60)) for _ in range(rng.randrange(1, 3))]
    if "dispute_opened" in fields:
        seller: list[str] = []
        buyer: list[str] = []
        for _ in range(rng.randrange(0, 4)):
            moment += step(0, 6)
            seller.append(_stamp(moment, rng))
            if rng.random() < 0.8:
                moment += step(0, 11)
                buyer.append(_stamp(moment, rng))
            else:
                break
        fields["seller_responded"], fields["buyer_responded"] = seller, buyer
        if rng.random() < 0.2:
            moment += step(0, 5)
            fields["escalated"] = _stamp(moment, rng)
        if rng.random() < 0.2:
            moment += step(0, 20)
            fields["dispute_closed"] = _stamp(moment, rng)
            fields["dispute_outcome"] = rng.choice(["buyer_won", "seller_won", "partial"])
    if rng.random() < 0.05 and len(fields) > 2:  # out of order on purpose: errors must agree
        names = [key for key in chain if key in fields]
        if len(names) >= 2:
            a, b = rng.sample(names, 2)
            fields[a], fields[b] = fields[b], fields[a]
    if rng.random() < 0.4:
        fields["buyer_country"] = rng.choice(["RU", "US", "DE", "CN", "BR", "GB"])
    if rng.random() < 0.2:
        fields["payment_method"] = rng.choice(["card", "cash", "cash_on_delivery"])
    if rng.random() < 0.2:
        fields["shipping"] = "premium"
    if rng.random() < 0.3:
        fields["readings"] = [rng.choice(READINGS)]
    as_of = moment + timedelta(hours=rng.randrange(-20 * 24, 120 * 24))
    fields["as_of"] = as_of.strftime("%Y-%m-%dT%H:%M")
    return {"fields": fields}


def run(package_root: Path, lines: list[str], ignore: list[str]) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(package_root))
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, *ignore],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=package_root,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return result.stdout.splitlines()


def extract(ref: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "protectcalc"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="git ref of the older engine")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--ignore", nargs="*", default=["rules_version"])
    args = parser.parse_args()
    rng = random.Random(args.seed)
    items = [generate(rng) for _ in range(args.orders)]
    scenario_files = sorted(str(path) for path in (ROOT / "scenarios").rglob("*.yaml"))
    items += [{"scenario": path} for path in scenario_files]
    lines = [json.dumps(item) for item in items]
    with tempfile.TemporaryDirectory() as folder:
        extract(args.old, Path(folder))
        old = run(Path(folder), lines, args.ignore)
    new = run(ROOT, lines, args.ignore)
    differ = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    refused = sum(1 for line in new if '"error"' in line[:10])
    print(
        f"compared {len(items)} orders ({args.orders} generated, {len(scenario_files)} "
        f"scenario files): {len(items) - len(differ)} identical, {len(differ)} differ; "
        f"{refused} refused by both with the same message"
    )
    for index in differ[:5]:
        print("---", json.dumps(items[index]))
        before = json.loads(old[index])
        after = json.loads(new[index])
        lines_before = str(before.get("json", before)).splitlines()
        lines_after = str(after.get("json", after)).splitlines()
        for line in difflib.unified_diff(lines_before, lines_after, "old", "new", n=1, lineterm=""):
            print(line)
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
