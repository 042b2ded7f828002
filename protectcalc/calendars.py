"""Working-day calendars: the ``holidays`` package's own answers, cached per process.

Why a module of its own: business-day rules (SPEC 2.4) need a party's working days, with
weekends, public holidays, substituted days off and make-up working days (China's working
Saturdays). None of that is written here; every answer comes from the package's working-day
API (``get_nth_working_day``). This module only chooses the calendar, turns the package's
errors into :class:`InputError`, and says when a date reaches into a year whose schedule the
package does not have.

``holidays`` is imported inside the functions, only when a business-day rule needs it: it
costs about 0.1 s (0.3 s with the country data), which the start-up budget cannot carry.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from protectcalc.errors import InputError

PLATFORM_COUNTRY = "CN"
"""The platform's calendar: AliExpress counts escalated-dispute days in China (004)."""

DEFAULT_SELLER_COUNTRY = "CN"
"""The seller's calendar unless --seller-country says otherwise (SPEC 4)."""


@dataclass(frozen=True)
class CalendarChoice:
    """Whose working days to count: a country (None: weekends only) and a subdivision."""

    country: str | None
    subdivision: str | None = None
    field: str = "buyer_country"
    """The order field that named the country, for error messages."""

    def describe(self) -> str:
        """``CN``, ``US-CA``, or ``Sat/Sun weekends only``."""
        if self.country is None:
            return "Sat/Sun weekends only"
        return self.country + (f"-{self.subdivision}" if self.subdivision else "")


@dataclass(frozen=True)
class WorkingDayResult:
    """The n-th working day after a date, and the years the package has no schedule for."""

    day: date
    unconfirmed_years: tuple[int, ...]
    last_scheduled_year: int | None
    """The last year with an announced schedule (None when the country has no such notion)."""
    calendar: str
    """The calendar counted, as the package spells it: ``CN``, ``US-CA``."""


@functools.lru_cache(maxsize=65536)
def nth_working_day(choice: CalendarChoice, event_day: date, count: int) -> WorkingDayResult:
    """The ``count``-th working day after ``event_day`` (counting starts the next day).

    Cached per process: a folder of orders asks the same calendar about the same few hundred
    days again and again, and the package answers a working-day question in about 0.5 ms.
    """
    if choice.subdivision is not None:
        choice = replace(choice, subdivision=_canonical_subdivision(choice))
    first = event_day + timedelta(days=1)
    calendar = _calendar(choice, _years_needed(event_day, count))
    day = _counted(choice, calendar, event_day, count) if count else event_day
    years = range(first.year, max(first, day).year + 1) if count else range(0)
    last = last_scheduled_year(calendar)
    return WorkingDayResult(
        day, tuple(_unconfirmed(calendar, years, last)), last, choice.describe()
    )


TABLE_AFTER = 16
"""A calendar-year asked this many times gets a table of its working days (see _counted)."""

_asked: Counter[tuple[CalendarChoice, int]] = Counter()
_tables: dict[tuple[CalendarChoice, int], list[date]] = {}


def _counted(choice: CalendarChoice, calendar: Any, event_day: date, count: int) -> date:
    """The package's ``get_nth_working_day``; for a calendar-year asked often, a table lookup.

    One question costs the package a loop of ``is_working_day`` calls (about 0.5 ms); a folder
    or a batch asks the same calendar about many different days, so after a few questions the
    year and the next are listed once, from the same ``is_working_day`` answers, and later
    questions are a binary search. A single order (one command) never pays for the table.
    """
    if count < 0:
        return calendar.get_nth_working_day(event_day, count)  # type: ignore[no-any-return]
    key = (choice, event_day.year)
    table = _tables.get(key)
    if table is None:
        _asked[key] += 1
        if _asked[key] <= TABLE_AFTER:
            return calendar.get_nth_working_day(event_day, count)  # type: ignore[no-any-return]
        table = _tables[key] = _working_days(choice, event_day.year)
    position = bisect_right(table, event_day) + count - 1
    if position < len(table):
        return table[position]
    return calendar.get_nth_working_day(event_day, count)  # type: ignore[no-any-return]


def _working_days(choice: CalendarChoice, year: int) -> list[date]:
    """Every working day of ``year`` and the next, in order, as the package answers."""
    calendar = _calendar(choice, (year, year + 1))
    day, end = date(year, 1, 1), date(year + 1, 12, 31)
    found: list[date] = []
    while day <= end:
        if calendar.is_working_day(day):
            found.append(day)
        day += timedelta(days=1)
    return found


def check_calendar(choice: CalendarChoice) -> None:
    """Refuse a country or subdivision the ``holidays`` package does not know (exit 2)."""
    if choice.country is not None:
        _country_calendar(choice.country, choice.field)
    if choice.subdivision is not None:
        _canonical_subdivision(choice)


