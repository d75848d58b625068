"""One deal's stage move inside a write transaction: the rules every move meets (a closed deal is
reopened by a manager only, fields required from the target stage on, the checklist of the stage a
forward move leaves) and the move itself (Lost's reason, Won's amount and customer, the stage
history, the audit line). The board's single move (`PipelineService.move_opportunity`) and a bulk
edit's move (core/pipeline/bulk_deals.py) both call these, so a bulk move can do nothing a card's
move could not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from core import permissions
from core.context import audit
from core.customers import accounts as customers
from core.errors import DomainError, InvalidState, ValidationFailed
from core.leads.normalize import clean_text
from core.pipeline import deal_fields
from core.pipeline.money import parse_money
from core.playbooks import checklist
from store import queries
from store.audit_actions import AuditAction
from store.models import Lead, Opportunity, Stage, StageChange, StageKind, StepExit, UserRef


@dataclass(frozen=True, slots=True)
class Moved:
    """What a move wrote besides the deal: its history row and the checklist exit it recorded."""

    change: StageChange
    exit: StepExit | None


def refusal(session: Session, actor: UserRef, o: Opportunity, current: Stage | None, target: Stage
            ) -> DomainError | None:
    """Why this move would be refused (the error `move` raises), or None; writes nothing. Open
    required checklist items count; optional ones (a single move's "confirm") do not."""
    try:
        _check(session, actor, o, current, target)
    except DomainError as error:
        return error
    lead = session.get(Lead, o.lead_id)
    if lead is not None and checklist.forward(current, target):
        required = checklist.required_open(session, checklist.stage_step(current), lead)
        if required:
            return checklist.ChecklistBlocked(required)
    return None


def _check(session: Session, actor: UserRef, o: Opportunity, current: Stage | None, target: Stage) -> None:
    if current is not None and current.kind != StageKind.OPEN and not permissions.can_assign(actor):
        raise InvalidState('closed')  # reopening a won or lost deal is a manager's call
    if target.kind == StageKind.WON and current is not None and current.kind == StageKind.WON:
        raise InvalidState('closed')
    deal_fields.check_move(session, o, target)  # fields required from a stage on


def move(session: Session, actor: UserRef, o: Opportunity, current: Stage | None, target: Stage, *, now: datetime,
         lost_reason: str | None = None, lost_note: str | None = None, won_amount: Any = None,
         close_date: date | None = None, warn_open: bool = False, reason_key: str = 'reason.stage_moved',
         params: dict[str, Any] | None = None) -> Moved:
    """Move `o` (locked by the caller) from `current` to `target`; raises what a refused move
    raises, before writing anything. `reason_key`/`params`: the audit line's (a bulk edit's names
    its batch)."""
    _check(session, actor, o, current, target)
    lead = session.get(Lead, o.lead_id)
    exit_ = None
    if lead is not None and checklist.forward(current, target):
        exit_ = checklist.leave_step(session, checklist.stage_step(current), lead=lead, opportunity=o,
                                     actor_id=actor.id, now=now, warn_open=warn_open)
    if target.kind == StageKind.LOST:
        reasons = {r.key for r in queries.lost_reasons(session)}
        if lost_reason not in reasons:
            raise ValidationFailed({'lost_reason': 'required'})
        o.lost_reason = lost_reason
        o.lost_note = clean_text(lost_note, max_length=1000)
        o.closed_at = now
    elif target.kind == StageKind.WON:
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
    change = StageChange(opportunity_id=o.id or 0, from_stage_id=o.stage_id, to_stage_id=target.id or 0,
                         actor_id=actor.id, created_at=now)
    session.add(change)
    o.stage_id = target.id or 0
    o.stage_changed_at = now
    o.last_moved_by = actor.id
    o.version += 1
    o.updated_at = now
    session.add(o)
    audit(session, AuditAction.STAGE, now=now, lead_id=o.lead_id, actor_id=actor.id, reason_key=reason_key,
          stage_en=target.name_en, stage_zh=target.name_zh, opportunity=o.name, **(params or {}))
    return Moved(change=change, exit=exit_)
