"""Bulk edits' reads (core/leads/bulk.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from store.models import Account, BulkBatch, Lead, Opportunity


def recent_batches(session: Session, actor_id: int, since: datetime, *, limit: int = 10) -> Sequence[BulkBatch]:
    """The actor's bulk edits since `since`, newest first, without their snapshots (large)."""
    return session.exec(select(BulkBatch).options(defer(BulkBatch.snapshot))  # type: ignore[arg-type]
                        .where(BulkBatch.actor_id == actor_id, col(BulkBatch.created_at) >= since)
                        .order_by(col(BulkBatch.id).desc()).limit(limit)).all()


def live_leads(session: Session, ids: Sequence[int]) -> Sequence[Lead]:
    """These leads (not merged away or deleted), in id order: one query for a whole selection."""
    return session.exec(select(Lead).where(col(Lead.id).in_(list(ids)), col(Lead.is_deleted).is_(False))
                        .order_by(col(Lead.id))).all()


def live_customers(session: Session, ids: Sequence[int], *, lock: bool = False) -> Sequence[Account]:
    """These customers (not deleted), in id order; `lock`: row-locked for the batch (PostgreSQL)."""
    query = select(Account).where(col(Account.id).in_(list(ids)), col(Account.is_deleted).is_(False),
                                  col(Account.is_customer).is_(True)).order_by(col(Account.id))
    return session.exec(query.with_for_update() if lock else query).all()


def live_deals(session: Session, ids: Sequence[int], *, lock: bool = False) -> Sequence[Opportunity]:
    """These opportunities (not deleted), in id order; `lock`: row-locked for the batch (PostgreSQL),
    in id order as every move locks one."""
    query = select(Opportunity).where(col(Opportunity.id).in_(list(ids)), col(Opportunity.is_deleted).is_(False)
                                      ).order_by(col(Opportunity.id))
    return session.exec(query.with_for_update() if lock else query).all()
