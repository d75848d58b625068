"""Stages, opportunities, the board and customers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_, select

from ..models import (
    Account,
    Activity,
    Contact,
    LostReason,
    Opportunity,
    Reach,
    RecordKind,
    Stage,
    StageChange,
    TagEntity,
    User,
)
from .leads import CustomTest, custom_condition, lead_activities
from .reach_filter import visible
from .search import like_pattern
from .tags import tagged

# ----- pipeline and customers ------------------------------------------------------------------------

def stages(session: Session, *, include_archived: bool = False) -> Sequence[Stage]:
    query = select(Stage)
    if not include_archived:
        query = query.where(Stage.is_archived == False)  # noqa: E712
    return session.exec(query.order_by(col(Stage.position), col(Stage.id))).all()


def lost_reasons(session: Session, *, include_inactive: bool = False) -> Sequence[LostReason]:
    query = select(LostReason)
    if not include_inactive:
        query = query.where(LostReason.is_active == True)  # noqa: E712
    return session.exec(query.order_by(col(LostReason.position), col(LostReason.id))).all()


def opportunity_for_lead(session: Session, lead_id: int) -> Opportunity | None:
    return session.exec(select(Opportunity).where(Opportunity.lead_id == lead_id)).first()


def account_by_name(session: Session, name_norm: str) -> Account | None:
    return session.exec(select(Account).where(Account.name_norm == name_norm, Account.is_deleted == False)  # noqa: E712
                        .order_by(col(Account.id)).limit(1)).first()


def has_customers(session: Session) -> bool:
    return session.exec(_ANY_CUSTOMER).first() is not None


_ANY_CUSTOMER = select(Account.id).where(Account.is_customer == True).limit(1)  # noqa: E712
"""Built once: every capture asks it."""


def customer_for(session: Session, *, phone_norm: str | None, email: str | None,
                 company_norm: str | None) -> Account | None:
    """The customer account a new lead belongs to: by company, or a contact's phone or email."""
    if company_norm:
        account = session.exec(select(Account).where(Account.name_norm == company_norm,
                                                     Account.is_customer == True)  # noqa: E712
                               .order_by(col(Account.id)).limit(1)).first()
        if account is not None:
            return account
    conditions = []
    if phone_norm:
        conditions.append(Contact.phone_norm == phone_norm)
    if email:
        conditions.append(Contact.email == email)
    if not conditions:
        return None
    return session.exec(select(Account).join(Contact, col(Contact.account_id) == Account.id)
                        .where(or_(*conditions), Account.is_customer == True)  # noqa: E712
                        .order_by(col(Account.id)).limit(1)).first()


@dataclass(frozen=True, slots=True)
class BoardFilter:
    owner_id: int | None = None
    close_from: date | None = None
    close_to: date | None = None
    min_cents: int | None = None
    max_cents: int | None = None
    custom: tuple[CustomTest, ...] = ()
    """Custom field tests on the deal's own `custom` (checked against the definitions in core)."""
    tags: tuple[int, ...] = ()
    """Tag ids: a deal holding any of them passes."""
    reach: Reach | None = None
    """The reader's data scope (None: everyone's)."""


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _board_where(f: BoardFilter, dialect: str) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [col(Opportunity.is_deleted) == False]  # noqa: E712
    where.extend(custom_condition(t, dialect, col(Opportunity.custom)) for t in f.custom)
    if f.owner_id is not None:
        where.append(col(Opportunity.owner_id) == f.owner_id)
    if f.reach is not None and (seen := visible(f.reach, col(Opportunity.owner_id), RecordKind.OPPORTUNITY,
                                                 col(Opportunity.id))) is not None:
        where.append(seen)
    if f.close_from is not None:
        where.append(col(Opportunity.expected_close) >= f.close_from)
    if f.close_to is not None:
        where.append(col(Opportunity.expected_close) < f.close_to)
    if f.min_cents is not None:
        where.append(col(Opportunity.amount_cents) >= f.min_cents)
    if f.max_cents is not None:
        where.append(col(Opportunity.amount_cents) <= f.max_cents)
    if f.tags:
        where.append(tagged(TagEntity.OPPORTUNITY, Opportunity.id, f.tags))
    return where


def board_totals(session: Session, f: BoardFilter) -> dict[int, tuple[int, int]]:
    """Per stage: (count, total amount in cents), aggregated in SQL."""
    rows = session.exec(select(Opportunity.stage_id, func.count(), func.coalesce(func.sum(Opportunity.amount_cents), 0))
                        .where(*_board_where(f, _dialect(session))).group_by(col(Opportunity.stage_id))).all()
    return {stage_id: (count, int(total)) for stage_id, count, total in rows}


