"""Instants, zones and elapsed time: the exact arithmetic every deadline rests on.

SPEC section 2: a date without a time is 00:00 at the start of that local day; a rule of
N days adds exactly N x 24 h of elapsed time (so the wall-clock hour moves across a
daylight-saving change); the parser is strict and never guesses.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from protectcalc.errors import InputError

RawTime = str | date | datetime
"""A moment as the user gave it: text, or a date/datetime read from a YAML file."""

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_COMMON_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?:(?:[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])|Z)?)?"
)
"""The moments files hold nearly always: ``2026-03-01``, ``2026-03-01T14:30`` (and ``+03:00``
or ``Z`` after it, as expected instants are written); ASCII digits, real offsets only."""
_NUMERIC = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{2,4})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")
_DURATION = re.compile(
    r"(?:(?P<d>[0-9]+)\s*d)?\s*(?:(?P<h>[0-9]+)\s*h)?\s*(?:(?P<m>[0-9]+)\s*m(?:in)?)?"
)
_ISO_DURATION = re.compile(
    r"P(?:(?P<w>[0-9]+)W)?(?:(?P<d>[0-9]+)D)?(?:T(?:(?P<h>[0-9]+)H)?(?:(?P<m>[0-9]+)M)?)?"
)
_MAX_DURATION = timedelta(days=3660)
_KEYWORDS = ("now", "today", "yesterday", "tomorrow")
YEARS = (1970, 2199)
"""The years an order's event may fall in: wide, but far from datetime's limits (year 1 and
9999), where converting zones or adding a 90-day period would overflow."""


def parse_zone(name: str, field: str = "tz") -> ZoneInfo:
    """An IANA zone by name; a misspelled, empty or path-like name is an error, never UTC."""
    text = name.strip()
    if not text:
        raise InputError(field, name, "is empty: give an IANA time zone such as Europe/Moscow")
    if not _ZONE_NAME.fullmatch(text) or ".." in text or len(text) > 64:
        raise InputError(field, name, "is not an IANA time zone name such as Europe/Moscow")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(
            field, name, "is not a known IANA time zone (for example Europe/Moscow, UTC)"
        ) from None


def zone_name(zone: tzinfo) -> str:
    """The IANA name of a zone, for output."""
    return getattr(zone, "key", None) or str(zone)


@functools.lru_cache(maxsize=4096)
def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local day (after a midnight DST gap: the gap's end).

    Kept per day and zone: every business-day deadline and date-only event asks, and a
    folder of orders asks about the same few hundred days (datetimes are immutable).
    """
    return wall_to_instant(datetime.combine(day, time()), zone, gap_ok=True)


def wall_to_instant(
    wall: datetime, zone: ZoneInfo, *, gap_ok: bool = False, field: str = "", raw: object = None
) -> datetime:
    """Attach a zone to a naive wall-clock time.

    An ambiguous time (the repeated hour in autumn) is read as its first occurrence, the
    earlier instant, so a deadline counted from it is never later than the real one. A time
    that does not exist (the skipped hour in spring) is an error unless ``gap_ok``, when it
    becomes the first instant after the gap.
    """
    if type(wall) is datetime and wall.tzinfo is None:
        # What ``replace`` gives (fold 0), built directly: replace costs four times as much.
        aware = datetime(
            wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second,
            wall.microsecond, zone,
        )  # fmt: skip
    else:
        aware = wall.replace(tzinfo=zone, fold=0)
    normalised = aware.astimezone(UTC).astimezone(zone)
    # Both carry ``zone``, so they compare as wall clocks: the time exists when they agree.
    if normalised != aware:
        if not gap_ok:
            raise InputError(
                field,
                raw if raw is not None else wall.isoformat(),
                f"does not exist in {zone_name(zone)} (clocks skip it for daylight saving)",
            )
        return normalised
    return aware


def parse_instant(
    raw: RawTime,
    zone: ZoneInfo,
    now: datetime,
    *,
    field: str,
    dayfirst: bool | None = None,
) -> datetime:
    """Read a moment strictly: ISO 8601, a keyword, or an unambiguous numeric date.

    Accepted: ``2026-03-01``, ``2026-03-01T14:30``, ``2026-03-01 14:30:05``, with an
    optional ``Z`` or ``+03:00`` offset; ``now``, ``today``, ``yesterday``, ``tomorrow``;
    ``01/03/2026`` only when ``dayfirst`` is given (True day-first, False month-first) or
    when only one reading is a real date. Missing fields are never filled from today,
    two-digit years are never guessed, nothing is parsed fuzzily.
    """
    try:
        moment = _parse_instant(raw, zone, now, field=field, dayfirst=dayfirst)
    except OverflowError:
        moment = None
    if moment is None or not YEARS[0] <= moment.year <= YEARS[1]:
        raise InputError(field, raw, f"is outside the years {YEARS[0]}-{YEARS[1]}")
    return moment


