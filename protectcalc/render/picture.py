"""``--format svg`` and ``--format html``: the picture of a timeline, drawn by matplotlib.

matplotlib is an optional extra (``pip install 'protectcalc[plot]'``); it is imported here, only
when a picture is asked for, so the other formats start as fast as before.
"""

from __future__ import annotations

from protectcalc.errors import InputError
from protectcalc.model import Timeline


def render_picture(timeline: Timeline, kind: str, name: str = "order") -> str:
    """The SVG document or the self-contained HTML page (chart and table) of a timeline."""
    try:
        from protectcalc.render import plot
    except ImportError as missing:
        raise InputError(
            "format",
            kind,
            f"needs matplotlib ({missing.name} is not installed): pip install 'protectcalc[plot]'",
        ) from None
    layers = [(plot.programme_name(timeline), timeline)]
    if kind == "html":
        return plot.render_html(layers, name)
    return plot.render_svg(layers, name)
