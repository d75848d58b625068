"""The reports' reads: SQL aggregates (GROUP BY in the database) wherever moving rows would cost
too much, and narrow row sets only where a median needs them. Core turns these into metrics.

Every function takes a `Scope`: a half-open UTC time range plus the lead filters (source,
region, industry, owner). Durations are computed in SQL (seconds) so no row pays for a
datetime conversion in Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from .models import AuditEntry, Lead, Opportunity, Reach, RecordKind, Stage, StageChange
from .queries.reach_filter import visible
from .report_figures import (  # what each figure counts: one declaration, shared with the roll-up
    AUTOMATION_ACTIONS,
    CLOSED_KINDS,
    CONTACTED_STATUSES,
    DIMENSIONS,
    FUNNEL_STEPS,  # noqa: F401  (re-exported: core names the funnel's steps here)
    LOST,
    QUALIFIED_STATUSES,
    SLA_MET,
    SLA_MISSED,
    WON,
)

LEAD_DIMENSIONS = DIMENSIONS
"""What the conversion and win-rate panels break down by."""
COHORT_KEYS = LEAD_DIMENSIONS


@dataclass(frozen=True, slots=True)
class Scope:
    start: datetime
    """Aware UTC, inclusive."""
    end: datetime
    """Aware UTC, exclusive."""
    source: str | None = None
    region: str | None = None
    industry: str | None = None
    owner_id: int | None = None
    reach: Reach | None = None
    """The reader's data scope (None: everyone's). The report panels pass the scope's owners only:
    figures count by credit, which stays with the owner; a list export passes the whole reach, records
    shared with the reader included."""
    offsets: tuple[tuple[datetime, int], ...] = ()
    """The team's UTC offset in minutes from each UTC instant on, the first at `start`: one entry
    unless the range crosses a daylight-saving change. Day buckets follow the team's calendar."""


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def seconds_between(session: Session, start: Any, end: Any) -> sa.ColumnElement[Any]:
    if _dialect(session) == 'sqlite':
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return sa.extract('epoch', end - start)


def day_of(session: Session, column: Any, offsets: Sequence[tuple[datetime, int]]) -> sa.ColumnElement[Any]:
    """The team-local calendar day of a UTC timestamp column (a 'YYYY-MM-DD' string or a date),
    labelled `local_day`. Across a daylight-saving change each stretch of the range is shifted by
    its own offset (a CASE over the few changes); without one, one shift as before — no CASE for
    zones like Asia/Shanghai. Group by `LOCAL_DAY`: the CASE's bound instants would otherwise be
    separate parameters in the select and the GROUP BY, which PostgreSQL does not match."""
    sqlite = _dialect(session) == 'sqlite'

    def shifted(minutes: int) -> sa.ColumnElement[Any]:
        if sqlite:
            return func.date(column, f'{minutes:+d} minutes')
        return sa.cast(column + sa.text(f"interval '{int(minutes)} minutes'"), sa.Date)

    if len(offsets) <= 1:
        return shifted(offsets[0][1] if offsets else 0).label('local_day')
    changes = [(col(column) < since, shifted(before)) for (_, before), (since, _) in pairwise(offsets)]
    return sa.case(*changes, else_=shifted(offsets[-1][1])).label('local_day')


LOCAL_DAY: sa.ColumnClause[Any] = sa.literal_column('local_day')


def _driver_rows(session: Session, query: Any) -> list[Any]:
    """The rows of a query whose rows are plain numbers and strings. On SQLite they are read
    through the driver's own cursor: for the ~700k first responses or ~200k stays of a year
    SQLAlchemy's row objects would take as long as the query itself."""
    if _dialect(session) != 'sqlite':
        return list(session.exec(query).all())
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={'render_postcompile': True})
    processors = compiled._bind_processors  # the UTCDateTime and boolean binds, as SQLAlchemy would send them
    values = compiled.construct_params()
    params = [processors[name](values[name]) if name in processors else values[name]
              for name in compiled.positiontup or ()]
    driver = connection.connection.dbapi_connection
    assert driver is not None  # None only once the connection is closed or invalidated
    cursor = driver.cursor()
    try:
        return cursor.execute(str(compiled), params).fetchall()
    finally:
        cursor.close()


