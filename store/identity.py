"""The dedupe identity: what makes an arrival the same person as an existing lead, in one place.

Two leads are the same person when any `PART` matches: the normalised phone, the email, or the
normalised company together with the name (each part counts only when all its values are set).
Among several matching leads the twin is an open one before a closed one, then the oldest. The
columns each part compares are kept on the lead by capture (core/capture/intake.py `validate` derives
`phone_norm` and `company_norm`).

Every place that looks for a twin or keeps two captures of one person apart uses this module:
the single lookup (`queries.find_duplicate`), a batch's index (core/capture/twins.py over
`store/duplicates.py` `twins_of_many`), and PostgreSQL's advisory locks (store/locks.py, which add
`external_key`: the sender's own id, unique on its own). Change the rule here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import col

from .models import CLOSED_STATUSES, Lead


class Arrival(Protocol):
    """What the identity reads: a validated arrival (`CleanLead`), a `Lead` or a pending `NewLead`."""

    @property
    def phone_norm(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def company_norm(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Part:
    kind: str
    """Names the part in keys ('phone', 'email', 'company')."""
    columns: tuple[str, ...]
    """The `leads` columns (and arrival attributes) compared; all must be set for the part to count."""


PARTS: tuple[Part, ...] = (
    Part('phone', ('phone_norm',)),
    Part('email', ('email',)),
    Part('company', ('company_norm', 'name')),
)
"""What makes two leads the same person: any one part equal."""

Key = tuple[str, tuple[str, ...]]
"""(part kind, its values): equal keys, same person."""

_READERS = tuple((part.kind, part.columns[0], attrgetter(*part.columns) if len(part.columns) > 1 else None)
                 for part in PARTS)
"""Per part: its kind, its one column, or the reader of its several (a capture reads keys several times)."""


def identity_keys(arrival: Arrival | Any) -> list[Key]:
    """The keys of a lead or an arrival: one per part whose values are all set, in `PARTS` order."""
    keys: list[Key] = []
    for kind, column, several in _READERS:
        if several is None:
            value = getattr(arrival, column)
            if value:
                keys.append((kind, (value,)))
        else:
            values = several(arrival)
            if all(values):
                keys.append((kind, values))
    return keys


KEY_SEPARATOR = '\x1f'
"""Joins a part's values in a lock key (clean text never holds it)."""


def lock_keys(arrival: Arrival | Any, external_key: str | None = None) -> list[str]:
    """The advisory-lock keys of one arrival (store/locks.py): its identity keys, and its
    `external_key` (the sender's id within its scope, which one lead alone may hold)."""
    keys = [f'{kind}:{KEY_SEPARATOR.join(values)}' for kind, values in identity_keys(arrival)]
    if external_key:
        keys.append(f'external:{external_key}')
    return keys


def match(keys: Iterable[Key]) -> list[sa.ColumnElement[bool]]:
    """SQL conditions on `leads`, one per key: a lead matching any of them has that key."""
    by_kind = {part.kind: part for part in PARTS}
    conditions: list[sa.ColumnElement[bool]] = []
    for kind, values in keys:
        columns = by_kind[kind].columns
        clauses = [getattr(Lead, c) == v for c, v in zip(columns, values, strict=True)]
        conditions.append(clauses[0] if len(clauses) == 1 else sa.and_(*clauses))
    return conditions


def twin_rank(lead: Lead | Any) -> tuple[bool, int]:
    """Which of several matching leads is the twin (the smallest): open before closed, then oldest."""
    return (lead.status in CLOSED_STATUSES, lead.id or 0)


TWIN_ORDER = (sa.case((col(Lead.status).in_(CLOSED_STATUSES), 1), else_=0), col(Lead.id))
"""`twin_rank` as SQL (`ORDER BY`)."""


def wanted(arrivals: Iterable[Arrival | Any]) -> dict[Part, Sequence[tuple[str, ...]]]:
    """Every distinct key of a batch's arrivals, by part (sorted): what `twins_of_many` reads."""
    found: dict[str, set[tuple[str, ...]]] = {part.kind: set() for part in PARTS}
    for arrival in arrivals:
        for kind, values in identity_keys(arrival):
            found[kind].add(values)
    return {part: sorted(found[part.kind]) for part in PARTS if found[part.kind]}
