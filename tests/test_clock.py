"""The time core: the strict parser, zones, durations, DST gaps and folds, elapsed time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from protectcalc import clock
from protectcalc.clock import (
    add_elapsed,
    format_span,
    parse_duration,
    parse_instant,
    parse_zone,
    start_of_day,
    wall_to_instant,
)
from protectcalc.errors import InputError

MSK = ZoneInfo("Europe/Moscow")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def parse(text: object, zone: ZoneInfo = MSK, dayfirst: bool | None = None) -> datetime:
    return parse_instant(text, zone, NOW, field="confirmed", dayfirst=dayfirst)  # type: ignore[arg-type]


def same_instant(a: datetime, b: datetime) -> bool:
    """Equal as instants AND with the same offset (aware == ignores the offset)."""
    return a == b and a.utcoffset() == b.utcoffset()


# --- accepted forms ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=MSK)),
        ("2026-03-01T14:30", datetime(2026, 3, 1, 14, 30, tzinfo=MSK)),
        ("2026-03-01 14:30", datetime(2026, 3, 1, 14, 30, tzinfo=MSK)),
        ("2026-03-01T14:30:05", datetime(2026, 3, 1, 14, 30, 5, tzinfo=MSK)),
        ("2026-03-01T14:30:05.25", datetime(2026, 3, 1, 14, 30, 5, 250000, tzinfo=MSK)),
        ("2026-03-01T14:30Z", datetime(2026, 3, 1, 17, 30, tzinfo=MSK)),
        ("2026-03-01T14:30:00Z", datetime(2026, 3, 1, 17, 30, tzinfo=MSK)),
        ("2026-03-01T14:30+05:00", datetime(2026, 3, 1, 12, 30, tzinfo=MSK)),
        ("2026-03-01T14:30+0530", datetime(2026, 3, 1, 12, 0, tzinfo=MSK)),
        ("2026-03-01T14:30-03", datetime(2026, 3, 1, 20, 30, tzinfo=MSK)),
        ("2026-03-01T00:00+03:00", datetime(2026, 3, 1, tzinfo=MSK)),
        ("  2026-03-01T14:30  ", datetime(2026, 3, 1, 14, 30, tzinfo=MSK)),
        ("\t2026-03-01\n", datetime(2026, 3, 1, tzinfo=MSK)),
        ("2024-02-29", datetime(2024, 2, 29, tzinfo=MSK)),
    ],
)
def test_iso_forms_accepted(text: str, expected: datetime) -> None:
    result = parse(text)
    assert same_instant(result, expected)
    assert result.tzinfo is MSK  # always in the order's zone, whatever offset was typed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", datetime(2026, 3, 2, 12, 0, tzinfo=MSK)),
        ("NOW", datetime(2026, 3, 2, 12, 0, tzinfo=MSK)),
        ("today", datetime(2026, 3, 2, tzinfo=MSK)),
        (" Today ", datetime(2026, 3, 2, tzinfo=MSK)),
        ("yesterday", datetime(2026, 3, 1, tzinfo=MSK)),
        ("tomorrow", datetime(2026, 3, 3, tzinfo=MSK)),
    ],
)
def test_keywords_use_the_given_now_in_the_orders_zone(text: str, expected: datetime) -> None:
    assert same_instant(parse(text), expected)


def test_today_is_the_local_day_not_the_utc_day() -> None:
    # 09:00 UTC on 2 March is already 3 March 00:00... nowhere; 22:00 UTC is 3 March in Tokyo.
    late = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    tokyo = ZoneInfo("Asia/Tokyo")
    assert parse_instant("today", tokyo, late, field="x") == datetime(2026, 3, 3, tzinfo=tokyo)
    assert parse_instant("today", MSK, late, field="x") == datetime(2026, 3, 3, tzinfo=MSK)
    los_angeles = ZoneInfo("America/Los_Angeles")
    assert parse_instant("today", los_angeles, late, field="x") == datetime(
        2026, 3, 2, tzinfo=los_angeles
    )


def test_values_read_from_yaml() -> None:
    assert same_instant(parse(date(2026, 3, 1)), datetime(2026, 3, 1, tzinfo=MSK))
    assert same_instant(
        parse(datetime(2026, 3, 1, 14, 30)), datetime(2026, 3, 1, 14, 30, tzinfo=MSK)
    )
    aware = datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
    assert same_instant(parse(aware), datetime(2026, 3, 1, 14, 30, tzinfo=MSK))


# --- refused forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-03",  # a month is not a date
        "2026",
        "1735689600",  # epoch seconds are never guessed
        "20260301",
        "26-03-01",  # two-digit year
        "03/04/26",
        "3/4/26",
        "2026-02-30",  # impossible dates
        "2026-13-01",
        "2025-02-29",
        "2026-03-01T24:00",
        "2026-03-01T14:60",
        "2026-03-01T14",
        "2026-03-01T14:30+24:00",
        "2026-03-01T14:30+05:60",
        "March 1, 2026",  # nothing fuzzy
        "1 March 2026",
        "next tuesday",
        "in 3 days",
        "2026-03-01 at noon",
        "2026-03-01T14:30 MSK",
        "",
        "   ",
        "2026/03/01",
        "13/13/2026",
        "31/02/2026",
        "00/01/2026",
        "2026-03-01T14:30:05.1234567",
        "2026-03-01\u00a014:30",
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(text)
    assert caught.value.field == "confirmed"
    assert caught.value.value == text
    shown = text if text.isprintable() else repr(text)  # one line, whatever was typed
    assert str(caught.value).startswith(f"--confirmed {shown}" if text.strip() else "--confirmed")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("value", [1735689600, 20260301, 3.5, None, True, ["2026-03-01"]])
def test_non_text_yaml_values_refused(value: object) -> None:
    with pytest.raises(InputError):
        parse(value)


@pytest.mark.parametrize(
    "value", ["0001-01-01", "1969-06-30T12:00Z", "2200-01-01", "9999-12-31T23:59-23:59"]
)
def test_years_far_from_any_order_are_refused_not_crashing(value: str) -> None:
    """Near datetime's limits a zone change or a 90-day rule would overflow."""
    for zone in (MSK, ZoneInfo("Asia/Kathmandu"), ZoneInfo("Pacific/Pago_Pago")):
        with pytest.raises(InputError, match="outside the years 1970-2199"):
            parse(value, zone)


