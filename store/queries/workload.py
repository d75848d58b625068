"""The team page and the assignment-rules editor: per-owner figures summed in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from ..models import OPEN_STATUSES, AssignmentRule, Lead, Opportunity, Role, Stage, User
from ..reporting import seconds_between

# ----- assignment rules editor ------------------------------------------------------------------

def all_assignment_rules(session: Session) -> Sequence[AssignmentRule]:
    """Every assignment rule, switched off ones too, in evaluation order."""
    return session.exec(select(AssignmentRule).order_by(col(AssignmentRule.position), col(AssignmentRule.id))).all()


# ----- team workload ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OwnerLeadFigures:
    """One rep's open leads by grade and what is due on them, summed in SQL."""

    by_grade: dict[str, int]
    due_today: int
    overdue: int
    sla_failed: int


def workload_open_leads(session: Session, *, now: datetime, day_end: datetime) -> dict[int, OwnerLeadFigures]:
    """Per owner: open leads by grade, follow-ups due later today (now ≤ next_follow_up_at < day_end),
    overdue follow-ups (before now) and failed first responses. Grouped in the order of the covering
    index `ix_leads_open_figures` (status, owner, grade, …) so SQLite neither sorts nor reads the table."""
    follow_up = col(Lead.next_follow_up_at)
    # sqlmodel's `select` is typed for at most 4 columns: a wider row goes in as a tuple (rows are Any)
    columns: tuple[Any, ...] = (
        Lead.status, Lead.owner_id, Lead.grade, func.count(),
        func.sum(sa.case((sa.and_(follow_up >= now, follow_up < day_end), 1), else_=0)),
        func.sum(sa.case((follow_up < now, 1), else_=0)),
        func.sum(sa.case((col(Lead.sla_status) == 'failed', 1), else_=0)))
    rows = session.exec(
        select(*columns)
        .where(col(Lead.status).in_(OPEN_STATUSES), col(Lead.owner_id).is_not(None),
               Lead.is_deleted == False)  # noqa: E712
        .group_by(col(Lead.status), col(Lead.owner_id), col(Lead.grade))
    ).all()
    out: dict[int, OwnerLeadFigures] = {}
    for _status, owner_id, grade, count, due, late, failed in rows:
        prev = out.get(owner_id) or OwnerLeadFigures(by_grade={}, due_today=0, overdue=0, sla_failed=0)
        prev.by_grade[grade] = prev.by_grade.get(grade, 0) + count
        out[owner_id] = OwnerLeadFigures(by_grade=prev.by_grade, due_today=prev.due_today + int(due or 0),
                                         overdue=prev.overdue + int(late or 0),
                                         sla_failed=prev.sla_failed + int(failed or 0))
    return out


def workload_assigned_since(session: Session, since: datetime) -> dict[int, int]:
    """Per owner: leads they still own that were assigned to them at or after `since`. A range over
    `ix_leads_report_response` (assigned_at, owner, …): grouped by an expression, not the bare column,
    because SQLite would otherwise walk the whole owner index to get the groups in order (owner 0 =
    unowned, dropped)."""
    owner = func.coalesce(Lead.owner_id, 0)
    rows = session.exec(
        select(owner, func.count())
        .where(col(Lead.assigned_at) >= since, Lead.is_deleted == False)  # noqa: E712
        .group_by(owner)
    ).all()
    return {owner_id: count for owner_id, count in rows if owner_id}


def workload_response_medians(session: Session, since: datetime) -> dict[int, float]:
    """Per owner: the median minutes from assignment to first contact of the leads they were assigned
    since `since` and contacted after that assignment. In the database, portably: each owner's
    durations numbered in order by a window, the middle one (or two, averaged) kept. Fetching the
    durations to take the median in Python cost ~0.15 s at 1M leads (13,500 contacts a week, a
    datetime conversion each) and the team page's budget is 100 ms."""
    minutes = seconds_between(session, Lead.assigned_at, Lead.first_contact_at) / 60.0
    owner = col(Lead.owner_id) + 0  # partitioned by an expression: SQLite would otherwise walk the owner index
    ranked = (
        select(owner.label('owner'), minutes.label('minutes'),
               func.row_number().over(partition_by=owner, order_by=minutes).label('rn'),
               func.count().over(partition_by=owner).label('n'))
        .where(col(Lead.assigned_at) >= since, col(Lead.first_contact_at).is_not(None),
               col(Lead.first_contact_at) >= col(Lead.assigned_at), Lead.is_deleted == False)  # noqa: E712
        .subquery()
    )
    middle = sa.or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    rows = session.exec(select(ranked.c.owner, func.avg(ranked.c.minutes)).where(middle)
                        .group_by(ranked.c.owner)).all()
    # (no `owner_id IS NOT NULL` in the WHERE: SQLite would walk the owner index over every lead; the
    # range over `assigned_at` and a sort of the week's contacts is the plan)
    return {owner_id: float(median) for owner_id, median in rows if owner_id is not None}


def workload_open_opportunities(session: Session) -> dict[int, tuple[int, int, int]]:
    """Per owner: (count, amount in cents, probability-weighted amount in cents) of open deals."""
    rows = session.exec(
        select(Opportunity.owner_id, func.count(), func.coalesce(func.sum(Opportunity.amount_cents), 0),
               func.coalesce(func.sum(Opportunity.amount_cents * Stage.probability), 0))
        .join(Stage, col(Stage.id) == Opportunity.stage_id)
        .where(col(Opportunity.owner_id).is_not(None), Stage.kind == 'open',
               Opportunity.is_deleted == False)  # noqa: E712
        .group_by(col(Opportunity.owner_id))
    ).all()
    return {owner_id: (count, int(amount), int(weighted) // 100) for owner_id, count, amount, weighted in rows
            if owner_id is not None}


def active_reps(session: Session) -> Sequence[User]:
    return session.exec(select(User).where(User.role == Role.REP, User.is_active == True)  # noqa: E712
                        .order_by(col(User.name), col(User.id))).all()


# ----- steering: drill-down, rebalance, handover -----------------------------------------------

def owner_open_leads(session: Session, owner_id: int, *, limit: int,
                     quiet_since: datetime | None = None) -> Sequence[Lead]:
    """One rep's open leads, A first then oldest assignment; with `quiet_since`, only leads
    without activity since then (never worked ones first among equals). Walks the owner index."""
    query = select(Lead).where(Lead.owner_id == owner_id, col(Lead.status).in_(OPEN_STATUSES),
                               Lead.is_deleted == False)  # noqa: E712
    if quiet_since is not None:
        activity = col(Lead.last_activity_at)
        query = query.where(sa.or_(activity.is_(None), activity < quiet_since))
        return session.exec(query.order_by(activity.is_not(None), activity, col(Lead.id)).limit(limit)).all()
    return session.exec(query.order_by(col(Lead.grade), col(Lead.assigned_at), col(Lead.id)).limit(limit)).all()


def count_recently_active(session: Session, owner_ids: Sequence[int], since: datetime) -> int:
    """Open leads of these owners with activity at or after `since`: what a rebalance holds back."""
    if not owner_ids:
        return 0
    return session.exec(
        select(func.count()).select_from(Lead)
        .where(col(Lead.owner_id).in_(owner_ids), col(Lead.status).in_(OPEN_STATUSES),
               col(Lead.last_activity_at) >= since, Lead.is_deleted == False)  # noqa: E712
    ).one()
