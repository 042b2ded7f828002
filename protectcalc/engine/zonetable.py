"""Time zones as columns: per-row UTC offsets from sorted transition tables.

Polars converts time zones only to one zone given as text, so a frame holding orders from
many zones would need one query per zone. Instead every zone present gets a number, and its
UTC-offset transitions (read from the same ``zoneinfo`` data the scalar engine uses) go into
one sorted array keyed ``zone << 36 | seconds``: a search in that array gives each row the
offset in force at an instant (for local dates and ISO text), and a second array keyed by
wall-clock seconds gives the offset of a local time (the earlier one in a repeated hour,
none in a skipped one, as ``clock.wall_to_instant`` reads them).

The tables cover the years ``years`` (the data's years with a margin); a value outside them
is flagged by the caller (``outside``), so those rows run through the scalar engine.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import polars as pl

SHIFT = 36
BIAS = 1 << 34
"""Seconds are biased so instants before 1970 still sort after the zone's number."""
UTC_TYPE = pl.Datetime("us", "UTC")
US = 1_000_000


@lru_cache(maxsize=4096)
def _year_transitions(key: str, year: int) -> tuple[tuple[int, int], ...]:
    """(UTC second, offset after it) of every change of the zone's offset in a year."""
    zone = ZoneInfo(key)

    def offset(second: int) -> int:
        span = datetime.fromtimestamp(second, zone).utcoffset()
        return int(span.total_seconds()) if span is not None else 0

    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    found: list[tuple[int, int]] = []
    step = 86_400
    low, low_offset = start, offset(start)
    while low < end:
        high = min(low + step, end)
        high_offset = offset(high)
        if high_offset != low_offset:
            a, b = low, high  # offset(a) == low_offset, offset(b) != low_offset
            while b - a > 1:
                middle = (a + b) // 2
                if offset(middle) == low_offset:
                    a = middle
                else:
                    b = middle
            found.append((b, offset(b)))
        low, low_offset = high, high_offset
    return tuple(found)


def _offset_text(seconds: int) -> str:
    """The offset as ``datetime.isoformat`` writes it (``+05:45``, ``-03:00``)."""
    text = datetime(2000, 1, 1, tzinfo=timezone(timedelta(seconds=seconds))).isoformat()
    return text[19:]


class ZoneTable:
    """The offsets of a few zones over a span of years, as sorted arrays."""

    def __init__(self, zones: list[str], years: tuple[int, int]) -> None:
        self.zones = zones
        self.years = years
        self.ids = {name: index for index, name in enumerate(zones)}
        self.low = int(datetime(years[0], 1, 1, tzinfo=UTC).timestamp())
        self.high = int(datetime(years[1] + 1, 1, 1, tzinfo=UTC).timestamp())
        utc_keys: list[int] = []
        utc_offsets: list[int] = []
        wall_keys: list[int] = []
        wall_offsets: list[int | None] = []
        texts: dict[int, str] = {}
        for index, name in enumerate(zones):
            base = index << SHIFT
            zone = ZoneInfo(name)
            first = datetime.fromtimestamp(self.low, UTC).astimezone(zone).utcoffset()
            current = int(first.total_seconds()) if first is not None else 0
            utc_keys.append(base)
            utc_offsets.append(current)
            wall_keys.append(base)
            wall_offsets.append(current)
            entries: list[tuple[int, int | None]] = []
            for year in range(years[0], years[1] + 1):
                for second, after in _year_transitions(name, year):
                    utc_keys.append(base + second + BIAS)
                    utc_offsets.append(after)
                    if after > current:  # clocks skip [second + current, second + after)
                        entries.append((second + current, None))
                        entries.append((second + after, after))
                    else:  # repeated [second + after, second + current): the earlier
                        entries.append((second + current, after))
                    current = after
            previous = -1
            for wall, value in entries:
                if wall + BIAS <= previous:
                    raise ValueError(f"{name}: transitions too close together")
                previous = wall + BIAS
                wall_keys.append(base + wall + BIAS)
                wall_offsets.append(value)
        for value in utc_offsets:
            texts.setdefault(value, _offset_text(value))
        self.utc_keys = pl.Series("utc_keys", utc_keys, dtype=pl.Int64)
        self.utc_offsets = pl.Series("utc_offsets", utc_offsets, dtype=pl.Int64)
        self.utc_texts = pl.Series("utc_texts", [texts[v] for v in utc_offsets], dtype=pl.String)
        self.wall_keys = pl.Series("wall_keys", wall_keys, dtype=pl.Int64)
        self.wall_offsets = pl.Series("wall_offsets", wall_offsets, dtype=pl.Int64)

    def _index(self, keys: pl.Series, zone: pl.Expr, seconds: pl.Expr) -> pl.Expr:
        key = zone.cast(pl.Int64) * (1 << SHIFT) + seconds + BIAS
        return (pl.lit(keys).search_sorted(key, side="right").cast(pl.Int64) - 1).clip(0)

    def offset(self, zone: pl.Expr, instant: pl.Expr) -> pl.Expr:
        """The UTC offset in seconds in force at a UTC instant."""
        seconds = instant.dt.epoch("s")
        return pl.lit(self.utc_offsets).gather(self._index(self.utc_keys, zone, seconds))

    def offset_text(self, zone: pl.Expr, instant: pl.Expr) -> pl.Expr:
        seconds = instant.dt.epoch("s")
        return pl.lit(self.utc_texts).gather(self._index(self.utc_keys, zone, seconds))

    def local(self, zone: pl.Expr, instant: pl.Expr) -> pl.Expr:
        """The local wall-clock time (naive) of a UTC instant."""
        shift = self.offset(zone, instant) * US
        return (instant.dt.replace_time_zone(None) + pl.duration(microseconds=shift)).cast(
            pl.Datetime("us")
        )

    def local_and_text(self, zone: pl.Expr, instant: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        """The local wall-clock time of a UTC instant and its offset as text."""
        index = self._index(self.utc_keys, zone, instant.dt.epoch("s"))
        shift = pl.lit(self.utc_offsets).gather(index) * US
        local = instant.dt.replace_time_zone(None) + pl.duration(microseconds=shift)
        return local.cast(pl.Datetime("us")), pl.lit(self.utc_texts).gather(index)

    def local_date(self, zone: pl.Expr, instant: pl.Expr) -> pl.Expr:
        seconds = instant.dt.epoch("s")
        offset = pl.lit(self.utc_offsets).gather(self._index(self.utc_keys, zone, seconds))
        return ((seconds + offset) // 86_400).cast(pl.Int32).cast(pl.Date)

    def instant(self, zone: pl.Expr, wall: pl.Expr) -> pl.Expr:
        """A naive wall-clock time as a UTC instant (null in a skipped hour)."""
        wall_us = wall.dt.epoch("us")
        seconds = wall_us // US
        offset = pl.lit(self.wall_offsets).gather(self._index(self.wall_keys, zone, seconds))
        return (wall_us - offset * US).cast(UTC_TYPE)

    def day_start(self, zone: pl.Expr, day: pl.Expr) -> pl.Expr:
        """The first instant of a local day (null if midnight is skipped)."""
        return self.instant(zone, day.cast(pl.Datetime("us")))

    def outside(self, instant: pl.Expr) -> pl.Expr:
        """True where an instant is outside the years the tables cover."""
        seconds = instant.dt.epoch("s")
        return ((seconds < self.low + 86_400) | (seconds >= self.high - 86_400)).fill_null(False)
