"""Customer care's SQL: the timer's due schedules, open tasks, revisits, the repurchase flag and
the care reports' aggregates. Every timer read walks an index over a due timestamp."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from .models import Account, CareSchedule, CareTask, Opportunity, Reach, RecordKind, Revisit, Stage, StageKind, User
from .queries.reach_filter import visible
from .queries.timer import _claimed

# ----- the timer -------------------------------------------------------------------------------------

def schedules_due(session: Session, before: datetime, limit: int, *, lock: bool = False) -> Sequence[CareSchedule]:
    """Schedules whose task is due (one range over `ix_care_schedules_due_at`), soonest first."""
    query = (select(CareSchedule).where(col(CareSchedule.due_at) <= before)
             .order_by(col(CareSchedule.due_at), col(CareSchedule.account_id)).limit(limit))
    return session.exec(_claimed(session, query, lock)).all()


def schedule(session: Session, account_id: int, *, lock: bool = False) -> CareSchedule | None:
    return session.get(CareSchedule, account_id, with_for_update=lock or None, populate_existing=lock)


def schedules(session: Session) -> Sequence[CareSchedule]:
    """Every schedule (a manager changing the intervals moves them all; one row per account)."""
    return session.exec(select(CareSchedule).order_by(col(CareSchedule.account_id))).all()


def open_task(session: Session, account_id: int) -> CareTask | None:
    return session.exec(select(CareTask).where(CareTask.open_account_id == account_id)).first()


# ----- lists -----------------------------------------------------------------------------------------

def open_tasks(session: Session, *, owner_id: int | None, due_before: datetime | None = None,
               limit: int, reach: Reach | None = None) -> Sequence[tuple[CareTask, str, str, str | None]]:
    """Open tasks, longest overdue first, with the account's name and tier and the owner's name.
    `owner_id` None: everyone's within `reach` (None: the whole company's). A task follows its
    customer's scope (the customer shared with the reader shows its task too)."""
    query = (select(CareTask, Account.name, Account.tier, User.name)
             .join(Account, col(Account.id) == CareTask.account_id)
             .outerjoin(User, col(User.id) == CareTask.owner_id)
             .where(col(CareTask.open_account_id).is_not(None)))
    if owner_id is not None:
        query = query.where(CareTask.owner_id == owner_id)
    if reach is not None and (seen := visible(reach, col(CareTask.owner_id), RecordKind.CUSTOMER,
                                               col(CareTask.account_id))) is not None:
        query = query.where(seen)
    if due_before is not None:
        query = query.where(col(CareTask.due_at) <= due_before)
    return session.exec(query.order_by(col(CareTask.due_at), col(CareTask.id)).limit(limit)).all()


def revisits(session: Session, account_id: int, limit: int) -> list[tuple[Revisit, str | None]]:
    """The account's latest revisits (by whom), oldest first: the trend reads left to right."""
    rows = session.exec(select(Revisit, User.name).outerjoin(User, col(User.id) == Revisit.user_id)
                        .where(Revisit.account_id == account_id)
                        .order_by(col(Revisit.created_at).desc(), col(Revisit.id).desc()).limit(limit)).all()
    return list(reversed(rows))


# ----- repurchase ------------------------------------------------------------------------------------

def repeat_flag() -> sa.ColumnElement[bool]:
    """True for an opportunity whose account had another deal won before it (before its own win,
    or at all while it is still open): a repurchase. Correlated to the outer `Opportunity`; one
    probe of `ix_opportunities_account_id` per row."""
    earlier, stage = aliased(Opportunity), aliased(Stage)
    return sa.exists(
        select(earlier.id).join(stage, col(stage.id) == earlier.stage_id).where(
            earlier.account_id == Opportunity.account_id, earlier.id != Opportunity.id,
            earlier.is_deleted == False, stage.kind == StageKind.WON,  # noqa: E712
            sa.or_(col(Opportunity.closed_at).is_(None), col(earlier.closed_at) < Opportunity.closed_at,
                   sa.and_(col(earlier.closed_at) == Opportunity.closed_at, col(earlier.id) < Opportunity.id))))


def repeat_ids(session: Session, opportunity_ids: Sequence[int]) -> set[int]:
    """Which of these opportunities are repurchases (the board asks once for all its cards)."""
    if not opportunity_ids:
        return set()
    rows = session.exec(select(Opportunity.id).where(col(Opportunity.id).in_(list(opportunity_ids)),
                                                     repeat_flag())).all()
    return {opportunity_id for opportunity_id in rows if opportunity_id is not None}


def is_repeat(session: Session, opportunity_id: int) -> bool:
    return bool(repeat_ids(session, [opportunity_id]))


# ----- reports ---------------------------------------------------------------------------------------

def nps_counts(session: Session, start: datetime, end: datetime, owner_id: int | None,
               by: str, *, reach: Reach | None = None) -> list[tuple[Any, int, int, int, int, int]]:
    """Revisits recorded in [start, end) grouped by `tier` or `owner_id`: (key, NPS answers,
    promoters 9–10, detractors 0–6, satisfaction answers, satisfaction sum). Counts, never rates:
    the core divides."""
    key = col(Revisit.tier) if by == 'tier' else col(Revisit.owner_id)
    nps = col(Revisit.nps)
    # sqlmodel's `select` is typed for at most 4 columns: a wider row goes in as a tuple (rows are Any)
    columns: tuple[Any, ...] = (key, func.count(nps), func.sum(sa.case((nps >= 9, 1), else_=0)),
                                func.sum(sa.case((nps <= 6, 1), else_=0)), func.count(col(Revisit.satisfaction)),
                                func.coalesce(func.sum(Revisit.satisfaction), 0))
    query = (select(*columns)
             .where(col(Revisit.created_at) >= start, col(Revisit.created_at) < end))
    if owner_id is not None:
        query = query.where(Revisit.owner_id == owner_id)
    if reach is not None and (seen := visible(reach, col(Revisit.owner_id), RecordKind.CUSTOMER,
                                               col(Revisit.account_id))) is not None:
        query = query.where(seen)
    rows = session.exec(query.group_by(key).order_by(key)).all()
    return [(k, int(n), int(p or 0), int(d or 0), int(sn), int(ss)) for k, n, p, d, sn, ss in rows]


def won_revenue_by_repeat(session: Session, start: datetime, end: datetime,
                          owner_id: int | None, reach: Reach | None = None) -> dict[bool, tuple[int, int]]:
    """Deals won in [start, end): {repurchase?: (count, amount in cents)}."""
    inner = (select(repeat_flag().label('repeat'), Opportunity.amount_cents)
             .join(Stage, col(Stage.id) == Opportunity.stage_id)
             .where(Stage.kind == StageKind.WON, Opportunity.is_deleted == False,  # noqa: E712
                    col(Opportunity.closed_at) >= start, col(Opportunity.closed_at) < end))
    if owner_id is not None:
        inner = inner.where(Opportunity.owner_id == owner_id)
    if reach is not None and (seen := visible(reach, col(Opportunity.owner_id), RecordKind.OPPORTUNITY,
                                               col(Opportunity.id))) is not None:
        inner = inner.where(seen)
    won = inner.subquery()
    rows = session.exec(select(won.c.repeat, func.count(), func.coalesce(func.sum(won.c.amount_cents), 0))
                        .group_by(won.c.repeat)).all()
    return {bool(flag): (int(n), int(total)) for flag, n, total in rows}
