"""Leads: duplicates, the inbox, one lead's history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, col, func, or_, select

from .. import identity
from ..custom_indexes import custom_value
from ..models import OPEN_STATUSES, Activity, AuditEntry, Lead, LeadRow, Reach, RecordKind, SearchKind, TagEntity, User
from . import search
from .reach_filter import visible
from .sorting import CUSTOM as CUSTOM_SORT
from .sorting import ListOrder, custom_order, directed
from .tags import is_dense, record_tag_ids, tagged

# ----- leads ------------------------------------------------------------------------------------

def find_duplicate(session: Session, arrival: identity.Arrival) -> Lead | None:
    """The existing live lead this arrival is the same person as (store/identity.py: phone, email,
    or company + name; an open lead before a closed one, then the oldest)."""
    conditions = identity.match(identity.identity_keys(arrival))
    if not conditions:
        return None
    return session.exec(
        select(Lead).where(or_(*conditions), Lead.is_deleted == False)  # noqa: E712
        .order_by(*identity.TWIN_ORDER).limit(1)
    ).first()


def lead_by_external_key(session: Session, external_key: str) -> Lead | None:
    """The lead holding this scoped external id (`Lead.external_key`), if any."""
    return session.exec(select(Lead).where(Lead.external_key == external_key)).first()


class InboxSort(StrEnum):
    """The inbox's orders (core/custom_fields/sorting.py `INBOX` checks a choice; `_inbox_order` builds each)."""

    DEFAULT = 'default'
    """Grade (A first), then newest: what a rep works through."""
    NEWEST = 'newest'
    OLDEST = 'oldest'
    SCORE = 'score'
    NAME = 'name'
    FOLLOW_UP = 'follow_up'
    """The next follow-up time."""
    CUSTOM = CUSTOM_SORT
    """A filterable custom field's value (`ListOrder.key`)."""


InboxOrder = ListOrder
"""How an inbox page is sorted: a `ListOrder` of `InboxSort` (store/queries/sorting.py)."""


@dataclass(frozen=True, slots=True)
class InboxFilter:
    owner_id: int | None = None
    """Only this owner's leads (a rep's own inbox)."""
    reach: Reach | None = None
    """Only the leads within this data scope (a department's owners, leads shared with the reader):
    store/queries/reach_filter.py `visible`, the one SQL reading of a reach."""
    unassigned: bool = False
    statuses: tuple[str, ...] = OPEN_STATUSES
    grade: str | None = None
    source: str | None = None
    search: str | None = None
    agenda: str | None = None
    """`due_today`, `overdue` or `my_day` (both, soonest first); needs `now` and `day_end`."""
    now: datetime | None = None
    day_end: datetime | None = None
    custom: tuple[CustomTest, ...] = ()
    """Custom field tests, all of which a lead passes (checked against the definitions in core)."""
    tags: tuple[int, ...] = ()
    """Tag ids: a lead holding any of them passes."""
    tags_dense: bool = False
    """Many leads hold them (`tags.is_dense`, set by `inbox_page`): test each lead walked."""
    dialect: str = 'sqlite'
    """The engine's dialect name: the JSON functions and the search index differ (set by `inbox_page`)."""
    order: ListOrder[InboxSort] = field(default_factory=lambda: ListOrder(InboxSort.DEFAULT))
    many_matches: bool = False
    """The search term is in at least `search.FEW` leads (set by `inbox_page`): the page walks the
    inbox's order and tests each lead against the matches, rather than reading and sorting them all."""
    walk_order: bool = False
    """The reach holds at least `WALK_MIN` of the matching leads (set by `inbox_page`): the page walks
    the order index and tests each lead's owner, like a team view, rather than reading every lead of
    the reach's owners and sorting them (a department manager at 1M leads: 380 ms → a few ms)."""


