"""Handing over what a user holds when they move department or are deactivated
(core/workload/departure.py): previewed without writing, leads through the assignment rules (a
department rule included) or to a named colleague, deals and customers to the colleague, applied in
one transaction with an audit line per record naming the cause. Mirrored on PostgreSQL (tests/pg)."""

from __future__ import annotations

from typing import Any

import pytest

from core.accounts.reach import DataScope
from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.workload.departure import DepartureCause
from store.audit_actions import AuditAction
from store.models import Account, AuditEntry, Lead, LeadStatus, Opportunity, Role, UserRef
from tests.factories import PASSWORD, admin, lead_data, user

from .db import get, rows
from .test_conversion import make_opportunity

MOVED, GONE = DepartureCause.MOVED, DepartureCause.DEACTIVATED


@pytest.fixture
def team(desk: Desk) -> dict[str, Any]:
    """East holds Leo (who leaves) and Ella; North holds Nina. A rule tried first gives every lead to
    East's reps by round robin."""
    boss = admin(desk)
    top = next(line.id for line in desk.departments.tree(boss) if line.is_root)
    east = desk.departments.add(boss, 'East', parent_id=top)
    north = desk.departments.add(boss, 'North', parent_id=top)
    people = {name: user(desk, name=name, capacity=10) for name in ('Leo', 'Ella', 'Nina')}
    for name, dept in (('Leo', east), ('Ella', east), ('Nina', north)):
        desk.departments.place_user(boss, people[name].id, dept)
    desk.rules.save_rule(boss, None, name='East team', strategy='round_robin', position=0, department_id=east)
    return {'east': east, 'north': north, **people}


def leads_of(desk: Desk, rep: UserRef, count: int) -> list[int]:
    ids = [desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual').lead_id
           for _ in range(count)]
    desk.steering.reassign(admin(desk), ids, to_rep_id=rep.id)
    return ids


def test_the_preview_follows_the_rules_and_writes_nothing(desk: Desk, team: dict[str, Any]) -> None:
    ids = leads_of(desk, team['Leo'], 3)
    trail = len(rows(desk, AuditEntry))
    plan = desk.departure.plan(admin(desk), team['Leo'].id, cause=MOVED)
    assert sorted(m.lead_id for m in plan.leads) == sorted(ids)
    assert {(m.to_name, m.rule) for m in plan.leads} == {('Ella', 'East team')}  # never back to Leo
    assert plan.receivers() == {'Ella': 3} and not plan.needs_colleague
    assert {get(desk, Lead, i).owner_id for i in ids} == {team['Leo'].id}
    assert len(rows(desk, AuditEntry)) == trail


def test_leads_by_the_rules_deals_and_customers_to_the_colleague(desk: Desk, clock: FakeClock,
                                                                 team: dict[str, Any]) -> None:
    leo, nina = team['Leo'], team['Nina']
    ids = leads_of(desk, leo, 2)
    deal_id = make_opportunity(desk, clock, leo, company='Acme Trading')
    account_id = get(desk, Opportunity, deal_id).account_id
    plan = desk.departure.plan(admin(desk), leo.id, cause=MOVED)
    assert plan.needs_colleague  # a deal and a customer, nobody named yet
    with pytest.raises(ValidationFailed) as info:
        desk.departure.hand_over(admin(desk), plan)
    assert info.value.errors == {'colleague': 'required'}
    assert get(desk, Opportunity, deal_id).owner_id == leo.id  # nothing moved

    plan = desk.departure.plan(admin(desk), leo.id, cause=MOVED, colleague_id=nina.id)
    done = desk.departure.hand_over(admin(desk), plan)
    assert (done.leads, done.to_pool, done.deals, done.customers, done.stale) == (2, 0, 1, 1, 0)
    assert {get(desk, Lead, i).owner_id for i in ids} == {team['Ella'].id}
    assert get(desk, Opportunity, deal_id).owner_id == nina.id
    assert get(desk, Account, account_id).owner_id == nina.id

    trail = rows(desk, AuditEntry)
    assigned = [e for e in trail if e.action == AuditAction.ASSIGNED and e.lead_id in ids
                and e.reason_key == 'reason.handover.lead_rule']
    assert len(assigned) == 2
    assert all(e.reason_params['cause'] == 'moved' and e.reason_params['rule'] == 'East team'
               and e.reason_params['from'] == 'Leo' for e in assigned)
    assert [e.reason_params['deal'] for e in trail if e.reason_key == 'reason.handover.deal'] == \
        [get(desk, Opportunity, deal_id).name]
    assert [e.reason_params['account'] for e in trail if e.reason_key == 'reason.handover.customer'] == \
        [get(desk, Account, account_id).name]
    batch = [e for e in trail if e.reason_key == 'reason.batch.departure']
    assert len(batch) == 1 and batch[0].reason_params['count'] == 2


