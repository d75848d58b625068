"""Pools (公海) as records: the catalogue and the per-pool counts a claim and the editor need
(core/automation/pools.py reads them). A lead with `pool_id` NULL is in (or came from) the default pool."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_, select

from ..audit_actions import AuditAction
from ..models import DEFAULT_POOL_NAME, OPEN_STATUSES, AuditEntry, Lead, LeadStatus, Pool


def all_pools(session: Session) -> Sequence[Pool]:
    """Every pool, the default first, then by name (one query; the table is small)."""
    return session.exec(select(Pool).order_by(col(Pool.is_default).desc(), col(Pool.name), col(Pool.id))).all()


def ensure_default_pool(session: Session) -> Pool:
    """The default pool, created if the database has none (a database the migration left empty by a test)."""
    found = session.exec(select(Pool).where(Pool.is_default == True).order_by(col(Pool.id)).limit(1)).first()  # noqa: E712
    if found is None:
        found = Pool(name=DEFAULT_POOL_NAME, is_default=True)
        session.add(found)
        session.flush()
    return found


def in_pool(pool_id: int, is_default: bool) -> Any:
    """The SQL test "this lead is in (or came from) this pool": NULL counts as the default pool."""
    if is_default:
        return or_(col(Lead.pool_id) == pool_id, col(Lead.pool_id).is_(None))
    return col(Lead.pool_id) == pool_id


def claims_since(session: Session, rep_id: int, since: datetime, pool_id: int, is_default: bool) -> int:
    """The rep's claims since `since` of leads that came from this pool (the claim leaves the lead's
    `pool_id` as it was)."""
    return session.exec(select(func.count()).select_from(AuditEntry).join(Lead, col(Lead.id) == AuditEntry.lead_id)
                        .where(AuditEntry.action == AuditAction.ASSIGNED, AuditEntry.subject_user_id == rep_id,
                               col(AuditEntry.created_at) >= since, AuditEntry.reason_key == 'reason.claimed',
                               in_pool(pool_id, is_default))).one()


def held_from(session: Session, rep_id: int, pool_id: int) -> int:
    """Open leads the rep holds that were claimed from this pool (never the default's unmarked leads:
    a holding limit counts claims, not what capture assigned)."""
    return session.exec(select(func.count()).select_from(Lead).where(
        Lead.owner_id == rep_id, col(Lead.pool_id) == pool_id, col(Lead.status).in_(OPEN_STATUSES),
        Lead.is_deleted == False)).one()  # noqa: E712


def waiting_in(session: Session, pool_id: int, is_default: bool) -> int:
    """Leads waiting in this pool or its review queue (a pool that has any may not be deleted)."""
    return session.exec(select(func.count()).select_from(Lead).where(
        col(Lead.status).in_((LeadStatus.POOL, LeadStatus.REVIEW)), Lead.is_deleted == False,  # noqa: E712
        in_pool(pool_id, is_default))).one()


def forget_pool(session: Session, pool_id: int) -> None:
    """A deleted pool's owned leads come from the default pool from now on (one statement)."""
    session.execute(sa.update(Lead).where(col(Lead.pool_id) == pool_id).values(pool_id=None))


def waiting_counts(session: Session) -> dict[int | None, int]:
    """How many leads wait in each pool (status pool), by `pool_id` (None: the default's unmarked)."""
    rows = session.exec(select(Lead.pool_id, func.count()).where(Lead.status == LeadStatus.POOL,
                                                                  Lead.is_deleted == False)  # noqa: E712
                        .group_by(col(Lead.pool_id))).all()
    return {r[0]: r[1] for r in rows}