def _lead_filters(s: Scope, *, owner: Any = None) -> list[sa.ColumnElement[bool]]:
    """Source, region and industry of the lead; the owner column given (lead's, deal's or audit subject)."""
    where: list[sa.ColumnElement[bool]] = [col(Lead.is_deleted) == False]  # noqa: E712
    if s.source:
        where.append(col(Lead.source) == s.source)
    if s.region:
        where.append(col(Lead.region) == s.region)
    if s.industry:
        where.append(col(Lead.industry) == s.industry)
    if s.owner_id is not None:
        where.append((owner if owner is not None else col(Lead.owner_id)) == s.owner_id)
    where.extend(_within(s, owner if owner is not None else col(Lead.owner_id), *_kind_of(owner)))
    return where


def _within(s: Scope, owner: Any, kind: RecordKind = RecordKind.LEAD, record_id: Any = None) -> list[Any]:
    """The data-scope clause on the owner column (store/queries/reach_filter.py's one reading)."""
    if s.reach is None or owner is None or isinstance(owner, sa.Null):
        return []
    clause = visible(s.reach, owner, kind, record_id if record_id is not None else col(Lead.id))
    return [clause] if clause is not None else []


def _kind_of(owner: Any) -> tuple[RecordKind, Any]:
    """Which record an owner column belongs to: a deal's owner filters deals (shared by deal id), any
    other (the lead's) leads."""
    if owner is not None and not isinstance(owner, sa.Null) and str(owner) == str(col(Opportunity.owner_id)):
        return RecordKind.OPPORTUNITY, col(Opportunity.id)
    return RecordKind.LEAD, col(Lead.id)


def _in_range(column: Any, s: Scope) -> list[sa.ColumnElement[bool]]:
    return [col(column) >= s.start, col(column) < s.end]


# ----- leads captured in the range (the cohort) ------------------------------------------------------

def _cohort_steps(s: Scope) -> dict[str, sa.ColumnElement[bool]]:
    """Each funnel step as a condition on a cohort lead joined to its opportunity and stage.
    Every step includes the next, so the funnel never widens."""
    has_opp = sa.and_(col(Opportunity.id).is_not(None), col(Opportunity.created_at) < s.end)
    won = sa.and_(has_opp, col(Stage.kind) == WON, col(Opportunity.closed_at) < s.end)
    qualified = sa.or_(col(Lead.status).in_(QUALIFIED_STATUSES), has_opp)
    contacted = sa.or_(col(Lead.first_contact_at) < s.end, col(Lead.status).in_(CONTACTED_STATUSES), qualified)
    return {'captured': sa.true(), 'contacted': contacted, 'qualified': qualified, 'opportunity': has_opp,
            'won': won}


def _cohort(query: Any, s: Scope) -> Any:
    return (query.select_from(Lead)
            .outerjoin(Opportunity, sa.and_(col(Opportunity.lead_id) == Lead.id,
                                            col(Opportunity.is_deleted) == False))  # noqa: E712
            .outerjoin(Stage, col(Stage.id) == Opportunity.stage_id)
            .where(*_in_range(Lead.created_at, s), *_lead_filters(s)))



def cohort_figures(session: Session, s: Scope) -> list[tuple[Any, ...]]:
    """(source, region, industry, owner, captured, contacted, qualified) of the cohort, from the leads
    alone in one pass over the (created_at, …) covering index. A converted lead is `converted`, so
    the status carries the qualified and contacted steps for leads that became deals too."""
    keys = [getattr(Lead, k) for k in COHORT_KEYS]
    contacted = sa.or_(col(Lead.first_contact_at) < s.end,
                       col(Lead.status).in_(CONTACTED_STATUSES))
    qualified = col(Lead.status).in_(QUALIFIED_STATUSES)
    rows = session.execute(sa.select(*keys, func.count(), func.sum(sa.case((contacted, 1), else_=0)),
                                     func.sum(sa.case((qualified, 1), else_=0)))
                           .where(*_in_range(Lead.created_at, s), *_lead_filters(s)).group_by(*keys)).all()
    return [(*r[:4], int(r[4]), int(r[5] or 0), int(r[6] or 0)) for r in rows]


def cohort_deals(session: Session, s: Scope) -> list[tuple[Any, ...]]:
    """(source, region, industry, owner, converted, won) of the cohort: leads with a deal created
    before the range ended, and of those the deals won before it ended."""
    keys = [getattr(Lead, k) for k in COHORT_KEYS]
    won = sa.and_(col(Stage.kind) == WON, col(Opportunity.closed_at) < s.end)
    rows = session.execute(sa.select(*keys, func.count(), func.sum(sa.case((won, 1), else_=0)))
                           .select_from(Lead).join(Opportunity, col(Opportunity.lead_id) == Lead.id)
                           .join(Stage, col(Stage.id) == Opportunity.stage_id)
                           .where(*_in_range(Lead.created_at, s), *_lead_filters(s),
                                  col(Opportunity.is_deleted) == False,  # noqa: E712
                                  col(Opportunity.created_at) < s.end)
                           .group_by(*keys)).all()
    return [(*r[:4], int(r[4]), int(r[5] or 0)) for r in rows]