def board_cards(session: Session, f: BoardFilter, stage_id: int, limit: int, *, newest_closed: bool = False
                ) -> Sequence[tuple[Opportunity, str | None, str | None]]:
    """The first `limit` cards of a column with account and owner names: soonest expected close first,
    or, for Won and Lost (`newest_closed`), the most recently closed first."""
    owner = sa.orm.aliased(User)
    order = (col(Opportunity.closed_at).desc(), col(Opportunity.id).desc()) if newest_closed else \
        (col(Opportunity.expected_close).is_(None), col(Opportunity.expected_close), col(Opportunity.id))
    return session.exec(
        select(Opportunity, Account.name, owner.name)
        .join(Account, col(Account.id) == Opportunity.account_id)
        .outerjoin(owner, col(owner.id) == Opportunity.owner_id)
        .where(Opportunity.stage_id == stage_id, *_board_where(f, _dialect(session)))
        .order_by(*order).limit(limit)).all()


def stage_history(session: Session, opportunity_id: int) -> Sequence[tuple[StageChange, str | None]]:
    return session.exec(select(StageChange, User.name).outerjoin(User, col(User.id) == StageChange.actor_id)
                        .where(StageChange.opportunity_id == opportunity_id)
                        .order_by(col(StageChange.created_at).desc(), col(StageChange.id).desc())).all()


def opportunity_activities(session: Session, lead_id: int) -> Sequence[tuple[Activity, str | None]]:
    """The lead's whole history and the deal's: one timeline."""
    return lead_activities(session, lead_id)


def count_in_stage(session: Session, stage_id: int) -> int:
    return session.exec(select(func.count()).select_from(Opportunity).where(Opportunity.stage_id == stage_id)).one()


def customers_page(session: Session, *, owner_id: int | None, tier: str | None, search: str | None,
                   offset: int, limit: int, custom: Sequence[CustomTest] = (), tags: Sequence[int] = (),
                   reach: Reach | None = None) -> tuple[Sequence[tuple[Account, str | None]], int]:
    where: list[sa.ColumnElement[bool]] = [col(Account.is_customer) == True,  # noqa: E712
                                           col(Account.is_deleted) == False]  # noqa: E712
    where.extend(custom_condition(t, _dialect(session), col(Account.custom)) for t in custom)
    if owner_id is not None:
        where.append(col(Account.owner_id) == owner_id)
    if reach is not None and (seen := visible(reach, col(Account.owner_id), RecordKind.CUSTOMER,
                                               col(Account.id))) is not None:
        where.append(seen)
    if tier:
        where.append(col(Account.tier) == tier)
    if search:
        where.append(col(Account.name).ilike(like_pattern(search), escape='\\'))
    if tags:
        where.append(tagged(TagEntity.CUSTOMER, Account.id, tags))
    total = session.exec(select(func.count()).select_from(Account).where(*where)).one()
    rows = session.exec(select(Account, User.name).outerjoin(User, col(User.id) == Account.owner_id)
                        .where(*where).order_by(col(Account.lifetime_value_cents).desc(), col(Account.id))
                        .offset(offset).limit(limit)).all()
    return rows, total


def all_customers(session: Session) -> Sequence[Account]:
    return session.exec(select(Account).where(Account.is_customer == True)).all()  # noqa: E712


def account_contacts(session: Session, account_id: int) -> Sequence[Contact]:
    return session.exec(select(Contact).where(Contact.account_id == account_id).order_by(col(Contact.id))).all()


def account_opportunities(session: Session, account_id: int) -> Sequence[Opportunity]:
    return session.exec(select(Opportunity).where(Opportunity.account_id == account_id)
                        .order_by(col(Opportunity.created_at).desc())).all()


def dormant_candidates(session: Session, before: datetime, limit: int) -> Sequence[Account]:
    return session.exec(select(Account).where(Account.is_customer == True,  # noqa: E712
                                              col(Account.last_activity_at) < before,
                                              Account.tier != 'dormant')
                        .order_by(col(Account.last_activity_at)).limit(limit)).all()


def opportunity_follow_ups_due(session: Session, before: datetime, limit: int) -> Sequence[Opportunity]:
    return session.exec(select(Opportunity).where(col(Opportunity.follow_up_due_at) <= before)
                        .order_by(col(Opportunity.follow_up_due_at)).limit(limit)).all()
