"""Engine throughput: mixed orders per second in one process, the rule set compiled once.

Why: the scalar engine serves ``due`` over folders, ``replay`` and the library face; the
rule set must be read and compiled once per process, never per order (target: at least
10,000 mixed orders per second on this 2-core machine).

The orders are generated as in ``compare_engines.py`` (every event combination, dispute
rounds, readings, zones; the ones the engine refuses are skipped) and parsed before timing,
so the figure is the engine alone: ``compute_timeline`` on parsed orders. A second figure
adds parsing (``build_order``) and the JSON rendering, as a command would.

    .venv/bin/python benchmarks/engine.py --orders 20000 --repeats 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.compare_engines import generate
from protectcalc.engine.scalar import compute_timeline
from protectcalc.errors import InputError, RuleSetError
from protectcalc.order import OrderInput, build_order
from protectcalc.render.jsonout import render_json
from protectcalc.rules import load_rule_set, parse_readings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def generated_inputs(count: int, seed: int, business_days: bool = False) -> list[OrderInput]:
    """``count`` mixed orders of ``compare_engines.generate``, as the command line gives them;
    without their buyer country unless ``business_days`` (the calendars' cache is measured
    apart)."""
    rng = random.Random(seed)
    found: list[OrderInput] = []
    while len(found) < count:
        fields = dict(generate(rng)["fields"])  # type: ignore[arg-type]
        if not business_days:
            fields.pop("buyer_country", None)
        for key in ("seller_responded", "buyer_responded", "extended", "readings"):
            fields[key] = tuple(fields.get(key, ()))  # type: ignore[arg-type]
        found.append(OrderInput(**fields))  # type: ignore[arg-type]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    raw = generated_inputs(args.orders, args.seed)
    parsed = []
    for item in raw:
        try:
            rules = load_rule_set(item.rules, parse_readings(item.readings))
            order, as_of = build_order(item, NOW, ZoneInfo("UTC"))
            compute_timeline(order, rules, as_of)  # warm the caches; skip refused orders
        except (InputError, RuleSetError):
            continue
        parsed.append((order, rules, as_of, item))
    engine_rates, full_rates = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for order, rules, as_of, _item in parsed:
            compute_timeline(order, rules, as_of)
        engine_rates.append(len(parsed) / (time.perf_counter() - start))
        start = time.perf_counter()
        for _order, _rules, _as_of, item in parsed:
            rules = load_rule_set(item.rules, parse_readings(item.readings))
            order, as_of = build_order(item, NOW, ZoneInfo("UTC"))
            render_json(compute_timeline(order, rules, as_of))
        full_rates.append(len(parsed) / (time.perf_counter() - start))
    print(f"{len(parsed)} mixed orders (of {len(raw)} generated; the rest are refused)")
    print(
        f"engine (compute_timeline): median {statistics.median(engine_rates):,.0f} orders/s "
        f"(min {min(engine_rates):,.0f}, max {max(engine_rates):,.0f}) over {args.repeats} runs"
    )
    print(
        f"parse + engine + JSON:     median {statistics.median(full_rates):,.0f} orders/s "
        f"(min {min(full_rates):,.0f}, max {max(full_rates):,.0f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
