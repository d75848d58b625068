"""A lead's clocks while it has an owner: the first-response deadline (`sla_due_at`, then a grace
period) and the protection period (no one else may take it). Started by every assignment
(core/assignment/writes.py `assign_to`), stopped whenever the lead loses its owner or closes; the
timer (core/automation/timer.py) acts on them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from core.automation.policy import Policy
from core.leads.record import LeadRecord


class ClockPolicy(Protocol):
    """What starting the clocks asks of the automation policy (`Policy`, or a batch's `PolicyTimes`)."""

    def sla_due(self, grade: str, assigned_at: datetime) -> datetime: ...

    def sla_grace(self, due: datetime) -> datetime: ...

    def protection(self, start: datetime) -> tuple[datetime, datetime]: ...


def start_clocks(lead: LeadRecord, policy: ClockPolicy, now: datetime) -> None:
    """A new owner from `now`: the first-response deadline by the lead's grade, and protection."""
    lead.sla_status = 'due'
    lead.sla_due_at = policy.sla_due(lead.grade, now)
    lead.sla_grace_at = policy.sla_grace(lead.sla_due_at)
    lead.protected_until, lead.protection_max_at = policy.protection(now)
    lead.warned_until = None


def clear_clocks(lead: LeadRecord) -> None:
    """An unowned lead has no first-response or protection clock running."""
    lead.sla_status = None if lead.sla_status == 'due' else lead.sla_status
    lead.sla_due_at = lead.sla_grace_at = lead.protected_until = lead.protection_max_at = None
    lead.warned_until = None


class PolicyTimes:
    """The policy's clock times remembered: a batch assigns every lead at the same `now`, so the
    first-response deadline (a walk through the work calendar) is worked out once per grade.
    Lives as long as its batch (one transaction), so it never outlives a policy change."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._memo: dict[tuple[str, object, object], Any] = {}

    def _remember(self, kind: str, a: object, b: object, compute: Callable[[], Any]) -> Any:
        key = (kind, a, b)
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def sla_due(self, grade: str, assigned_at: datetime) -> datetime:
        return self._remember('due', grade, assigned_at, lambda: self._policy.sla_due(grade, assigned_at))

    def sla_grace(self, due: datetime) -> datetime:
        return self._remember('grace', due, None, lambda: self._policy.sla_grace(due))

    def protection(self, start: datetime) -> tuple[datetime, datetime]:
        return self._remember('protection', start, None, lambda: self._policy.protection(start))
