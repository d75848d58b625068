"""Collaborators: what is shared with a user (one query, for their `Reach`) and who collaborates on a record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from ..models import Access, Collaborator, Contact, Opportunity, RecordKind, User


@dataclass(frozen=True, slots=True)
class Shared:
    """The records shared with one user, by kind: all of them, and those with EDIT access."""

    seen: Mapping[RecordKind, frozenset[int]]
    edited: Mapping[RecordKind, frozenset[int]]


def shared_with(session: Session, user_id: int) -> Shared:
    """Every record shared with `user_id`, in one query: the rows naming them, and for a shared customer
    its deals and the leads its contacts and deals came from (a customer's collaborator works its
    whole account). Each part reads `ix_collaborators_user` and an account index."""
    c = sa.select(col(Collaborator.kind), col(Collaborator.record_id), col(Collaborator.access)).where(
        col(Collaborator.user_id) == user_id)
    customer = sa.and_(col(Collaborator.user_id) == user_id, col(Collaborator.kind) == RecordKind.CUSTOMER)
    deals = (sa.select(sa.literal(RecordKind.OPPORTUNITY.value), col(Opportunity.id), col(Collaborator.access))
             .join(Opportunity, col(Opportunity.account_id) == col(Collaborator.record_id)).where(customer))
    deal_leads = (sa.select(sa.literal(RecordKind.LEAD.value), col(Opportunity.lead_id), col(Collaborator.access))
                  .join(Opportunity, col(Opportunity.account_id) == col(Collaborator.record_id)).where(customer))
    contact_leads = (sa.select(sa.literal(RecordKind.LEAD.value), col(Contact.lead_id), col(Collaborator.access))
                     .join(Contact, col(Contact.account_id) == col(Collaborator.record_id))
                     .where(customer, col(Contact.lead_id).is_not(None)))
    seen: dict[RecordKind, set[int]] = {}
    edited: dict[RecordKind, set[int]] = {}
    for kind, record_id, access in session.execute(sa.union_all(c, deals, deal_leads, contact_leads)):
        if kind not in RecordKind.__members__.values() or record_id is None:
            continue
        seen.setdefault(RecordKind(kind), set()).add(record_id)
        if access == Access.EDIT:
            edited.setdefault(RecordKind(kind), set()).add(record_id)
    return Shared(seen={k: frozenset(v) for k, v in seen.items()},
                  edited={k: frozenset(v) for k, v in edited.items()})


@dataclass(frozen=True, slots=True)
class CollaboratorRow:
    """One collaborator of a record as its panel shows it."""

    id: int
    user_id: int
    name: str
    access: Access
    added_at: datetime | None


def on_record(session: Session, kind: RecordKind, record_id: int) -> list[CollaboratorRow]:
    """The collaborators of one record, by name."""
    rows = session.execute(
        sa.select(col(Collaborator.id), col(Collaborator.user_id), col(User.name), col(Collaborator.access),
                  col(Collaborator.added_at))
        .join(User, col(User.id) == col(Collaborator.user_id))
        .where(col(Collaborator.kind) == kind, col(Collaborator.record_id) == record_id)
        .order_by(col(User.name), col(Collaborator.id)))
    return [CollaboratorRow(id=i, user_id=u, name=n, access=Access(a) if a in Access.__members__.values()
                            else Access.READ, added_at=at) for i, u, n, a, at in rows]


def user_ids_on(session: Session, kind: RecordKind, record_id: int) -> list[int]:
    """Who collaborates on one record (its notifications go to them too)."""
    return list(session.execute(sa.select(col(Collaborator.user_id)).where(
        col(Collaborator.kind) == kind, col(Collaborator.record_id) == record_id)).scalars())


def find(session: Session, kind: RecordKind, record_id: int, user_id: int) -> Collaborator | None:
    return session.execute(sa.select(Collaborator).where(
        col(Collaborator.kind) == kind, col(Collaborator.record_id) == record_id,
        col(Collaborator.user_id) == user_id)).scalar_one_or_none()


def active_users(session: Session) -> list[User]:
    """Who may be added: every active user, by name (the users table is small)."""
    return list(session.execute(sa.select(User).where(col(User.is_active) == True)  # noqa: E712
                                .order_by(col(User.name))).scalars())


def watchers(session: Session, kind: RecordKind, record_ids: list[int]) -> dict[int, list[int]]:
    """The active collaborators of each of these records: the timer's notices about a lead (follow-up
    due, SLA breached, protection ending) go to them too. Read when the notice is sent, so whoever was
    taken off the record, or deactivated, since is not told."""
    found: dict[int, list[int]] = {}
    if record_ids:
        for record_id, user_id in session.execute(sa.select(col(Collaborator.record_id), col(Collaborator.user_id))
                                                  .join(User, col(User.id) == col(Collaborator.user_id))
                                                  .where(col(Collaborator.kind) == kind,
                                                         col(Collaborator.record_id).in_(sorted(set(record_ids))),
                                                         col(User.is_active) == True)):  # noqa: E712
            found.setdefault(record_id, []).append(user_id)
    return found
