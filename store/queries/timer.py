"""The timer's selections: each walks one index over a due timestamp."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from ..audit_actions import AuditAction
from ..models import OPEN_STATUSES, AuditEntry, Lead, User

# ----- the timer: each selection walks one index over a due timestamp -------------------------------

_LIVE = OPEN_STATUSES

_T = TypeVar('_T')


def _claimed(session: Session, query: SelectOfScalar[_T], lock: bool) -> SelectOfScalar[_T]:
    """The tick's own rows (`lock`): on PostgreSQL `FOR UPDATE SKIP LOCKED`, so a lead a user is
    writing right now (or another tick, e.g. "Run now" beside the leader's) is left for the next
    tick instead of being decided on a stale read. SQLite has one writer: unchanged."""
    if lock and session.get_bind().dialect.name == 'postgresql':
        return query.with_for_update(skip_locked=True).execution_options(populate_existing=True)
    return query


def leads_waiting_for_owner(session: Session, *, include_recycled: bool, limit: int,
                            lock: bool = False) -> Sequence[Lead]:
    """Unowned pool leads the timer may assign: never owned ones, or all when redistributing."""
    query = select(Lead).where(Lead.status == 'pool', Lead.is_deleted == False)  # noqa: E712
    if not include_recycled:
        query = query.where(col(Lead.previous_owner_id).is_(None))
    return session.exec(_claimed(session, query.order_by(col(Lead.created_at), col(Lead.id)).limit(limit), lock)).all()


def sla_due(session: Session, before: datetime, limit: int, *, lock: bool = False) -> Sequence[Lead]:
    return session.exec(_claimed(session, select(Lead).where(Lead.sla_status == 'due', col(Lead.sla_due_at) <= before,
                                                              col(Lead.status).in_(_LIVE))
                                 .order_by(col(Lead.sla_due_at)).limit(limit), lock)).all()


def sla_grace_due(session: Session, before: datetime, limit: int, *, include_due: bool = False,
                  lock: bool = False) -> list[Lead]:
    """Uncontacted leads past the grace after a breach (`include_due`: also not yet flagged, for the preview).

    Only the indexed timestamp is in SQL: SQLite would otherwise pick the status index and scan every
    breached lead ever; the timestamp is cleared whenever the lead no longer needs it."""
    statuses = ('failed', 'due') if include_due else ('failed',)
    leads = session.exec(_claimed(session, select(Lead).where(col(Lead.sla_grace_at) <= before)
                                  .order_by(col(Lead.sla_grace_at)).limit(limit), lock)).all()
    return [lead for lead in leads if lead.sla_status in statuses and lead.status == 'assigned']


def protection_ending(session: Session, before: datetime, limit: int, *, lock: bool = False) -> list[Lead]:
    """Owned open leads whose protection ends by `before` (warning and recycling both start here).
    Filtering status in SQL would make SQLite walk the status index over every open lead."""
    leads = session.exec(_claimed(session, select(Lead).where(col(Lead.protected_until) <= before)
                                  .order_by(col(Lead.protected_until)).limit(limit), lock)).all()
    return [lead for lead in leads if lead.status in _LIVE]


def protection_warnings(session: Session, now: datetime, before: datetime, limit: int, *,
                        lock: bool = False) -> list[Lead]:
    """Open leads whose protection ends in (now, before] and whose owner was not yet warned of that end."""
    leads = session.exec(_claimed(session, select(Lead).where(
        col(Lead.protected_until) > now, col(Lead.protected_until) <= before,
        or_(col(Lead.warned_until).is_(None), col(Lead.warned_until) != Lead.protected_until))
        .order_by(col(Lead.protected_until)).limit(limit), lock)).all()
    return [lead for lead in leads if lead.status in _LIVE]


def follow_ups_due(session: Session, before: datetime, limit: int, *, lock: bool = False) -> Sequence[Lead]:
    return session.exec(_claimed(session, select(Lead).where(col(Lead.follow_up_due_at) <= before)
                                 .order_by(col(Lead.follow_up_due_at)).limit(limit), lock)).all()


def count_actions_since(session: Session, action: AuditAction, user_id: int, since: datetime, *,
                        reason_key: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.subject_user_id == user_id, col(AuditEntry.created_at) >= since)
    if reason_key is not None:
        query = query.where(AuditEntry.reason_key == reason_key)
    return session.exec(query).one()


def count_audited(session: Session, reasons: Sequence[tuple[AuditAction, str]], since: datetime,
                  until: datetime) -> int:
    """Audit lines of these (action, reason key) pairs written in (since, until]: `ix_audit_report`."""
    return sum(session.exec(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == action, col(AuditEntry.created_at) > since, col(AuditEntry.created_at) <= until,
        AuditEntry.reason_key == reason_key)).one() for action, reason_key in reasons)


def open_count(session: Session, owner_id: int) -> int:
    user = session.get(User, owner_id)
    return user.open_leads if user else 0


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id or 0: u.name for u in session.exec(select(User).where(col(User.id).in_(ids)))}


def leads_by_ids(session: Session, ids: Sequence[int]) -> Sequence[Lead]:
    return session.exec(select(Lead).where(col(Lead.id).in_(list(ids))).order_by(col(Lead.id))).all()
