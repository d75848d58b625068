"""What a user leaving a department (or the company) still holds: open deals and customers (their open
leads: store/queries/workload.py `owner_open_leads`). Read for the hand-over's preview
(core/workload/departure.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from ..models import Account, Opportunity


def owner_open_deals(session: Session, owner_id: int, *, limit: int) -> Sequence[Opportunity]:
    """The owner's deals not yet won or lost, oldest first (walks the owner index)."""
    return session.exec(select(Opportunity).where(Opportunity.owner_id == owner_id,
                                                  col(Opportunity.closed_at).is_(None),
                                                  Opportunity.is_deleted == False)  # noqa: E712
                        .order_by(col(Opportunity.id)).limit(limit)).all()


def owner_customers(session: Session, owner_id: int, *, limit: int) -> Sequence[Account]:
    """The companies the owner holds (customers and prospects alike), oldest first."""
    return session.exec(select(Account).where(Account.owner_id == owner_id,
                                              Account.is_deleted == False)  # noqa: E712
                        .order_by(col(Account.id)).limit(limit)).all()
