"""Reading `report_days` (store/report_rollup.py keeps it): the same figures the raw report
queries in store/reporting.py return, summed over days instead of walking every lead."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from .models import ReportDay
from .report_figures import DIMENSIONS
from .report_rollup import FIGURES, built_zone, decode

_DAYS = SQLModel.metadata.tables[ReportDay.__tablename__]  # = `.__table__` (undeclared in SQLModel)


def usable(connection_or_session: Any, zone_name: str) -> bool:
    connection = connection_or_session.connection() if hasattr(connection_or_session, 'connection') \
        else connection_or_session
    return built_zone(connection) == zone_name


Scopes = int | frozenset[int]
"""The team (0), one owner, or the owners of a data scope (their per-owner rows summed: every lead,
deal and audit line counts in its one owner's scope, so the sum is the scope's figure)."""


def _scope_is(scope: Scopes) -> Any:
    if isinstance(scope, int):
        return _DAYS.c.scope_id == scope
    return _DAYS.c.scope_id.in_(sorted(scope))


def _sums(session: Any, family: str, scope: Scopes, first: date, last: date, *, extra: Any = None,
          having: Any = None) -> list[Any]:
    t = _DAYS
    query = (sa.select(t.c.dimension, t.c.value, *(sa.func.sum(t.c[f]) for f in FIGURES))
             .where(t.c.family == family, _scope_is(scope), t.c.day >= first, t.c.day <= last)
             .group_by(t.c.dimension, t.c.value))
    if extra is not None:
        query = query.where(extra)
    if having is not None:
        query = query.having(having)
    return list(session.execute(query).all())


def cohort_by_dimension(session: Any, scope: Scopes, first: date, last: date) -> dict[str, list[tuple[Any, ...]]]:
    """dimension → [(value, captured, contacted, qualified, opportunity, won)] of leads captured
    between `first` and `last` (team-local days, inclusive)."""
    t = _DAYS
    out: dict[str, list[tuple[Any, ...]]] = {d: [] for d in DIMENSIONS}
    for dimension, value, *figures in _sums(session, 'cohort', scope, first, last, having=sa.func.sum(t.c.n1) > 0,
                                            extra=t.c.dimension.in_(DIMENSIONS)):
        out[dimension].append((decode(value, dimension), *(int(n) for n in figures)))
    return out


def cohort_by_owner_grade(session: Any, owners: Iterable[int], first: date, last: date
                          ) -> dict[int, dict[str | None, tuple[int, int, int, int, int]]]:
    """owner → grade → (captured, contacted, qualified, opportunity, won) of the leads captured
    between `first` and `last` that each owner holds now: the owners' own scope rows, dimension grade."""
    t = _DAYS
    owner_ids = sorted(set(owners))
    out: dict[int, dict[str | None, tuple[int, int, int, int, int]]] = {o: {} for o in owner_ids}
    if not owner_ids:
        return out
    query = (sa.select(t.c.scope_id, t.c.value, *(sa.func.sum(t.c[f]) for f in FIGURES))
             .where(t.c.family == 'cohort', t.c.dimension == 'grade', t.c.scope_id.in_(owner_ids),
                    t.c.day >= first, t.c.day <= last)
             .group_by(t.c.scope_id, t.c.value).having(sa.func.sum(t.c.n1) > 0))
    for owner, value, *figures in session.execute(query).all():
        n = [int(x) for x in figures]
        out[owner][decode(value, 'grade')] = (n[0], n[1], n[2], n[3], n[4])
    return out


def closed_by_dimension(session: Any, scope: Scopes, first: date, last: date) -> dict[str, list[tuple[Any, ...]]]:
    """dimension → [(value, won, lost, won cents)] of deals closed between `first` and `last`."""
    t = _DAYS
    out: dict[str, list[tuple[Any, ...]]] = {d: [] for d in DIMENSIONS}
    for dimension, value, won, lost, cents, _, _ in _sums(session, 'closed', scope, first, last,
                                                          having=sa.func.sum(t.c.n1 + t.c.n2) > 0):
        out[dimension].append((decode(value, dimension), int(won), int(lost), int(cents)))
    return out


def sla_by_owner(session: Any, scope: Scopes, first: date, last: date) -> list[tuple[int, int, int]]:
    """(owner, met, missed) of leads assigned between `first` and `last`."""
    t = _DAYS
    rows = _sums(session, 'sla', scope, first, last, having=sa.func.sum(t.c.n3) > 0)
    return [(decode(v, 'owner_id'), int(met), int(missed)) for _, v, met, missed, *_ in rows]


def automation_counts(session: Any, scope: Scopes, first: date, last: date) -> list[tuple[str, str | None, bool,
                                                                                    int | None, int]]:
    """(action, reason key, by the system?, subject, count): the same rows as the raw query."""
    t = _DAYS
    out = []
    for dimension, value, count, *_ in _sums(session, 'automation', scope, first, last,
                                             having=sa.func.sum(t.c.n1) > 0):
        action, reason, system = dimension.split('\t')
        out.append((action, reason or None, system == '1', decode(value, 'owner_id'), int(count)))
    return out


def cohort_by_day(session: Any, scope: Scopes, first: date, last: date) -> list[tuple[date, int, int]]:
    """(day, captured, converted) per team-local day with leads captured."""
    t = _DAYS
    rows = session.execute(sa.select(t.c.day, sa.func.sum(t.c.n1), sa.func.sum(t.c.n4))
                           .where(t.c.family == 'cohort', _scope_is(scope), t.c.dimension == 'source',
                                  t.c.day >= first, t.c.day <= last)
                           .group_by(t.c.day).having(sa.func.sum(t.c.n1) > 0).order_by(t.c.day)).all()
    return [(d, int(n), int(c)) for d, n, c in rows]


def checklist(session: Any, scope: Scopes, first: date, last: date) -> tuple[
        dict[int, tuple[int, int]], tuple[int, int], dict[int, tuple[int, int]], dict[int, tuple[int, int]]]:
    """The checklist report's figures between `first` and `last`, in one query: item → (exits,
    skipped); (deals closed, won) from the 'closed' family; stage → (closed, won) of deals ever
    moved into it; item → (closed, won) of deals with it ticked done (see store/report_rollup.py)."""
    t = _DAYS
    families = ('steps', 'entered', 'ticked', 'closed')
    rows = session.execute(
        sa.select(t.c.family, t.c.dimension, sa.func.sum(t.c.n1), sa.func.sum(t.c.n2))
        .where(t.c.family.in_(families), _scope_is(scope), t.c.day >= first, t.c.day <= last,
               sa.or_(t.c.family != 'closed', t.c.dimension == 'source'))
        .group_by(t.c.family, t.c.dimension)).all()
    out: dict[str, dict[int, tuple[int, int]]] = {'steps': {}, 'entered': {}, 'ticked': {}}
    closed = won = 0
    for family, dimension, n1, n2 in rows:
        if family == 'closed':
            won, closed = won + int(n1), closed + int(n1) + int(n2)
        elif n1:
            out[family][int(dimension)] = (int(n1), int(n2))
    return out['steps'], (closed, won), out['entered'], out['ticked']
