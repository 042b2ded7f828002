"""The JSON contract (SPEC section 3): field names never change within a schema version."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from protectcalc.clock import format_span, time_between
from protectcalc.model import Milestone, NextAction, Source, Timeline
from protectcalc.render.jsontext import dumps_indented

if TYPE_CHECKING:
    from protectcalc.engine.layers import Layered

SCHEMA_VERSION = 1


def iso(moment: datetime | None) -> str | None:
    """An instant as ISO 8601 with its offset, to the second or minute."""
    if moment is None:
        return None
    spec = "seconds" if moment.second or moment.microsecond else "minutes"
    return moment.isoformat(timespec=spec)


def day_text(day: date | None) -> str | None:
    """A local date as YYYY-MM-DD."""
    return day.isoformat() if day is not None else None


def source_dict(source: Source) -> dict[str, Any]:
    """A seed source as ``{seed, quote}``; a page as ``{url, read, says}``."""
    if source.seed is not None:
        return {"seed": source.seed, "quote": source.quote}
    return {"url": source.url, "read": day_text(source.read), "says": source.says}


def milestone_dict(item: Milestone) -> dict[str, Any]:
    """One milestone as the JSON contract spells it."""
    data: dict[str, Any] = {
        "id": item.id,
        "date": item.day.isoformat(),
        "last_day": item.last_day.isoformat(),
        "at": iso(item.at),
        "projected": item.projected,
        "actor": item.actor.value,
        "rule": item.rule,
        "explain": item.explain,
        "sources": [source_dict(src) for src in item.sources],
    }
    if item.note is not None:
        data["note"] = item.note
    return data


def next_dict(action: NextAction | None, as_of: datetime) -> dict[str, Any] | None:
    """The buyer's next action with its deadline and the time left as of ``as_of``."""
    if action is None:
        return None
    left = time_between(as_of, action.deadline) if action.deadline is not None else None
    return {
        "action": action.action,
        "milestone": action.milestone,
        "deadline": iso(action.deadline),
        "date": day_text(action.deadline_day),
        "act_by": iso(action.act_by),
        "seconds_left": int(left.total_seconds()) if left is not None else None,
        "time_left": format_span(left) if left is not None else None,
        "if_nothing": action.if_nothing,
    }


def timeline_dict(timeline: Timeline) -> dict[str, Any]:
    """The whole timeline as one JSON-ready object."""
    summary = timeline.summary
    return {
        "schema": SCHEMA_VERSION,
        "rules": timeline.rules,
        "timezone": timeline.timezone,
        "as_of": iso(timeline.as_of),
        "phase": timeline.phase.value,
        "milestones": [milestone_dict(item) for item in timeline.milestones],
        "summary": {
            "protection_end": iso(summary.protection_end),
            "safe_dispute_date": day_text(summary.safe_dispute_date),
            "escalation": iso(summary.escalation),
            "total_days": summary.total_days,
            "total_days_usual": (
                None
                if summary.total_days_usual is None
                else {"min": summary.total_days_usual[0], "max": summary.total_days_usual[1]}
            ),
        },
        "next": next_dict(timeline.next, timeline.as_of),
        "warnings": [{"code": item.code, "message": item.message} for item in timeline.warnings],
    }


def render_json(timeline: Timeline) -> str:
    """The JSON document, indented, ending in a newline."""
    return dumps_indented(timeline_dict(timeline)) + "\n"


def layers_dict(layered: Layered) -> dict[str, Any]:
    """What ``--also`` adds to a JSON document (additive to schema 1): ``layers``, one object
    per other programme (its ``rules``, ``title``, ``phase``, ``milestones``, ``summary``,
    ``next``, ``warnings``), ``next_across`` and ``last_open``."""
    from protectcalc.engine.layers import last_open, next_across

    layers = []
    for layer in layered.also:
        data = timeline_dict(layer.timeline)
        for key in ("schema", "timezone", "as_of"):
            data.pop(key)
        layers.append({"name": layer.name, "title": layer.title, **data})
    across = next_across(layered)
    found = last_open(layered)
    return {
        "layers": layers,
        "next_across": None
        if across is None
        else {"rules": across[0].name, **(next_dict(across[1], layered.main.timeline.as_of) or {})},
        "last_open": None
        if found is None
        else {"rules": found[0].name, "title": found[0].title, "until": iso(found[1])},
    }


def render_layered_json(layered: Layered) -> str:
    """The main layer's JSON contract plus ``layers``, ``next_across`` and ``last_open``."""
    data = timeline_dict(layered.main.timeline) | layers_dict(layered)
    return dumps_indented(data) + "\n"
