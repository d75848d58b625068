"""The pools as records (issue 22): the editor's actions (add, change, delete when empty: admins),
a manager moving pool leads between pools, and what the pool page's switcher shows of each pool.
Each action is one transaction, audited; the pool numbers are validated like the policy's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core import permissions
from core.automation.claims import load_claimant
from core.automation.policy import load_policy
from core.automation.pools import PoolInfo, load_pools
from core.context import Context, audit, retry_conflicts
from core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from store import queries
from store.audit_actions import AuditAction
from store.locks import lock_leads
from store.models import LeadStatus, Pool, Role, User, UserRef
from store.queries import departments as tree_rows
from store.queries import pools as pool_rows

NAME_LENGTH = 100
NUMBERS: dict[str, tuple[float, float]] = {
    'protection_days': (0.01, 365), 'warn_hours': (0, 24 * 30), 'cooldown_days': (0, 365),
    'claim_limit': (0, 10_000), 'hold_limit': (0, 100_000)}
"""A pool's own numbers and their ranges (the policy's, core/automation/policy.py); empty: the policy's."""
INTEGERS = ('claim_limit', 'hold_limit')


@dataclass(frozen=True, slots=True)
class PoolCard:
    """One pool as the switcher and the editor show it."""

    pool: PoolInfo
    waiting: int
    """Leads waiting to be claimed in it."""
    claimed_today: int | None = None
    """A rep's claims from it today (None: not a rep)."""
    claim_limit: int | None = None
    held: int | None = None
    own: bool = False
    """The viewer's department's pool (the page opens on it)."""


def check_pool(raw: Mapping[str, Any], department_ids: set[int]) -> dict[str, Any]:
    """The editor's values, checked as a whole; ValidationFailed names each bad one."""
    errors: dict[str, str] = {}
    given = raw.get('name')
    name = given.strip() if isinstance(given, str) else ''
    if not name:
        errors['name'] = 'required'
    elif len(name) > NAME_LENGTH:
        errors['name'] = 'too_long'
    values: dict[str, Any] = {'name': name}
    for key, (low, high) in NUMBERS.items():
        value = raw.get(key)
        if value in (None, ''):
            values[key] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            errors[key] = 'not_a_number'
            continue
        if not low <= number <= high or (key in INTEGERS and not number.is_integer()):
            errors[key] = 'out_of_range'
            continue
        values[key] = int(number) if key in INTEGERS else number
    departments = raw.get('department_ids') or []
    if not isinstance(departments, list | tuple) or not all(isinstance(d, int) for d in departments):
        errors['department_ids'] = 'invalid'
        departments = []
    elif set(departments) - department_ids:
        errors['department_ids'] = 'unknown_department'
    values['department_ids'] = sorted(set(departments))
    values['masked'] = bool(raw.get('masked', True))
    if errors:
        raise ValidationFailed(errors)
    return values


class PoolAdminService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def cards(self, actor: UserRef) -> list[PoolCard]:
        """The pools this user sees, each with its waiting leads and, for a rep, today's claims from it."""
        now = self.ctx.now()
        with self.ctx.read() as session:
            pools = load_pools(session)
            user = session.get(User, actor.id)
            department = user.department_id if user is not None else None
            visible = pools.visible(actor.role, department)
            own = pools.of_department(department).id
            waiting = pool_rows.waiting_counts(session)
            policy = load_policy(session)
            cards = []
            for pool in visible:
                count = waiting.get(pool.id, 0) + (waiting.get(None, 0) if pool.is_default else 0)
                if actor.role == Role.REP and user is not None:
                    c = load_claimant(session, user, policy=pool.policy(policy), day_start=self.ctx.day_start(now),
                                      pool=pool)
                    cards.append(PoolCard(pool, count, c.claimed_today, c.claim_limit,
                                          c.held if pool.hold_limit is not None else None, own=pool.id == own))
                else:
                    cards.append(PoolCard(pool, count, own=pool.id == own))
            return cards

    def pools(self) -> list[PoolInfo]:
        """Every pool (the recycle rules' "send to pool" choices, the move's targets)."""
        with self.ctx.read() as session:
            return list(load_pools(session).pools)

    def save(self, actor: UserRef, pool_id: int | None, raw: Mapping[str, Any]) -> PoolInfo:
        """Add (`pool_id` None) or change a pool; nothing is stored when a value is bad."""
        if actor.role != Role.ADMIN:
            raise NotAllowed()
        now = self.ctx.now()
        with self.ctx.write() as session:
            values = check_pool(raw, {n.id for n in tree_rows.tree(session)})
            if pool_id is None:
                row = Pool(created_at=now, **values)
            else:
                found = session.get(Pool, pool_id)
                if found is None:
                    raise NotFound()
                row = found
                for key, value in values.items():
                    setattr(row, key, value)
            if any(p.name.casefold() == values['name'].casefold() and p.id != row.id
                   for p in pool_rows.all_pools(session)):
                raise ValidationFailed({'name': 'duplicate'})
            session.add(row)
            session.flush()
            audit(session, AuditAction.POLICY_CHANGED, now=now, actor_id=actor.id, reason_key='reason.pool_saved',
                  pool=row.name)
            return PoolInfo.of(row)

    def delete(self, actor: UserRef, pool_id: int) -> None:
        """Delete a pool that holds no waiting lead (InvalidState otherwise, nothing changed); the
        leads claimed from it count as the default pool's from now on. The default pool stays."""
        if actor.role != Role.ADMIN:
            raise NotAllowed()
        with self.ctx.write() as session:
            row = session.get(Pool, pool_id)
            if row is None:
                raise NotFound()
            if row.is_default:
                raise InvalidState('pool_default')
            waiting = pool_rows.waiting_in(session, pool_id, False)
            if waiting:
                raise InvalidState('pool_not_empty', count=waiting)
            pool_rows.forget_pool(session, pool_id)
            session.delete(row)
            audit(session, AuditAction.POLICY_CHANGED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.pool_deleted', pool=row.name)

    @retry_conflicts
    def move(self, actor: UserRef, lead_ids: Sequence[int], pool_id: int) -> int:
        """A manager moves pool (and review) leads into another pool; returns how many moved."""
        if not permissions.can_assign(actor):
            raise NotAllowed()
        now = self.ctx.now()
        moved: list[int] = []
        with self.ctx.write() as session:
            pool = load_pools(session).known(pool_id)
            if pool is None:
                raise ValidationFailed({'pool': 'unknown_pool'})
            ids = list(dict.fromkeys(lead_ids))[:1000]
            lock_leads(session, ids)
            for lead in queries.leads_by_ids(session, ids):
                waiting = lead.status in (LeadStatus.POOL, LeadStatus.REVIEW)
                if lead.is_deleted or not waiting or lead.pool_id == pool.id:
                    continue
                lead.pool_id = pool.id
                lead.version += 1
                lead.updated_at = now
                session.add(lead)
                audit(session, AuditAction.POOLED, now=now, lead_id=lead.id, actor_id=actor.id,
                      reason_key='reason.moved_to_pool', manager=actor.name, **pool.label_params())
                moved.append(lead.id or 0)
        for lead_id in moved:
            self.ctx.events.publish(self.ctx.events.lead_changed, lead_id, None)
        return len(moved)
