"""Assignment rules that target a department (core/assignment/rules.py, pick.py, capture/config.py):
a captured lead goes to a rep of the department's subtree — round robin or least loaded among them,
capacity honoured — the reason names the department, and the rule tester says so before anything is
captured. Mirrored on PostgreSQL (tests/pg)."""

from __future__ import annotations

from typing import Any

import pytest

from core.accounts.reach import DataScope
from core.desk import Desk
from core.errors import ValidationFailed
from store.audit_actions import AuditAction
from store.models import AssignmentRule, AuditEntry, Lead, Role, UserRef
from tests.factories import PASSWORD, admin, lead_data, user

from .db import get, rows


@pytest.fixture
def tree(desk: Desk) -> dict[str, Any]:
    """Company > Sales > East > Shanghai, and Company > North; one rep in each of East, Shanghai and
    North (capacity 2 each); no rep sits in Sales itself."""
    boss = admin(desk)
    top = next(line.id for line in desk.departments.tree(boss) if line.is_root)
    sales = desk.departments.add(boss, 'Sales', parent_id=top)
    east = desk.departments.add(boss, 'East', parent_id=sales)
    shanghai = desk.departments.add(boss, 'Shanghai', parent_id=east)
    north = desk.departments.add(boss, 'North', parent_id=top)
    reps = {name: user(desk, name=name, capacity=2) for name in ('Ella East', 'Sam Shanghai', 'Nina North')}
    for name, dept in (('Ella East', east), ('Sam Shanghai', shanghai), ('Nina North', north)):
        desk.departments.place_user(boss, reps[name].id, dept)
    return {'root': top, 'sales': sales, 'east': east, 'shanghai': shanghai, 'north': north, **reps}


def department_rule(desk: Desk, department_id: int | None, strategy: str = 'round_robin') -> int:
    """A rule tried first, for every lead, picking within `department_id`'s subtree."""
    return desk.rules.save_rule(admin(desk), None, name='Sales team', strategy=strategy, position=0,
                                department_id=department_id)


def owner_of(desk: Desk) -> Lead:
    lead_id = desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual').lead_id
    return get(desk, Lead, lead_id)


def test_a_department_rule_picks_only_within_the_subtree_round_robin(desk: Desk, tree: dict[str, Any]) -> None:
    department_rule(desk, tree['sales'])
    owners = [owner_of(desk).owner_id for _ in range(4)]
    inside = {tree['Ella East'].id, tree['Sam Shanghai'].id}
    assert set(owners) == inside  # both of the subtree's reps, two levels down too
    assert owners[0] != owners[1] and owners[2] != owners[3]  # taking turns
    assert tree['Nina North'].id not in owners


def test_the_reason_and_the_trail_name_the_department(desk: Desk, tree: dict[str, Any]) -> None:
    department_rule(desk, tree['east'], strategy='least_loaded')
    lead = owner_of(desk)
    assert lead.assignment_reason is not None
    assert lead.assignment_reason['key'] == 'reason.assigned.least_loaded_department'
    assert lead.assignment_reason['department'] == 'East'
    entry = next(e for e in rows(desk, AuditEntry) if e.action == AuditAction.ASSIGNED and e.lead_id == lead.id)
    assert entry.reason_key == 'reason.assigned.least_loaded_department'
    assert entry.reason_params.get('department') == 'East'


def test_capacity_is_honoured_then_the_next_rule_decides(desk: Desk, tree: dict[str, Any]) -> None:
    department_rule(desk, tree['shanghai'])  # one rep, capacity 2
    owners = [owner_of(desk) for _ in range(3)]
    assert [o.owner_id for o in owners[:2]] == [tree['Sam Shanghai'].id] * 2
    third = owners[2]
    assert third.owner_id != tree['Sam Shanghai'].id  # full: the default rules placed it elsewhere
    assert third.assignment_reason is not None
    assert not third.assignment_reason['key'].endswith('_department')


def test_a_rep_moved_into_the_subtree_is_picked_from_then_on(desk: Desk, tree: dict[str, Any]) -> None:
    department_rule(desk, tree['north'], strategy='least_loaded')
    assert owner_of(desk).owner_id == tree['Nina North'].id
    desk.departments.place_user(admin(desk), tree['Nina North'].id, tree['east'])
    desk.departments.place_user(admin(desk), tree['Sam Shanghai'].id, tree['north'])
    assert owner_of(desk).owner_id == tree['Sam Shanghai'].id