class CustomTestKind(StrEnum):
    """How a custom filter tests a field (by its type: core/custom_fields/filters.py)."""

    EQUALS = 'equals'
    """A single select holds the option key."""
    CONTAINS = 'contains'
    """A multi select's list holds the option key."""
    YES_NO = 'yes_no'
    """A yes/no field is true (or false)."""


@dataclass(frozen=True)
class CustomTest:
    """One test of a lead's `custom` JSON: `equals` (a single select's option key), `contains`
    (a multi select's list holds the option key) or `yes_no` (the stored true / false).

    The key comes from a definition (core looked it up; keys match `[a-z][a-z0-9_]*`) and, like
    the value, goes to the database as a bound parameter: no SQL text is built from either."""

    key: str
    test: CustomTestKind
    value: str | bool


def custom_condition(t: CustomTest, dialect: str, column: Any = None) -> sa.ColumnElement[bool]:
    """A custom test as SQL on a record's `custom` column (a lead's unless `column` names another):
    `custom_indexes.custom_value` (SQLite's json_extract, PostgreSQL's ->>), which a filterable
    field's expression index serves, and for a multi select json_each / jsonb @> (no index serves
    those: docs/DESIGN.md, custom fields: what a filter costs)."""
    custom = col(Lead.custom) if column is None else column
    if t.test == CustomTestKind.EQUALS:
        return custom_value(custom, t.key, dialect) == str(t.value)
    if t.test == CustomTestKind.YES_NO:
        if dialect == 'postgresql':  # json -> boolean has no cast: compare the JSON text
            return custom_value(custom, t.key, dialect) == ('true' if t.value else 'false')
        return custom_value(custom, t.key, dialect) == (1 if t.value else 0)  # json_extract gives 1 / 0
    if t.test == CustomTestKind.CONTAINS:
        if dialect == 'postgresql':
            held = sa.cast(custom[t.key], JSONB)
            return held.contains(sa.cast(sa.bindparam(None, json.dumps([t.value]), sa.String), JSONB))
        items = func.json_each(custom, sa.bindparam(None, f'$."{t.key}"', sa.String)).table_valued('value')
        return sa.exists().select_from(items).where(items.c.value == str(t.value))
    raise ValueError(t.test)


_GRADE_ORDER = sa.case((col(Lead.grade) == 'A', 0), (col(Lead.grade) == 'B', 1), else_=2)


def _team_view(f: InboxFilter) -> bool:
    """Everyone's leads (a manager's inbox): served by the order index or, for an agenda, by the
    follow-up and SLA indexes, never by the status index (see `_inbox_where`)."""
    return (f.owner_id is None and (f.reach is None or f.walk_order) and not f.unassigned
            and (not f.search or f.many_matches))


def _from_matches(f: InboxFilter) -> bool:
    """A search with few matches: the page reads them by primary key (never the status index, which
    would test every open lead against the matches)."""
    return bool(f.search) and not f.many_matches