def cohort_by_owner_grade(session: Session, s: Scope) -> dict[int, dict[str | None, tuple[int, int, int, int, int]]]:
    """owner → grade → (captured, contacted, qualified, opportunity, won) of the cohort's owned leads:
    `cohort_figures` and `cohort_deals` by owner and grade, for the goals leaderboard's grade mix."""
    keys = [col(Lead.owner_id), col(Lead.grade)]
    contacted = sa.or_(col(Lead.first_contact_at) < s.end, col(Lead.status).in_(CONTACTED_STATUSES))
    qualified = col(Lead.status).in_(QUALIFIED_STATUSES)
    out: dict[int, dict[str | None, list[int]]] = {}
    leads = session.execute(sa.select(*keys, func.count(), func.sum(sa.case((contacted, 1), else_=0)),
                                      func.sum(sa.case((qualified, 1), else_=0)))
                            .where(*_in_range(Lead.created_at, s), *_lead_filters(s),
                                   col(Lead.owner_id).is_not(None)).group_by(*keys)).all()
    for owner, grade, n, c, q in leads:
        out.setdefault(owner, {})[grade] = [int(n), int(c or 0), int(q or 0), 0, 0]
    won = sa.and_(col(Stage.kind) == WON, col(Opportunity.closed_at) < s.end)
    deals = session.execute(sa.select(*keys, func.count(), func.sum(sa.case((won, 1), else_=0)))
                            .select_from(Lead).join(Opportunity, col(Opportunity.lead_id) == Lead.id)
                            .join(Stage, col(Stage.id) == Opportunity.stage_id)
                            .where(*_in_range(Lead.created_at, s), *_lead_filters(s),
                                   col(Lead.owner_id).is_not(None),
                                   col(Opportunity.is_deleted) == False,  # noqa: E712
                                   col(Opportunity.created_at) < s.end)
                            .group_by(*keys)).all()
    for owner, grade, n, w in deals:
        row = out[owner][grade]
        row[3], row[4] = int(n), int(w or 0)
    return {o: {g: (r[0], r[1], r[2], r[3], r[4]) for g, r in grades.items()} for o, grades in out.items()}


def captured_by_day(session: Session, s: Scope) -> list[tuple[Any, int]]:
    """(team-local day, leads captured)."""
    day = day_of(session, Lead.created_at, s.offsets)
    rows = session.exec(select(day, func.count()).where(*_in_range(Lead.created_at, s), *_lead_filters(s))
                        .group_by(LOCAL_DAY)).all()
    return [(d, int(n)) for d, n in rows]


def converted_by_day(session: Session, s: Scope) -> list[tuple[Any, int]]:
    """(team-local day of capture, cohort leads converted before the range ended)."""
    day = day_of(session, Lead.created_at, s.offsets)
    rows = session.exec(select(day, func.count()).select_from(Lead)
                        .join(Opportunity, col(Opportunity.lead_id) == Lead.id)
                        .where(*_in_range(Lead.created_at, s), *_lead_filters(s),
                               col(Opportunity.is_deleted) == False,  # noqa: E712
                               col(Opportunity.created_at) < s.end)
                        .group_by(LOCAL_DAY)).all()
    return [(d, int(n)) for d, n in rows]


# ----- opportunities closed in the range ---------------------------------------------------------------

def _lead_filter_set(s: Scope) -> bool:
    return bool(s.source or s.region or s.industry)


def _deleted_leads(session: Session) -> Any:
    """The ids of deleted (merged-away) leads, read from their partial index: a handful of rows.
    SQLite's planner, left to itself, scans a covering index of every lead for them instead."""
    if _dialect(session) == 'sqlite':
        return (select(sa.column('id')).select_from(sa.text('leads INDEXED BY ix_leads_deleted'))
                .where(sa.text('is_deleted = 1')))
    return select(Lead.id).where(col(Lead.is_deleted) == True)  # noqa: E712


