"""A lead's or deal's current playbook step, inside the services' write transactions: its
checklist with what is done and when it is due (working hours on the team calendar), ticking
items (every change audited), and leaving the step.

Leaving a step forward is where the checklist bites, in core so every path meets it: an open
item marked required blocks (`ChecklistBlocked`); other open items only warn (`ChecklistOpen`,
raised when the caller asks to be warned, so a page can confirm and try again). Either way the
exit is recorded with what was done and what was left open: the report's "skipped"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.automation.workhours import WorkCalendar
from core.context import audit
from core.errors import DomainError, ValidationFailed
from store import playbooks as store
from store.audit_actions import AuditAction
from store.models import (
    PLAYBOOK_LEAD_STATUSES,
    ChecklistTick,
    Lead,
    LeadStatus,
    Opportunity,
    PlaybookItem,
    Stage,
    StageKind,
    StepExit,
)


@dataclass(frozen=True, slots=True)
class Step:
    """A lead status (`lead_status`) or an open opportunity stage (`stage_id`)."""

    lead_status: str | None = None
    stage_id: int | None = None

    @property
    def key(self) -> str:
        return f'stage:{self.stage_id}' if self.stage_id is not None else f'lead:{self.lead_status}'


def lead_step(lead: Lead) -> Step | None:
    return Step(lead_status=lead.status) if lead.status in PLAYBOOK_LEAD_STATUSES else None


def stage_step(stage: Stage | None) -> Step | None:
    return Step(stage_id=stage.id) if stage is not None and stage.kind == StageKind.OPEN else None


@dataclass(frozen=True, slots=True)
class ItemState:
    item: PlaybookItem
    done: bool
    due_at: datetime | None
    overdue: bool


class _OpenItems(DomainError):
    def __init__(self, items: list[PlaybookItem]) -> None:
        super().__init__(count=len(items), items_en='; '.join(i.text_en for i in items),
                         items_zh='；'.join(i.text_zh for i in items))
        self.items = [(i.id or 0, i.text_en, i.text_zh) for i in items]


class ChecklistBlocked(_OpenItems):
    """Items the manager marked required are still open: the step cannot be left yet."""

    code = 'playbook_required'


class ChecklistOpen(_OpenItems):
    """Items are still open: the user is asked to confirm (nothing was changed)."""

    code = 'playbook_open'


def step_started(session: Session, step: Step, lead: Lead, opportunity: Opportunity | None) -> datetime | None:
    """When the lead or deal entered the step: deadlines count working hours from here."""
    if step.stage_id is not None:
        return opportunity.stage_changed_at if opportunity is not None else None
    if step.lead_status == LeadStatus.ASSIGNED:
        return lead.assigned_at
    if step.lead_status == LeadStatus.CONTACTED:
        return lead.first_contact_at
    return store.qualified_at(session, lead.id or 0)


def item_states(session: Session, step: Step, lead: Lead, opportunity: Opportunity | None, *, now: datetime,
                calendar: WorkCalendar) -> list[ItemState]:
    items = store.step_items(session, step.lead_status, step.stage_id)
    done = {i for i, tick in store.ticks(session, lead.id or 0, [i.id or 0 for i in items]).items() if tick.done}
    started = step_started(session, step, lead, opportunity)
    out = []
    for item in items:
        due = None
        if item.deadline_hours is not None and started is not None:
            try:
                due = calendar.add_working_hours(started, item.deadline_hours)
            except ValueError:  # a calendar without working time: no deadline to show
                due = None
        is_done = (item.id or 0) in done
        overdue = not is_done and due is not None and due < now
        out.append(ItemState(item=item, done=is_done, due_at=due, overdue=overdue))
    return out


def apply_ticks(session: Session, *, step: Step | None, lead: Lead, opportunity_id: int | None,
                item_ids: Iterable[int], done: bool, actor_id: int | None, now: datetime,
                activity_id: int | None = None) -> list[int]:
    """Tick (or untick) items of the lead's or deal's current step; one audit line per change.
    Items of another step are refused. Returns the ids that changed."""
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    if not ids:
        return []
    items = {i.id: i for i in store.step_items(session, step.lead_status, step.stage_id)} if step else {}
    if any(i not in items for i in ids):
        raise ValidationFailed({'playbook_item': 'invalid'})
    existing = store.ticks(session, lead.id or 0, ids)
    changed = []
    for item_id in ids:
        tick = existing.get(item_id)
        if tick is not None and tick.done == done:
            continue
        if tick is None:
            if not done:
                continue
            tick = ChecklistTick(item_id=item_id, lead_id=lead.id or 0)
        tick.done, tick.updated_by, tick.updated_at = done, actor_id, now
        tick.opportunity_id = opportunity_id
        tick.activity_id = activity_id if done else None
        session.add(tick)
        item = items[item_id]
        audit(session, AuditAction.CHECKLIST, now=now, lead_id=lead.id, actor_id=actor_id,
              reason_key='playbook.reason.ticked' if done else 'playbook.reason.unticked',
              item_en=item.text_en, item_zh=item.text_zh)
        changed.append(item_id)
    return changed


def _open_items(session: Session, step: Step, lead: Lead) -> tuple[list[PlaybookItem], set[int]]:
    """The step's items and the ids of those done for this lead."""
    items = store.step_items(session, step.lead_status, step.stage_id)
    if not items:
        return [], set()
    return items, {i for i, tick in store.ticks(session, lead.id or 0, [i.id or 0 for i in items]).items() if tick.done}