def test_the_year_range_edges_are_accepted() -> None:
    assert parse("1970-01-01", MSK).year == 1970
    assert parse("2199-12-31T23:59", MSK).year == 2199


def test_two_digit_year_says_so() -> None:
    with pytest.raises(InputError, match="two-digit year"):
        parse("03/04/26")


def test_impossible_date_says_so() -> None:
    with pytest.raises(InputError, match=r"^--confirmed 2026-02-30: is not a real date"):
        parse("2026-02-30")


# --- day-first / month-first ------------------------------------------------------------


def test_ambiguous_numeric_date_refused_without_a_choice() -> None:
    with pytest.raises(InputError, match="ambiguous") as caught:
        parse("03/04/2026")
    assert "--dayfirst" in str(caught.value) and "--monthfirst" in str(caught.value)


def test_ambiguous_numeric_date_with_dayfirst_or_monthfirst() -> None:
    assert same_instant(parse("03/04/2026", dayfirst=True), datetime(2026, 4, 3, tzinfo=MSK))
    assert same_instant(parse("03/04/2026", dayfirst=False), datetime(2026, 3, 4, tzinfo=MSK))
    assert same_instant(parse("03.04.2026", dayfirst=True), datetime(2026, 4, 3, tzinfo=MSK))
    assert same_instant(
        parse("03/04/2026 14:30", dayfirst=True), datetime(2026, 4, 3, 14, 30, tzinfo=MSK)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/04/2026", date(2026, 4, 25)),  # only day-first is a real date
        ("04/25/2026", date(2026, 4, 25)),  # only month-first is
        ("03/03/2026", date(2026, 3, 3)),  # both readings are the same day
        ("13/4/2026", date(2026, 4, 13)),
    ],
)
def test_unambiguous_numeric_dates_accepted(text: str, expected: date) -> None:
    result = parse(text)
    assert result.date() == expected and (result.hour, result.minute) == (0, 0)


def test_a_choice_that_gives_no_real_date_is_refused() -> None:
    with pytest.raises(InputError, match="not a real date"):
        parse("25/04/2026", dayfirst=False)


# --- daylight saving: gaps, folds, midnight transitions ----------------------------------


def test_wall_time_in_the_spring_gap_is_an_error() -> None:
    with pytest.raises(InputError, match="does not exist in America/New_York") as caught:
        parse("2026-03-08T02:30", NEW_YORK)
    assert caught.value.value == "2026-03-08T02:30"


def test_wall_time_just_outside_the_gap_is_fine() -> None:
    before = parse("2026-03-08T01:59", NEW_YORK)
    after = parse("2026-03-08T03:00", NEW_YORK)
    assert before.utcoffset() == timedelta(hours=-5)
    assert after.utcoffset() == timedelta(hours=-4)
    # The gap really is skipped. (Subtract in UTC: two datetimes sharing a tzinfo subtract as
    # wall clocks, which would say 61 minutes.)
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(minutes=1)


