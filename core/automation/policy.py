"""The numbers behind the time-driven rules (PRODUCT.md lifecycle 5–7), editable by
managers, stored as one JSON setting, validated as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from core.automation.workhours import WorkCalendar

DEFAULT_SLA_HOURS = {'A': 24.0, 'B': 72.0, 'C': 168.0}

_LIMITS: dict[str, tuple[float, float]] = {
    'sla_grace_hours': (0, 24 * 30), 'protection_days': (0.01, 365), 'extension_days': (0, 365),
    'max_protection_days': (0.01, 3650), 'warn_hours': (0, 24 * 30), 'cooldown_days': (0, 365),
    'claim_limit': (0, 10_000), 'review_after': (1, 100), 'tick_seconds': (5, 3600),
}


@dataclass(frozen=True)
class Policy:
    sla_hours: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SLA_HOURS))
    """First-response time per grade, in nominal hours of working time (24 h = one working day)."""
    sla_grace_hours: float = 24.0
    """Working hours after a breach before an uncontacted lead is reassigned."""
    protection_days: float = 7.0
    extension_days: float = 3.0
    max_protection_days: float = 30.0
    warn_hours: float = 24.0
    cooldown_days: float = 3.0
    claim_limit: int = 10
    review_after: int = 3
    redistribute_recycled: bool = False
    tick_seconds: float = 30.0
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    # ----- derived times (the rules read these; the timer and preview share them) ------------------

    def sla_due(self, grade: str, assigned_at: datetime) -> datetime:
        return self.calendar.add_nominal_hours(assigned_at, self.sla_hours.get(grade, DEFAULT_SLA_HOURS['C']))

    def sla_grace(self, due: datetime) -> datetime:
        return self.calendar.add_working_hours(due, self.sla_grace_hours)

    def protection(self, start: datetime) -> tuple[datetime, datetime]:
        """(protected until, never beyond) for an assignment or claim at `start`."""
        return start + timedelta(days=self.protection_days), start + timedelta(days=self.max_protection_days)

    def extended(self, current: datetime | None, maximum: datetime | None, now: datetime) -> datetime | None:
        """An activity moves the end to now + extension if that is later, capped at the maximum."""
        if current is None:
            return None
        candidate = now + timedelta(days=self.extension_days)
        if maximum is not None:
            candidate = min(candidate, maximum)
        return max(current, candidate)

    def cooldown(self, now: datetime) -> datetime:
        return now + timedelta(days=self.cooldown_days)

    def warn_from(self, protected_until: datetime) -> datetime:
        return protected_until - timedelta(hours=self.warn_hours)

    # ----- storage ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data['calendar'] = self.calendar.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Policy:
        """Build and validate; raises ValueError naming the first bad field. Missing keys take defaults."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f'unknown setting: {sorted(unknown)[0]}')
        values: dict[str, Any] = {}
        for name, (low, high) in _LIMITS.items():
            if name in data:
                try:
                    number = float(data[name])
                except (TypeError, ValueError):
                    raise ValueError(f'{name}: not a number') from None
                if not low <= number <= high:
                    raise ValueError(f'{name}: must be between {low:g} and {high:g}')
                values[name] = int(number) if name in ('claim_limit', 'review_after') else number
        if 'sla_hours' in data:
            if not isinstance(data['sla_hours'], Mapping):
                raise ValueError('sla_hours: give hours for grades A, B and C')
            sla = dict(data['sla_hours'])
            if set(sla) != {'A', 'B', 'C'}:
                raise ValueError('sla_hours: give hours for grades A, B and C')
            try:
                values['sla_hours'] = {g: float(h) for g, h in sla.items()}
            except (TypeError, ValueError):
                raise ValueError('sla_hours: not a number') from None
            if not all(0 < h <= 24 * 365 for h in values['sla_hours'].values()):
                raise ValueError('sla_hours: must be between 0 and 8760')
        if 'redistribute_recycled' in data:
            if not isinstance(data['redistribute_recycled'], bool):
                raise ValueError('redistribute_recycled: true or false')
            values['redistribute_recycled'] = data['redistribute_recycled']
        if 'calendar' in data:
            values['calendar'] = WorkCalendar.from_dict(data['calendar'])
        policy = cls(**values)
        if policy.max_protection_days < policy.protection_days:
            raise ValueError('max_protection_days: must not be shorter than protection_days')
        return policy


POLICY_KEY = 'automation_policy'


def load_policy(session: Any) -> Policy:
    """The stored policy, or the defaults (a stored one that no longer validates falls back too)."""
    import json

    from store import queries

    raw = queries.setting(session, POLICY_KEY)
    if not raw:
        return Policy()
    try:
        return Policy.from_dict(json.loads(raw))
    except ValueError:
        return Policy()