def _parse_instant(
    raw: RawTime, zone: ZoneInfo, now: datetime, *, field: str, dayfirst: bool | None
) -> datetime:
    if isinstance(raw, datetime):
        if raw.tzinfo is None:
            return wall_to_instant(raw, zone, field=field, raw=raw.isoformat())
        return raw.astimezone(zone)
    if isinstance(raw, date):
        return start_of_day(raw, zone)
    if not isinstance(raw, str):
        raise InputError(field, raw, "is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    text = raw.strip()
    keyword = text.lower()
    if keyword in _KEYWORDS:
        local_now = now.astimezone(zone)
        if keyword == "now":
            return local_now
        offset = {"today": 0, "yesterday": -1, "tomorrow": 1}[keyword]
        return start_of_day(local_now.date() + timedelta(days=offset), zone)
    if _COMMON_ISO.fullmatch(text):
        common = _from_common_iso(text, zone, field)
        if common is not None:
            return common
    iso = _ISO.fullmatch(text)
    if iso:
        return _from_iso(iso, text, zone, field)
    numeric = _NUMERIC.fullmatch(text)
    if numeric:
        return _from_numeric(numeric, text, zone, field, dayfirst)
    raise InputError(
        field,
        raw,
        "is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM (optionally with +HH:MM), "
        "now, today or yesterday",
    )


def _from_common_iso(text: str, zone: ZoneInfo, field: str) -> datetime | None:
    """:func:`_from_iso` of a :data:`_COMMON_ISO` text, read by ``fromisoformat`` (a fifth of
    the cost); None when it is not a real date or time, for ``_from_iso`` to say why."""
    try:
        if len(text) == 10:
            return start_of_day(date.fromisoformat(text), zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return wall_to_instant(moment, zone, field=field, raw=text)
    return moment.astimezone(zone)


def _from_iso(match: re.Match[str], text: str, zone: ZoneInfo, field: str) -> datetime:
    parts = match.groupdict()
    fraction = (parts["f"] or "").ljust(6, "0")
    try:
        wall = datetime(
            int(parts["y"]),
            int(parts["m"]),
            int(parts["d"]),
            int(parts["H"] or 0),
            int(parts["M"] or 0),
            int(parts["S"] or 0),
            int(fraction or 0),
        )
    except ValueError as error:
        raise InputError(field, text, f"is not a real date or time ({error})") from None
    offset = parts["tz"]
    if offset is None:
        if parts["H"] is None:
            return start_of_day(wall.date(), zone)
        return wall_to_instant(wall, zone, field=field, raw=text)
    if offset == "Z":
        return wall.replace(tzinfo=UTC).astimezone(zone)
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise InputError(field, text, "has an impossible UTC offset")
    delta = timedelta(hours=hours, minutes=minutes) * sign
    return wall.replace(tzinfo=timezone(delta)).astimezone(zone)


def _from_numeric(
    match: re.Match[str], text: str, zone: ZoneInfo, field: str, dayfirst: bool | None
) -> datetime:
    parts = match.groupdict()
    if len(parts["y"]) != 4:
        raise InputError(field, text, "has a two-digit year: write the year in full, YYYY")
    first, second, year = int(parts["a"]), int(parts["b"]), int(parts["y"])
    readings: list[tuple[int, int]] = []  # (month, day)
    if dayfirst is None:
        for month, day in ((second, first), (first, second)):
            if _is_real_date(year, month, day) and (month, day) not in readings:
                readings.append((month, day))
        if len(readings) > 1:
            raise InputError(
                field,
                text,
                "is ambiguous (day-first or month-first?): use YYYY-MM-DD, "
                "or add --dayfirst or --monthfirst",
            )
    else:
        readings.append((second, first) if dayfirst else (first, second))
    if not readings or not _is_real_date(year, *readings[0]):
        raise InputError(field, text, "is not a real date")
    month, day = readings[0]
    try:
        wall = datetime(
            year, month, day, int(parts["H"] or 0), int(parts["M"] or 0), int(parts["S"] or 0)
        )
    except ValueError as error:
        raise InputError(field, text, f"is not a real time ({error})") from None
    if parts["H"] is None:
        return start_of_day(wall.date(), zone)
    return wall_to_instant(wall, zone, field=field, raw=text)


def _is_real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def add_elapsed(instant: datetime, elapsed: timedelta) -> datetime:
    """Add exact elapsed time (countdown semantics), keeping the instant's zone.

    Python's aware arithmetic adds wall-clock time; going through UTC makes N days exactly
    N x 24 h, so across a daylight-saving change the local hour moves.
    """
    zone = instant.tzinfo
    assert zone is not None, "instants are always timezone-aware"
    in_utc = utc(instant) + elapsed
    result = in_utc.astimezone(zone)
    # Remembered as utc() does, written out: a shared helper's call cost about 1% of an
    # engine run's instructions. The engine compares the result in UTC next.
    if len(_IN_UTC) >= _IN_UTC_KEPT:
        _IN_UTC.clear()
    _IN_UTC[id(result)] = (result, in_utc)
    return result


def utc(moment: datetime) -> datetime:
    """An instant in UTC, for comparing instants.

    Two datetimes that share a tzinfo compare as wall clocks in Python, which gets the
    repeated hour of a daylight-saving change wrong; in UTC they compare as instants.

    Remembered by identity (see :data:`_IN_UTC`): an order's instants are compared many
    times, and each conversion from a ZoneInfo zone asks the zone for its offset.
    """
    if moment.tzinfo is UTC:
        return moment  # what astimezone(UTC) returns for it
    found = _IN_UTC.get(id(moment))
    if found is not None and found[0] is moment:
        return found[1]
    value = moment.astimezone(UTC)
    if len(_IN_UTC) >= _IN_UTC_KEPT:
        _IN_UTC.clear()
    _IN_UTC[id(moment)] = (moment, value)
    return value


_IN_UTC: dict[int, tuple[datetime, datetime]] = {}
"""Instants converted to UTC lately, by ``id``: (the instant, the same instant in UTC).

Measured: ``astimezone(UTC)`` of a ZoneInfo datetime costs some 0.5 us and an engine run
made about thirty of them, mostly of the same few instants (an order's events, its
deadlines). The entry holds the instant itself, so its ``id`` cannot be reused while the
entry lives, and a hit is checked by identity; datetimes are immutable, so the value stays
right. At most :data:`_IN_UTC_KEPT` entries (then it starts again)."""

_IN_UTC_KEPT = 256


_TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))
"""``00`` to ``59``: a month, day, hour or minute as :func:`wall` writes it."""