def test_ambiguous_autumn_time_is_its_first_occurrence() -> None:
    result = parse("2026-11-01T01:30", NEW_YORK)
    assert result.utcoffset() == timedelta(hours=-4)  # still EDT: the earlier instant
    assert result.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert result.fold == 0


def test_an_explicit_offset_picks_the_second_occurrence() -> None:
    result = parse("2026-11-01T01:30-05:00", NEW_YORK)
    assert result.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone_name", "day", "expected_utc"),
    [
        # Havana moves clocks from 00:00 to 01:00 on 8 March 2026: the day starts at 01:00 CDT.
        ("America/Havana", date(2026, 3, 8), datetime(2026, 3, 8, 5, 0, tzinfo=UTC)),
        # Santiago does the same on 6 September 2026: the day starts at 01:00 -03.
        ("America/Santiago", date(2026, 9, 6), datetime(2026, 9, 6, 4, 0, tzinfo=UTC)),
        ("Asia/Beirut", date(2026, 3, 29), datetime(2026, 3, 28, 22, 0, tzinfo=UTC)),
    ],
)
def test_a_date_at_a_midnight_gap_starts_at_the_gaps_end(
    zone_name: str, day: date, expected_utc: datetime
) -> None:
    zone = ZoneInfo(zone_name)
    result = parse(day.isoformat(), zone)
    assert result.astimezone(UTC) == expected_utc
    assert (result.hour, result.minute) == (1, 0)
    assert result.date() == day
    assert start_of_day(day, zone) == result
    with pytest.raises(InputError, match="does not exist"):
        parse(f"{day.isoformat()}T00:30", zone)


def test_wall_to_instant_gap_ok_moves_to_the_gaps_end() -> None:
    result = wall_to_instant(datetime(2026, 3, 8, 2, 30), NEW_YORK, gap_ok=True)
    assert result.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert (result.hour, result.minute) == (3, 30)


# --- elapsed time -----------------------------------------------------------------------


def test_add_elapsed_is_exact_across_spring_forward() -> None:
    start = parse("2026-03-01", NEW_YORK)
    end = add_elapsed(start, timedelta(days=15))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=360)
    assert (end.day, end.hour) == (16, 1)  # 00:00 EST + 360 h = 01:00 EDT
    assert end.utcoffset() == timedelta(hours=-4)


def test_add_elapsed_is_exact_across_fall_back() -> None:
    start = parse("2026-10-25T12:00", NEW_YORK)
    end = add_elapsed(start, timedelta(days=10))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=10)
    assert (end.month, end.day, end.hour) == (11, 4, 11)


def test_add_elapsed_lands_in_the_repeated_hour_correctly() -> None:
    # 1 Nov 2026 01:30 EST (the second 01:30) is 06:30 UTC; from 06:30 UTC one day earlier.
    start = datetime(2026, 10, 31, 6, 30, tzinfo=UTC).astimezone(NEW_YORK)
    end = add_elapsed(start, timedelta(days=1))
    assert end.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert (end.hour, end.minute, end.utcoffset()) == (1, 30, timedelta(hours=-5))
    assert end.fold == 1


def test_add_elapsed_keeps_the_zone() -> None:
    start = parse("2026-03-01", MSK)
    assert add_elapsed(start, timedelta(hours=72)).tzinfo is MSK


