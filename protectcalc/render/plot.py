"""The timeline as a picture (SVG, PNG, or an HTML page with the table): pure functions.

Every window (render/windows.py) is one bar drawn with ``broken_barh``; each bar's SVG element
has the id ``bar-<milestone id>``, the plotting area ``plot-area``, the ``--as-of`` line
``as-of``, and the SVG's description says the time span of the x axis, so a reader can map a bar
back to its instants. Real windows are solid, planned ones hatched and pale. Dates on the axis
are in the order's zone.

Regenerate the README's picture of its worked example with::

    python -m protectcalc.render.plot --readme-png docs/timeline.png
"""

from __future__ import annotations

import argparse
import html
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from protectcalc.model import Actor, Timeline
from protectcalc.render.chart import day_label
from protectcalc.render.when import when_text
from protectcalc.render.windows import Layer, LayerLanes, layer_lanes, programme_name

__all__ = ["programme_name", "render_html", "render_png", "render_svg"]

ACTOR_COLOUR = {Actor.BUYER: "#1f77b4", Actor.SELLER: "#b5179e", Actor.PLATFORM: "#e69f00"}
AS_OF_COLOUR = "#d62728"
RC: dict[Any, Any] = {
    "svg.hashsalt": "protectcalc",
    "svg.fonttype": "none",
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 9,
    "hatch.linewidth": 0.8,
}
"""Text stays text in the SVG (searchable, small); ids are stable from run to run."""


def _num(moment: datetime) -> float:
    """An instant as matplotlib's date number (days since its epoch, in UTC)."""
    return float(mdates.date2num(moment))  # type: ignore[no-untyped-call]


def _title(built: Sequence[LayerLanes], name: str) -> str:
    programmes = " + ".join(
        f"{layer.timeline.rules} (rules {layer.timeline.rules_version or 'unversioned'})"
        for layer in built
    )
    return f"{name} · {programmes} · {built[0].timeline.timezone if built else 'UTC'}"


def _span(built: Sequence[LayerLanes]) -> tuple[datetime, datetime] | None:
    windows = [window for layer in built for lane in layer.lanes for window in lane.windows]
    if not windows:
        return None
    zone = windows[0].begin.tzinfo
    first = min(window.first_day for window in windows)
    last = max(window.last_day for window in windows)
    begin = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    return begin, end


