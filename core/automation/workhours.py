"""Working-time arithmetic for first-contact SLA deadlines.

A `WorkCalendar` says when a team works: which weekdays, a daily opening window on the wall clock of the
team's time zone, holidays, and make-up working days on weekends (调休). Deadlines count only the time
inside those windows. Every instant passed in must be an aware datetime; every instant returned is UTC.

Each working day is handled as one window [opening, closing) converted to UTC, so DST shifts are exact:
a window the clocks jump through is as long as it really is. Arithmetic walks day by day, never minute by
minute, so spans of years stay cheap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)
_FIELDS = ('tz', 'weekdays', 'start', 'end', 'holidays', 'extra_workdays')

Window = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    tz: str = 'Asia/Shanghai'
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    """Working weekdays, Monday = 0."""
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: frozenset[date] = frozenset()
    """Non-working dates even if they fall on a working weekday."""
    extra_workdays: frozenset[date] = frozenset()
    """Working dates even if they fall on a weekend (调休)."""

    def __post_init__(self) -> None:
        _zone(self.tz)
        object.__setattr__(self, 'weekdays', _weekdays(self.weekdays))
        object.__setattr__(self, 'holidays', _dates(self.holidays, 'holidays'))
        object.__setattr__(self, 'extra_workdays', _dates(self.extra_workdays, 'extra_workdays'))
        for name in ('start', 'end'):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f'{name} must be a naive time of day, got {value!r}')
        if self.end <= self.start:
            raise ValueError(f'end {self.end} must be after start {self.start}')
        if not self.weekdays and not self.extra_workdays:
            raise ValueError('calendar has no working days: give at least one weekday or extra workday')
        clash = self.holidays & self.extra_workdays
        if clash:
            raise ValueError(f'dates both holiday and extra workday: {", ".join(sorted(map(str, clash)))}')

    # ---- queries ------------------------------------------------------------------------------------------

    def day_hours(self) -> float:
        """Length of one working day on the wall clock, in hours (9.0 for 09:00–18:00)."""
        return (datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)) / _HOUR

    def is_workday(self, day: date) -> bool:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f'is_workday takes a date, got {day!r}')
        if day in self.holidays:
            return False
        return day in self.extra_workdays or day.weekday() in self.weekdays

    def on_shift(self, start: int | None, end: int | None, at: datetime) -> bool:
        """Is a rep with this daily shift (minutes after local midnight) working at `at`? No shift means
        always on. A shift runs on the calendar's working days; one that ends before it starts runs past
        midnight and belongs to the day it began."""
        if start is None or end is None:
            return True
        local = _utc(at, 'at').astimezone(ZoneInfo(self.tz))
        minute, day = local.hour * 60 + local.minute, local.date()
        if start < end:
            return start <= minute < end and self.is_workday(day)
        if start == end:
            return self.is_workday(day)
        if minute >= start:
            return self.is_workday(day)
        return minute < end and self.is_workday(day - timedelta(days=1))

    def is_working_time(self, at: datetime) -> bool:
        moment = _utc(at, 'at')
        first = next(self._windows(moment), None)
        return first is not None and first[0] == moment

    def next_working_start(self, at: datetime) -> datetime:
        """`at` itself (in UTC) if it is inside working time, else the next opening."""
        moment = _utc(at, 'at')
        first = next(self._windows(moment), None)
        if first is None:
            raise ValueError(f'calendar has no working time after {moment.isoformat()}')
        return first[0]

    # ---- arithmetic ---------------------------------------------------------------------------------------

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` of working time after `start`; hours=0 gives next_working_start(start).

        A span that ends exactly at closing time returns the closing instant, not the next opening.
        """
        moment = _utc(start, 'start')
        remaining = _span(hours, 'hours')
        for opens, closes in self._windows(moment):
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise ValueError(f'calendar has no working time for {hours} hours after {moment.isoformat()}')

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours in [a, b); 0.0 if b <= a."""
        lo, hi = _utc(a, 'a'), _utc(b, 'b')
        if hi <= lo:
            return 0.0
        total = timedelta()
        for opens, closes in self._windows(lo):
            if opens >= hi:
                break
            total += min(closes, hi) - opens
        return total / _HOUR

    def add_nominal_hours(self, start: datetime, nominal_hours: float) -> datetime:
        """SLA semantics: every 24 nominal hours is one working day (day_hours() working hours), pro rata.

        So "24 h" from Friday 17:00 is Monday 17:00, and "168 h" is seven working days, not one calendar week.
        """
        _span(nominal_hours, 'nominal_hours')
        return self.add_working_hours(start, nominal_hours / 24 * self.day_hours())

    # ---- serialisation ------------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            'tz': self.tz,
            'weekdays': sorted(self.weekdays),
            'start': _format_time(self.start),
            'end': _format_time(self.end),
            'holidays': sorted(d.isoformat() for d in self.holidays),
            'extra_workdays': sorted(d.isoformat() for d in self.extra_workdays),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkCalendar:
        """Inverse of to_dict; missing keys take the defaults, anything malformed raises ValueError."""
        if not isinstance(data, Mapping):
            raise ValueError(f'calendar must be a mapping, got {type(data).__name__}')
        unknown = set(data) - set(_FIELDS)
        if unknown:
            raise ValueError(f'unknown calendar keys: {", ".join(sorted(map(str, unknown)))}')
        kwargs: dict[str, Any] = {}
        if 'tz' in data:
            kwargs['tz'] = data['tz']
        if 'weekdays' in data:
            kwargs['weekdays'] = data['weekdays']
        for name in ('start', 'end'):
            if name in data:
                kwargs[name] = _parse_time(data[name], name)
        for name in ('holidays', 'extra_workdays'):
            if name in data:
                kwargs[name] = [_parse_date(value, name) for value in _items(data[name], name)]
        return cls(**kwargs)

    # ---- internals ----------------------------------------------------------------------------------------

    def _window(self, day: date, zone: ZoneInfo) -> Window | None:
        """The UTC [opening, closing) of `day`, or None if it is no workday (or DST swallows the window)."""
        if not self.is_workday(day):
            return None
        try:
            opens = datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)
        except OverflowError:
            return None
        return (opens, closes) if closes > opens else None

    def _windows(self, moment: datetime) -> Iterator[Window]:
        """Working windows from `moment` on, the first clipped to begin at `moment`.

        Endless while there are working weekdays (holidays are finite); otherwise it stops after the last
        extra workday, so callers that need more time raise instead of hanging.
        """
        zone = ZoneInfo(self.tz)
        local = moment.astimezone(zone).date()
        day = local - _DAY if local > date.min else local  # a day back covers a DST fold around midnight
        last = date.max if self.weekdays else max(self.extra_workdays)
        while True:
            window = self._window(day, zone)
            if window is not None and window[1] > moment:
                yield max(window[0], moment), window[1]
            if day >= last:
                return
            day += _DAY


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f'tz must be a time-zone name such as "Asia/Shanghai", got {name!r}')
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f'unknown time zone {name!r}') from exc


def _items(values: object, what: str) -> Iterable[Any]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ValueError(f'{what} must be a list, got {values!r}')
    return values


def _weekdays(values: object) -> frozenset[int]:
    out = set()
    for value in _items(values, 'weekdays'):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
            raise ValueError(f'weekdays must be integers 0..6 (Monday = 0), got {value!r}')
        out.add(value)
    return frozenset(out)


def _dates(values: object, what: str) -> frozenset[date]:
    out = set()
    for value in _items(values, what):
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ValueError(f'{what} must be dates, got {value!r}')
        out.add(value)
    return frozenset(out)


def _parse_date(value: object, what: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f'{what}: {value!r} is not an ISO date (YYYY-MM-DD)') from exc
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError(f'{what}: {value!r} is not an ISO date (YYYY-MM-DD)')


def _parse_time(value: object, what: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f'{what}: {value!r} is not a time of day (HH:MM)') from exc
    raise ValueError(f'{what}: {value!r} is not a time of day (HH:MM)')


def _format_time(value: time) -> str:
    return value.strftime('%H:%M') if not (value.second or value.microsecond) else value.isoformat()


def _utc(value: object, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f'{what} must be a datetime, got {value!r}')
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f'{what} must be timezone-aware, got naive {value.isoformat()}')
    return value.astimezone(UTC)


def _span(hours: object, what: str) -> timedelta:
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours) or hours < 0:
        raise ValueError(f'{what} must be a finite number >= 0, got {hours!r}')
    try:
        return timedelta(hours=hours)
    except OverflowError as exc:
        raise ValueError(f'{what} {hours!r} is too large') from exc
