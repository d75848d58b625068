"""Customer care (客户回访): the user actions. Recording a revisit (closes the open task, plans the
next one), a customer's care view (plan, due date, trend), the due revisits in "My day", and the
managers' care-plan intervals. Plans and the timer's step are in core/customers/care_plan.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import permissions
from core.context import Context, audit
from core.customers import accounts as customers
from core.customers import care_plan
from core.customers.care_plan import CarePlan
from core.errors import NotAllowed, NotFound, ValidationFailed, check_id
from core.leads.normalize import clean_text
from store import care as care_store
from store.audit_actions import AuditAction
from store.models import Account, AppSetting, CareTask, Revisit, UserRef

NOTE_MAX = 2000
TREND_LIMIT = 24
"""Revisits the customer page draws (the latest, oldest first)."""
MY_DAY_LIMIT = 50


@dataclass(frozen=True, slots=True)
class RevisitRow:
    id: int
    at: datetime
    by: str | None
    satisfaction: int | None
    nps: int | None
    note: str | None


@dataclass(frozen=True, slots=True)
class CareView:
    account_id: int
    tier: str
    interval_days: int | None
    """The tier's rhythm (None: dormant, or the tier's plan is off)."""
    next_due_at: datetime | None
    next_kind: str | None
    open_task_due_at: datetime | None
    open_task_kind: str | None
    revisits: list[RevisitRow]
    can_record: bool


@dataclass(frozen=True, slots=True)
class DueRevisit:
    """One line of "My day"'s revisits (and of the reports' overdue list)."""

    task_id: int
    account_id: int
    account_name: str
    tier: str
    kind: str
    due_at: datetime | None
    owner_id: int | None
    owner_name: str | None


def check_scores(satisfaction: Any, nps: Any, note: Any) -> tuple[int | None, int | None, str | None]:
    """Satisfaction 1–5 and/or NPS 0–10 (at least one), a note up to NOTE_MAX characters."""
    errors: dict[str, str] = {}
    values: dict[str, int | None] = {}
    for name, raw, low, high in (('satisfaction', satisfaction, 1, 5), ('nps', nps, 0, 10)):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[name] = None
            continue
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            number = int(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError, OverflowError):
            errors[name] = 'invalid'
            continue
        if not low <= number <= high:
            errors[name] = 'out_of_range'
            continue
        values[name] = number
    if not errors and values['satisfaction'] is None and values['nps'] is None:
        errors['satisfaction'] = errors['nps'] = 'required'
    text = clean_text(note, max_length=NOTE_MAX + 1) if note is not None else None
    if text is not None and len(text) > NOTE_MAX:
        errors['note'] = 'too_long'
    if errors:
        raise ValidationFailed(errors)
    return values['satisfaction'], values['nps'], text or None


class CareService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ----- recording a revisit -------------------------------------------------------------------

    def record_revisit(self, actor: UserRef, account_id: int, *, satisfaction: Any = None, nps: Any = None,
                       note: Any = None) -> int:
        """The owner (or a manager) records a revisit: it closes the open task, wakes a dormant
        customer, and the next task is planned from now by the tier's interval. Audited."""
        satisfaction, nps, text = check_scores(satisfaction, nps, note)
        now = self.ctx.now()
        with self.ctx.write() as session:
            account = customers.owned_account(session, actor, account_id)
            # PostgreSQL: a tick opening this account's task right now holds the schedule; waiting for
            # it means the open-task lookup below sees that task and closes it
            care_store.schedule(session, account_id, lock=True)
            revisit = Revisit(account_id=account_id, user_id=actor.id, owner_id=account.owner_id, tier=account.tier,
                              satisfaction=satisfaction, nps=nps, note=text, created_at=now)
            session.add(revisit)
            session.flush()
            task = care_store.open_task(session, account_id)
            if task is not None:
                task.closed_at, task.open_account_id, task.revisit_id = now, None, revisit.id
                session.add(task)
                session.flush()  # the task is closed before the plan looks for an open one
            customers.touch(session, account, now)  # a revisit is contact: a dormant customer wakes
            session.add(account)
            care_plan.replan(session, account, now, restart=True)
            audit(session, AuditAction.REVISIT, now=now, actor_id=actor.id, subject_user_id=account.owner_id,
                  reason_key='care.reason.revisited', account=account.name,
                  satisfaction=satisfaction if satisfaction is not None else '-', nps=nps if nps is not None else '-')
            revisit_id, owner_id = revisit.id or 0, account.owner_id
        self.ctx.events.publish(self.ctx.events.care_changed, account_id, owner_id)
        return revisit_id

    # ----- reads ---------------------------------------------------------------------------------

    def care_view(self, actor: UserRef, account_id: int) -> CareView:
        with self.ctx.read() as session:
            account = session.get(Account, check_id(account_id))
            if account is None or account.is_deleted:
                raise NotFound()
            if not permissions.can_view_customer(actor, account):
                raise NotAllowed()
            plan = care_plan.load_plan(session)
            schedule = care_store.schedule(session, account_id)
            task = care_store.open_task(session, account_id)
            rows = care_store.revisits(session, account_id, TREND_LIMIT)
            return CareView(
                account_id=account_id, tier=account.tier, interval_days=plan.days(account.tier),
                next_due_at=schedule.due_at if schedule else None, next_kind=schedule.kind if schedule else None,
                open_task_due_at=task.due_at if task else None, open_task_kind=task.kind if task else None,
                revisits=[RevisitRow(id=r.id or 0, at=r.created_at or self.ctx.now(), by=by,
                                     satisfaction=r.satisfaction, nps=r.nps, note=r.note) for r, by in rows],
                can_record=permissions.can_assign(actor) or account.owner_id == actor.id)

    def due_revisits(self, actor: UserRef, *, limit: int = MY_DAY_LIMIT) -> list[DueRevisit]:
        """Open care tasks for "My day": those of the customers in the reader's data scope."""
        with self.ctx.read() as session:
            return [due_row(task, name, tier, owner)
                    for task, name, tier, owner in care_store.open_tasks(
                        session, owner_id=None, reach=permissions.list_reach(actor), limit=limit)]

    # ----- the plan ------------------------------------------------------------------------------

    def plan(self) -> CarePlan:
        with self.ctx.read() as session:
            return care_plan.load_plan(session)

    def set_plan(self, actor: UserRef, values: Mapping[str, Any]) -> CarePlan:
        """Managers set the days between revisits per tier (0: off); every account's next due date
        moves at once. Audited."""
        if not permissions.can_assign(actor):
            raise NotAllowed()
        plan = CarePlan.from_dict(values)
        now = self.ctx.now()
        with self.ctx.write() as session:
            session.merge(AppSetting(key=care_plan.PLAN_KEY, value=plan.to_json()))
            moved = care_plan.replan_all(session, plan, now)
            audit(session, AuditAction.CARE_PLAN_CHANGED, now=now, actor_id=actor.id,
                  reason_key='care.reason.plan_changed',
                  vip=plan.vip_days, regular=plan.regular_days, potential=plan.potential_days, moved=moved)
        return plan


def due_row(task: CareTask, name: str, tier: str, owner: str | None) -> DueRevisit:
    return DueRevisit(task_id=task.id or 0, account_id=task.account_id, account_name=name, tier=tier, kind=task.kind,
                      due_at=task.due_at, owner_id=task.owner_id, owner_name=owner)
