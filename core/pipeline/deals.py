"""Opportunities: conversion from a qualified lead, the board, stage moves with won/lost
semantics, rotting, and the opportunity's own activities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from core import permissions
from core.automation.sla_clocks import clear_clocks
from core.context import Context, audit, retry_conflicts
from core.customers import accounts as customers
from core.customers import care_plan
from core.errors import DomainError, InvalidState, NotAllowed, NotFound, ValidationFailed
from core.leads.access import check_activity, visible_lead
from core.leads.fields import OPPORTUNITY
from core.leads.normalize import clean_text
from core.pipeline import deal_fields, stage_move
from core.pipeline.board import BoardViews
from core.pipeline.money import parse_money
from core.pipeline.stages import StageSettings
from core.playbooks import checklist
from core.tags.records import carry_tags
from store import queries
from store.audit_actions import AuditAction
from store.models import (
    Account,
    Activity,
    Contact,
    Lead,
    LeadStatus,
    Opportunity,
    Stage,
    StageChange,
    User,
    UserRef,
)


class MoveConflict(DomainError):
    """Someone moved or edited the card since this board loaded: nothing was changed."""

    code = 'move_conflict'


class PipelineService(BoardViews, StageSettings):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ----- conversion -----------------------------------------------------------------------------

    @retry_conflicts
    def convert_lead(self, actor: UserRef, lead_id: int, *, amount: Any, expected_close: date | None,
                     decision_maker: str | None = None, name: str | None = None, warn_open: bool = False,
                     custom: Mapping[str, Any] | None = None) -> int:
        """One step from a qualified lead to an opportunity with its account and contact (`custom`:
        the deal's custom values; those required from the first stage on must be given).
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
            first = queries.stages(session)[0]
            values = deal_fields.starting_values(session, custom, first, region=self.ctx.settings.default_region)
            checklist.leave_step(session, checklist.lead_step(lead), lead=lead, opportunity=None, actor_id=actor.id,
                                 now=now, warn_open=warn_open)  # the dialog's own errors first, then the checklist
            account = self._account_for(session, lead, now)
            contact = Contact(account_id=account.id or 0, lead_id=lead.id, name=lead.name, title=lead.title,
                              phone=lead.phone, phone_norm=lead.phone_norm, email=lead.email, wechat=lead.wechat,
                              created_at=now)
            session.add(contact)
            opportunity = Opportunity(custom=values,
                lead_id=lead_id, account_id=account.id or 0, owner_id=lead.owner_id or actor.id,
                name=clean_text(name, max_length=200) or f'{lead.company or lead.name}', stage_id=first.id or 0,
                amount_cents=amount_cents, expected_close=expected_close,
                decision_maker=clean_text(decision_maker, max_length=200) or lead.authority, need=lead.need,
                budget=lead.budget, timeline=lead.timeline, stage_changed_at=now, last_activity_at=now,
                last_moved_by=actor.id, created_at=now, updated_at=now)
            session.add(opportunity)
            session.flush()
            carry_tags(session, lead_id, opportunity.id or 0, now)
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
            params: dict[str, Any] = {'fields': ', '.join(f'custom.{k}' for k in values)} if values else {}
            audit(session, AuditAction.CONVERTED, now=now, lead_id=lead_id, actor_id=actor.id,
                  reason_key='reason.converted', opportunity=opportunity.name, account=account.name, **params)
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
            stage_move.move(session, actor, o, session.get(Stage, o.stage_id), target, now=now,
                            lost_reason=lost_reason, lost_note=lost_note, won_amount=won_amount,
                            close_date=close_date, warn_open=warn_open)
            new_version = o.version
        self.ctx.events.publish(self.ctx.events.opportunity_moved, opportunity_id, actor.id)
        return new_version

    def _editable(self, session: Session, actor: UserRef, opportunity_id: int, *,
                  logging: bool = False) -> Opportunity:
        # Row-locked (PostgreSQL): the version check and the move are one step; a racing move
        # waits, then sees the new version and is refused as a conflict.
        o = session.get(Opportunity, opportunity_id, with_for_update=True, populate_existing=True)
        if o is None or o.is_deleted:
            raise NotFound()
        allowed = permissions.can_log_on_opportunity if logging else permissions.can_edit_opportunity
        if not allowed(actor, o):
            raise NotAllowed()
        return o

    # ----- the opportunity page -------------------------------------------------------------------

    @retry_conflicts
    def update_opportunity(self, actor: UserRef, opportunity_id: int, *, version: int,
                           changes: Mapping[str, Any]) -> int:
        """Save edited fields. `changes['custom']`: some custom values by key (an empty one clears it,
        unless the deal's stage needs it); the audit names each changed key as `custom.<key>`."""
        changes = dict(changes)
        custom = changes.pop('custom', None)
        allowed = set(OPPORTUNITY.editable)
        if set(changes) - allowed:
            raise ValidationFailed(dict.fromkeys(sorted(set(changes) - allowed), 'invalid'))
        now = self.ctx.now()
        with self.ctx.write() as session:
            o = self._editable(session, actor, opportunity_id)
            if o.version != version:
                raise StaleOpportunity()
            changed = sorted(changes)
            if custom is not None:
                values, custom_changed = deal_fields.edited_values(session, o, custom,
                                                                   region=self.ctx.settings.default_region)
                if custom_changed:
                    o.custom, changed = values, changed + custom_changed
                if not changed:
                    return o.version
            for field, value in changes.items():
                if field == 'amount':
                    try:
                        o.amount_cents = parse_money(value)
                    except ValueError:
                        raise ValidationFailed({'amount': 'invalid'}) from None
                elif field == 'expected_close':
                    o.expected_close = value
                elif field == 'name':
                    text = clean_text(value, max_length=OPPORTUNITY.max_lengths['name'])
                    if not text:
                        raise ValidationFailed({'name': 'required'})
                    o.name = text
                else:
                    setattr(o, field, clean_text(value, max_length=OPPORTUNITY.max_lengths[field]))
            o.last_moved_by = actor.id
            o.version += 1
            o.updated_at = now
            session.add(o)
            audit(session, AuditAction.OPPORTUNITY_EDITED, now=now, lead_id=o.lead_id, actor_id=actor.id,
                  reason_key='reason.edited', fields=', '.join(changed))
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
            o = self._editable(session, actor, opportunity_id, logging=not ticks)
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