def figure(layers: Sequence[Layer], name: str = "order") -> tuple[Figure, str]:
    """The figure of an order's layers and the description of its x axis."""
    built = layer_lanes(layers)
    rows = [(layer, lane) for layer in built for lane in layer.lanes]
    fig = Figure(figsize=(10, 1.6 + 0.42 * max(len(rows), 1)), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(_title(built, name), loc="left", fontsize=10, fontweight="bold")
    span = _span(built)
    if span is None:
        ax.text(0.5, 0.5, "No windows to draw", ha="center", va="center")
        ax.set_axis_off()
        return fig, "x axis: none"
    begin, end = span
    zone = ZoneInfo(built[0].timeline.timezone)
    ax.patch.set_gid("plot-area")
    for index, (_layer, lane) in enumerate(rows):
        y = len(rows) - 1 - index
        for window in lane.windows:
            start = _num(window.begin)
            width = _num(window.end) - start
            colour = ACTOR_COLOUR[window.actor]
            bars = ax.broken_barh(
                [(start, width)],
                (y - 0.32, 0.64),
                facecolors=colour,
                edgecolors=colour,
                alpha=0.35 if window.planned else 0.95,
                hatch="////" if window.planned else None,
                linewidth=0.8,
            )
            bars.set_gid(f"bar-{window.bar_id}")
            text_x = start - 0.3 if window.reversed else start + width + 0.3
            ax.annotate(
                day_label(window.deadline_day),
                (text_x, y),
                ha="right" if window.reversed else "left",
                va="center",
                fontsize=7.5,
                color="#333333",
            )
    labels = [(f"{layer.name}: " if len(built) > 1 else "") + lane.title for layer, lane in rows]
    ax.set_yticks(range(len(rows) - 1, -1, -1), labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(_num(begin), _num(end + timedelta(days=4)))
    weekly = mdates.WeekdayLocator(byweekday=mdates.MO, tz=zone)  # type: ignore[no-untyped-call]
    daily = mdates.DayLocator(tz=zone)  # type: ignore[no-untyped-call]
    dated = mdates.DateFormatter("%a %d %b", tz=zone)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(weekly)
    ax.xaxis.set_minor_locator(daily)
    ax.xaxis.set_major_formatter(dated)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", which="major", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel(
        f"local dates ({built[0].timeline.timezone}); labels: the last day of each deadline"
    )
    as_of = built[0].timeline.as_of
    if begin <= as_of <= end + timedelta(days=4):
        line = ax.axvline(_num(as_of), color=AS_OF_COLOUR, linewidth=1.2)
        line.set_gid("as-of")
    ax.legend(
        handles=[
            Patch(facecolor="#777777", edgecolor="#777777", label="real"),
            Patch(facecolor="#777777", alpha=0.35, hatch="////", label="planned"),
            *(Patch(color=colour, label=actor.value) for actor, colour in ACTOR_COLOUR.items()),
            Patch(color=AS_OF_COLOUR, label=f"as of {as_of:%d %b %H:%M}"),
        ],
        loc="upper right",
        fontsize=7.5,
        ncols=3,
        framealpha=0.9,
    )
    axis = f"x axis: {begin.isoformat()} to {(end + timedelta(days=4)).isoformat()}"
    return fig, axis


def _save(fig: Figure, kind: str, description: str, dpi: float = 100) -> bytes:
    buffer = io.BytesIO()
    metadata: dict[str, str | None] = {"Description": description} if kind == "svg" else {}
    if kind == "svg":
        metadata["Date"] = None
    fig.savefig(buffer, format=kind, metadata=metadata, dpi=dpi)
    return buffer.getvalue()


def render_svg(layers: Sequence[Layer], name: str = "order") -> str:
    """The chart as one SVG document."""
    with rc_context(RC):
        fig, axis = figure(layers, name)
        return _save(fig, "svg", axis).decode("utf-8")


def render_png(layers: Sequence[Layer], name: str = "order", dpi: float = 110) -> bytes:
    """The chart as a PNG image (for the README)."""
    with rc_context(RC):
        fig, axis = figure(layers, name)
        return _save(fig, "png", axis, dpi)


def _table(timeline: Timeline) -> str:
    rows = []
    for item in timeline.milestones:
        when = when_text(item)  # a deadline as its last day (SPEC 2.3), as the table says it
        sources = " ".join(dict.fromkeys(src.short for src in item.sources)) or "given"
        rows.append(
            "<tr{cls}><td>{when}</td><td>{who}</td><td><b>{label}</b> <code>{id}</code>{plan}"
            "<br><small>{explain}</small></td><td>{src}</td></tr>".format(
                cls=' class="planned"' if item.projected else "",
                when=html.escape(when),
                who=html.escape(item.actor.value),
                label=html.escape(item.label or item.id),
                id=html.escape(item.id),
                plan=" (planned)" if item.projected else "",
                explain=html.escape(item.explain),
                src=html.escape(sources),
            )
        )
    return (
        "<table><thead><tr><th>When</th><th>Who</th><th>Milestone</th><th>Source</th></tr>"
        "</thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def render_html(layers: Sequence[Layer], name: str = "order") -> str:
    """One self-contained page: the chart (inline SVG) and each programme's table."""
    svg = render_svg(layers, name)
    svg = svg[svg.index("<svg") :]
    title = html.escape(_title(layer_lanes(layers), name))
    tables = "\n".join(
        f"<h2>{html.escape(layer_name)}</h2>\n{_table(timeline)}" for layer_name, timeline in layers
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: "DejaVu Sans", sans-serif; margin: 1.5em; color: #222; }}
svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; font-size: 0.85em; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left;
  vertical-align: top; }}
tr.planned td {{ font-style: italic; color: #555; }}
</style>
</head>
<body>
<h1>{title}</h1>
{svg}
{tables}
</body>
</html>
"""


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m protectcalc.render.plot --readme-png docs/timeline.png``."""
    from pathlib import Path

    from protectcalc.cli import compute
    from protectcalc.order import OrderInput

    parser = argparse.ArgumentParser(description="Draw the README's worked example.")
    parser.add_argument("--readme-png", type=Path, required=True, metavar="PATH")
    args = parser.parse_args(argv)
    # The README's worked example: timeline --confirmed 2026-03-01 --tz Europe/Moscow
    # --as-of 2026-03-02T09:00
    example = OrderInput(confirmed="2026-03-01", tz="Europe/Moscow", as_of="2026-03-02T09:00")
    timeline = compute(example)
    args.readme_png.parent.mkdir(parents=True, exist_ok=True)
    args.readme_png.write_bytes(render_png([(programme_name(timeline), timeline)]))
    print(f"wrote {args.readme_png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