def required_open(session: Session, step: Step | None, lead: Lead) -> list[PlaybookItem]:
    """The required items still open: what would block leaving the step (a bulk edit's preview
    asks without writing; `leave_step` refuses on the same answer)."""
    if step is None:
        return []
    items, done = _open_items(session, step, lead)
    return [i for i in items if (i.id or 0) not in done and i.is_required]


def leave_step(session: Session, step: Step | None, *, lead: Lead, opportunity: Opportunity | None,
               actor_id: int | None, now: datetime, warn_open: bool = False, enforce: bool = True
               ) -> StepExit | None:
    """The lead or deal moves forward out of `step`: block on open required items (`enforce`),
    warn on any open item (`warn_open`), then record the exit (returned: a bulk move's undo takes
    it back). Call before changing anything, in the move's transaction, so a refusal writes nothing."""
    if step is None:
        return None
    items, done = _open_items(session, step, lead)
    if not items:
        return None
    left_open = [i for i in items if (i.id or 0) not in done]
    required = [i for i in left_open if i.is_required]
    if enforce and required:
        raise ChecklistBlocked(required)
    if warn_open and left_open:
        raise ChecklistOpen(left_open)
    exit_ = StepExit(lead_id=lead.id or 0, opportunity_id=opportunity.id if opportunity else None,
                         lead_status=step.lead_status, stage_id=step.stage_id,
                         done_ids=[i.id or 0 for i in items if (i.id or 0) in done],
                         open_ids=[i.id or 0 for i in left_open], actor_id=actor_id, created_at=now)
    session.add(exit_)
    if left_open:
        audit(session, AuditAction.CHECKLIST_SKIPPED, now=now, lead_id=lead.id, actor_id=actor_id,
              reason_key='playbook.reason.skipped', count=len(left_open),
              items_en='; '.join(i.text_en for i in left_open), items_zh='；'.join(i.text_zh for i in left_open))
    return exit_


def forward(current: Stage | None, target: Stage) -> bool:
    """A move that completes the current stage: to a later open stage, or to Won. Moving back, or
    to Lost, is not finishing the step and never meets its checklist."""
    if current is None or current.kind != StageKind.OPEN:
        return False
    if target.kind == StageKind.WON:
        return True
    return target.kind == StageKind.OPEN and (target.position, target.id or 0) > (current.position, current.id or 0)
