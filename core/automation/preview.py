"""What the timer will do in the next hours, from the timer's own selections (core/automation/due.py)
for every step, carrying over what one step changes for a later one in the same tick."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from core.assignment.writes import Team
from core.automation import due
from core.automation.due import TimerAction, recycle_outcome  # noqa: F401  (recycle_outcome re-exported: callers name it here)
from core.automation.policy import Policy, load_policy
from core.automation.pools import PoolInfo
from core.capture.config import assignment_rules
from core.context import Context
from store import care as care_store
from store import queries
from store.models import Reach


@dataclass(frozen=True, slots=True)
class Planned:
    lead_id: int
    lead_name: str
    owner_name: str | None
    action: TimerAction
    at: datetime
    account_id: int | None = None
    """Set for a customer (dormant, care task): the row names it (in `lead_name`) rather than a lead."""
    user_id: int | None = None
    """Set for a rep's leave ending: the row names the rep."""
    opportunity_id: int | None = None
    """Set for an opportunity's follow-up: the row names it; `lead_id` is its lead's."""
    import_job_id: int | None = None
    """Set for an unrun upload expiring: the row names the file."""
    pool: PoolInfo | None = None
    """Recycle / review: the pool the lead drops into; warn: the pool it was claimed from."""


class TimerPreview:
    """Part of Automation: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    def preview(self, now: datetime | None = None, hours: float = 24) -> list[Planned]:
        """What the timer will do between now and now + hours, soonest first: every step's own
        selection (core/automation/due.py) with the window's end, in the tick's order. Where a step
        changes what a later one finds in the same tick, the plan carries that forward: reps back
        from leave can take leads, one team's loads count both assigning steps' picks, a lead
        reassigned or recycled is not recycled or reminded as its old owner's, and a customer
        turning dormant gets its wake-up task."""
        now = now or self.ctx.now()
        until = now + timedelta(hours=hours)
        with self.ctx.read() as session:
            policy = load_policy(session)
            plan = self._plan(session, now, until, policy)
            names = queries.user_names(session, {uid for _, uid in plan if uid})
        return sorted((replace(p, owner_name=names.get(uid or 0)) for p, uid in plan),
                      key=lambda p: (p.at, p.lead_id, p.account_id or 0, p.user_id or 0, p.opportunity_id or 0))

    def drops_for(self, session: Session, reach: Reach, now: datetime,
                  hours: float = 24) -> list[tuple[Planned, int | None]]:
        """(row, owner) of the leads in `reach` the plan recycles into a pool within `hours` (the digest's
        "drop to the pool tomorrow"): the preview's own plan, read in the caller's session."""
        plan = self._plan(session, now, now + timedelta(hours=hours), load_policy(session))
        return sorted(((p, uid) for p, uid in plan
                       if p.action == TimerAction.RECYCLE and p.lead_id and reach.covers(uid)),
                      key=lambda row: (row[0].at, row[0].lead_id))

    def _plan(self, session: Session, now: datetime, until: datetime,
              policy: Policy) -> list[tuple[Planned, int | None]]:
        """(row, owner's id) per item due."""
        leaves = due.leaves_ending(session, now, until)
        team: list[Team] = []

        def shared_team() -> Team:
            if not team:
                team.append(Team(session, self.ctx.day_start(now), rules=assignment_rules(session), now=now,
                                         calendar=policy.calendar,
                                              lock=False))
                due.back_from_leave(team[0], (item.subject.id for item in leaves), now, policy)
            return team[0]

        assigned = due.waiting_for_owner(session, now, policy, shared_team)
        reassigned = due.sla_reassignments(session, now, until, shared_team, ahead=True)
        new_owner = {item.subject.id: item.pick.rep_id for item in (*assigned, *reassigned) if item.pick}
        recycled = [item for item in due.protection_ends(session, now, until, policy)
                    if item.subject.id not in new_owner]  # a new owner starts a new protection
        unowned = {item.subject.id for item in recycled}
        reminded = [item for item in due.follow_ups(session, now, until)
                    if item.subject.id not in unowned and (item.action or item.subject.id in new_owner)]
        warned = [item for item in due.warnings(session, now, until, policy) if item.subject.id not in new_owner]
        dormant = due.dormant(session, now, until)
        waking = {item.subject.id: item for item in dormant
                  if care_store.open_task(session, item.subject.id) is None}  # `replan` plans a wake-up at once
        care = [item for item in due.care(session, now, until) if item.account is not None
                and item.account.id not in waking]
        care += [due.Due(TimerAction.CARE, item.at, None, account=item.subject) for item in waking.values()]

        rows: list[tuple[Planned, int | None]] = []
        for item in leaves:
            rows.append((Planned(lead_id=0, lead_name=item.subject.name, owner_name=None, action=item.action,
                                 at=item.at, user_id=item.subject.id), item.subject.id))
        for item in (*assigned, *due.sla_breaches(session, now, until), *reassigned, *warned, *recycled):
            lead = item.subject  # whom it concerns: the rep an assignment picks, else the owner
            rows.append((Planned(lead_id=lead.id or 0, lead_name=lead.name, owner_name=None, action=item.action,
                                 at=item.at, pool=item.pool), item.pick.rep_id if item.pick else lead.owner_id))
        for item in reminded:  # the owner when the step runs: a lead assigned in this tick is its new owner's
            lead = item.subject
            rows.append((Planned(lead_id=lead.id or 0, lead_name=lead.name, owner_name=None, action=TimerAction.REMIND,
                                 at=item.at), new_owner.get(lead.id, lead.owner_id)))
        for item in due.opportunity_follow_ups(session, now, until):
            if item.action:
                o = item.subject
                rows.append((Planned(lead_id=o.lead_id or 0, lead_name=o.name, owner_name=None, action=item.action,
                                     at=item.at, opportunity_id=o.id), o.owner_id))
        for item in (*dormant, *care):
            account = item.account or item.subject
            rows.append((Planned(lead_id=0, lead_name=account.name, owner_name=None, action=item.action, at=item.at,
                                 account_id=account.id), account.owner_id))
        return rows


def drops_by_pool(plan: list[Planned]) -> list[tuple[PoolInfo, int]]:
    """How many leads drop into each pool in the plan (recycled; the review queue is the managers'),
    the default first, then by name."""
    counts: dict[int, tuple[PoolInfo, int]] = {}
    for p in plan:
        if p.action == TimerAction.RECYCLE and p.pool is not None:
            pool, n = counts.get(p.pool.id, (p.pool, 0))
            counts[p.pool.id] = (pool, n + 1)
    return sorted(counts.values(), key=lambda c: (not c[0].is_default, c[0].name))
