"""iCalendar export: placeholder until the calendar export lands."""

from __future__ import annotations

from protectcalc.errors import InputError
from protectcalc.model import Timeline


def render_ics(timeline: Timeline) -> str:
    """An .ics calendar of the buyer's deadlines."""
    del timeline
    raise InputError("format", "ics", "is not available yet")
