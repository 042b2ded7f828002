"""protectcalc: the buyer-protection counter that marketplaces do not show.

The library face is :func:`compute`: an order as a mapping of the same names as the
command-line options and order files, a rule set, and the moment to judge from; the JSON
contract comes back as a dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "compute"]

_REPEATED = ("seller_responded", "buyer_responded", "mediator_asked", "extended", "readings")


def compute(
    order: Mapping[str, Any],
    rules: str = "aliexpress",
    readings: Mapping[str, str] | None = None,
    as_of: str | datetime | None = None,
    sets: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Compute one order's timeline and return it as the JSON contract (a dict).

    ``order`` uses the option names (``confirmed``, ``seller_responded`` as a list,
    ``delivery_days``, ``tz`` ...; hyphens or underscores); dates are ISO 8601 text or
    aware ``datetime`` objects. Without ``tz`` the order's zone is UTC. ``as_of`` defaults
    to now. Bad input raises :class:`protectcalc.errors.InputError` (a ``ValueError``).
    """
    from dataclasses import fields
    from datetime import UTC
    from difflib import get_close_matches
    from zoneinfo import ZoneInfo

    from protectcalc.engine.scalar import compute_timeline
    from protectcalc.errors import InputError
    from protectcalc.order import OrderInput, build_order
    from protectcalc.render.jsonout import timeline_dict
    from protectcalc.rules import load_rule_set

    not_order = ("rules", "readings", "as_of", "dayfirst", "also")  # arguments of their own
    known = [item.name for item in fields(OrderInput) if item.name not in not_order]
    values: dict[str, Any] = {}
    for key, value in order.items():
        name = key.replace("-", "_")
        if name not in known:
            close = get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else " (see protectcalc --help)"
            if name in ("rules", "readings", "as_of"):
                hint = f"; give it as compute(..., {name}=...)"
            raise InputError(name, key, f"is not an order field{hint}")
        if isinstance(value, datetime):
            value = value.isoformat()
        if name in _REPEATED:
            value = tuple(
                str(item) for item in (value if isinstance(value, list | tuple) else [value])
            )
        values[name] = value
    values.setdefault("tz", "UTC")
    if isinstance(as_of, datetime):
        as_of = as_of.isoformat()
    raw = OrderInput(**values, as_of=as_of)
    rule_set = load_rule_set(rules, dict(readings or {}), dict(sets or {}))
    parsed, moment = build_order(raw, datetime.now(UTC), ZoneInfo("UTC"))
    return timeline_dict(compute_timeline(parsed, rule_set, moment))
