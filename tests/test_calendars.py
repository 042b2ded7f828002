"""Working days from the holidays package: exact dates around the holidays that move them.

Each expected date was counted by hand from the official calendar (China: State Council notice
of November 2025 for 2026; Russia: government decree on the 2026 days off; US: federal
holidays), and each is checked against the package's own answers through a second API
(``get_working_days_count`` and ``is_working_day``), so the count semantics are pinned too:
the n-th working day *after* the event's date.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protectcalc import calendars
from protectcalc.calendars import CalendarChoice, nth_working_day
from protectcalc.errors import InputError

CN = CalendarChoice("CN", field="seller_country")
RU = CalendarChoice("RU")
US = CalendarChoice("US")
US_CA = CalendarChoice("US", "CA")
WEEKENDS = CalendarChoice(None)

HAND_COUNTED = [
    # China, Spring Festival 2026: 15-23 Feb off; Saturdays 14 and 28 Feb are working days.
    (CN, date(2026, 2, 13), 1, date(2026, 2, 14)),  # the working Saturday
    (CN, date(2026, 2, 14), 1, date(2026, 2, 24)),  # over the whole festival
    (CN, date(2026, 2, 12), 7, date(2026, 2, 28)),  # 13, 14, 24, 25, 26, 27, 28 (Sat)
    (CN, date(2026, 2, 10), 15, date(2026, 3, 9)),
    (CN, date(2026, 2, 10), 45, date(2026, 4, 21)),  # also over Qingming (4-6 Apr)
    # China, National Day 2026: 1-7 Oct off; Sunday 20 Sep and Saturday 10 Oct are working.
    (CN, date(2026, 9, 18), 1, date(2026, 9, 20)),  # the working Sunday
    (CN, date(2026, 9, 30), 1, date(2026, 10, 8)),
    (CN, date(2026, 10, 9), 1, date(2026, 10, 10)),  # the working Saturday
    (CN, date(2026, 9, 29), 7, date(2026, 10, 14)),  # 30, 8, 9, 10 (Sat), 12, 13, 14
    # Russia, New Year 2026: 31 Dec 2025 and 1-11 Jan 2026 off (9 Jan moved from 3 Jan).
    (RU, date(2025, 12, 29), 1, date(2025, 12, 30)),
    (RU, date(2025, 12, 30), 1, date(2026, 1, 12)),
    (RU, date(2025, 12, 29), 7, date(2026, 1, 19)),
    (RU, date(2025, 12, 29), 10, date(2026, 1, 22)),
    # United States, Thanksgiving 26 Nov 2026 (federal); the Friday after is a working day.
    (US, date(2026, 11, 25), 1, date(2026, 11, 27)),
    (US, date(2026, 11, 23), 3, date(2026, 11, 27)),
    (US, date(2026, 11, 23), 20, date(2026, 12, 22)),
    # California also rests on the day after Thanksgiving.
    (US_CA, date(2026, 11, 25), 1, date(2026, 11, 30)),
    (US_CA, date(2026, 11, 23), 3, date(2026, 11, 30)),
    # No country: Saturdays and Sundays only.
    (WEEKENDS, date(2026, 2, 13), 1, date(2026, 2, 16)),
    (WEEKENDS, date(2026, 11, 23), 3, date(2026, 11, 26)),
]


@pytest.mark.parametrize(("choice", "event", "count", "expected"), HAND_COUNTED)
def test_nth_working_day_matches_the_official_calendar(
    choice: CalendarChoice, event: date, count: int, expected: date
) -> None:
    assert nth_working_day(choice, event, count).day == expected


@pytest.mark.parametrize(("choice", "event", "count", "expected"), HAND_COUNTED)
def test_the_package_agrees_through_its_other_api(
    choice: CalendarChoice, event: date, count: int, expected: date
) -> None:
    if choice.country is None:
        package = holidays.HolidayBase()
    else:
        package = holidays.country_holidays(choice.country, subdiv=choice.subdivision)
    assert package.is_working_day(expected)
    assert package.get_working_days_count(event + timedelta(days=1), expected) == count


def test_china_make_up_days_come_from_the_package() -> None:
    package = holidays.country_holidays("CN", years=2026)
    assert {date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)} <= set(
        package.weekend_workdays
    )


def test_zero_days_is_the_event_day() -> None:
    assert nth_working_day(CN, date(2026, 2, 17), 0).day == date(2026, 2, 17)


# --- years whose schedule the package does not have ---------------------------------------


def _last_china_year() -> int:
    last = nth_working_day(CN, date(2026, 3, 2), 1).last_scheduled_year
    assert last is not None and last >= 2026
    return last


def test_a_count_into_an_unannounced_year_is_unconfirmed() -> None:
    last = _last_china_year()
    result = nth_working_day(CN, date(last, 12, 28), 7)
    assert result.day.year == last + 1
    assert result.unconfirmed_years == (last + 1,)


def test_a_count_inside_an_announced_year_is_confirmed() -> None:
    last = _last_china_year()
    assert nth_working_day(CN, date(last, 3, 2), 7).unconfirmed_years == ()
    # The event's own date is not counted: 31 Dec + 1 working day only reaches next year.
    assert nth_working_day(CN, date(last, 12, 20), 3).unconfirmed_years == ()


def test_china_2026_is_announced_in_this_package() -> None:
    """The dates above rely on it; a package without 2026 would have to say so."""
    assert nth_working_day(CN, date(2026, 2, 12), 7).unconfirmed_years == ()


def test_a_country_with_fixed_rules_is_never_unconfirmed() -> None:
    result = nth_working_day(US, date(2031, 12, 29), 20)
    assert result.last_scheduled_year is None
    assert result.unconfirmed_years == ()


def test_years_beyond_the_package_data_are_unconfirmed() -> None:
    result = nth_working_day(US, date(2100, 12, 20), 20)
    assert result.unconfirmed_years == (2101,)


def test_last_scheduled_year_reads_the_decrees() -> None:
    package = holidays.country_holidays("RU", years=())
    decreed = [
        year
        for year, rows in package.special_public_holidays.items()
        if any(len(row) >= 4 for row in calendars._rows(rows))
    ]
    assert calendars.last_scheduled_year(package) == max(decreed)
    assert calendars.last_scheduled_year(package) == max(decreed)  # kept: the same answer
    assert calendars.last_scheduled_year(holidays.country_holidays("US", years=())) is None
    china = holidays.country_holidays("CN", years=())  # another calendar: its own answer
    decreed_in_china = [
        year
        for year, rows in china.special_public_holidays.items()
        if any(len(row) >= 4 for row in calendars._rows(rows))
    ]
    assert calendars.last_scheduled_year(china) == max(decreed_in_china)


# --- errors and choice of calendar ---------------------------------------------------------


def test_unknown_country_is_an_input_error_naming_the_option() -> None:
    with pytest.raises(InputError) as caught:
        calendars.check_calendar(CalendarChoice("XX", field="buyer_country"))
    assert caught.value.field == "buyer_country"
    assert str(caught.value).startswith("--buyer-country XX: is not a country")


def test_unknown_subdivision_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        calendars.check_calendar(CalendarChoice("US", "ZZ"))
    assert caught.value.field == "buyer_subdivision"
    assert "is not a subdivision of US" in str(caught.value)


def test_subdivision_is_matched_ignoring_case_and_by_name() -> None:
    for spelling in ("ca", "CA", "California"):
        result = nth_working_day(CalendarChoice("US", spelling), date(2026, 11, 25), 1)
        assert result.day == date(2026, 11, 30)
        assert result.calendar == "US-CA"


def test_calendars_are_cached_per_process() -> None:
    calendars._country_years.cache_clear()
    nth_working_day.cache_clear()
    nth_working_day(RU, date(2025, 12, 29), 7)
    nth_working_day(RU, date(2025, 12, 29), 10)
    info = calendars._country_years.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    again = nth_working_day(RU, date(2025, 12, 29), 7)  # the answer itself is cached too
    assert nth_working_day.cache_info().hits == 1 and again.day == date(2026, 1, 19)


def test_holidays_is_not_imported_without_a_business_day_rule() -> None:
    """Start-up: a timeline without business-day rules never imports the package."""
    probe = (
        "import sys\n"
        "from protectcalc.cli import run\n"
        "code = run(['timeline', '--confirmed', '2026-03-01', '--tz', 'UTC', '-f', 'json'])\n"
        "assert code == 0, code\n"
        "print('holidays' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=root, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "False"


@settings(max_examples=150, deadline=None)
@given(
    choice=st.sampled_from([CN, RU, US, US_CA, WEEKENDS]),
    event=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    count=st.integers(min_value=1, max_value=40),
)
def test_the_working_day_table_answers_as_the_package(
    choice: CalendarChoice, event: date, count: int
) -> None:
    """After a few questions a calendar-year is answered from a table: the same days."""
    canonical = choice
    if choice.subdivision is not None:
        canonical = CalendarChoice(choice.country, "CA", choice.field)
    calendar = calendars._calendar(canonical, calendars._years_needed(event, count))
    expected = calendar.get_nth_working_day(event, count)
    calendars._asked[(canonical, event.year)] = calendars.TABLE_AFTER  # the next one builds it
    assert calendars._counted(canonical, calendar, event, count) == expected
    assert (canonical, event.year) in calendars._tables
    assert calendars._counted(canonical, calendar, event, count) == expected
