"""What a digest says, as typed data: sections of lines, each naming its record by a link path.

Why typed and not text: one digest is rendered for a page, an email and a robot's Markdown card in the
reader's language (core/digests/render.py); stored as JSON when sent (`to_json`) so its history reads
the same later however the records change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class DigestKind(StrEnum):
    DAILY = 'daily'
    WEEKLY = 'weekly'


class Section(StrEnum):
    """A digest's sections, in the order a reader meets them (a weekly one starts with exceptions)."""

    EXCEPTIONS = 'exceptions'
    LEADS_RECEIVED = 'leads_received'
    FIRST_CONTACTS = 'first_contacts'
    FOLLOW_UPS_DONE = 'follow_ups_done'
    FOLLOW_UPS_OVERDUE = 'follow_ups_overdue'
    POOL_TOMORROW = 'pool_tomorrow'
    DEALS_MOVED = 'deals_moved'
    DEALS_WON = 'deals_won'
    DEALS_LOST = 'deals_lost'
    SLA_BREACHES = 'sla_breaches'
    COMPARISON = 'comparison'
    GOALS = 'goals'


class ExceptionKind(StrEnum):
    ROTTING_DEAL = 'rotting_deal'
    OVER_CAPACITY = 'over_capacity'
    SLOWER_RESPONSE = 'slower_response'
    POOL_GROWTH = 'pool_growth'


@dataclass(frozen=True, slots=True)
class Line:
    """One line: a record (name + link path) or a figure (`key` names it, `value` and `before` hold it)."""

    name: str = ''
    link: str = ''
    """The record's path in the app (`/leads/12`, `/pipeline/5`, `/team`); empty: none."""
    owner: str = ''
    minutes: int | None = None
    """First contact: minutes from assignment."""
    amount_cents: int | None = None
    stage_id: int | None = None
    key: str = ''
    """A figure's or an exception's kind (`ExceptionKind`, a `Section` for comparisons, a goal metric)."""
    value: float | None = None
    before: float | None = None
    """The comparison's previous week, a goal's target, a rep's capacity."""


@dataclass(frozen=True, slots=True)
class Part:
    section: Section
    lines: tuple[Line, ...] = ()
    total_cents: int | None = None

    @property
    def count(self) -> int:
        return len(self.lines)


@dataclass(frozen=True, slots=True)
class Digest:
    kind: DigestKind
    user_id: int
    day: date
    """Daily: the working day it covers; weekly: the Monday of its week."""
    last: date
    """The last calendar day covered (a daily digest before a weekend or holiday covers it too)."""
    on_leave: bool = False
    parts: tuple[Part, ...] = ()
    median_response_minutes: int | None = None
    own_lines: tuple[str, ...] = field(default=())
    """The rep's own two lines, added before the send time."""

    def part(self, section: Section) -> Part:
        return next((p for p in self.parts if p.section == section), Part(section))

    @property
    def is_empty(self) -> bool:
        return not any(p.lines for p in self.parts) and not self.own_lines

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data['day'], data['last'] = self.day.isoformat(), self.last.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Digest:
        parts = tuple(Part(Section(p['section']), tuple(Line(**ln) for ln in p['lines']), p.get('total_cents'))
                      for p in data.get('parts', ()))
        return cls(kind=DigestKind(data['kind']), user_id=int(data['user_id']), day=date.fromisoformat(data['day']),
                   last=date.fromisoformat(data['last']), on_leave=bool(data.get('on_leave')), parts=parts,
                   median_response_minutes=data.get('median_response_minutes'),
                   own_lines=tuple(data.get('own_lines', ())))


def lead_link(lead_id: int) -> str:
    return f'/leads/{lead_id}'


def deal_link(opportunity_id: int) -> str:
    return f'/opportunities/{opportunity_id}'
