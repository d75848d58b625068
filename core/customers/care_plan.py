"""Care plans (客户回访计划): how often each customer tier is revisited, when an account's next
task is due, and the timer's step that opens due tasks for the owner.

The due date lives on the account's `CareSchedule` row: `since_at` (the last revisit, win or the
plan's start) + the tier's interval; a dormant account gets a one-off wake-up due at once. The
timer selects schedules by `due_at` (indexed) and clears it when it opens the task; the next due
date is set again only when a revisit closes the task. So a tick with nothing due is one index
probe, and neither a second tick nor a racing "Run now" can open a second task for one account
(besides, `care_tasks.open_account_id` is unique).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from core.context import audit
from core.errors import ValidationFailed
from core.notify import ManagerReach, notify
from store import care as care_store
from store import queries
from store.audit_actions import AuditAction
from store.models import Account, CareKind, CareSchedule, CareTask, Tier

PLAN_KEY = 'care_plan'
MAX_DAYS = 3650


@dataclass(frozen=True)
class CarePlan:
    """Days between revisits per tier; 0 switches a tier's revisits off. Dormant customers get a
    one-off wake-up task instead of a rhythm."""

    vip_days: int = 30
    regular_days: int = 90
    potential_days: int = 60

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CarePlan:
        """Every field checked; the errors name the fields (`required`, `invalid`, `out_of_range`)."""
        data = dict(data or {})
        errors: dict[str, str] = {}
        values: dict[str, int] = {}
        for name in set(data) - set(cls.__dataclass_fields__):
            errors[name] = 'invalid'
        for name in cls.__dataclass_fields__:
            if name not in data:
                continue
            raw = data[name]
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                errors[name] = 'required'
                continue
            try:
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise ValueError
                number = int(raw.strip() if isinstance(raw, str) else raw)
            except (TypeError, ValueError, OverflowError):
                errors[name] = 'invalid'
                continue
            if not 0 <= number <= MAX_DAYS:
                errors[name] = 'out_of_range'
                continue
            values[name] = number
        if errors:
            raise ValidationFailed(errors, detail=f'days are whole numbers from 0 (off) to {MAX_DAYS}')
        return cls(**values)

    def days(self, tier: str) -> int | None:
        """The tier's interval, None when it has no rhythm (dormant, unknown, or switched off)."""
        by_tier: dict[str, int] = {Tier.VIP: self.vip_days, Tier.REGULAR: self.regular_days,
                                   Tier.POTENTIAL: self.potential_days}
        days = by_tier.get(tier)
        return days or None

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def load_plan(session: Session) -> CarePlan:
    raw = queries.setting(session, PLAN_KEY)
    try:
        return CarePlan.from_dict(json.loads(raw)) if raw else CarePlan()
    except (ValueError, ValidationFailed):
        return CarePlan()


# ----- keeping the schedule current ------------------------------------------------------------------

def replan(session: Session, account: Account, now: datetime, *, plan: CarePlan | None = None,
           restart: bool = False) -> None:
    """Set when the account's next task is due after anything that may move it: a tier change,
    new intervals, a win or a revisit (`restart`: the rhythm counts from now). While a task is open
    nothing is due: the revisit that closes it plans the next one."""
    if account.id is None or account.is_deleted:
        return
    plan = plan or load_plan(session)
    schedule = care_store.schedule(session, account.id) or CareSchedule(account_id=account.id, since_at=now)
    if restart or schedule.since_at is None:
        schedule.since_at = now
    if care_store.open_task(session, account.id) is not None:
        schedule.due_at = None
    elif account.tier == Tier.DORMANT:
        if schedule.kind != CareKind.WAKE_UP or schedule.due_at is None:
            schedule.kind, schedule.due_at = CareKind.WAKE_UP, now
    else:
        days = plan.days(account.tier)
        schedule.kind = CareKind.REVISIT
        schedule.due_at = schedule.since_at + timedelta(days=days) if days else None
    session.add(schedule)


def replan_all(session: Session, plan: CarePlan, now: datetime) -> int:
    """New intervals apply to every account now (a manager's save; one row per account)."""
    moved = 0
    for schedule in care_store.schedules(session):
        account = session.get(Account, schedule.account_id)
        if account is None:
            continue
        before = (schedule.kind, schedule.due_at)
        replan(session, account, now, plan=plan)
        moved += (schedule.kind, schedule.due_at) != before
    return moved


# ----- the timer's step ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Opened:
    account_id: int
    owner_id: int | None
    told: list[int]


def due(session: Session, until: datetime, limit: int, *,
        lock: bool = False) -> list[tuple[CareSchedule, Account | None]]:
    """The timer's selection: every schedule due by `until`, soonest first, with the account whose
    task it opens — None when none opens (the account is gone or already has an open task; the
    tick only clears that schedule). Shared by the tick (`open_due`) and its preview."""
    chosen: list[tuple[CareSchedule, Account | None]] = []
    for schedule in care_store.schedules_due(session, until, limit, lock=lock):
        account = session.get(Account, schedule.account_id)
        if account is None or account.is_deleted or care_store.open_task(session, schedule.account_id) is not None:
            account = None
        chosen.append((schedule, account))
    return chosen


def open_due(session: Session, now: datetime, limit: int) -> list[Opened]:
    """Open the task of every schedule due by `now` for the account's owner (managers when it has
    none): audited with its reason, the owner notified. The caller publishes after commit."""
    opened: list[Opened] = []
    plan: CarePlan | None = None
    for schedule, account in due(session, now, limit, lock=True):
        due_at, kind = schedule.due_at, schedule.kind
        schedule.due_at = None  # handled: whatever happens below, this tick never sees it again
        session.add(schedule)
        if account is None:
            continue
        plan = plan or load_plan(session)
        session.add(CareTask(account_id=schedule.account_id, owner_id=account.owner_id, kind=kind, tier=account.tier,
                             due_at=due_at, open_account_id=schedule.account_id, created_at=now))
        wake_up = kind == CareKind.WAKE_UP
        audit(session, AuditAction.CARE_DUE, now=now, subject_user_id=account.owner_id,
              reason_key='care.reason.wake_up' if wake_up else 'care.reason.due', account=account.name,
              tier=account.tier, days=plan.days(account.tier) or 0)
        told = notify(session, [account.owner_id] if account.owner_id else ManagerReach(session).over(None),
                      'care.notify.wake_up' if wake_up else 'care.notify.due', now=now, account=account.name)
        opened.append(Opened(account_id=schedule.account_id, owner_id=account.owner_id, told=told))
    session.flush()
    return opened
