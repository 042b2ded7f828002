"""``--format svg`` and ``--format html``: read the SVG back, render the HTML in a browser."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import protectcalc.render
from protectcalc.render.windows import milestone_windows
from tests.test_chart import EXAMPLE, example
from tests.test_cli import invoke

pytest.importorskip(
    "matplotlib", reason="the plot extra is not installed: pip install -e '.[plot]'"
)

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
CHROMIUM = Path("/usr/bin/chromium")


def _xs(path_data: str) -> list[float]:
    numbers = [float(item) for item in re.findall(r"-?\d+(?:\.\d+)?", path_data)]
    return numbers[0::2]


def bars(svg_text: str) -> dict[str, tuple[datetime, datetime]]:
    """Every bar of the SVG as (start, end), mapped back through the plotting area and the
    x axis span the SVG's description states."""
    root = ET.fromstring(svg_text)
    described = root.find(".//{http://purl.org/dc/elements/1.1/}description")
    assert described is not None and described.text is not None
    first, last = (
        datetime.fromisoformat(part)
        for part in described.text.removeprefix("x axis: ").split(" to ")
    )
    groups = {group.get("id"): group for group in root.iter(f"{SVG}g")}
    area = _xs(groups["plot-area"].find(f"{SVG}path").get("d", ""))  # type: ignore[union-attr]
    left, right = min(area), max(area)
    found: dict[str, tuple[datetime, datetime]] = {}
    for name, group in groups.items():
        if name is None or not name.startswith("bar-"):
            continue
        shift = sum(float(use.get("x", "0")) for use in group.iter(f"{SVG}use"))
        xs = [x + shift for path in group.iter(f"{SVG}path") for x in _xs(path.get("d", ""))]

        def instant(x: float) -> datetime:
            moment = first + (last - first) * ((x - left) / (right - left))
            return (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)

        found[name.removeprefix("bar-")] = (instant(min(xs)), instant(max(xs)))
    return found


def test_svg_has_one_bar_per_window_with_its_start_and_end() -> None:
    result = invoke(["timeline", *EXAMPLE, "--format", "svg"])
    assert result.exit_code == 0, result.stderr
    expected = {w.milestone.id: (w.begin, w.end) for w in milestone_windows(example())}
    assert len(expected) == 10
    assert bars(result.stdout) == expected
    moscow = datetime.fromisoformat
    assert expected["protection_end"] == (
        moscow("2026-03-01T00:00+03:00"),
        moscow("2026-03-16T00:00+03:00"),
    )
    assert expected["buyer_response_due_3"] == (
        moscow("2026-04-14T00:00+03:00"),
        moscow("2026-04-24T00:00+03:00"),
    )


def test_svg_title_names_the_order_programme_and_version_and_axis_is_local(
    tmp_path: Path,
) -> None:
    order = tmp_path / "parcel.yaml"
    order.write_text("timezone: Europe/Moscow\norder:\n  confirmed: 2026-03-01\n", encoding="utf-8")
    out = tmp_path / "parcel.svg"
    result = invoke(
        ["timeline", str(order), "--as-of", "2026-03-02T09:00", "-f", "svg", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    texts = ["".join(node.itertext()) for node in ET.parse(out).getroot().iter(f"{SVG}text")]
    assert "parcel.yaml · aliexpress (rules 2026-11-23) · Europe/Moscow" in texts
    assert "Mon 02 Mar" in texts and "Mon 16 Mar" in texts  # Mondays in Moscow, not UTC


def test_html_is_one_self_contained_page_with_the_chart_and_the_table() -> None:
    result = invoke(["timeline", *EXAMPLE, "--format", "html"])
    assert result.exit_code == 0, result.stderr
    page = result.stdout
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1
    assert not re.search(r"<script|<link|<img|\ssrc=", page)
    assert page.count("<tr") == 1 + len(example().milestones)
    assert 'id="bar-seller_response_due_2"' in page
    # The table says each deadline's last day (SPEC 2.3), as the terminal table does:
    # protection ends 16 March 00:00, so 15 March is the last day to open a dispute.
    assert "<td>2026-03-15 Sun, until 24:00 MSK</td><td>buyer</td><td><b>Protection ends" in page
    assert "<td>2026-03-16" not in page


BROWSER_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,900",
]  # fmt: skip


def _screenshot(page: Path, shot: Path, profile: Path) -> None:
    subprocess.run(
        [
            str(CHROMIUM),
            *BROWSER_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless browser check needs Debian's chromium (/usr/bin/chromium): "
    "apt-get install -y chromium",
)
def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    from PIL import Image

    page = tmp_path / "order.html"
    result = invoke(["timeline", *EXAMPLE, "--format", "html", "-o", str(page)])
    assert result.exit_code == 0, result.stderr
    shot = tmp_path / "shot.png"
    _screenshot(page, shot, tmp_path / "profile")
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        total = rgb.width * rgb.height
        counts = rgb.getcolors(maxcolors=total) or []
    inked = [(count, colour) for count, colour in counts if min(colour) < 200]
    share = sum(count for count, _ in inked)
    assert share > total // 50, f"only {share} of {total} pixels are not white"
    assert len(inked) > 20  # text and bars in several colours: not a flat error page


def test_the_readme_png_is_regenerated_by_one_command(tmp_path: Path) -> None:
    from protectcalc.render.plot import main

    target = tmp_path / "docs" / "timeline.png"
    assert main(["--readme-png", str(target)]) == 0
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_without_matplotlib_a_picture_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name.split(".")[0] == "matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "protectcalc.render.plot", raising=False)
    monkeypatch.delattr(protectcalc.render, "plot", raising=False)
    result = invoke(["timeline", *EXAMPLE, "--format", "svg"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "pip install 'protectcalc[plot]'" in result.stderr


def test_json_start_up_imports_no_plotting_or_chart_code() -> None:
    command = [sys.executable, "-X", "importtime", "-m", "protectcalc", "timeline", *EXAMPLE]
    done = subprocess.run(
        [*command, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "protectcalc.render.jsonout" in imported
    assert not {name for name in imported if name.split(".")[0] in ("matplotlib", "PIL")}
    assert not imported & {"protectcalc.render.chart", "protectcalc.render.plot"}
