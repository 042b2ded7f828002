"""CSV: one row per milestone, for spreadsheets and shell pipelines."""

from __future__ import annotations

import csv
import io

from protectcalc.model import Timeline
from protectcalc.render.jsonout import iso

CSV_COLUMNS = (
    "id",
    "date",
    "at",
    "projected",
    "actor",
    "rule",
    "explain",
    "sources",
    "last_day",
)
"""``last_day`` came later, so it is last: scripts that cut the first columns keep working."""


def render_csv(timeline: Timeline) -> str:
    """A header row and one row per milestone; sources are seed files joined by ``;``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in timeline.milestones:
        writer.writerow(
            [
                item.id,
                item.day.isoformat(),
                iso(item.at) or "",
                "true" if item.projected else "false",
                item.actor.value,
                item.rule,
                item.explain,
                ";".join(dict.fromkeys(src.name for src in item.sources)),
                item.last_day.isoformat(),
            ]
        )
    return buffer.getvalue()