def _inbox_where(f: InboxFilter, *, counting: bool = False) -> list[sa.ColumnElement[bool]]:
    """The page's WHERE, or with `counting` the total's: a count reads the status index where the
    page walks the order index, which a count would walk through every closed lead (0.3 s at 1M
    leads), unless an agenda or a search with few matches picks the path. A search with many matches
    counts that way too: each lead counted also reads its search document (100k leads: 142 → 35 ms)."""
    where: list[sa.ColumnElement[bool]] = [col(Lead.is_deleted) == False]  # noqa: E712
    if f.owner_id is not None:  # (few search matches: `+ 0` keeps the owner's index out, see `_from_matches`)
        where.append((col(Lead.owner_id) + 0 if _from_matches(f) else col(Lead.owner_id)) == f.owner_id)
    walking = _team_view(f) and not (counting and not f.agenda and (not f.search or f.many_matches))
    if f.reach is not None:  # walking: `+ 0` keeps the owner indexes out
        seen = visible(f.reach, col(Lead.owner_id) + 0 if walking else col(Lead.owner_id), RecordKind.LEAD,
                       col(Lead.id))
        if seen is not None:
            where.append(seen)
    if f.unassigned:
        where.append(col(Lead.owner_id).is_(None))
    if f.statuses:
        # `status || ''` in a team view: SQLite, which keeps no statistics here, would otherwise take
        # the status index and sort every open lead (3 s at 1M leads; < 1 ms walking the order index,
        # ~70 ms for an agenda through the follow-up and SLA indexes)
        status = col(Lead.status) + sa.literal('') if walking or _from_matches(f) else col(Lead.status)
        where.append(status.in_(f.statuses))
    if f.grade:
        where.append(col(Lead.grade) == f.grade)
    if f.source:
        where.append(col(Lead.source) == f.source)
    if f.search and (term := search.normalise(f.search)):
        # the search index (store/queries/search.py): the lead's document holds the term
        # few matches: read by primary key; many: the page's own index walk tests each row's document
        where.append(search.holds(term, SearchKind.LEAD, col(Lead.id)) if f.many_matches
                     else col(Lead.id).in_(search.matching_ids(term, SearchKind.LEAD, f.dialect)))
    where.extend(custom_condition(t, f.dialect) for t in f.custom)
    if f.tags:
        where.append(tagged(TagEntity.LEAD, Lead.id, f.tags, dense=f.tags_dense))
    if f.agenda and f.now and f.day_end:
        follow_up_overdue = col(Lead.next_follow_up_at) < f.now
        sla_late = col(Lead.sla_status) == 'failed'
        due_today = or_(col(Lead.next_follow_up_at).between(f.now, f.day_end),
                        sa.and_(col(Lead.sla_status) == 'due', col(Lead.sla_due_at) <= f.day_end))
        where.append({'overdue': or_(follow_up_overdue, sla_late), 'due_today': due_today}.get(
            f.agenda, or_(follow_up_overdue, sla_late, due_today)))
    return where


_SOONEST = sa.func.coalesce(col(Lead.next_follow_up_at), col(Lead.sla_due_at))


def _inbox_order(f: InboxFilter) -> list[Any]:
    """ORDER BY for `f.order`, ending on the id in the sort's direction (stable pages). The default
    walks `ix_leads_inbox_order` in a team view (a "my day" agenda first sorts by the soonest
    deadline); the others walk their own index where migration 0034 made one, a custom field its
    expression index (store/custom_indexes.py: the same `custom_value`)."""
    o = f.order
    lead_id = col(Lead.id)
    if o.by == InboxSort.DEFAULT:
        return [*((_SOONEST,) if f.agenda == 'my_day' else ()), col(Lead.grade), col(Lead.created_at).desc(),
                lead_id.desc()]
    if o.by in (InboxSort.NEWEST, InboxSort.OLDEST):
        newest = o.by == InboxSort.NEWEST
        return [col(Lead.created_at).desc() if newest else col(Lead.created_at).asc(),
                lead_id.desc() if newest else lead_id.asc()]
    if o.by == InboxSort.CUSTOM:
        return custom_order(o, col(Lead.custom), lead_id, f.dialect)
    value: Any = {InboxSort.SCORE: col(Lead.score), InboxSort.NAME: col(Lead.name),
                  InboxSort.FOLLOW_UP: col(Lead.next_follow_up_at)}.get(o.by)
    if value is None:
        raise ValueError(o.by)
    # score and name are never NULL: a plain order, which any index walk serves
    return directed(value, lead_id, o.descending, nullable=o.by == InboxSort.FOLLOW_UP)


COUNT_CAP = 10_000
"""Beyond this many matches the inbox says "10,000+": counting a manager's million leads exactly on
every page view costs seconds, and nobody pages that far."""
SEARCH_COUNT_CAP = 2_000
"""A searched inbox's total stops here ("2,000+"): each lead counted is also a read of its search
document, and a word in most leads made counting to 10,000 the bulk of a manager's page at 1M leads
(bench/search.py: 113 ms of it on SQLite, 0.5 s on PostgreSQL). It is the most one bulk edit takes
(core/leads/bulk.py BULK_MAX), so "select all N matching" either takes exactly the N counted or is
refused as too many."""