def _of_live_leads(session: Session, query: Any, s: Scope, *, owner: Any, join_lead: bool = False) -> Any:
    """Deals (or their moves) whose lead is not deleted and meets the scope's filters. Without a
    lead filter the wide leads table is not joined: the few deleted leads are left out by id
    (the join probed the leads table once per deal: ~0.3 s of a year's report)."""
    if join_lead or _lead_filter_set(s):
        return query.join(Lead, col(Lead.id) == Opportunity.lead_id).where(*_lead_filters(s, owner=owner))
    where = [col(Opportunity.lead_id).not_in(_deleted_leads(session))]
    if s.owner_id is not None:
        where.append(owner == s.owner_id)
    where.extend(_within(s, owner, *_kind_of(owner)))
    return query.where(*where)


def _closed(session: Session, query: Any, s: Scope, *, join_lead: bool = False) -> Any:
    query = (query.select_from(Opportunity)
             .join(Stage, col(Stage.id) == Opportunity.stage_id)
             .where(col(Opportunity.is_deleted) == False, col(Stage.kind).in_(CLOSED_KINDS),  # noqa: E712
                    *_in_range(Opportunity.closed_at, s)))
    return _of_live_leads(session, query, s, owner=Opportunity.owner_id, join_lead=join_lead)


def closed_figures(session: Session, s: Scope) -> list[tuple[Any, ...]]:
    """(source, region, industry, deal owner, won, lost, won cents) of deals closed in the range:
    one pass, summed per dimension by core."""
    keys = [col(Lead.source), col(Lead.region), col(Lead.industry), col(Opportunity.owner_id)]
    is_won = col(Stage.kind) == WON
    rows = session.execute(_closed(session, sa.select(*keys, func.sum(sa.case((is_won, 1), else_=0)),
                                                      func.sum(sa.case((is_won, 0), else_=1)),
                                                      func.sum(sa.case((is_won, Opportunity.amount_cents),
                                                                       else_=0))), s,
                                   join_lead=True)
                           .group_by(*keys)).all()
    return [(*r[:4], int(r[4] or 0), int(r[5] or 0), int(r[6] or 0)) for r in rows]


def won_cycles(session: Session, s: Scope) -> Sequence[tuple[str, float]]:
    """(lead source, seconds from capture to win) of deals won in the range."""
    seconds = seconds_between(session, Lead.created_at, Opportunity.closed_at)
    query = _closed(session, select(Lead.source, seconds), s, join_lead=True).where(col(Stage.kind) == WON)
    return _driver_rows(session, query)


def lost_from(session: Session, s: Scope) -> Sequence[tuple[str | None, int | None, int]]:
    """(lost reason, stage the deal was lost from, count) of deals lost in the range. The stage
    lost from is the `from` of the last move into the deal's (lost) stage."""
    lost_from_stage = (select(StageChange.from_stage_id)
                       .where(StageChange.opportunity_id == Opportunity.id,
                              StageChange.to_stage_id == Opportunity.stage_id)
                       .order_by(col(StageChange.id).desc()).limit(1)
                       .correlate(Opportunity).scalar_subquery())
    query = (_closed(session, select(Opportunity.lost_reason, lost_from_stage, func.count()), s)
             .where(col(Stage.kind) == LOST)
             .group_by(Opportunity.lost_reason, lost_from_stage))
    return session.exec(query).all()


def stage_intervals(session: Session, s: Scope) -> Sequence[tuple[int, float]]:
    """(stage, seconds spent in it) for every stay in a stage that ended in the range: a move's stay
    ends at the deal's next move (`left_at`, kept by store/stage_stays.py), so this is one range
    scan of `ix_stage_changes_left` (a window over every move ever made took ~1.2 s for a year).
    For the team the moves of deleted deals are left out by id instead of a deal lookup per move."""
    query = (select(StageChange.to_stage_id, seconds_between(session, StageChange.created_at, StageChange.left_at))
             .where(*_in_range(StageChange.left_at, s)))
    if s.owner_id is None and s.reach is None and not _lead_filter_set(s):
        gone = select(Opportunity.id).where(sa.or_(col(Opportunity.is_deleted) == True,  # noqa: E712
                                                   col(Opportunity.lead_id).in_(_deleted_leads(session))))
        return _driver_rows(session, query.where(col(StageChange.opportunity_id).not_in(gone)))
    query = query.join(Opportunity, col(Opportunity.id) == StageChange.opportunity_id).where(
        col(Opportunity.is_deleted) == False)  # noqa: E712
    return _driver_rows(session, _of_live_leads(session, query, s, owner=Opportunity.owner_id))


# ----- first response ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Durations:
    """(owner, seconds) pairs as two aligned arrays: what the first-response medians need."""

    owners: np.ndarray
    seconds: np.ndarray

    def __len__(self) -> int:
        return len(self.seconds)

    def __iter__(self) -> Iterator[tuple[int, float]]:
        return zip(self.owners.tolist(), self.seconds.tolist(), strict=True)