@functools.cache
def package_version() -> str:
    """The installed ``holidays`` version, named in warnings about missing schedules.

    Cached: reading a distribution's metadata costs about 15 ms.
    """
    from importlib.metadata import version

    return version("holidays")


def subdivisions(country: str) -> tuple[str, ...]:
    """The subdivision codes the package knows for a country (empty when it has none)."""
    return tuple(str(code) for code in _country_calendar(country, "buyer_country").subdivisions)


def _years_needed(event_day: date, count: int) -> tuple[int, int]:
    # A generous guess of how far ``count`` working days reach; the package's ``expand``
    # fills in any later year on demand, so the guess only saves work, never correctness.
    return event_day.year, (event_day + timedelta(days=2 * count + 31)).year


def _calendar(choice: CalendarChoice, years: tuple[int, int]) -> Any:
    if choice.country is None:
        return _weekends_only(years)
    return _country_years(choice.country, choice.subdivision, years, choice.field)


@functools.lru_cache(maxsize=32)
def _weekends_only(years: tuple[int, int]) -> Any:
    """The package's base calendar: its default Sat/Sun weekend and no holidays."""
    import holidays

    return holidays.HolidayBase(years=range(years[0], years[1] + 1))


@functools.lru_cache(maxsize=64)
def _country_years(
    country: str, subdivision: str | None, years: tuple[int, int], field: str
) -> Any:
    import holidays

    try:
        return holidays.country_holidays(
            country, subdiv=subdivision, years=range(years[0], years[1] + 1)
        )
    except NotImplementedError:
        if subdivision is not None:
            raise InputError(
                "buyer_subdivision", subdivision, f"is not a subdivision of {country}"
            ) from None
        raise _unknown_country(country, field) from None


@functools.lru_cache(maxsize=64)
def _country_calendar(country: str, field: str) -> Any:
    import holidays

    try:
        return holidays.country_holidays(country, years=())
    except NotImplementedError:
        raise _unknown_country(country, field) from None


def _unknown_country(country: str, field: str) -> InputError:
    return InputError(
        field,
        country,
        "is not a country the holidays package has a calendar for "
        "(ISO 3166 codes such as RU, US, DE, BR)",
    )


def _canonical_subdivision(choice: CalendarChoice) -> str:
    """The package's own spelling of a subdivision code or name, matched ignoring case."""
    assert choice.country is not None and choice.subdivision is not None
    entity = _country_calendar(choice.country, choice.field)
    known: dict[str, str] = {str(code).casefold(): str(code) for code in entity.subdivisions}
    aliases = getattr(entity, "subdivisions_aliases", {}) or {}
    known.update({str(name).casefold(): str(code) for name, code in aliases.items()})
    found = known.get(choice.subdivision.strip().casefold())
    if found is None:
        if not known:
            problem = f"{choice.country} has no subdivisions in the holidays package"
        else:
            shown = ", ".join(list(entity.subdivisions)[:12])
            more = ", ..." if len(entity.subdivisions) > 12 else ""
            problem = f"is not a subdivision of {choice.country} (known: {shown}{more})"
        raise InputError("buyer_subdivision", choice.subdivision, problem)
    return found


def last_scheduled_year(calendar: Any) -> int | None:
    """The last year whose decreed schedule (moved days off, make-up working days) is known.

    Countries such as China and Russia publish each year's schedule by decree; the package
    marks them with ``has_substituted_holidays`` and keeps the decrees, by year, in
    ``special_public_holidays`` (an entry of four or five items is a substitution). For a
    later year the package silently has none, so dates there are not confirmed.
    """
    cached = _last_scheduled.get(id(calendar))
    if cached is not None and cached[0] is calendar:
        return cached[1]
    found = None
    if getattr(calendar, "has_substituted_holidays", False):
        decrees: dict[int, Any] = getattr(calendar, "special_public_holidays", {}) or {}
        years = [
            year for year, entries in decrees.items() if any(len(e) >= 4 for e in _rows(entries))
        ]
        found = max(years) if years else None
    if len(_last_scheduled) >= 256:
        _last_scheduled.clear()
    _last_scheduled[id(calendar)] = (calendar, found)
    return found


_last_scheduled: dict[int, tuple[Any, int | None]] = {}
"""Per calendar object (kept with its answer, so an id is never reused): its decrees are the
package's fixed data, and scanning them cost three quarters of a working-day question."""


def _rows(entries: Any) -> Iterable[tuple[Any, ...]]:
    """The package stores one entry as a flat tuple and several as a tuple of tuples."""
    if isinstance(entries, tuple) and entries and not isinstance(entries[0], tuple):
        return (entries,)
    return tuple(entries)


def _unconfirmed(calendar: Any, years: Iterable[int], last: int | None) -> list[int]:
    """Years the package has no data for, or no decreed schedule for yet."""
    missing = []
    for year in years:
        outside = year < calendar.start_year or year > calendar.end_year
        if outside or (last is not None and year > last):
            missing.append(year)
    return missing