def test_a_department_moved_under_another_widens_its_rules(desk: Desk, tree: dict[str, Any]) -> None:
    department_rule(desk, tree['north'], strategy='least_loaded')
    desk.departments.move(admin(desk), tree['east'], tree['north'])
    owners = {owner_of(desk).owner_id for _ in range(3)}
    assert owners == {tree['Nina North'].id, tree['Ella East'].id, tree['Sam Shanghai'].id}


def test_the_rule_tester_names_the_department(desk: Desk, tree: dict[str, Any]) -> None:
    department_rule(desk, tree['shanghai'])
    outcome = desk.rules.test_rule(admin(desk), source='website', grade='B')
    assert outcome.rep_id == tree['Sam Shanghai'].id
    assert outcome.reason_key == 'reason.assigned.round_robin_department'
    assert outcome.params['department'] == 'Shanghai'
    assert rows(desk, Lead) == []  # nothing written


def test_an_unknown_department_is_refused_and_nothing_is_stored(desk: Desk, tree: dict[str, Any]) -> None:
    before = [(r.id, r.name) for r in rows(desk, AssignmentRule)]
    for bad in (999_999, 'East', True):
        with pytest.raises(ValidationFailed) as info:
            desk.rules.save_rule(admin(desk), None, name='Nowhere', strategy='round_robin', department_id=bad)
        assert info.value.errors == {'department_id': 'invalid'}
    assert [(r.id, r.name) for r in rows(desk, AssignmentRule)] == before


def test_the_saved_department_is_listed_audited_and_clearable(desk: Desk, tree: dict[str, Any]) -> None:
    boss: UserRef = admin(desk)
    rule_id = department_rule(desk, tree['east'])
    assert next(r for r in desk.rules.rules(boss) if r.id == rule_id).department_id == tree['east']
    saved = [e for e in rows(desk, AuditEntry) if e.action == AuditAction.RULE_SAVED]
    assert saved[-1].reason_params.get('department_id') == tree['east']
    desk.rules.save_rule(boss, rule_id, name='Sales team', strategy='round_robin', position=0, department_id=None)
    assert next(r for r in desk.rules.rules(boss) if r.id == rule_id).department_id is None


def test_a_removed_department_leaves_its_rule_placing_nobody(desk: Desk, tree: dict[str, Any]) -> None:
    boss = admin(desk)
    empty = desk.departments.add(boss, 'Temporary', parent_id=tree['root'])
    department_rule(desk, empty)
    desk.departments.remove(boss, empty)
    lead = owner_of(desk)
    assert lead.assignment_reason is not None
    assert not lead.assignment_reason['key'].endswith('_department')  # fell through to the default rules


def test_the_team_page_sums_capacity_per_department_and_filters_a_subtree(desk: Desk,
                                                                         tree: dict[str, Any]) -> None:
    boss = admin(desk)
    department_rule(desk, tree['shanghai'])
    owner_of(desk)  # one open lead for Sam Shanghai
    view = desk.workload.team(boss)
    loads = {d.name: (d.depth, d.reps, d.open_leads, d.capacity) for d in view.departments}
    assert loads == {'Company': (0, 3, 1, 6), 'Sales': (1, 2, 1, 4), 'East': (2, 2, 1, 4),
                     'Shanghai': (3, 1, 1, 2), 'North': (1, 1, 0, 2)}
    assert [d.name for d in view.departments] == ['Company', 'North', 'Sales', 'East', 'Shanghai']  # depth first
    sales = desk.workload.team(boss, department_id=tree['sales'])
    assert {r.name for r in sales.reps} == {'Ella East', 'Sam Shanghai'}
    assert (sales.open_leads, sales.capacity) == (1, 4)
    assert len(sales.departments) == len(view.departments)  # the strip still shows every department


def test_a_department_managers_capacity_starts_at_their_own_subtree(desk: Desk, tree: dict[str, Any]) -> None:
    boss = admin(desk)
    desk.departments.set_scopes(boss, {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    head = user(desk, Role.MANAGER, name='Head of Sales')
    desk.departments.place_user(boss, head.id, tree['sales'])
    head = desk.team.login(head.email, PASSWORD)[0]
    view = desk.workload.team(head)
    assert {r.name for r in view.reps} == {'Ella East', 'Sam Shanghai'}
    # not "Company" and "Sales" summing the same two reps: the list starts where it tells something
    assert [(d.name, d.depth) for d in view.departments] == [('East', 0), ('Shanghai', 1)]