def first_responses(session: Session, s: Scope) -> Durations:
    """Owner and seconds from assignment to first contact of leads assigned in the range and
    contacted after that assignment (~700k in a year of a million leads). On SQLite the two
    columns come back as two `group_concat` strings parsed by numpy: SQLite builds them without
    Python's lock, where 700k row tuples held it for ~1 s while the other report readers waited."""
    seconds = seconds_between(session, Lead.assigned_at, Lead.first_contact_at)
    query = select(Lead.owner_id, seconds.label('seconds')).where(
        *_in_range(Lead.assigned_at, s), *_lead_filters(s), col(Lead.owner_id).is_not(None),
        col(Lead.first_contact_at) >= col(Lead.assigned_at))
    if _dialect(session) == 'sqlite':
        pairs = query.subquery()
        owners, times = _driver_rows(session, select(func.group_concat(pairs.c.owner_id),
                                                     func.group_concat(pairs.c.seconds)))[0]
        return Durations(np.fromstring(owners or '', dtype=np.int64, sep=','),
                         np.fromstring(times or '', dtype=float, sep=','))
    rows = session.exec(query).all()
    return Durations(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                     np.fromiter((r[1] for r in rows), dtype=float, count=len(rows)))


def sla_outcomes(session: Session, s: Scope) -> list[tuple[int, int, int]]:
    """(owner, first responses in time, first responses late) of leads assigned in the range."""
    owner = (col(Lead.owner_id) + 0).label('owner')  # not the owner index: SQLite would walk it and the table
    rows = session.exec(select(owner, func.sum(sa.case((col(Lead.sla_status) == SLA_MET, 1), else_=0)),
                               func.sum(sa.case((col(Lead.sla_status) == SLA_MISSED, 1), else_=0)))
                        .where(*_in_range(Lead.assigned_at, s), *_lead_filters(s), col(Lead.owner_id).is_not(None))
                        .group_by(owner)).all()
    return [(o, int(met or 0), int(late or 0)) for o, met, late in rows if o is not None]  # (never None: WHERE)


# ----- forecast ------------------------------------------------------------------------------------

def forecast_rows(session: Session, s: Scope, first: date, last: date) -> list[tuple[date, int | None, str, int, int]]:
    """(expected close, owner, stage kind, amount, amount × probability) of open and won deals expected
    to close between `first` and `last` (inclusive), summed per day, owner and kind."""
    query = (sa.select(col(Opportunity.expected_close), col(Opportunity.owner_id), col(Stage.kind),
                       func.sum(Opportunity.amount_cents), func.sum(col(Opportunity.amount_cents) * Stage.probability))
             .select_from(Opportunity).join(Stage, col(Stage.id) == Opportunity.stage_id)
             .where(col(Opportunity.is_deleted) == False, col(Stage.kind).in_(('open', WON)),  # noqa: E712
                    col(Opportunity.expected_close) >= first, col(Opportunity.expected_close) <= last))
    rows = session.execute(_of_live_leads(session, query, s, owner=Opportunity.owner_id)
                           .group_by(Opportunity.expected_close, Opportunity.owner_id, Stage.kind)).all()
    return [(d, o, k, int(a or 0), int(w or 0)) for d, o, k, a, w in rows]


# ----- the audit trail -------------------------------------------------------------------------------



def automation_counts(session: Session, s: Scope) -> list[tuple[str, str | None, bool, int | None, int]]:
    """(action, reason key, by the system?, subject user, count) of the automation-relevant audit lines
    in the range. Walks the (action, created_at) index."""
    by_system = col(AuditEntry.actor_id).is_(None)
    keys = (col(AuditEntry.action), col(AuditEntry.reason_key), by_system, col(AuditEntry.subject_user_id))
    query = (sa.select(*keys, func.count())
             .where(col(AuditEntry.action).in_(AUTOMATION_ACTIONS), *_in_range(AuditEntry.created_at, s))
             .group_by(*keys))
    if s.source or s.region or s.industry:
        query = query.join(Lead, col(Lead.id) == AuditEntry.lead_id).where(*_lead_filters(s, owner=sa.null()))
    if s.owner_id is not None:
        query = query.where(col(AuditEntry.subject_user_id) == s.owner_id)
    query = query.where(*_within(s, col(AuditEntry.subject_user_id), RecordKind.LEAD, col(AuditEntry.lead_id)))
    return [(a, r, bool(b), u, int(n)) for a, r, b, u, n in session.execute(query).all()]