def test_everything_to_a_named_colleague(desk: Desk, team: dict[str, Any]) -> None:
    ids = leads_of(desk, team['Leo'], 2)
    plan = desk.departure.plan(admin(desk), team['Leo'].id, cause=MOVED, leads_by_rules=False,
                               colleague_id=team['Nina'].id)
    assert plan.receivers() == {'Nina': 2}
    desk.departure.hand_over(admin(desk), plan)
    leads = [get(desk, Lead, i) for i in ids]
    assert {x.owner_id for x in leads} == {team['Nina'].id}
    assert all((x.assignment_reason or {}).get('key') == 'reason.handover.lead' for x in leads)


def test_a_deactivated_rep_whose_leads_nobody_has_room_for_go_to_the_pool(desk: Desk, team: dict[str, Any]) -> None:
    boss = admin(desk)
    ids = leads_of(desk, team['Leo'], 2)
    for name in ('Ella', 'Nina'):
        desk.team.update_user(boss, team[name].id, {'capacity': 0})
    desk.team.update_user(boss, team['Leo'].id, {'is_active': False})
    plan = desk.departure.plan(boss, team['Leo'].id, cause=GONE)
    assert plan.to_pool == 2
    done = desk.departure.hand_over(boss, plan)
    assert (done.leads, done.to_pool) == (0, 2)
    for i in ids:
        lead = get(desk, Lead, i)
        assert lead.owner_id is None and lead.status == LeadStatus.POOL
        assert lead.assignment_reason == {'key': 'reason.handover.lead_pool', 'manager': boss.name, 'from': 'Leo',
                                          'cause': 'deactivated'}


def test_a_lead_that_changed_hands_since_the_preview_stays(desk: Desk, team: dict[str, Any]) -> None:
    ids = leads_of(desk, team['Leo'], 2)
    plan = desk.departure.plan(admin(desk), team['Leo'].id, cause=MOVED)
    desk.steering.reassign(admin(desk), [ids[0]], to_rep_id=team['Nina'].id)
    done = desk.departure.hand_over(admin(desk), plan)
    assert (done.leads, done.stale) == (1, 1)
    assert get(desk, Lead, ids[0]).owner_id == team['Nina'].id
    assert get(desk, Lead, ids[1]).owner_id == team['Ella'].id


def test_a_manager_hands_over_only_within_their_scope(desk: Desk, team: dict[str, Any]) -> None:
    boss = admin(desk)
    desk.departments.set_scopes(boss, {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    chen = user(desk, Role.MANAGER, name='Chen')
    desk.departments.place_user(boss, chen.id, team['north'])
    chen = desk.team.login(chen.email, PASSWORD)[0]
    leads_of(desk, team['Leo'], 1)
    with pytest.raises(NotAllowed):
        desk.departure.plan(chen, team['Leo'].id, cause=MOVED)
    leads_of(desk, team['Nina'], 1)
    with pytest.raises(NotAllowed):  # nor name a colleague outside it
        desk.departure.plan(chen, team['Nina'].id, cause=MOVED, colleague_id=team['Ella'].id)
    plan = desk.departure.plan(chen, team['Nina'].id, cause=MOVED)
    assert plan.to_pool == 1  # the rules' East reps are outside Chen's scope: nobody he may give it to


def test_nothing_held_is_an_empty_plan_and_refused(desk: Desk, team: dict[str, Any]) -> None:
    plan = desk.departure.plan(admin(desk), team['Ella'].id, cause=MOVED)
    assert plan.empty
    with pytest.raises(ValidationFailed):
        desk.departure.hand_over(admin(desk), plan)


def test_a_colleague_who_is_not_an_active_rep_is_refused(desk: Desk, team: dict[str, Any]) -> None:
    leads_of(desk, team['Leo'], 1)
    for bad in (team['Leo'].id, admin(desk).id, 999_999):
        with pytest.raises(ValidationFailed) as info:
            desk.departure.plan(admin(desk), team['Leo'].id, cause=MOVED, colleague_id=bad)
        assert info.value.errors == {'colleague': 'invalid'}
