"""The windows of a timeline, for the pictures (terminal chart, SVG, HTML): pure data.

A window is derived generically from a milestone, never from its id: a milestone whose ``start``
is set and differs from the instant it falls at is a window between the two. Windows of the same
family (the id without a trailing ``_<n>``, e.g. the rounds of a dispute) share one lane and are
numbered by their order on the time axis. Nothing here imports Rich or a plotting library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from protectcalc.clock import start_of_day
from protectcalc.model import Actor, Milestone, Timeline
from protectcalc.render.labels import label
from protectcalc.render.when import is_deadline, shown_day

Layer = tuple[str, Timeline]
"""One programme protecting an order: its name and its timeline."""

_ROUND_SUFFIX = re.compile(r"_\d+$")
_ROUND_WORDS = re.compile(r"\s*\((round|part|step)\s+\d+\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    """One bar: a milestone's window [begin, end) in the axis zone."""

    milestone: Milestone
    begin: datetime
    end: datetime
    round: int
    """1, 2, 3... by order on the axis among the windows of its family."""

    @property
    def planned(self) -> bool:
        """A projection (it assumes planned events), drawn differently from a real window."""
        return self.milestone.projected

    @property
    def actor(self) -> Actor:
        """Who must act by its end."""
        return self.milestone.actor

    @property
    def reversed(self) -> bool:
        """It counts back from a later moment (a safety margin before a deadline)."""
        start = self.milestone.start
        return start is not None and start == self.end

    @property
    def first_day(self) -> date:
        """The local date it begins on."""
        return self.begin.date()

    @property
    def last_day(self) -> date:
        """The last local date it covers (its end at midnight leaves the day before)."""
        return (self.end - timedelta(microseconds=1)).date()

    @property
    def deadline_day(self) -> date:
        """The date the chart labels it with, as every view names it: a deadline's last day,
        an estimate's or a platform date's own day (see :func:`render.when.shown_day`)."""
        return shown_day(self.milestone)

    @property
    def bar_id(self) -> str:
        """A stable id for the bar (SVG gid, tests): the milestone id."""
        return self.milestone.id


@dataclass(frozen=True)
class Lane:
    """One row of the chart: windows of one family that do not overlap."""

    family: str
    title: str
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class LayerLanes:
    """The lanes of one programme."""

    name: str
    timeline: Timeline
    lanes: tuple[Lane, ...]


def family(milestone_id: str) -> str:
    """The id without a trailing round number: ``x_due_2`` -> ``x_due``."""
    return _ROUND_SUFFIX.sub("", milestone_id)


def _end(milestone: Milestone, zone: ZoneInfo) -> datetime | None:
    """Where its bar ends: its instant; a business-day date that is no deadline (a delivery
    estimate) at the end of its own day, the day it is labelled with (a deadline's bar ends
    as its date begins, after its last day)."""
    if milestone.at is None and not is_deadline(milestone):
        return start_of_day(milestone.day + timedelta(days=1), zone)
    return milestone.as_instant()


def milestone_windows(timeline: Timeline, zone: ZoneInfo | None = None) -> list[Window]:
    """Every window of a timeline, in the order's zone (or ``zone``), ordered on the axis.

    ``start`` after the instant means the window counts back from ``start`` (a margin before a
    later deadline): the bar still runs from the earlier to the later instant.
    """
    own = ZoneInfo(timeline.timezone)
    tz = zone or own
    spans: list[tuple[Milestone, datetime, datetime]] = []
    for item in timeline.milestones:
        end = _end(item, own)
        if item.start is None or end is None or item.start == end:
            continue
        first, second = sorted((item.start.astimezone(tz), end.astimezone(tz)))
        spans.append((item, first, second))
    spans.sort(key=lambda span: (span[1], span[2], span[0].id))
    counts: dict[str, int] = {}
    result: list[Window] = []
    for item, begin, end in spans:
        key = family(item.id)
        counts[key] = counts.get(key, 0) + 1
        result.append(Window(item, begin, end, counts[key]))
    return result


def _title(windows: Sequence[Window]) -> str:
    text = label(windows[0].milestone)
    return _ROUND_WORDS.sub("", text) if len(windows) > 1 else text


def lanes(timeline: Timeline, zone: ZoneInfo | None = None) -> tuple[Lane, ...]:
    """The rows of one timeline: one per family, split where its windows would overlap,
    ordered by where each row begins on the axis."""
    by_family: dict[str, list[list[Window]]] = {}
    for window in milestone_windows(timeline, zone):
        rows = by_family.setdefault(family(window.milestone.id), [])
        for row in rows:
            if row[-1].end <= window.begin and row[-1].last_day < window.first_day:
                row.append(window)
                break
        else:
            rows.append([window])
    built = [
        Lane(name, _title(row), tuple(row)) for name, rows in by_family.items() for row in rows
    ]
    built.sort(key=lambda lane: (lane.windows[0].begin, lane.windows[0].end, lane.family))
    return tuple(built)


def layer_lanes(layers: Sequence[Layer]) -> tuple[LayerLanes, ...]:
    """Each programme's lanes, all in the first programme's zone (one order, one axis)."""
    if not layers:
        return ()
    zone = ZoneInfo(layers[0][1].timezone)
    return tuple(LayerLanes(name, timeline, lanes(timeline, zone)) for name, timeline in layers)


def programme_name(timeline: Timeline) -> str:
    """How a layer is named: its rule set and the rule set's version."""
    version = f" {timeline.rules_version}" if timeline.rules_version else ""
    return f"{timeline.rules}{version}"
