"""Several pools (公海, issue 22): the catalogue as the timer, the claim and the pool page read it.

A pool's number left None follows the automation policy (`PoolInfo.policy`), so the default pool
(migration 0043, every number None) behaves exactly as the one pool did. Which pool:
- a lead in the pool: its `pool_id` (None: the default);
- a recycled lead: the pool a recycle rule names, else its owner's department's pool — the nearest
  department up the tree that a pool lists (the lowest pool id wins a tie), else the default;
- who sees a pool: admins and managers all; others those listing their department or an ancestor
  of it, and those listing none (everyone's).
Read once per tick, page or claim (two small queries), never per lead."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from core.automation.policy import Policy
from store.models import DEFAULT_POOL_NAME, Pool, Role
from store.queries import departments as tree_rows
from store.queries import pools as pool_rows


@dataclass(frozen=True, slots=True)
class PoolInfo:
    """One pool as the rules read it (no ORM object: it outlives the session)."""

    id: int
    name: str
    is_default: bool = False
    department_ids: tuple[int, ...] = ()
    protection_days: float | None = None
    warn_hours: float | None = None
    cooldown_days: float | None = None
    claim_limit: int | None = None
    hold_limit: int | None = None
    masked: bool = True

    @classmethod
    def of(cls, row: Pool) -> PoolInfo:
        return cls(id=row.id or 0, name=row.name, is_default=row.is_default,
                   department_ids=tuple(int(i) for i in row.department_ids or () if isinstance(i, int)),
                   protection_days=row.protection_days, warn_hours=row.warn_hours, cooldown_days=row.cooldown_days,
                   claim_limit=row.claim_limit, hold_limit=row.hold_limit, masked=row.masked)

    @property
    def shows_default_name(self) -> bool:
        """The default pool under its stored name is shown translated (公海 / Public pool)."""
        return self.is_default and self.name == DEFAULT_POOL_NAME

    def label_params(self) -> dict[str, Any]:
        """An audit line's `pool` parameter, in the reader's language for the default pool's name."""
        if self.shows_default_name:
            return {'pool_en': DEFAULT_POOL_NAME, 'pool_zh': '公海'}
        return {'pool': self.name}

    def policy(self, base: Policy) -> Policy:
        """The policy with this pool's own numbers where it has them."""
        changes: dict[str, Any] = {}
        if self.protection_days is not None:
            changes['protection_days'] = self.protection_days
            changes['max_protection_days'] = max(base.max_protection_days, self.protection_days)
        for name in ('warn_hours', 'cooldown_days', 'claim_limit'):
            value = getattr(self, name)
            if value is not None:
                changes[name] = value
        return dataclasses.replace(base, **changes) if changes else base


@dataclass(frozen=True)
class PoolMap:
    """Every pool and the department tree's parents: which pool a lead or a user belongs to."""

    pools: tuple[PoolInfo, ...]
    parents: dict[int, int | None]
    root_id: int | None = None

    @property
    def default(self) -> PoolInfo:
        found = next((p for p in self.pools if p.is_default), None)
        return found or PoolInfo(id=0, name=DEFAULT_POOL_NAME, is_default=True)

    def by_id(self, pool_id: int | None) -> PoolInfo:
        """The pool of this id; None or a pool deleted since: the default."""
        return next((p for p in self.pools if p.id == pool_id), None) or self.default

    def known(self, pool_id: int | None) -> PoolInfo | None:
        return next((p for p in self.pools if p.id == pool_id), None)

    def chain(self, department_id: int | None) -> list[int]:
        """The department and its ancestors, nearest first (None: the root)."""
        out: list[int] = []
        current = department_id if department_id is not None else self.root_id
        while current is not None and current not in out:
            out.append(current)
            current = self.parents.get(current)
        return out

    def of_department(self, department_id: int | None) -> PoolInfo:
        """The pool a member's recycled lead goes to: the nearest department up the tree that a pool lists."""
        for dept in self.chain(department_id):
            listing = [p for p in self.pools if dept in p.department_ids]
            if listing:
                return min(listing, key=lambda p: p.id)
        return self.default

    def visible(self, role: str, department_id: int | None) -> list[PoolInfo]:
        """The pools this user sees (and, a rep, claims from), the default first."""
        if role in (Role.ADMIN, Role.MANAGER):
            return list(self.pools) or [self.default]
        chain = set(self.chain(department_id))
        seen = [p for p in self.pools if not p.department_ids or chain & set(p.department_ids)]
        return seen or []

    def may_see(self, role: str, department_id: int | None, pool_id: int | None) -> bool:
        target = self.by_id(pool_id).id
        return any(p.id == target for p in self.visible(role, department_id))


def load_pools(session: Session) -> PoolMap:
    pools = tuple(PoolInfo.of(row) for row in pool_rows.all_pools(session))
    nodes = tree_rows.tree(session)
    roots = [n.id for n in nodes if n.parent_id is None]
    return PoolMap(pools=pools, parents={n.id: n.parent_id for n in nodes}, root_id=min(roots) if roots else None)


def destinations(session: Session, pools: PoolMap, owner_ids: Iterable[int | None]) -> dict[int, PoolInfo]:
    """Each owner's department's pool (one query for all owners of a batch)."""
    ids = sorted({i for i in owner_ids if i})
    if not ids:
        return {}
    return {uid: pools.of_department(dept) for uid, dept in tree_rows.departments_of(session, ids).items()}
