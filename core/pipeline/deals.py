"""Opportunities: conversion from a qualified lead, the board, stage moves with won/lost
semantics, rotting, and the opportunity's own activities."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from core import permissions
from core.automation.sla_clocks import clear_clocks
from core.context import Context, audit, retry_conflicts
from core.customers import accounts as customers
from core.customers import care_plan
from core.errors import DomainError, InvalidState, NotAllowed, NotFound, ValidationFailed, check_id
from core.leads.actions import check_activity, visible_lead
from core.leads.fields import OPPORTUNITY
from core.leads.normalize import clean_text
from core.playbooks import checklist
from store import care as care_store
from store import queries
from store.audit_actions import AuditAction
from store.models import (
    Account,
    Activity,
    Contact,
    Lead,
    LeadStatus,
    LostReason,
    Opportunity,
    Stage,
    StageChange,
    StageKind,
    User,
    UserRef,
)

DEFAULT_STAGES: tuple[tuple[str, str, int, str, int], ...] = (
    ('Needs confirmed', '需求确认', 10, StageKind.OPEN, 14),
    ('Solution', '方案沟通', 30, StageKind.OPEN, 14),
    ('Quotation', '商务报价', 60, StageKind.OPEN, 14),
    ('Negotiation', '合同谈判', 80, StageKind.OPEN, 14),
    ('Won', '赢单', 100, StageKind.WON, 0),
    ('Lost', '输单', 0, StageKind.LOST, 0),
)
DEFAULT_LOST_REASONS: tuple[tuple[str, str, str], ...] = (
    ('no_budget', 'No budget', '没有预算'), ('competitor', 'Chose a competitor', '选择了竞争对手'),
    ('price', 'Price', '价格原因'), ('need_changed', 'Need changed', '需求变化'),
    ('no_decision_maker', 'No decision maker', '找不到决策人'), ('no_response', 'No response', '客户无回应'),
    ('other', 'Other', '其他'),
)
CARDS_PER_COLUMN = 50
"""A column shows this many cards (soonest close first) and says how many more there are."""
MAX_CENTS = 10**15


class MoveConflict(DomainError):
    """Someone moved or edited the card since this board loaded: nothing was changed."""

    code = 'move_conflict'


def weighted_cents(amount_cents: int, probability: int) -> int:
    return amount_cents * probability // 100


def idle_days(stage: Stage, opportunity: Opportunity, now: datetime) -> int | None:
    """Days idle when the card is rotting (beyond the stage's rot limit), else None."""
    if stage.kind != StageKind.OPEN or stage.rot_days <= 0:
        return None
    since = max(t for t in (opportunity.stage_changed_at, opportunity.last_activity_at, opportunity.created_at) if t)
    days = (now - since).days
    return days if days > stage.rot_days else None


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


def parse_money(value: Any) -> int:
    """Cents from a user's amount ('12,500.50', 12500, '¥8000'); never float arithmetic on money."""
    from decimal import Decimal, InvalidOperation

    text = str(value if value is not None else '').replace(',', '').replace('¥', '').replace('￥', '').strip()
    if not text:
        raise ValueError('empty')
    try:
        amount = Decimal(text)
        if not amount.is_finite() or amount < 0 or amount.adjusted() > 13 or amount * 100 >= MAX_CENTS:
            raise ValueError('out of range')
        return int((amount * 100).to_integral_value())
    except (InvalidOperation, ArithmeticError):
        raise ValueError('not a number') from None


class PipelineService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ----- conversion -----------------------------------------------------------------------------

    @retry_conflicts
    def convert_lead(self, actor: UserRef, lead_id: int, *, amount: Any, expected_close: date | None,
                     decision_maker: str | None = None, name: str | None = None, warn_open: bool = False) -> int:
        """One step from a qualified lead to an opportunity with its account and contact.
        A second call (double click, another tab) returns the first opportunity. Open required
        items of the `qualified` playbook block; `warn_open`: any open item refuses with
        `ChecklistOpen` (the page asks, then calls again without it)."""
        errors: dict[str, str] = {}
        try:
            amount_cents = parse_money(amount)
        except ValueError:
            errors['amount'] = 'invalid'
            amount_cents = 0
        if expected_close is None:
            errors['expected_close'] = 'required'
        if errors:
            raise ValidationFailed(errors)
        now = self.ctx.now()
        with self.ctx.write() as session:
            lead = visible_lead(session, actor, lead_id, lock=True)  # a second convert waits, then finds the first
            existing = queries.opportunity_for_lead(session, lead_id)
            if existing is not None:
                return existing.id or 0
            if not (permissions.can_assign(actor) or lead.owner_id == actor.id):
                raise NotAllowed()
            if lead.status != LeadStatus.QUALIFIED:
                raise InvalidState('not_qualified')
            checklist.leave_step(session, checklist.lead_step(lead), lead=lead, opportunity=None, actor_id=actor.id,
                                 now=now, warn_open=warn_open)
            account = self._account_for(session, lead, now)
            contact = Contact(account_id=account.id or 0, lead_id=lead.id, name=lead.name, title=lead.title,
                              phone=lead.phone, phone_norm=lead.phone_norm, email=lead.email, wechat=lead.wechat,
                              created_at=now)
            session.add(contact)
            first = queries.stages(session)[0]
            opportunity = Opportunity(
                lead_id=lead_id, account_id=account.id or 0, owner_id=lead.owner_id or actor.id,
                name=clean_text(name, max_length=200) or f'{lead.company or lead.name}', stage_id=first.id or 0,
                amount_cents=amount_cents, expected_close=expected_close,
                decision_maker=clean_text(decision_maker, max_length=200) or lead.authority, need=lead.need,
                budget=lead.budget, timeline=lead.timeline, stage_changed_at=now, last_activity_at=now,
                last_moved_by=actor.id, created_at=now, updated_at=now)
            session.add(opportunity)
            session.flush()
            contact_id = contact.id
            opportunity.contact_id = contact_id
            session.add(StageChange(opportunity_id=opportunity.id or 0, to_stage_id=first.id or 0, actor_id=actor.id,
                                    created_at=now))
            lead.status = LeadStatus.CONVERTED
            lead.account_id = account.id
            clear_clocks(lead)
            lead.version += 1
            lead.updated_at = now
            session.add(lead)
            audit(session, AuditAction.CONVERTED, now=now, lead_id=lead_id, actor_id=actor.id,
                  reason_key='reason.converted',
                  opportunity=opportunity.name, account=account.name)
            opportunity_id, owner_id = opportunity.id or 0, lead.owner_id
        events = self.ctx.events
        events.publish(events.lead_changed, lead_id, owner_id)
        events.publish(events.opportunity_moved, opportunity_id, None)
        return opportunity_id

    @staticmethod
    def _account_for(session: Session, lead: Lead, now: datetime) -> Account:
        """The same normalised company is one account, reused, never duplicated."""
        if lead.account_id:
            found = session.get(Account, lead.account_id)
            if found is not None:
                return found
        if lead.company_norm:
            found = queries.account_by_name(session, lead.company_norm)
            if found is not None:
                return found
        account = Account(name=lead.company or lead.name, name_norm=lead.company_norm, owner_id=lead.owner_id,
                          last_activity_at=now, created_at=now)
        session.add(account)
        session.flush()
        care_plan.replan(session, account, now)  # a potential customer's care plan starts
        return account

    # ----- the board ------------------------------------------------------------------------------

    def stages(self) -> list[Stage]:
        with self.ctx.read() as session:
            return list(queries.stages(session))

    def all_stages(self, actor: UserRef) -> list[Stage]:
        """Every stage, archived ones included (the admins' editor)."""
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        with self.ctx.read() as session:
            return list(queries.stages(session, include_archived=True))

    def save_stage(self, actor: UserRef, stage_id: int | None, *, name_en: str, name_zh: str, position: int,
                   probability: int, kind: str, rot_days: int, is_archived: bool = False) -> int:
        """Create or change a stage (admins). A stage keeps its opportunities when archived; the
        board must keep at least one open, one won and one lost stage."""
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        errors: dict[str, str] = {}
        en, zh = clean_text(name_en, max_length=61), clean_text(name_zh, max_length=61)
        for field, value in (('name_en', en), ('name_zh', zh)):
            if not value:
                errors[field] = 'required'
            elif len(value) > 60:
                errors[field] = 'too_long'
        numbers = {}
        for field, value, low, high in (('probability', probability, 0, 100), ('rot_days', rot_days, 0, 3650),
                                        ('position', position, 0, 1000)):
            try:
                numbers[field] = int(value)
            except (TypeError, ValueError):
                errors[field] = 'invalid'
                continue
            if not low <= numbers[field] <= high:
                errors[field] = 'out_of_range'
        if kind not in StageKind.__members__.values():
            errors['kind'] = 'invalid'
        if errors:
            raise ValidationFailed(errors)
        with self.ctx.write() as session:
            stage = session.get(Stage, stage_id) if stage_id else Stage(name_en='', name_zh='')
            if stage is None:
                raise NotFound()
            stage.name_en, stage.name_zh, stage.kind, stage.is_archived = en or '', zh or '', kind, is_archived
            stage.position, stage.probability, stage.rot_days = (numbers['position'], numbers['probability'],
                                                                 numbers['rot_days'])
            session.add(stage)
            session.flush()
            active = {s.kind for s in queries.stages(session)}
            if not {StageKind.OPEN, StageKind.WON, StageKind.LOST} <= active:
                raise ValidationFailed({'kind': 'stage_kinds'})
            audit(session, AuditAction.STAGE_SAVED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.stage_saved',
                  stage_en=stage.name_en, stage_zh=stage.name_zh)
            saved = stage.id or 0
        self.ctx.events.publish(self.ctx.events.opportunity_moved, 0, actor.id)
        return saved

    def all_lost_reasons(self, actor: UserRef) -> list[LostReason]:
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        with self.ctx.read() as session:
            return list(queries.lost_reasons(session, include_inactive=True))

    def save_lost_reason(self, actor: UserRef, reason_id: int | None, *, label_en: str, label_zh: str,
                         is_active: bool = True) -> int:
        """Add or rename a lost reason, or switch it off (kept for the deals that used it)."""
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        en, zh = clean_text(label_en, max_length=101), clean_text(label_zh, max_length=101)
        errors = {f: ('required' if not v else 'too_long') for f, v in (('label_en', en), ('label_zh', zh))
                  if not v or len(v) > 100}
        if errors:
            raise ValidationFailed(errors)
        with self.ctx.write() as session:
            if reason_id:
                reason = session.get(LostReason, reason_id)
                if reason is None:
                    raise NotFound()
            else:
                existing = queries.lost_reasons(session, include_inactive=True)
                reason = LostReason(key=f'custom_{len(existing) + 1}_{secrets.token_hex(3)}', label_en='',
                                    label_zh='', position=max((r.position for r in existing), default=0) + 1)
            reason.label_en, reason.label_zh, reason.is_active = en or '', zh or '', bool(is_active)
            session.add(reason)
            session.flush()
            return reason.id or 0

    def lost_reasons(self) -> list[tuple[str, str, str]]:
        with self.ctx.read() as session:
            return [(r.key, r.label_en, r.label_zh) for r in queries.lost_reasons(session)]

    def board(self, actor: UserRef, *, owner_id: int | None = None, close_month: date | None = None,
              min_amount: Any = None, max_amount: Any = None) -> list[Column]:
        """Columns with counts and amounts for every card the actor may see (totals in SQL),
        and the first cards of each column."""
        if not permissions.sees_all_leads(actor):
            owner_id = actor.id
        close_to = None
        if close_month is not None:
            close_month = close_month.replace(day=1)
            close_to = (close_month + timedelta(days=32)).replace(day=1)
        f = queries.BoardFilter(owner_id=owner_id, close_from=close_month, close_to=close_to,
                                min_cents=_maybe_money(min_amount), max_cents=_maybe_money(max_amount))
        now = self.ctx.now()
        with self.ctx.read() as session:
            totals = queries.board_totals(session, f)
            columns = []
            for stage in queries.stages(session):
                count, amount = totals.get(stage.id or 0, (0, 0))
                cards = [self._card(stage, o, account, owner, now) for o, account, owner in
                         queries.board_cards(session, f, stage.id or 0, CARDS_PER_COLUMN,
                                             newest_closed=stage.kind != StageKind.OPEN)] if count else []
                columns.append(Column(stage=stage, cards=cards, count=count, amount_cents=amount,
                                      weighted_cents=weighted_cents(amount, stage.probability)))
            repeat = care_store.repeat_ids(session, [c.id for column in columns for c in column.cards])
            if not repeat:
                return columns
            return [replace(column, cards=[replace(c, is_repeat=c.id in repeat) for c in column.cards])
                    for column in columns]

    @staticmethod
    def _card(stage: Stage, o: Opportunity, account: str | None, owner: str | None, now: datetime) -> Card:
        return Card(id=o.id or 0, name=o.name, account_name=account, amount_cents=o.amount_cents, owner_id=o.owner_id,
                    owner_name=owner, expected_close=o.expected_close,
                    days_in_stage=(now - (o.stage_changed_at or o.created_at or now)).days,
                    rotting_days=idle_days(stage, o, now), version=o.version)

    # ----- moves ----------------------------------------------------------------------------------

    @retry_conflicts
    def move_opportunity(self, actor: UserRef, opportunity_id: int, *, to_stage_id: int, version: int,
                         lost_reason: str | None = None, lost_note: str | None = None,
                         won_amount: Any = None, close_date: date | None = None, warn_open: bool = False) -> int:
        """Move a card; Lost needs a reason, Won takes the final amount and makes a customer.
        A stale version is refused with who moved it last, so nothing is silently overwritten.
        A forward move (a later open stage, or Won) leaves the stage's playbook: open required
        items block it; `warn_open` refuses with `ChecklistOpen` while any item is open."""
        now = self.ctx.now()
        with self.ctx.write() as session:
            o = self._editable(session, actor, opportunity_id)
            if o.version != version:
                mover = session.get(User, o.last_moved_by) if o.last_moved_by else None
                stage = session.get(Stage, o.stage_id)
                raise MoveConflict(by=mover.name if mover else '', stage_en=stage.name_en if stage else '',
                                   stage_zh=stage.name_zh if stage else '')
            target = session.get(Stage, to_stage_id)
            if target is None or target.is_archived:
                raise ValidationFailed({'stage': 'invalid'})
            if target.id == o.stage_id:
                return o.version
            current = session.get(Stage, o.stage_id)
            if current is not None and current.kind != StageKind.OPEN and not permissions.can_assign(actor):
                raise InvalidState('closed')  # reopening a won or lost deal is a manager's call
            lead = session.get(Lead, o.lead_id)
            if lead is not None and checklist.forward(current, target):
                checklist.leave_step(session, checklist.stage_step(current), lead=lead, opportunity=o,
                                     actor_id=actor.id, now=now, warn_open=warn_open)
            if target.kind == StageKind.LOST:
                reasons = {r.key for r in queries.lost_reasons(session)}
                if lost_reason not in reasons:
                    raise ValidationFailed({'lost_reason': 'required'})
                o.lost_reason = lost_reason
                o.lost_note = clean_text(lost_note, max_length=1000)
                o.closed_at = now
            elif target.kind == StageKind.WON:
                if current is not None and current.kind == StageKind.WON:
                    raise InvalidState('closed')
                if won_amount is not None:
                    try:
                        o.amount_cents = parse_money(won_amount)
                    except ValueError:
                        raise ValidationFailed({'amount': 'invalid'}) from None
                o.closed_at = now
                o.expected_close = close_date or now.date()
                o.lost_reason = o.lost_note = None
                customers.record_win(session, o, now)
            else:
                o.closed_at = None
                o.lost_reason = o.lost_note = None
            if current is not None and current.kind == StageKind.WON:
                customers.undo_win(session, o, now)  # reopened or lost after all: the win no longer counts
            session.add(StageChange(opportunity_id=opportunity_id, from_stage_id=o.stage_id, to_stage_id=target.id or 0,
                                    actor_id=actor.id, created_at=now))
            o.stage_id = target.id or 0
            o.stage_changed_at = now
            o.last_moved_by = actor.id
            o.version += 1
            o.updated_at = now
            session.add(o)
            audit(session, AuditAction.STAGE, now=now, lead_id=o.lead_id, actor_id=actor.id,
                  reason_key='reason.stage_moved',
                  stage_en=target.name_en, stage_zh=target.name_zh, opportunity=o.name)
            new_version = o.version
        self.ctx.events.publish(self.ctx.events.opportunity_moved, opportunity_id, actor.id)
        return new_version

    def _editable(self, session: Session, actor: UserRef, opportunity_id: int) -> Opportunity:
        # Row-locked (PostgreSQL): the version check and the move are one step; a racing move
        # waits, then sees the new version and is refused as a conflict.
        o = session.get(Opportunity, opportunity_id, with_for_update=True, populate_existing=True)
        if o is None or o.is_deleted:
            raise NotFound()
        if not (permissions.can_assign(actor) or o.owner_id == actor.id):
            raise NotAllowed()
        return o

    # ----- the opportunity page -------------------------------------------------------------------

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
            if not (permissions.sees_all_leads(actor) or o.owner_id == actor.id):
                raise NotAllowed()
            stage = session.get(Stage, o.stage_id)
            account = session.get(Account, o.account_id)
            assert stage is not None and account is not None
            owner = session.get(User, o.owner_id) if o.owner_id else None
            return OpportunityView(
                opportunity=o, stage=stage, account=account,
                contact=session.get(Contact, o.contact_id) if o.contact_id else None,
                owner_name=owner.name if owner else None,
                can_edit=permissions.can_assign(actor) or o.owner_id == actor.id,
                history=list(queries.stage_history(session, opportunity_id)),
                activities=list(queries.opportunity_activities(session, o.lead_id)),
                is_repeat=care_store.is_repeat(session, opportunity_id))

    @retry_conflicts
    def update_opportunity(self, actor: UserRef, opportunity_id: int, *, version: int,
                           changes: Mapping[str, Any]) -> int:
        allowed = set(OPPORTUNITY.editable)
        if set(changes) - allowed:
            raise ValidationFailed(dict.fromkeys(sorted(set(changes) - allowed), 'invalid'))
        now = self.ctx.now()
        with self.ctx.write() as session:
            o = self._editable(session, actor, opportunity_id)
            if o.version != version:
                raise StaleOpportunity()
            for field, value in changes.items():
                if field == 'amount':
                    try:
                        o.amount_cents = parse_money(value)
                    except ValueError:
                        raise ValidationFailed({'amount': 'invalid'}) from None
                elif field == 'expected_close':
                    o.expected_close = value
                elif field == 'name':
                    text = clean_text(value, max_length=OPPORTUNITY['name'].max_length)
                    if not text:
                        raise ValidationFailed({'name': 'required'})
                    o.name = text
                else:
                    setattr(o, field, clean_text(value, max_length=OPPORTUNITY[field].max_length))
            o.last_moved_by = actor.id
            o.version += 1
            o.updated_at = now
            session.add(o)
            audit(session, AuditAction.OPPORTUNITY_EDITED, now=now, lead_id=o.lead_id, actor_id=actor.id,
                  reason_key='reason.edited', fields=', '.join(sorted(changes)))
            new_version = o.version
        self.ctx.events.publish(self.ctx.events.opportunity_moved, opportunity_id, actor.id)
        return new_version

    @retry_conflicts
    def log_activity(self, actor: UserRef, opportunity_id: int, *, kind: str, outcome: str | None = None,
                     note: str | None = None, next_follow_up_at: datetime | None = None,
                     ticks: Sequence[int] = ()) -> int:
        """Same activity log as leads; it keeps the card fresh (rotting) and the customer active.
        `ticks`: items of the deal's current stage playbook done with this activity."""
        now = self.ctx.now()
        check_activity(kind, next_follow_up_at, now)
        with self.ctx.write() as session:
            o = self._editable(session, actor, opportunity_id)
            activity = Activity(lead_id=o.lead_id, opportunity_id=opportunity_id, user_id=actor.id, kind=kind,
                                outcome=clean_text(outcome, max_length=200), note=clean_text(note, max_length=5000),
                                next_follow_up_at=next_follow_up_at, created_at=now)
            session.add(activity)
            if ticks:
                session.flush()
                lead = session.get(Lead, o.lead_id)
                if lead is None:
                    raise NotFound()
                checklist.apply_ticks(session, step=checklist.stage_step(session.get(Stage, o.stage_id)), lead=lead,
                                      opportunity_id=opportunity_id, item_ids=ticks, done=True, actor_id=actor.id,
                                      now=now, activity_id=activity.id)
            o.last_activity_at = now
            if next_follow_up_at is not None:
                o.next_follow_up_at = o.follow_up_due_at = next_follow_up_at
            o.last_moved_by = actor.id
            o.version += 1
            session.add(o)
            account = session.get(Account, o.account_id)
            if account is not None:
                customers.touch(session, account, now)
                session.add(account)
            session.flush()
            activity_id = activity.id or 0
        self.ctx.events.publish(self.ctx.events.opportunity_moved, opportunity_id, actor.id)
        return activity_id


class StaleOpportunity(DomainError):
    code = 'stale_edit'


def _maybe_money(value: Any) -> int | None:
    if value in (None, ''):
        return None
    try:
        return parse_money(value)
    except ValueError:
        raise ValidationFailed({'amount': 'invalid'}) from None


def seed_defaults(session: Session) -> None:
    """Stages and lost reasons a new database starts with (only when there are none)."""
    if not queries.stages(session, include_archived=True):
        for i, (en, zh, probability, kind, rot) in enumerate(DEFAULT_STAGES):
            session.add(Stage(position=i, name_en=en, name_zh=zh, probability=probability, kind=kind, rot_days=rot))
    if not queries.lost_reasons(session, include_inactive=True):
        for i, (key, en, zh) in enumerate(DEFAULT_LOST_REASONS):
            session.add(LostReason(key=key, label_en=en, label_zh=zh, position=i))
