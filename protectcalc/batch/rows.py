"""Batch columns: what an input row may hold, and one output row from the scalar engine.

An input row is the order options as columns (``order_id`` first); repeated events are
numbered (``seller_responded_1``, ``seller_responded_2`` ...), ``extended`` holds one or more
whole numbers joined by ``+``. An output row is the timeline's JSON contract flattened:
every milestone of the rule set as a column (ISO instant with offset, or the local date of
a business-day milestone), the phase, the next action's milestone and deadline, the
summary and the warnings' codes. :func:`row_from_timeline` flattens the JSON dict that
``timeline --format json`` prints, so the scalar fallback and the differential tests share
one definition of a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from protectcalc.errors import InputError, RuleSetError
from protectcalc.model import SINGLE_EVENTS
from protectcalc.order import OrderInput

SCALAR_COLUMNS = (
    *SINGLE_EVENTS,
    "dispute_outcome",
    "processing_days",
    "delivery_days",
    "extended",
    "tz",
    "buyer_country",
    "buyer_subdivision",
    "seller_country",
    "payment_method",
    "shipping",
    "rules",
    "as_of",
)
"""Input columns holding one value each (``as_of`` per row overrides ``--as-of``)."""

REPEATED_COLUMNS = ("seller_responded", "buyer_responded", "mediator_asked")
"""Input columns numbered from 1: ``seller_responded_1``, ``seller_responded_2`` ..."""

ID_COLUMN = "order_id"
_NUMBERED = re.compile(rf"({'|'.join(REPEATED_COLUMNS)})_([1-9][0-9]?)")

FIXED_HEAD = ("order_id", "rules", "timezone", "phase")
FIXED_TAIL = (
    "next_milestone",
    "next_deadline",
    "next_act_by",
    "summary_protection_end",
    "summary_safe_dispute_date",
    "summary_escalation",
    "summary_total_days",
    "warnings",
    "error",
)


def check_columns(names: Iterable[str]) -> list[str]:
    """Refuse unknown input columns, naming them; returns the known ones."""
    names = list(names)
    unknown = [
        name
        for name in names
        if name != ID_COLUMN and name not in SCALAR_COLUMNS and not _NUMBERED.fullmatch(name)
    ]
    if unknown:
        numbered = [f"{name}_N" for name in REPEATED_COLUMNS]
        known = ", ".join((ID_COLUMN, *SCALAR_COLUMNS, *numbered))
        raise InputError(
            "INPUT",
            ", ".join(unknown),
            f"unknown column{'s' if len(unknown) > 1 else ''} (known: {known})",
        )
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise InputError("INPUT", ", ".join(twice), "column given twice")
    return names


def repeated_width(names: Iterable[str], event: str) -> int:
    """How many numbered columns of ``event`` the input has (the highest number)."""
    found = [int(m.group(2)) for n in names if (m := _NUMBERED.fullmatch(n)) and m[1] == event]
    return max(found, default=0)


def milestone_column(milestone_id: str) -> str:
    """The output column of a milestone: its id, unless that is a fixed column's name."""
    if milestone_id in FIXED_HEAD or milestone_id in FIXED_TAIL:
        return f"milestone_{milestone_id}"
    return milestone_id


def output_columns(milestone_ids: Iterable[str]) -> list[str]:
    """Every output column, in order."""
    return [*FIXED_HEAD, *(milestone_column(m) for m in milestone_ids), *FIXED_TAIL]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def order_input(
    row: Mapping[str, Any], rules: str | None, readings: tuple[str, ...], as_of: str | None
) -> OrderInput:
    """An input row as the :class:`OrderInput` the command line would build.

    Raises :class:`InputError` naming the column, like the command line names an option.
    """
    values: dict[str, Any] = {}
    for name in SCALAR_COLUMNS:
        values[name] = _text(row.get(name))
    for event in REPEATED_COLUMNS:
        given: list[str] = []
        width = repeated_width(row, event)
        for k in range(1, width + 1):
            value = _text(row.get(f"{event}_{k}"))
            if value is None:
                later = [j for j in range(k + 1, width + 1) if _text(row.get(f"{event}_{j}"))]
                if later:
                    raise InputError(
                        f"{event}_{later[0]}",
                        row.get(f"{event}_{later[0]}"),
                        f"is given without {event}_{k}: number the answers from 1, in order",
                    )
                break
            given.append(value)
        values[event] = tuple(given)
    extended = values.pop("extended")
    values["extended"] = tuple(part.strip() for part in extended.split("+")) if extended else ()
    values["rules"] = values["rules"] or rules
    values["as_of"] = values["as_of"] or as_of
    return OrderInput(**values, readings=readings)


def row_from_timeline(
    order_id: Any, data: Mapping[str, Any], milestone_ids: Iterable[str]
) -> dict[str, Any]:
    """One output row from the JSON dict of a timeline (``timeline --format json``)."""
    row: dict[str, Any] = dict.fromkeys(output_columns(milestone_ids))
    row.update(order_id=order_id, rules=data["rules"], timezone=data["timezone"])
    row["phase"] = data["phase"]
    for item in data["milestones"]:
        column = milestone_column(item["id"])
        if column in row:
            row[column] = item["at"] or item["date"]
    action = data["next"]
    if action is not None:
        row["next_milestone"] = action["milestone"]
        row["next_deadline"] = action["deadline"]
        row["next_act_by"] = action["act_by"]
    summary = data["summary"]
    for key in ("protection_end", "safe_dispute_date", "escalation", "total_days"):
        row[f"summary_{key}"] = summary[key]
    row["warnings"] = " ".join(item["code"] for item in data["warnings"])
    return row


def error_row(order_id: Any, message: str, milestone_ids: Iterable[str]) -> dict[str, Any]:
    """The row of an order that was refused: only its id and the reason."""
    row: dict[str, Any] = dict.fromkeys(output_columns(milestone_ids))
    row.update(order_id=order_id, error=message)
    return row


def scalar_row(
    row: Mapping[str, Any],
    *,
    rules: str | None,
    readings: tuple[str, ...],
    as_of: str | None,
    now: datetime,
    zone: ZoneInfo,
    milestone_ids: list[str],
) -> dict[str, Any]:
    """One order through the scalar engine (what ``timeline --format json`` computes)."""
    from protectcalc.engine.scalar import compute_timeline
    from protectcalc.order import build_order
    from protectcalc.render.jsonout import timeline_dict
    from protectcalc.rules import load_rule_set, parse_readings

    order_id = row.get(ID_COLUMN)
    try:
        given = order_input(row, rules, readings, as_of)
        if given.is_empty():
            raise InputError("ORDER", None, "no order events given")
        rule_set = load_rule_set(given.rules, parse_readings(given.readings))
        parsed, moment = build_order(given, now, zone)
        data = timeline_dict(compute_timeline(parsed, rule_set, moment))
    except InputError as error:
        return error_row(order_id, error.describe(error.field), milestone_ids)
    except RuleSetError as error:
        return error_row(order_id, f"rules: {error}", milestone_ids)
    return row_from_timeline(order_id, data, milestone_ids)
