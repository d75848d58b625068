"""Pacing arithmetic: where the month should be by now on the team calendar — holidays out,
make-up workdays in, today by the part of its window passed, nothing at the month's start and all
of it after its last working hour — and an actual figure against its goal at that share."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.automation.workhours import WorkCalendar
from core.goals.pacing import PaceStatus, month_pace, pace, quarter_months

SH = ZoneInfo('Asia/Shanghai')


def at(day: int, hour: int = 12, minute: int = 0, month: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


PLAIN = WorkCalendar()
"""Monday–Friday, 09:00–18:00 Shanghai. October 2026 starts on a Thursday: 22 weekdays."""
NATIONAL_DAY = WorkCalendar(holidays=frozenset(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),
                            extra_workdays=frozenset({date(2026, 10, 10)}))
"""国庆: five weekdays off, the Saturday after made up."""


def test_a_plain_month_counts_its_weekdays() -> None:
    assert month_pace(PLAIN, at(15)).working_days == 22


def test_at_the_month_start_nothing_has_passed() -> None:
    p = month_pace(PLAIN, at(1, 0, 0))
    assert p.elapsed_days == 0 and p.share == 0 and p.month == date(2026, 10, 1)


def test_today_counts_by_the_part_of_its_window_passed() -> None:
    assert month_pace(PLAIN, at(1, 13, 30)).elapsed_days == 0.5  # 09:00–13:30 of a 9-hour day
    assert month_pace(PLAIN, at(1, 20, 0)).elapsed_days == 1  # after closing: the whole day


def test_the_weekend_stands_still() -> None:
    friday_night, monday_morning = month_pace(PLAIN, at(2, 23)), month_pace(PLAIN, at(5, 8, 59))
    assert friday_night.elapsed_days == monday_morning.elapsed_days == 2


def test_holidays_are_out_and_the_make_up_saturday_is_in() -> None:
    p = month_pace(NATIONAL_DAY, at(15))
    assert p.working_days == 22 - 5 + 1
    assert month_pace(NATIONAL_DAY, at(7, 20)).elapsed_days == 0  # a week of holiday: nothing due yet
    assert month_pace(NATIONAL_DAY, at(10, 20)).elapsed_days == 3  # Thu 8, Fri 9, Sat 10 (made up)


def test_after_the_last_working_hour_the_whole_month_has_passed() -> None:
    assert month_pace(PLAIN, at(30, 18, 0)).share == 1  # Friday 30th, closing time
    assert month_pace(PLAIN, at(31, 12)).share == 1  # Saturday 31st


def test_the_month_is_the_team_local_one() -> None:
    late_utc = datetime.combine(date(2026, 10, 31), time(17, 0), tzinfo=ZoneInfo('UTC'))  # 1 Nov, 01:00 Shanghai
    assert month_pace(PLAIN, late_utc).month == date(2026, 11, 1)


def test_pace_against_the_goal() -> None:
    assert pace(10, 40, 0.5).status == PaceStatus.BEHIND and pace(10, 40, 0.5).expected == 20
    assert pace(20, 40, 0.5).status == PaceStatus.ON_PACE
    assert pace(40, 40, 0.6).status == PaceStatus.MET
    assert pace(50, 40, 0.6, stretch=50).status == PaceStatus.STRETCH
    assert pace(5, None, 0.5).status == PaceStatus.NO_GOAL and pace(5, 0, 0.5).expected is None


def test_quarters_roll_up_from_their_months() -> None:
    assert quarter_months(2026, 4) == (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1))
    with pytest.raises(ValueError):
        quarter_months(2026, 5)
