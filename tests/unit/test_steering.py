"""A manager moves leads: bulk reassign, rebalance, handover — checked in the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from store.models import AuditEntry, Lead, Notification, Role, User, UserRef
from tests import factories
from tests.unit.db import get, rows


def own(desk: Desk, owner: UserRef, n: int, **fields: Any) -> list[int]:
    """n open leads owned by `owner`, created directly (the counter hook keeps open_leads)."""
    now = desk.ctx.now()
    ids = []
    with desk.ctx.write() as s:
        for i in range(n):
            lead = Lead(name=f'{owner.name} lead {i}', owner_id=owner.id, status='assigned', grade='B',
                        assigned_at=now - timedelta(days=5), created_at=now - timedelta(days=5), **fields)
            s.add(lead)
            s.flush()
            ids.append(lead.id or 0)
    return ids


@pytest.fixture
def team(desk: Desk) -> tuple[UserRef, UserRef, UserRef, UserRef]:
    manager = factories.user(desk, Role.MANAGER, name='Boss')
    li = factories.user(desk, Role.REP, name='Li', capacity=10)
    zhao = factories.user(desk, Role.REP, name='Zhao', capacity=10)
    wu = factories.user(desk, Role.REP, name='Wu', capacity=10)
    return manager, li, zhao, wu


def test_bulk_reassign_moves_with_a_manual_reason_and_fresh_clocks(desk: Desk, clock: FakeClock, team: Any) -> None:
    manager, li, zhao, _ = team
    ids = own(desk, li, 3)
    outcome = desk.steering.reassign(manager, ids[:2], to_rep_id=zhao.id)
    assert (outcome.moved, outcome.stale, outcome.no_room) == (2, 0, 0)
    now = clock.now()
    for lead_id in ids[:2]:
        lead = get(desk, Lead, lead_id)
        assert lead.owner_id == zhao.id and lead.status == 'assigned'
        assert lead.assigned_at == now and lead.protected_until is not None and lead.protected_until > now
        assert lead.assignment_reason == {'key': 'reason.assigned.manual', 'manager': 'Boss', 'from': 'Li',
                                          'rep': 'Zhao'}
    assert get(desk, Lead, ids[2]).owner_id == li.id
    assert get(desk, User, li.id).open_leads == 1 and get(desk, User, zhao.id).open_leads == 2
    batch = rows(desk, AuditEntry, AuditEntry.action == 'reassigned')
    assert len(batch) == 1 and batch[0].reason_params['count'] == 2 and batch[0].actor_id == manager.id
    assigned = rows(desk, AuditEntry, AuditEntry.action == 'assigned')
    assert {a.lead_id for a in assigned} == set(ids[:2])
    told = {(n.user_id, n.key, n.params['count']) for n in rows(desk, Notification)}
    assert told == {(zhao.id, 'notify.leads_moved_to_you', 2), (li.id, 'notify.leads_moved_from_you', 2)}


def test_bulk_to_the_pool(desk: Desk, team: Any) -> None:
    manager, li, _, _ = team
    ids = own(desk, li, 2)
    assert desk.steering.reassign(manager, ids, to_rep_id=None).moved == 2
    for lead_id in ids:
        lead = get(desk, Lead, lead_id)
        assert (lead.owner_id, lead.status, lead.previous_owner_id) == (None, 'pool', li.id)
        assert lead.protected_until is None and lead.sla_due_at is None
    assert get(desk, User, li.id).open_leads == 0
    # the timer does not hand a manager-pooled lead straight back out
    desk.automation.tick(desk.ctx.now())
    assert all(get(desk, Lead, i).owner_id is None for i in ids)


def test_reassign_never_fills_a_rep_past_capacity(desk: Desk, team: Any) -> None:
    manager, li, zhao, _ = team
    desk.team.update_user(factories.admin(desk), zhao.id, {'capacity': 1})
    ids = own(desk, li, 3)
    outcome = desk.steering.reassign(manager, ids, to_rep_id=zhao.id)
    assert (outcome.moved, outcome.no_room) == (1, 2)
    assert get(desk, User, zhao.id).open_leads == 1
    with pytest.raises(ValidationFailed) as e:  # nothing fits at all: a clear refusal
        desk.steering.reassign(manager, ids[1:], to_rep_id=zhao.id)
    assert e.value.errors == {'rep': 'at_capacity'}


def test_reps_and_bad_input_are_refused(desk: Desk, team: Any) -> None:
    manager, li, zhao, _ = team
    ids = own(desk, li, 1)
    with pytest.raises(NotAllowed):
        desk.steering.reassign(zhao, ids, to_rep_id=zhao.id)
    with pytest.raises(NotAllowed):
        desk.steering.rep_leads(li, li.id)
    with pytest.raises(ValidationFailed):
        desk.steering.reassign(manager, [], to_rep_id=zhao.id)
    with pytest.raises(ValidationFailed):
        desk.steering.reassign(manager, ids, to_rep_id=manager.id)  # not a rep
    assert get(desk, Lead, ids[0]).owner_id == li.id


def test_drill_down_lists_open_leads_a_first(desk: Desk, team: Any) -> None:
    manager, li, _, _ = team
    own(desk, li, 2)
    own(desk, li, 1, )
    a_lead = own(desk, li, 1)[0]
    with desk.ctx.write() as s:
        s.get(Lead, a_lead).grade = 'A'  # type: ignore[union-attr]
        s.add(Lead(name='closed', owner_id=li.id, status='disqualified'))
    listed = desk.steering.rep_leads(manager, li.id)
    assert listed.total == 4 and len(listed.leads) == 4
    assert listed.leads[0].id == a_lead


def test_rebalance_plan_is_applied_as_one_batch_and_spares_recent_work(desk: Desk, clock: FakeClock,
                                                                       team: Any) -> None:
    manager, li, zhao, wu = team
    quiet = own(desk, li, 6, last_activity_at=clock.now() - timedelta(days=3))
    busy = own(desk, li, 3, last_activity_at=clock.now() - timedelta(hours=2))
    plan = desk.steering.plan_rebalance(manager)
    moved_ids = {m.lead_id for m in plan.moves}
    assert moved_ids <= set(quiet) and not moved_ids & set(busy)
    assert plan.held_back == 3
    assert plan.after == {li.id: 3, zhao.id: 3, wu.id: 3}
    outcome = desk.steering.apply_plan(manager, plan, kind='rebalanced')
    assert outcome.moved == 6
    assert [get(desk, User, u.id).open_leads for u in (li, zhao, wu)] == [3, 3, 3]
    assert len(rows(desk, AuditEntry, AuditEntry.action == 'rebalanced')) == 1
    assert get(desk, Lead, plan.moves[0].lead_id).assignment_reason['key'] == 'reason.assigned.rebalance'
    # asked to include recent work, the busy leads may move too
    again = desk.steering.plan_rebalance(manager, include_recent=True)
    assert again.moves == []  # already even


def test_a_plan_gone_stale_moves_only_what_is_still_as_planned(desk: Desk, clock: FakeClock, team: Any) -> None:
    manager, li, zhao, _ = team
    ids = own(desk, li, 6)
    plan = desk.steering.plan_rebalance(manager)
    planned = [m.lead_id for m in plan.moves]
    desk.leads.log_activity(li, planned[0], kind='call')  # worked in the meantime
    desk.steering.reassign(manager, [planned[1]], to_rep_id=zhao.id)  # moved by hand in the meantime
    outcome = desk.steering.apply_plan(manager, plan, kind='rebalanced')
    assert outcome.stale == 2 and outcome.moved == len(planned) - 2
    assert get(desk, Lead, planned[0]).owner_id == li.id
    assert len(ids) == 6


def test_handover_empties_a_leaving_rep(desk: Desk, team: Any) -> None:
    manager, li, zhao, wu = team
    desk.team.update_user(manager, wu.id, {'capacity': 2})
    ids = own(desk, li, 8, last_activity_at=desk.ctx.now())  # recent work moves too: the rep is away
    desk.team.update_user(manager, li.id, {'is_on_leave': True})
    plan = desk.steering.plan_handover(manager, li.id)
    assert len(plan.moves) == 8 and plan.to_pool == 0
    outcome = desk.steering.apply_plan(manager, plan, kind='handed_over')
    assert outcome.moved == 8
    owners = [get(desk, Lead, i).owner_id for i in ids]
    assert owners.count(zhao.id) == 6 and owners.count(wu.id) == 2
    assert get(desk, User, li.id).open_leads == 0
    assert get(desk, Lead, ids[0]).assignment_reason['key'] == 'reason.assigned.handover'
