"""Stages, opportunities, the board and customers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

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
from .sorting import CUSTOM as CUSTOM_SORT
from .sorting import ListOrder, custom_order, directed
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


class BoardSort(StrEnum):
    """The order of the cards inside a board column (core/custom_fields/sorting.py `BOARD`)."""

    DEFAULT = 'default'
    """Soonest expected close first; Won and Lost: the most recently closed first."""
    AMOUNT = 'amount'
    NAME = 'name'
    CUSTOM = CUSTOM_SORT


class CustomerSort(StrEnum):
    """The customer list's orders (core/custom_fields/sorting.py `CUSTOMERS`)."""

    VALUE = 'value'
    """Lifetime value: the default, highest first."""
    NAME = 'name'
    LAST_ACTIVITY = 'last_activity'
    CUSTOM = CUSTOM_SORT


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
    order: ListOrder[BoardSort] = field(default_factory=lambda: ListOrder(BoardSort.DEFAULT))
    """Of the cards inside each column (the totals do not depend on it)."""
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
    """The first `limit` cards of a column with account and owner names in `f.order`; by default
    soonest expected close first, or, for Won and Lost (`newest_closed`), the most recently closed first."""
    owner = sa.orm.aliased(User)
    order = _card_order(f.order, _dialect(session), newest_closed=newest_closed)
    return session.exec(
        select(Opportunity, Account.name, owner.name)
        .join(Account, col(Account.id) == Opportunity.account_id)
        .outerjoin(owner, col(owner.id) == Opportunity.owner_id)
        .where(Opportunity.stage_id == stage_id, *_board_where(f, _dialect(session)))
        .order_by(*order).limit(limit)).all()


def board_ids(session: Session, f: BoardFilter, limit: int) -> list[int]:
    """The ids of the deals the board shows under `f`, every column (a bulk edit's "all N matching"),
    at most `limit`, in id order."""
    return [int(i or 0) for i in session.exec(select(Opportunity.id).where(*_board_where(f, _dialect(session)))
                                              .order_by(col(Opportunity.id)).limit(limit)).all()]


def _card_order(o: ListOrder[BoardSort], dialect: str, *, newest_closed: bool) -> list[Any]:
    deal_id = col(Opportunity.id)
    if o.by == BoardSort.CUSTOM:
        return custom_order(o, col(Opportunity.custom), deal_id, dialect)
    if o.by == BoardSort.AMOUNT:
        return directed(col(Opportunity.amount_cents), deal_id, o.descending, nullable=False)
    if o.by == BoardSort.NAME:
        return directed(col(Opportunity.name), deal_id, o.descending, nullable=False)
    if newest_closed:
        return [col(Opportunity.closed_at).desc(), deal_id.desc()]
    return [col(Opportunity.expected_close).is_(None), col(Opportunity.expected_close), deal_id]


def stage_history(session: Session, opportunity_id: int) -> Sequence[tuple[StageChange, str | None]]:
    return session.exec(select(StageChange, User.name).outerjoin(User, col(User.id) == StageChange.actor_id)
                        .where(StageChange.opportunity_id == opportunity_id)
                        .order_by(col(StageChange.created_at).desc(), col(StageChange.id).desc())).all()


def opportunity_activities(session: Session, lead_id: int) -> Sequence[tuple[Activity, str | None]]:
    """The lead's whole history and the deal's: one timeline."""
    return lead_activities(session, lead_id)


def count_in_stage(session: Session, stage_id: int) -> int:
    return session.exec(select(func.count()).select_from(Opportunity).where(Opportunity.stage_id == stage_id)).one()


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """What the customer list shows: the actor's reach, the filters and the order."""

    reach: Reach | None = None
    """The reader's data scope (None: everyone's): store/queries/reach_filter.py `visible`."""
    tier: str | None = None
    search: str | None = None
    custom: tuple[CustomTest, ...] = ()
    tags: tuple[int, ...] = ()
    order: ListOrder[CustomerSort] = field(default_factory=lambda: ListOrder(CustomerSort.VALUE, descending=True))


def _customer_where(f: CustomerFilter, dialect: str) -> list[sa.ColumnElement[bool]]:
    is_customer: Any = col(Account.is_customer)
    if f.order.is_custom and f.reach is None:
        # everyone's customers by a field: walk the field's expression index (as the inbox's team
        # view does), not `ix_accounts_dormant` — SQLite, which keeps no statistics here, would read
        # every customer through it and sort them all; COALESCE keeps that index out of the choice
        is_customer = sa.func.coalesce(is_customer, False)
    where: list[sa.ColumnElement[bool]] = [is_customer == True,  # noqa: E712
                                           col(Account.is_deleted) == False]  # noqa: E712
    where.extend(custom_condition(t, dialect, col(Account.custom)) for t in f.custom)
    if f.reach is not None and (seen := visible(f.reach, col(Account.owner_id), RecordKind.CUSTOMER,
                                                 col(Account.id))) is not None:
        where.append(seen)
    if f.tier:
        where.append(col(Account.tier) == f.tier)
    if f.search:
        where.append(col(Account.name).ilike(like_pattern(f.search), escape='\\'))
    if f.tags:
        where.append(tagged(TagEntity.CUSTOMER, Account.id, f.tags))
    return where


def _customer_order(o: ListOrder[CustomerSort], dialect: str) -> list[Any]:
    account_id = col(Account.id)
    if o.by == CustomerSort.CUSTOM:
        return custom_order(o, col(Account.custom), account_id, dialect)
    if o.by == CustomerSort.NAME:
        return directed(col(Account.name), account_id, o.descending, nullable=False)
    if o.by == CustomerSort.LAST_ACTIVITY:
        return directed(col(Account.last_activity_at), account_id, o.descending)
    return directed(col(Account.lifetime_value_cents), account_id, o.descending, nullable=False)


def customers_page(session: Session, f: CustomerFilter, *, offset: int, limit: int
                   ) -> tuple[Sequence[tuple[Account, str | None]], int]:
    """A page of customers in `f.order` (store/queries/sorting.py: missing values last, the id
    breaking ties), with their owners' names, and how many match."""
    dialect = _dialect(session)
    where = _customer_where(f, dialect)
    total = session.exec(select(func.count()).select_from(Account).where(*where)).one()
    rows = session.exec(select(Account, User.name).outerjoin(User, col(User.id) == Account.owner_id)
                        .where(*where).order_by(*_customer_order(f.order, dialect))
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
