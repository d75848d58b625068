"""The rows a digest lists (core/digests): each selection one period's records in a user's reach, read
with `visible` (store/queries/reach_filter.py) so a digest never shows what its reader's lists hide.

Why rows and not the roll-up's counts: every digest line links to its record, and the counts a digest
shows (the weekly comparison's too) are the lengths of these lists, so a count and its lines cannot
disagree. The goals' actuals come from the roll-up (core/goals/board.py `actuals`), the reports' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from .audit_actions import AuditAction
from .models import (
    CONTACT_KINDS,
    OPEN_STATUSES,
    Activity,
    AuditEntry,
    Lead,
    LeadStatus,
    Opportunity,
    Reach,
    RecordKind,
    Stage,
    StageChange,
    StageKind,
    User,
)
from .queries.reach_filter import visible


@dataclass(frozen=True, slots=True)
class LeadFact:
    lead_id: int
    name: str
    owner_id: int | None
    at: datetime | None
    """The instant the line is about (assigned, first contact, follow-up due, breach)."""
    since: datetime | None = None
    """First contact: when the lead was assigned (the response time runs from it)."""


@dataclass(frozen=True, slots=True)
class DealFact:
    opportunity_id: int
    name: str
    owner_id: int | None
    at: datetime | None
    amount_cents: int
    stage_id: int
    stage_kind: StageKind

POOLED = (LeadStatus.POOL, LeadStatus.REVIEW)


def _lead_scope(reach: Reach) -> list[sa.ColumnElement[bool]]:
    clause = visible(reach, col(Lead.owner_id), RecordKind.LEAD, col(Lead.id))
    return [col(Lead.is_deleted).is_(False), *([clause] if clause is not None else [])]


def _between(column: Any, start: datetime, end: datetime) -> list[sa.ColumnElement[bool]]:
    c: Any = col(column)
    return [c >= start, c < end]


def leads_received(session: Session, reach: Reach, start: datetime, end: datetime) -> list[LeadFact]:
    """Leads assigned in the period (to their present owner: a lead passed on counts once, as its owner's)."""
    rows = session.execute(sa.select(col(Lead.id), col(Lead.name), col(Lead.owner_id), col(Lead.assigned_at))
                        .where(*_lead_scope(reach), *_between(Lead.assigned_at, start, end))
                        .order_by(col(Lead.assigned_at), col(Lead.id))).all()
    return [LeadFact(i or 0, n, o, a) for i, n, o, a in rows]


def first_contacts(session: Session, reach: Reach, start: datetime, end: datetime) -> list[LeadFact]:
    rows = session.execute(sa.select(col(Lead.id), col(Lead.name), col(Lead.owner_id), col(Lead.first_contact_at),
                                     col(Lead.assigned_at))
                        .where(*_lead_scope(reach), *_between(Lead.first_contact_at, start, end))
                        .order_by(col(Lead.first_contact_at), col(Lead.id))).all()
    return [LeadFact(i or 0, n, o, f, a) for i, n, o, f, a in rows]


def follow_ups_done(session: Session, reach: Reach, start: datetime, end: datetime) -> list[LeadFact]:
    """Contact activities logged in the period that were not the lead's first contact (one line per lead)."""
    rows = session.execute(sa.select(col(Lead.id), col(Lead.name), col(Lead.owner_id),
                                     sa.func.max(col(Activity.created_at)))
                        .join(Activity, col(Activity.lead_id) == col(Lead.id))
                        .where(*_lead_scope(reach), *_between(Activity.created_at, start, end),
                               col(Activity.kind).in_(CONTACT_KINDS),
                               sa.or_(col(Lead.first_contact_at).is_(None),
                                      col(Activity.created_at) > col(Lead.first_contact_at)))
                        .group_by(col(Lead.id), col(Lead.name), col(Lead.owner_id))
                        .order_by(col(Lead.id))).all()
    return [LeadFact(i or 0, n, o, a) for i, n, o, a in rows]


def follow_ups_overdue(session: Session, reach: Reach, at: datetime) -> list[LeadFact]:
    """Open leads whose next follow-up was due before `at` and is not done."""
    rows = session.execute(sa.select(col(Lead.id), col(Lead.name), col(Lead.owner_id), col(Lead.next_follow_up_at))
                        .where(*_lead_scope(reach), col(Lead.status).in_(OPEN_STATUSES),
                               col(Lead.next_follow_up_at) < at)
                        .order_by(col(Lead.next_follow_up_at), col(Lead.id))).all()
    return [LeadFact(i or 0, n, o, a) for i, n, o, a in rows]


def sla_breaches(session: Session, reach: Reach, start: datetime, end: datetime) -> list[LeadFact]:
    """Leads whose first-response deadline was flagged as breached in the period (the timer's audit line)."""
    rows = session.execute(sa.select(col(Lead.id), col(Lead.name), col(Lead.owner_id), col(AuditEntry.created_at))
                        .join(AuditEntry, col(AuditEntry.lead_id) == col(Lead.id))
                        .where(*_lead_scope(reach), col(AuditEntry.action) == AuditAction.SLA_BREACHED,
                               *_between(AuditEntry.created_at, start, end))
                        .order_by(col(AuditEntry.created_at), col(Lead.id))).all()
    return [LeadFact(i or 0, n, o, a) for i, n, o, a in rows]


def deals_moved(session: Session, reach: Reach, start: datetime, end: datetime) -> list[DealFact]:
    """Each deal's last move in the period, with the stage it reached (won, lost or open)."""
    clause = visible(reach, col(Opportunity.owner_id), RecordKind.OPPORTUNITY, col(Opportunity.id))
    last = (sa.select(col(StageChange.opportunity_id), sa.func.max(col(StageChange.id)).label('last_id'))
            .where(*_between(StageChange.created_at, start, end), col(StageChange.from_stage_id).is_not(None))
            .group_by(col(StageChange.opportunity_id)).subquery())
    query = (sa.select(col(Opportunity.id), col(Opportunity.name), col(Opportunity.owner_id),
                       col(StageChange.created_at), col(Opportunity.amount_cents), col(Stage.id), col(Stage.kind))
             .join(last, last.c.opportunity_id == col(Opportunity.id))
             .join(StageChange, col(StageChange.id) == last.c.last_id)
             .join(Stage, col(Stage.id) == col(StageChange.to_stage_id))
             .where(col(Opportunity.is_deleted).is_(False), *([clause] if clause is not None else []))
             .order_by(col(StageChange.created_at), col(Opportunity.id)))
    return [DealFact(i or 0, n, o, a, cents, sid or 0, StageKind(kind))
            for i, n, o, a, cents, sid, kind in session.execute(query).all()]


def rotting_deals(session: Session, reach: Reach, at: datetime) -> list[DealFact]:
    """Open deals idle in their stage past the stage's `rot_days` (the board's stale cards)."""
    clause = visible(reach, col(Opportunity.owner_id), RecordKind.OPPORTUNITY, col(Opportunity.id))
    rows = session.execute(sa.select(col(Opportunity.id), col(Opportunity.name), col(Opportunity.owner_id),
                                     col(Opportunity.last_activity_at), col(Opportunity.stage_changed_at),
                                     col(Opportunity.created_at), col(Opportunity.amount_cents),
                               col(Stage.id), col(Stage.rot_days))
                        .join(Stage, col(Stage.id) == col(Opportunity.stage_id))
                        .where(col(Opportunity.is_deleted).is_(False), col(Stage.kind) == StageKind.OPEN,
                               col(Stage.rot_days) > 0, *([clause] if clause is not None else []))
                        .order_by(col(Opportunity.id))).all()
    out = []
    for i, n, o, activity, moved, created, cents, sid, rot in rows:
        idle_since = max((t for t in (activity, moved, created) if t is not None), default=None)
        if idle_since is not None and (at - _aware(idle_since)).days >= rot:
            out.append(DealFact(i or 0, n, o, idle_since, cents, sid or 0, StageKind.OPEN))
    return out


def over_capacity(session: Session, reach: Reach) -> list[tuple[int, str, int, int]]:
    """(user, name, open leads, capacity) of active reps holding more open leads than their capacity."""
    query = sa.select(col(User.id), col(User.name), col(User.open_leads), col(User.capacity)).where(
        col(User.is_active).is_(True), col(User.open_leads) > col(User.capacity))
    if not reach.everyone:
        query = query.where(col(User.id).in_(sorted(reach.owner_ids)))
    return [(i or 0, n, o, c) for i, n, o, c in session.execute(query.order_by(col(User.name))).all()]


def pooled(session: Session, start: datetime, end: datetime) -> int:
    """Leads that entered the pool (or the review queue) in the period and are still there."""
    return int(session.execute(sa.select(sa.func.count()).select_from(Lead)
                               .where(col(Lead.is_deleted).is_(False), col(Lead.status).in_(POOLED),
                                      *_between(Lead.pooled_at, start, end))).scalar_one())


def on_leave(session: Session, user_id: int) -> bool:
    return bool(session.execute(sa.select(col(User.is_on_leave)).where(col(User.id) == user_id)).one_or_none())


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