def wall(moment: datetime) -> str:
    """A moment as local wall-clock text for explanations: ``2026-03-01 00:00``.

    Built from the fields, as ``isoformat(" ", "minutes")[:16]`` wrote it: an order shows
    some nine instants, and ``isoformat`` of an aware one also asks its zone for the offset
    and formats through ``sprintf``, three times the work (some 8% of an order's instructions).
    """
    year = moment.year
    if year < 1000:  # four digits, zero-padded
        return moment.isoformat(" ", "minutes")[:16]
    two = _TWO_DIGITS
    return f"{year}-{two[moment.month]}-{two[moment.day]} {two[moment.hour]}:{two[moment.minute]}"


def time_between(start: datetime, end: datetime) -> timedelta:
    """Exact elapsed time from ``start`` to ``end``.

    Two datetimes that share a tzinfo subtract as wall clocks in Python (an hour off across a
    daylight-saving change); going through UTC gives the real elapsed time.
    """
    return utc(end) - utc(start)


def parse_duration(raw: str, field: str = "within") -> timedelta:
    """A span such as ``36h``, ``3d``, ``2d12h``, ``90m``, ``P2D`` or ``PT36H``."""
    text = raw.strip()
    match = _ISO_DURATION.fullmatch(text.upper()) if text.upper().startswith("P") else None
    if match is None and not text.upper().startswith("P"):
        match = _DURATION.fullmatch(text.lower())
    if match is None or not any(match.groupdict().values()):
        raise InputError(field, raw, "is not a duration: use e.g. 36h, 3d, 2d12h or P2D")
    if any(len(value) > 7 for value in match.groupdict().values() if value):
        raise InputError(field, raw, "is longer than ten years")  # timedelta would overflow
    parts = {key: int(value) for key, value in match.groupdict().items() if value}
    span = timedelta(
        weeks=parts.get("w", 0),
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
    )
    if span > _MAX_DURATION:
        raise InputError(field, raw, "is longer than ten years")
    return span


def format_span(span: timedelta) -> str:
    """A human span: ``14d 23h``, ``5h 30m``, or ``overdue by 2d 1h``."""
    seconds = int(span.total_seconds())
    prefix = "overdue by " if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days}d {hours}h"
    elif hours:
        text = f"{hours}h {minutes}m"
    else:
        text = f"{minutes}m"
    return prefix + text
