"""The batch zone tables give zoneinfo's offsets, local times and wall-clock readings."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("polars", reason="protectcalc[batch] (Polars) is not installed")

import polars as pl

from protectcalc.engine.zonetable import ZoneTable

ZONES = [
    "UTC",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/Santiago",
    "Africa/Casablanca",
    "Europe/Berlin",
]


def test_offsets_local_times_and_walls_agree_with_zoneinfo() -> None:
    table = ZoneTable(ZONES, (2024, 2029))
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    zone_ids = [rng.randrange(len(ZONES)) for _ in range(3000)]
    moments = [start + timedelta(minutes=rng.randrange(0, 4 * 365 * 1440)) for _ in zone_ids]
    frame = pl.DataFrame(
        {"z": zone_ids, "t": moments}, schema={"z": pl.Int64, "t": pl.Datetime("us", "UTC")}
    )
    zone, instant = pl.col("z"), pl.col("t")
    local, text = table.local_and_text(zone, instant)
    out = frame.select(
        local.alias("local"),
        text.alias("offset"),
        table.local_date(zone, instant).alias("day"),
        table.instant(zone, local).alias("back"),
    )
    for index, row in enumerate(out.iter_rows(named=True)):
        name = ZONES[zone_ids[index]]
        expected = moments[index].astimezone(ZoneInfo(name))
        assert row["local"] == expected.replace(tzinfo=None), name
        assert row["offset"] == expected.isoformat()[19:], name
        assert row["day"] == expected.date(), name
        first = expected.replace(tzinfo=None).replace(tzinfo=ZoneInfo(name), fold=0)
        assert row["back"] == first.astimezone(UTC), name  # the earlier of a repeated hour


def test_a_skipped_wall_time_has_no_instant() -> None:
    table = ZoneTable(["America/New_York"], (2025, 2027))
    frame = pl.DataFrame({"w": [datetime(2026, 3, 8, 2, 30), datetime(2026, 3, 8, 3, 30)]})
    out = frame.select(table.instant(pl.lit(0), pl.col("w")).alias("at"))["at"].to_list()
    assert out == [None, datetime(2026, 3, 8, 7, 30, tzinfo=UTC)]
