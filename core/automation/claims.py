"""Who may claim which pool lead: one rule, read by the pool's listing (to show Claim or the
reason instead) and by the claim itself (to refuse), so the two cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.automation.policy import Policy
from core.automation.pools import PoolInfo
from store import queries
from store.audit_actions import AuditAction
from store.models import LeadStatus, User
from store.queries import pools as pool_rows


@dataclass(frozen=True, slots=True)
class Claimant:
    """What the rule reads about the rep, once per page or per claim, for one pool."""

    rep_id: int
    claimed_today: int
    """Claims today from this pool."""
    claim_limit: int
    """This pool's (or the policy's) claims per day."""
    open_leads: int
    capacity: int
    held: int = 0
    """Open leads the rep holds that were claimed from this pool."""
    hold_limit: int | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a claim cannot succeed: `already_claimed`, `cooldown` (`until`, ISO), `claim_limit`
    (`limit`), `hold_limit` (`limit`) or `at_capacity` (`capacity`); shown as `err.claim.<reason>`."""

    reason: str
    params: dict[str, Any] = field(default_factory=dict)


def load_claimant(session: Session, rep: User, *, policy: Policy, day_start: datetime,
                  pool: PoolInfo | None = None) -> Claimant:
    """The rep's claims since the start of the team's day (from `pool`, when given), open leads and
    limits (the pool's own where it has them)."""
    rep_id = rep.id or 0
    if pool is None or not pool.id:
        claimed = queries.count_actions_since(session, AuditAction.ASSIGNED, rep_id, day_start,
                                              reason_key='reason.claimed')
        return Claimant(rep_id=rep_id, claimed_today=claimed, claim_limit=policy.claim_limit,
                        open_leads=queries.open_count(session, rep_id), capacity=rep.capacity)
    return Claimant(rep_id=rep_id, claimed_today=pool_rows.claims_since(session, rep_id, day_start, pool.id,
                                                                        pool.is_default),
                    claim_limit=pool.policy(policy).claim_limit, open_leads=queries.open_count(session, rep_id),
                    capacity=rep.capacity,
                    held=pool_rows.held_from(session, rep_id, pool.id) if pool.hold_limit is not None else 0,
                    hold_limit=pool.hold_limit)


def check_claim(claimant: Claimant, *, status: str, previous_owner_id: int | None,
                cooldown_until: datetime | None, now: datetime) -> Refusal | None:
    """None when `claimant` may claim a lead in this state now, else the first reason it may not:
    taken, the rep's own cool-down, today's claim limit, capacity (in that order)."""
    if status != LeadStatus.POOL:
        return Refusal('already_claimed')
    if previous_owner_id == claimant.rep_id and cooldown_until is not None and cooldown_until > now:
        return Refusal('cooldown', {'until': cooldown_until.isoformat()})
    if claimant.claimed_today >= claimant.claim_limit:
        return Refusal('claim_limit', {'limit': claimant.claim_limit})
    if claimant.hold_limit is not None and claimant.held >= claimant.hold_limit:
        return Refusal('hold_limit', {'limit': claimant.hold_limit})
    if claimant.open_leads >= claimant.capacity:
        return Refusal('at_capacity', {'capacity': claimant.capacity})
    return None
