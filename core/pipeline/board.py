"""What the board and a deal's page show: columns of cards (soonest close first, rotting flagged) and
one deal with its history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from core import permissions
from core.context import Context
from core.custom_fields import records, requirements
from core.custom_fields.filters import custom_tests
from core.custom_fields.sorting import BOARD, check_order
from core.custom_fields.values import NO_FIELDS, CustomFields
from core.errors import NotAllowed, NotFound, check_id
from core.leads.access import visible_lead
from core.pipeline.money import maybe_money
from store import care as care_store
from store import queries
from store.models import (
    Account,
    Activity,
    Contact,
    CustomEntity,
    Opportunity,
    Stage,
    StageChange,
    StageKind,
    TagEntity,
    User,
    UserRef,
)

CARDS_PER_COLUMN = 50
"""A column shows this many cards (soonest close first) and says how many more there are."""


def weighted_cents(amount_cents: int, probability: int) -> int:
    return amount_cents * probability // 100


def idle_days(stage: Stage, opportunity: Opportunity, now: datetime) -> int | None:
    """Days idle when the card is rotting (beyond the stage's rot limit), else None."""
    if stage.kind != StageKind.OPEN or stage.rot_days <= 0:
        return None
    since = max(t for t in (opportunity.stage_changed_at, opportunity.last_activity_at, opportunity.created_at) if t)
    days = (now - since).days
    return days if days > stage.rot_days else None


def board_filter(session: Session, actor: UserRef, *, owner_id: int | None = None, close_month: date | None = None,
                 min_amount: Any = None, max_amount: Any = None, custom: Mapping[str, Any] | None = None,
                 tags: Sequence[int] = (), sort: str | None = None, sort_key: str = '',
                 sort_desc: bool = False) -> queries.BoardFilter:
    """The board's filter as SQL reads it (`BoardViews.board`'s keywords), narrowed to the actor's
    data scope (their own deals, their departments', those shared with them): the board and a bulk
    edit's "all N matching" read the same deals."""
    owner_id = permissions.owner_asked(actor, owner_id)
    close_to = None
    if close_month is not None:
        close_month = close_month.replace(day=1)
        close_to = (close_month + timedelta(days=32)).replace(day=1)
    fields = records.load(session, CustomEntity.OPPORTUNITY) if custom or sort == queries.BoardSort.CUSTOM \
        else NO_FIELDS
    tests = custom_tests(fields, custom) if custom else ()
    order = check_order(BOARD, fields, sort, key=sort_key, descending=sort_desc)
    return queries.BoardFilter(owner_id=owner_id, reach=permissions.list_reach(actor), close_from=close_month,
                               close_to=close_to,
                               min_cents=maybe_money(min_amount), max_cents=maybe_money(max_amount), custom=tests,
                               tags=tuple(t for t in tags if isinstance(t, int) and 0 < t < 2**31), order=order)


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    name: str
    account_name: str | None
    amount_cents: int
    owner_id: int | None
    owner_name: str | None
    expected_close: date | None
    days_in_stage: int
    rotting_days: int | None
    version: int
    is_repeat: bool = False
    """A repurchase: the account had another deal won before this one (store.care.repeat_flag)."""
    tags: tuple[int, ...] = ()
    """The deal's tag ids (chips)."""
    sort_value: object = None
    """Cards sorted by a custom field: the deal's value of it (the card shows what the order is by)."""


@dataclass(frozen=True, slots=True)
class Column:
    stage: Stage
    cards: list[Card]
    count: int
    amount_cents: int
    weighted_cents: int


@dataclass(frozen=True, slots=True)
class OpportunityView:
    opportunity: Opportunity
    stage: Stage
    account: Account
    contact: Contact | None
    owner_name: str | None
    can_edit: bool
    history: list[tuple[StageChange, str | None]]
    activities: list[tuple[Activity, str | None]]
    is_repeat: bool = False
    can_log: bool = False
    """May log activities: whoever may edit, and a collaborator with READ access."""


class BoardViews:
    """Part of PipelineService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    def board(self, actor: UserRef, *, owner_id: int | None = None, close_month: date | None = None,
              min_amount: Any = None, max_amount: Any = None, custom: Mapping[str, Any] | None = None,
              tags: Sequence[int] = (), sort: str | None = None, sort_key: str = '',
              sort_desc: bool = False) -> list[Column]:
        """Columns with counts and amounts for every card the actor may see (totals in SQL),
        and the first cards of each column. `custom`: {key: option key or true/false} (selects and
        yes/no, checked by core/custom_fields/filters.py as the inbox's); `tags`: tag ids, a deal
        holding any of them passes; `sort` (a `BoardSort` value), `sort_key` (a custom sort's field) and
        `sort_desc`: the order of the cards inside each column (core/custom_fields/sorting.py `BOARD`)."""
        now = self.ctx.now()
        with self.ctx.read() as session:
            f = board_filter(session, actor, owner_id=owner_id, close_month=close_month, min_amount=min_amount,
                             max_amount=max_amount, custom=custom, tags=tags, sort=sort, sort_key=sort_key,
                             sort_desc=sort_desc)
            totals = queries.board_totals(session, f)
            columns = []
            for stage in queries.stages(session):
                count, amount = totals.get(stage.id or 0, (0, 0))
                cards = [self._card(stage, o, account, owner, now, sort_key=f.order.key) for o, account, owner in
                         queries.board_cards(session, f, stage.id or 0, CARDS_PER_COLUMN,
                                             newest_closed=stage.kind != StageKind.OPEN)] if count else []
                columns.append(Column(stage=stage, cards=cards, count=count, amount_cents=amount,
                                      weighted_cents=weighted_cents(amount, stage.probability)))
            ids = [c.id for column in columns for c in column.cards]
            repeat = care_store.repeat_ids(session, ids)
            held = queries.record_tag_ids(session, TagEntity.OPPORTUNITY, ids)
            if not repeat and not held:
                return columns
            return [replace(column, cards=[replace(c, is_repeat=c.id in repeat, tags=tuple(held.get(c.id, ())))
                                           for c in column.cards]) for column in columns]

    @staticmethod
    def _card(stage: Stage, o: Opportunity, account: str | None, owner: str | None, now: datetime, *,
              sort_key: str = '') -> Card:
        """`sort_key`: the custom field the cards are sorted by, whose value the card shows."""
        return Card(sort_value=(o.custom or {}).get(sort_key) if sort_key else None,
                    id=o.id or 0, name=o.name, account_name=account, amount_cents=o.amount_cents, owner_id=o.owner_id,
                    owner_name=owner, expected_close=o.expected_close,
                    days_in_stage=(now - (o.stage_changed_at or o.created_at or now)).days,
                    rotting_days=idle_days(stage, o, now), version=o.version)

    def custom_fields(self) -> CustomFields:
        """The opportunities' custom fields now (the deal's page, the convert dialog, the board's filters)."""
        with self.ctx.read() as session:
            return records.load(session, CustomEntity.OPPORTUNITY)

    def fields_to_convert(self) -> tuple[CustomFields, frozenset[str]]:
        """The convert dialog's custom fields and the keys it must get (required from the first stage on)."""
        with self.ctx.read() as session:
            fields = records.load(session, CustomEntity.OPPORTUNITY)
            stages = queries.stages(session, include_archived=True)
            first = next((s for s in stages if not s.is_archived), None)
            needed = requirements.for_stage(fields, stages, first) if first is not None else []
            return fields, frozenset(d.key for d in needed)

    def opportunity_for_lead(self, actor: UserRef, lead_id: int) -> int | None:
        """The opportunity a converted lead became, if any (for the lead page's link)."""
        with self.ctx.read() as session:
            visible_lead(session, actor, lead_id)
            found = queries.opportunity_for_lead(session, lead_id)
            return found.id if found is not None else None

    def opportunity_view(self, actor: UserRef, opportunity_id: int) -> OpportunityView:
        with self.ctx.read() as session:
            o = session.get(Opportunity, check_id(opportunity_id))
            if o is None or o.is_deleted:
                raise NotFound()
            if not permissions.can_view_opportunity(actor, o):
                raise NotAllowed()
            stage = session.get(Stage, o.stage_id)
            account = session.get(Account, o.account_id)
            assert stage is not None and account is not None
            owner = session.get(User, o.owner_id) if o.owner_id else None
            return OpportunityView(
                opportunity=o, stage=stage, account=account,
                contact=session.get(Contact, o.contact_id) if o.contact_id else None,
                owner_name=owner.name if owner else None,
                can_edit=permissions.can_edit_opportunity(actor, o),
                history=list(queries.stage_history(session, opportunity_id)),
                activities=list(queries.opportunity_activities(session, o.lead_id)),
                is_repeat=care_store.is_repeat(session, opportunity_id),
                can_log=permissions.can_log_on_opportunity(actor, o))
