"""Renderers: pure functions from a :class:`Timeline` to text, one module per format."""

from __future__ import annotations

from enum import StrEnum


class OutputFormat(StrEnum):
    """The ``--format`` choices."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    ICS = "ics"
    CHART = "chart"
    SVG = "svg"
    HTML = "html"
