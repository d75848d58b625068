"""Which records "select all N matching" means on each list that offers it: the inbox's leads, the
pool's leads, the customer list's customers, the board's deals, read with the very filter (and checks) the list's page
uses, so the bulk edit takes exactly the records the user was shown the count of."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from core.automation.pool import PoolQuery, PoolService, shown_pool
from core.customers.accounts import CustomerService
from core.errors import ValidationFailed
from core.leads.actions import LeadService
from core.pipeline.board import board_filter
from store import queries
from store.models import LeadStatus, TagEntity, UserRef


class MatchingList(StrEnum):
    """The list whose filter a "select all matching" selection repeats."""

    INBOX = 'inbox'
    """`LeadService.inbox_filter`'s keywords."""
    POOL = 'pool'
    """`PoolQuery`'s fields (the pool itself, not the review queue)."""
    CUSTOMERS = 'customers'
    """`CustomerService.customer_filter`'s keywords."""
    BOARD = 'board'
    """`board_filter`'s keywords (the opportunity board)."""


ENTITY = {MatchingList.INBOX: TagEntity.LEAD, MatchingList.POOL: TagEntity.LEAD,
          MatchingList.CUSTOMERS: TagEntity.CUSTOMER, MatchingList.BOARD: TagEntity.OPPORTUNITY}
"""What each list holds."""


def matching_ids(session: Session, leads: LeadService, actor: UserRef, source: MatchingList, *,
                 filters: Mapping[str, Any], limit: int) -> list[int]:
    """The ids of at most `limit` records the list shows for `filters`, in its order; a filter the
    list would refuse is refused the same way (ValidationFailed)."""
    try:
        if source == MatchingList.POOL:
            query = PoolQuery(**filters)
            pool = shown_pool(session, actor, query.pool_id)
            if pool is None:
                return []  # no pool serves the user's department
            found, _ = queries.pool_page(session, PoolService.pool_filter(session, query, LeadStatus.POOL, pool),
                                         offset=0, limit=limit)
            return [lead.id or 0 for lead in found]
        if source == MatchingList.BOARD:
            return queries.board_ids(session, board_filter(session, actor, **filters), limit)
        if source == MatchingList.CUSTOMERS:
            c = CustomerService.customer_filter(session, actor, **filters)
            rows, _ = queries.customers_page(session, c, offset=0, limit=limit)
            return [a.id or 0 for a, _owner in rows]
        rows_, _ = queries.inbox_page(session, leads.inbox_filter(actor, **filters), offset=0, limit=limit)
        return [row.id for row in rows_]
    except TypeError:  # a key the list has no filter of
        raise ValidationFailed({'selection': 'invalid'}) from None