def count_cap(text: str | None) -> int:
    """Where the inbox's total stops counting for this free-text filter (`InboxFilter.search`)."""
    return SEARCH_COUNT_CAP if text and search.normalise(text) else COUNT_CAP

WALK_MIN = 2_000
"""A reach (a department manager's) matching at least this many leads walks the order index (see
`InboxFilter.walk_order`): page one then reads about 25 × leads ÷ matches index entries (12,500 at
1M leads), fewer than the rows the other plan would sort."""


def inbox_page(session: Session, f: InboxFilter, *, offset: int, limit: int) -> tuple[list[LeadRow], int]:
    """A page of the inbox in `f.order` (by default grade then age, newest first within a grade), and
    the total (`count_cap(f.search)` + 1 when there are more).

    Grades sort as their letters (A, B, C). A team view without agenda or search walks
    `ix_leads_inbox_order` (see `_inbox_where`); a rep's leads come from the owner index and are
    few enough to sort."""
    if f.custom or f.search or f.order.by == InboxSort.CUSTOM:
        f = replace(f, dialect=session.get_bind().dialect.name)
    if f.tags:
        f = replace(f, tags_dense=is_dense(session, TagEntity.LEAD, f.tags))
    if f.search and (term := search.normalise(f.search)):
        f = replace(f, many_matches=search.count_capped(session, term, SearchKind.LEAD) >= search.FEW)
    capped = select(Lead.id).where(*_inbox_where(f, counting=True)).limit(count_cap(f.search) + 1).subquery()
    total = session.exec(select(func.count()).select_from(capped)).one()
    if f.reach is not None and total >= WALK_MIN:
        f = replace(f, walk_order=True)
    where = _inbox_where(f)
    # sqlmodel's `select` is typed for at most 4 columns: a wider row goes in as a tuple (rows are Any)
    columns: tuple[Any, ...] = (
        Lead.id, Lead.name, Lead.company, Lead.phone, Lead.source, Lead.status, Lead.grade, Lead.score,
        Lead.temperature, Lead.owner_id, User.name, Lead.created_at, Lead.next_follow_up_at,
        Lead.sla_status, Lead.sla_due_at, Lead.custom)
    query = (
        select(*columns)
        .select_from(Lead).outerjoin(User, col(User.id) == Lead.owner_id)
        .where(*where)
        .order_by(*_inbox_order(f))
        .offset(offset).limit(limit)
    )
    rows = session.exec(query).all()
    fields = ('id', 'name', 'company', 'phone', 'source', 'status', 'grade', 'score', 'temperature',
              'owner_id', 'owner_name', 'created_at', 'next_follow_up_at', 'sla_status', 'sla_due_at', 'custom')
    held = record_tag_ids(session, TagEntity.LEAD, (r[0] for r in rows))
    return [LeadRow(**dict(zip(fields, r, strict=True)), tags=held.get(r[0], [])) for r in rows], total


def lead_activities(session: Session, lead_id: int) -> Sequence[tuple[Activity, str | None]]:
    return session.exec(
        select(Activity, User.name).outerjoin(User, col(User.id) == Activity.user_id)
        .where(Activity.lead_id == lead_id).order_by(col(Activity.created_at).desc(), col(Activity.id).desc())
    ).all()


def lead_audit(session: Session, lead_id: int) -> Sequence[tuple[AuditEntry, str | None]]:
    return session.exec(
        select(AuditEntry, User.name).outerjoin(User, col(User.id) == AuditEntry.actor_id)
        .where(AuditEntry.lead_id == lead_id).order_by(col(AuditEntry.created_at).desc(),
                                                      col(AuditEntry.id).desc())
    ).all()
