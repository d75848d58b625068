"""Working-time arithmetic for SLA deadlines: weekdays, opening hours, holidays, 调休, time zones and DST."""

from __future__ import annotations

import json
import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.automation.workhours import WorkCalendar

SHANGHAI = ZoneInfo('Asia/Shanghai')
BERLIN = ZoneInfo('Europe/Berlin')
CAL = WorkCalendar()

# 2025 Labour Day in China: 1–5 May off (1, 2 and 5 May are weekdays), Sunday 27 April worked instead.
LABOUR_DAY = WorkCalendar(holidays=frozenset({date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 5)}),
                          extra_workdays=frozenset({date(2025, 4, 27)}))


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Shanghai wall-clock time in 2025 (3 March 2025 is a Monday)."""
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=BERLIN)


def test_day_hours_is_the_length_of_the_opening_window() -> None:
    assert CAL.day_hours() == 9.0
    assert WorkCalendar(start=time(8, 30), end=time(17, 15)).day_hours() == 8.75


def test_within_a_day() -> None:
    assert CAL.add_working_hours(sh(3, 3, 10), 3) == sh(3, 3, 13)


def test_results_are_utc() -> None:
    result = CAL.add_working_hours(sh(3, 3, 10), 1.5)
    assert result.tzinfo is UTC
    assert result == datetime(2025, 3, 3, 3, 30, tzinfo=UTC)


def test_crossing_the_night() -> None:
    assert CAL.add_working_hours(sh(3, 3, 16), 4) == sh(3, 4, 11)


def test_span_ending_at_closing_returns_closing_time() -> None:
    assert CAL.add_working_hours(sh(3, 3, 16), 2) == sh(3, 3, 18)


def test_friday_afternoon_across_the_weekend() -> None:
    assert CAL.add_working_hours(sh(3, 7, 16), 3) == sh(3, 10, 10)


def test_across_a_holiday() -> None:
    # Wednesday 30 April 17:00 + 2 h: 1 h that day, then Thu/Fri holidays, weekend, Monday holiday.
    assert LABOUR_DAY.add_working_hours(sh(4, 30, 17), 2) == sh(5, 6, 10)


def test_weekend_make_up_workday_counts() -> None:
    # Friday 25 April 17:00 + 2 h lands on the make-up Sunday, not on Monday.
    assert LABOUR_DAY.is_workday(date(2025, 4, 27))
    assert LABOUR_DAY.add_working_hours(sh(4, 25, 17), 2) == sh(4, 27, 10)


def test_starting_before_opening() -> None:
    assert CAL.add_working_hours(sh(3, 3, 7), 1) == sh(3, 3, 10)


def test_starting_after_closing() -> None:
    assert CAL.add_working_hours(sh(3, 3, 20), 1) == sh(3, 4, 10)


def test_starting_on_a_sunday() -> None:
    assert CAL.add_working_hours(sh(3, 9, 12), 1) == sh(3, 10, 10)


def test_zero_hours_is_the_next_working_start() -> None:
    assert CAL.add_working_hours(sh(3, 8, 12), 0) == sh(3, 10, 9)
    assert CAL.add_working_hours(sh(3, 4, 11, 20), 0) == sh(3, 4, 11, 20)
    assert CAL.add_working_hours(sh(3, 4, 18), 0) == sh(3, 5, 9)


def test_working_time_is_half_open() -> None:
    assert CAL.is_working_time(sh(3, 3, 9))
    assert CAL.is_working_time(sh(3, 3, 17, 59))
    assert not CAL.is_working_time(sh(3, 3, 18))
    assert not CAL.is_working_time(sh(3, 8, 10))


def test_next_working_start_is_itself_inside_working_time() -> None:
    assert CAL.next_working_start(sh(3, 3, 10)) == sh(3, 3, 10)
    assert CAL.next_working_start(sh(3, 7, 18)) == sh(3, 10, 9)


def test_nominal_24h_from_friday_17_shanghai_is_monday_17() -> None:
    assert CAL.add_nominal_hours(sh(3, 7, 17), 24) == sh(3, 10, 17)


def test_nominal_72h_is_three_working_days() -> None:
    assert CAL.add_nominal_hours(sh(3, 7, 17), 72) == sh(3, 12, 17)


def test_nominal_168h_is_seven_working_days() -> None:
    assert CAL.add_nominal_hours(sh(3, 7, 17), 168) == sh(3, 18, 17)


def test_nominal_hours_are_proportional() -> None:
    assert CAL.add_nominal_hours(sh(3, 3, 9), 8) == sh(3, 3, 12)


def test_working_hours_between_basic() -> None:
    assert CAL.working_hours_between(sh(3, 7, 16), sh(3, 10, 11)) == 4.0


def test_working_hours_between_reversed_is_zero() -> None:
    assert CAL.working_hours_between(sh(3, 10, 11), sh(3, 7, 16)) == 0.0
    assert CAL.working_hours_between(sh(3, 10, 11), sh(3, 10, 11)) == 0.0


def test_working_hours_between_mixes_time_zones() -> None:
    assert CAL.working_hours_between(datetime(2025, 3, 3, 1, tzinfo=UTC), sh(3, 3, 12)) == 3.0


def test_dst_weekend_in_berlin() -> None:
    # Clocks go forward on Sunday 30 March 2025: Friday 17:00 is UTC+1, Monday 10:00 is UTC+2.
    cal = WorkCalendar(tz='Europe/Berlin')
    deadline = cal.add_working_hours(berlin(3, 28, 17), 2)
    assert deadline == berlin(3, 31, 10)
    assert deadline == datetime(2025, 3, 31, 8, tzinfo=UTC)
    assert cal.working_hours_between(berlin(3, 28, 17), berlin(3, 31, 10)) == 2.0


def test_dst_window_the_clocks_jump_through_counts_real_hours() -> None:
    # A Sunday-night shift 01:00–04:00 in Berlin loses the skipped hour 02:00–03:00 on 30 March 2025.
    cal = WorkCalendar(tz='Europe/Berlin', weekdays=frozenset({6}), start=time(1), end=time(4))
    assert cal.working_hours_between(berlin(3, 29, 12), berlin(3, 31, 12)) == 2.0
    assert cal.add_working_hours(berlin(3, 29, 12), 2) == berlin(3, 30, 4)
    assert cal.working_hours_between(berlin(10, 25, 12), berlin(10, 27, 12)) == 4.0  # autumn: one hour more


def test_naive_datetimes_raise() -> None:
    with pytest.raises(ValueError, match='aware'):
        CAL.add_working_hours(datetime(2025, 3, 3, 10), 1)
    with pytest.raises(ValueError, match='aware'):
        CAL.working_hours_between(sh(3, 3, 10), datetime(2025, 3, 4, 10))


def test_negative_or_non_finite_hours_raise() -> None:
    for hours in (-1, float('nan'), float('inf')):
        with pytest.raises(ValueError, match='hours'):
            CAL.add_working_hours(sh(3, 3, 10), hours)


@pytest.mark.parametrize(('kwargs', 'message'), [
    ({'start': time(18), 'end': time(9)}, 'after start'),
    ({'start': time(9), 'end': time(9)}, 'after start'),
    ({'weekdays': frozenset()}, 'no working days'),
    ({'weekdays': frozenset({7})}, '0..6'),
    ({'weekdays': frozenset({-1})}, '0..6'),
    ({'tz': 'Mars/Olympus'}, 'unknown time zone'),
    ({'tz': 'Europe'}, 'unknown time zone'),
    ({'holidays': frozenset({date(2025, 4, 27)}), 'extra_workdays': frozenset({date(2025, 4, 27)})}, 'both'),
])
def test_invalid_calendars_raise(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar(**kwargs)


def test_calendar_of_only_extra_workdays_raises_instead_of_hanging() -> None:
    cal = WorkCalendar(weekdays=frozenset(), extra_workdays=frozenset({date(2025, 4, 27)}))
    assert cal.add_working_hours(sh(4, 26, 12), 1) == sh(4, 27, 10)
    with pytest.raises(ValueError, match='no working time'):
        cal.add_working_hours(sh(4, 26, 12), 10)
    with pytest.raises(ValueError, match='no working time'):
        cal.next_working_start(sh(4, 28, 12))
    assert cal.working_hours_between(sh(1, 1, 0), datetime(2030, 1, 1, tzinfo=UTC)) == 9.0


def test_dict_round_trip() -> None:
    cal = WorkCalendar(tz='Europe/Berlin', weekdays=frozenset({0, 2, 4}), start=time(8, 30), end=time(17, 15),
                       holidays=LABOUR_DAY.holidays, extra_workdays=LABOUR_DAY.extra_workdays)
    data = cal.to_dict()
    assert WorkCalendar.from_dict(json.loads(json.dumps(data))) == cal
    assert WorkCalendar.from_dict(CAL.to_dict()) == CAL


def test_to_dict_format() -> None:
    assert LABOUR_DAY.to_dict() == {
        'tz': 'Asia/Shanghai',
        'weekdays': [0, 1, 2, 3, 4],
        'start': '09:00',
        'end': '18:00',
        'holidays': ['2025-05-01', '2025-05-02', '2025-05-05'],
        'extra_workdays': ['2025-04-27'],
    }


@pytest.mark.parametrize(('patch', 'message'), [
    ({'start': '18:00', 'end': '09:00'}, 'after start'),
    ({'start': '9am'}, 'start'),
    ({'end': 18}, 'end'),
    ({'holidays': ['2025-13-01']}, 'holidays'),
    ({'extra_workdays': ['not a date']}, 'extra_workdays'),
    ({'holidays': '2025-05-01'}, 'list'),
    ({'weekdays': [0, 9]}, '0..6'),
    ({'weekdays': ['1']}, '0..6'),
    ({'weekdays': []}, 'no working days'),
    ({'tz': 'Nowhere/City'}, 'unknown time zone'),
    ({'tz': None}, 'tz'),
    ({'holiday': ['2025-05-01']}, 'unknown calendar keys'),
])
def test_from_dict_rejects_bad_input(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar.from_dict({**CAL.to_dict(), **patch})


def test_from_dict_fills_missing_keys_with_defaults() -> None:
    assert WorkCalendar.from_dict({}) == CAL


def test_round_trip_property_over_random_starts() -> None:
    rng = random.Random(20250301)
    calendars = [
        LABOUR_DAY,
        WorkCalendar(tz='Europe/Berlin', start=time(8, 30), end=time(17, 15)),
        WorkCalendar(tz='America/New_York', weekdays=frozenset({5, 6}), start=time(1, 30), end=time(3, 30)),
    ]
    origin = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(300):
        cal = calendars[i % len(calendars)]
        start = origin + timedelta(seconds=rng.randrange(2 * 366 * 86400))
        hours = rng.choice([0.0, float(rng.randint(1, 40)), rng.uniform(0, 200)])
        end = cal.add_working_hours(start, hours)
        begin = cal.next_working_start(start)
        assert begin >= start
        assert end >= begin
        assert cal.working_hours_between(begin, end) == pytest.approx(hours, abs=1e-6), (cal.tz, start, hours)
        assert cal.working_hours_between(start, end) == pytest.approx(hours, abs=1e-6), (cal.tz, start, hours)


def test_big_span_returns_quickly() -> None:
    t0 = clock.perf_counter()
    end = LABOUR_DAY.add_working_hours(sh(3, 3, 9), 10_000)
    five_years = CAL.working_hours_between(sh(1, 1, 0), datetime(2030, 1, 1, tzinfo=SHANGHAI))
    assert clock.perf_counter() - t0 < 1.0
    assert LABOUR_DAY.working_hours_between(sh(3, 3, 9), end) == pytest.approx(10_000)
    assert five_years == 9 * 1304  # weekdays from 2025-01-01 to 2029-12-31
