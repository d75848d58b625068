"""Where a month should be by now: the share of the month's working time the team calendar
(core/automation/workhours.py) has put behind us, and an actual figure against its goal at that share.

Why working time, not calendar days: a team that works Monday to Friday, with 国庆 off and a make-up
Saturday, has done nothing on the holiday and something on that Saturday; a pace line drawn through
calendar days says a rep is behind on the morning after a long weekend when they are not. Today counts
by the part of its working window that has passed, so the line moves through the day and stands still
at night, on weekends and holidays.

Pure functions (no session, no clock): the goals module (later: goals per rep and team per month,
quarter and year rolled up from months) and the digest read them; the tests feed hand-built
calendars and instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.automation.workhours import WorkCalendar


class PaceStatus(StrEnum):
    STRETCH = 'stretch'
    """At or past the stretch level."""
    MET = 'met'
    """At or past the goal."""
    ON_PACE = 'on_pace'
    """At or past where the month should be by now."""
    BEHIND = 'behind'
    NO_GOAL = 'no_goal'


@dataclass(frozen=True, slots=True)
class MonthPace:
    month: date
    """The first day of the month (team-local)."""
    working_days: float
    """The month's working time, in working days (holidays out, make-up days in)."""
    elapsed_days: float
    """Working days behind us at the instant asked about (today by the part of its window passed)."""

    @property
    def share(self) -> float:
        """0–1: how much of the month's working time has passed (a month without any: 1 once over)."""
        if self.working_days <= 0:
            return 0.0
        return min(max(self.elapsed_days / self.working_days, 0.0), 1.0)


@dataclass(frozen=True, slots=True)
class Pace:
    actual: int
    goal: int | None
    stretch: int | None
    expected: float | None
    """Where the figure should be by now: goal × the month's share passed."""
    status: PaceStatus


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def month_pace(calendar: WorkCalendar, at: datetime) -> MonthPace:
    """The pace of the team-local month that holds `at` (an aware instant)."""
    zone = ZoneInfo(calendar.tz)
    first = month_start(at.astimezone(zone).date())
    start, end = _local_midnight(first, zone), _local_midnight(next_month(first), zone)
    per_day = calendar.day_hours()
    total = calendar.working_hours_between(start, end) / per_day
    elapsed = calendar.working_hours_between(start, min(at, end)) / per_day
    return MonthPace(month=first, working_days=round(total, 4), elapsed_days=round(elapsed, 4))


def pace(actual: int, goal: int | None, share: float, stretch: int | None = None) -> Pace:
    """An actual figure against its goal at `share` (0–1) of the month passed."""
    if goal is None or goal <= 0:
        return Pace(actual, None, stretch, None, PaceStatus.NO_GOAL)
    expected = round(goal * min(max(share, 0.0), 1.0), 2)
    if stretch is not None and stretch > goal and actual >= stretch:
        status = PaceStatus.STRETCH
    elif actual >= goal:
        status = PaceStatus.MET
    elif actual >= expected:
        status = PaceStatus.ON_PACE
    else:
        status = PaceStatus.BEHIND
    return Pace(actual, goal, stretch, expected, status)


def quarter_months(year: int, quarter: int) -> tuple[date, date, date]:
    """The first days of the quarter's three months (quarters 1–4): goals roll up from months."""
    if not 1 <= quarter <= 4:
        raise ValueError(f'quarter must be 1–4, got {quarter}')
    first = 3 * (quarter - 1) + 1
    return date(year, first, 1), date(year, first + 1, 1), date(year, first + 2, 1)