# --- zones ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Moscow", "UTC", "America/Argentina/Buenos_Aires"])
def test_zones_accepted(name: str) -> None:
    assert parse_zone(name).key == name
    assert parse_zone(f"  {name} ").key == name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("/etc/localtime", "not an IANA time zone name"),
        ("../../etc/passwd", "not an IANA time zone name"),
        ("Europe/../Moscow", "not an IANA time zone name"),
        ("Europe\\Moscow", "not an IANA time zone name"),
        ("Europe/Mosow", "not a known IANA time zone"),
        ("Mars/Olympus", "not a known IANA time zone"),
        ("local", "not a known IANA time zone"),
        ("MSK", "not a known IANA time zone"),
        ("+03:00", "not an IANA time zone name"),
        ("Europe/Moscow\x00", "not an IANA time zone name"),
        ("x" * 80, "not an IANA time zone name"),
    ],
)
def test_zones_refused(name: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as caught:
        parse_zone(name)
    assert caught.value.field == "tz"
    assert str(caught.value).startswith("--tz")


def test_zone_error_names_the_field_given() -> None:
    with pytest.raises(InputError) as caught:
        parse_zone("Nowhere/Town", "TZ")
    assert str(caught.value).startswith("TZ Nowhere/Town:")


# --- durations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("36h", timedelta(hours=36)),
        ("3d", timedelta(days=3)),
        ("2d12h", timedelta(days=2, hours=12)),
        ("2d 12h", timedelta(days=2, hours=12)),
        ("90m", timedelta(minutes=90)),
        ("1d2h3m", timedelta(days=1, hours=2, minutes=3)),
        ("3D", timedelta(days=3)),
        (" 3d ", timedelta(days=3)),
        ("P2D", timedelta(days=2)),
        ("PT36H", timedelta(hours=36)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P1W", timedelta(weeks=1)),
        ("p2d", timedelta(days=2)),
    ],
)
def test_durations_accepted(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "  ", "3", "abc", "3x", "-3d", "1.5d", "P", "PT", "P2Y", "P1M", "3 days", "d", "4000d"],
)
def test_durations_refused(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_duration(text)
    assert caught.value.field == "within"
    assert str(caught.value).startswith("--within")


# --- spans ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(days=13, hours=12), "13d 12h"),
        (timedelta(hours=5, minutes=30), "5h 30m"),
        (timedelta(minutes=7), "7m"),
        (timedelta(0), "0m"),
        (-timedelta(days=2, hours=1), "overdue by 2d 1h"),
    ],
)
def test_format_span(span: timedelta, text: str) -> None:
    assert format_span(span) == text


# --- the common-shape fast path and the direct wall_to_instant, against the strict path -----


_DIFFERENTIAL_ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC",
        "Europe/Moscow",
        "Europe/London",
        "America/New_York",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Pacific/Apia",
        "America/Havana",
    )
]


def _two(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda value: f"{value:02d}")


@st.composite
def _common_text(draw: st.DrawFn) -> str:
    """YYYY-MM-DD[THH:MM[offset]] with fields in and out of range, near DST changes too."""
    year = draw(st.sampled_from(["1969", "1970", "2024", "2025", "2026", "2199", "2200", "0000"]))
    text = f"{year}-{draw(_two(0, 13))}-{draw(_two(0, 32))}"
    if draw(st.booleans()):
        text += f"{draw(st.sampled_from('T '))}{draw(_two(0, 25))}:{draw(_two(0, 61))}"
        offset = draw(st.sampled_from(["", "", "Z", "+", "-"]))
        if offset in "+-" and offset:
            offset += f"{draw(_two(0, 25))}:{draw(_two(0, 61))}"
        text += offset
    return text


def _outcome(read: Any) -> tuple[str, object]:
    try:
        moment = read()
    except InputError as error:
        return ("error", str(error))
    return ("ok", (moment, moment.tzinfo, moment.fold, moment.utcoffset()))


_LONDON, _NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


@settings(max_examples=3000, deadline=None)
@given(text=_common_text(), zone=st.sampled_from(_DIFFERENTIAL_ZONES))
@example(text="2026-03-29T01:30", zone=_LONDON)  # in the spring gap
@example(text="2026-10-25T01:30", zone=_LONDON)  # the repeated hour
@example(text="2026-03-08T02:30", zone=_NEW_YORK)
@example(text="2026-11-01 01:30", zone=_NEW_YORK)
@example(text="2026-03-29T01:30+01:00", zone=_LONDON)
@example(text="2026-03-29", zone=ZoneInfo("America/Havana"))  # a midnight change
def test_common_iso_texts_are_read_as_the_strict_path_reads_them(text: str, zone: ZoneInfo) -> None:
    if not clock._COMMON_ISO.fullmatch(text):
        return
    try:
        fast = clock._from_common_iso(text, zone, "f")
    except InputError as error:
        got: tuple[str, object] = ("error", str(error))
    else:
        if fast is None:
            return  # not a real date or time: the strict path words it
        got = ("ok", (fast, fast.tzinfo, fast.fold, fast.utcoffset()))
    match = clock._ISO.fullmatch(text)
    assert match is not None
    assert got == _outcome(lambda: clock._from_iso(match, text, zone, "f"))


@settings(max_examples=500, deadline=None)
@given(text=_common_text(), zone=st.sampled_from(_DIFFERENTIAL_ZONES))
def test_parse_instant_of_common_texts_errors_as_before(text: str, zone: ZoneInfo) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    answer = _outcome(lambda: parse_instant(text, zone, now, field="f"))
    match = clock._ISO.fullmatch(text)
    assert match is not None

    def strict() -> datetime:
        try:
            moment = clock._from_iso(match, text, zone, "f")
        except OverflowError:
            raise InputError("f", text, "is outside the years 1970-2199") from None
        if not 1970 <= moment.year <= 2199:
            raise InputError("f", text, "is outside the years 1970-2199")
        return moment

    assert answer == _outcome(strict)


def _old_wall_to_instant(wall: datetime, zone: ZoneInfo, *, gap_ok: bool = False) -> datetime:
    """wall_to_instant as it was (``replace`` and a naive comparison): the reference."""
    aware = wall.replace(tzinfo=zone, fold=0)
    normalised = aware.astimezone(UTC).astimezone(zone)
    if normalised.replace(tzinfo=None) != wall:
        if not gap_ok:
            raise InputError("f", wall.isoformat(), "does not exist")
        return normalised
    return aware


_NEAR_CHANGES = st.sampled_from([(2018, 2, 15), (2018, 11, 3), (2026, 3, 8), (2026, 3, 29)])


@st.composite
def _walls(draw: st.DrawFn) -> datetime:
    """Any wall time, or one within days of a daylight-saving change (gaps and folds)."""
    if draw(st.booleans()):
        return draw(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2199, 12, 30)))
    year, month, day = draw(_NEAR_CHANGES | st.sampled_from([(2026, 10, 25), (2026, 4, 5)]))
    start = datetime(year, month, day) - timedelta(days=2)
    return start + timedelta(minutes=draw(st.integers(0, 4 * 24 * 4)) * 15)


@settings(max_examples=3000, deadline=None)
@given(
    wall=_walls(),
    zone=st.sampled_from(_DIFFERENTIAL_ZONES),
    gap_ok=st.booleans(),
)
def test_wall_to_instant_as_before(wall: datetime, zone: ZoneInfo, gap_ok: bool) -> None:
    def new() -> datetime:
        return clock.wall_to_instant(wall, zone, gap_ok=gap_ok, field="f")

    def old() -> datetime:
        return _old_wall_to_instant(wall, zone, gap_ok=gap_ok)

    got, expected = _outcome(new), _outcome(old)
    assert got[0] == expected[0]
    if got[0] == "ok":
        assert got == expected


@settings(max_examples=2000)
@given(
    moment=st.datetimes(
        timezones=st.sampled_from(
            [UTC, ZoneInfo("Europe/Moscow"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]
        )
        | st.none()
    ),
)
@example(moment=datetime(452, 7, 5, 7, 43))
@example(moment=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
def test_wall_is_isoformat_to_the_minute(moment: datetime) -> None:
    """wall() builds its text from the fields; isoformat wrote it before, zero-padded."""
    assert clock.wall(moment) == moment.isoformat(" ", "minutes")[:16]


# --- utc(): remembered conversions -------------------------------------------------------------

_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Shanghai", "UTC"]


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(_ZONES),
    st.sampled_from([0, 1]),
    st.integers(min_value=-100 * 24 * 60, max_value=100 * 24 * 60),
)
def test_utc_and_add_elapsed_agree_with_astimezone(
    wall_time: datetime, zone_name: str, fold: int, minutes: int
) -> None:
    """The remembered conversion gives what ``astimezone(UTC)`` gives, for the instant and
    for what ``add_elapsed`` made of it (fold included: the repeated hour of a DST change)."""
    moment = wall_time.replace(tzinfo=ZoneInfo(zone_name), fold=fold)
    expected = moment.astimezone(UTC)
    for _ in range(2):  # converted, then remembered
        assert clock.utc(moment) == expected
        assert clock.utc(moment).tzinfo is UTC
    later = clock.add_elapsed(moment, timedelta(minutes=minutes))
    assert later.astimezone(UTC) == expected + timedelta(minutes=minutes)
    assert clock.utc(later) == later.astimezone(UTC)
    assert clock.utc(later).fold == later.astimezone(UTC).fold


def test_utc_memory_is_bounded_and_checked_by_identity() -> None:
    """An entry answers only for the very object it was made for, and the memory stays
    small however many instants pass through it."""
    zone = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 3, 29, 1, 30, tzinfo=zone)
    assert clock.utc(first) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    equal_but_other = datetime(2026, 3, 29, 1, 30, tzinfo=zone)
    assert equal_but_other is not first
    assert clock.utc(equal_but_other) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    for minute in range(3 * clock._IN_UTC_KEPT):
        clock.utc(first + timedelta(minutes=minute))
    assert len(clock._IN_UTC) <= clock._IN_UTC_KEPT
