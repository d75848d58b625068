"""Departments and data scopes (core/accounts/departments.py, core/accounts/reach.py): the tree an
admin shapes, and whose leads a user then reaches — through deep trees, moved departments and moved
users, for a manager at a mid-level node. Mirrored on PostgreSQL (tests/pg)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from core import permissions
from core.accounts.reach import DataScope
from core.desk import Desk
from core.errors import NotAllowed, NotFound, ValidationFailed
from store.engine import read_session
from store.models import Lead, Reach, RecordKind, Role, UserRef
from store.queries.reach_filter import visible
from tests.factories import PASSWORD, admin, lead_data, user

from .db import get


def signed_in(desk: Desk, ref: UserRef) -> UserRef:
    """The ref a session gives: carrying the reach resolved now."""
    return desk.team.login(ref.email, PASSWORD)[0]


def root_id(desk: Desk) -> int:
    return next(line.id for line in desk.departments.tree(admin(desk)) if line.is_root)


def lead_of(desk: Desk, owner: UserRef) -> int:
    lead_id = desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual').lead_id
    if get(desk, Lead, lead_id).owner_id != owner.id:
        desk.steering.reassign(admin(desk), [lead_id], to_rep_id=owner.id)
    return lead_id


@pytest.fixture
def tree(desk: Desk) -> dict[str, Any]:
    """Company > Sales > East > Shanghai > Pudong (five levels), and Company > North; a rep in each
    of East, Shanghai, Pudong and North, and a manager placed in East (a mid-level node)."""
    boss = admin(desk)
    top = root_id(desk)
    sales = desk.departments.add(boss, 'Sales', parent_id=top)
    east = desk.departments.add(boss, 'East', parent_id=sales)
    shanghai = desk.departments.add(boss, 'Shanghai', parent_id=east)
    pudong = desk.departments.add(boss, 'Pudong', parent_id=shanghai)
    north = desk.departments.add(boss, 'North', parent_id=top)
    people = {'east': user(desk), 'shanghai': user(desk), 'pudong': user(desk), 'north': user(desk),
              'manager': user(desk, Role.MANAGER)}
    for who, dept in (('east', east), ('shanghai', shanghai), ('pudong', pudong), ('north', north),
                      ('manager', east)):
        desk.departments.place_user(boss, people[who].id, dept)
    return {'root': top, 'sales': sales, 'east': east, 'shanghai': shanghai, 'pudong': pudong, 'north': north,
            **{f'u_{k}': v for k, v in people.items()}}


def reached(desk: Desk, ref: UserRef) -> Reach:
    reach = signed_in(desk, ref).reach
    assert reach is not None
    return reach


def test_defaults_keep_todays_visibility(desk: Desk) -> None:
    manager, marketing, rep = user(desk, Role.MANAGER), user(desk, Role.MARKETING), user(desk)
    assert reached(desk, admin(desk)).everyone and reached(desk, manager).everyone
    assert reached(desk, marketing).everyone
    assert reached(desk, rep) == Reach(everyone=False, owner_ids=frozenset({rep.id}))


def test_a_mid_level_manager_reaches_their_subtree_to_any_depth(desk: Desk, tree: dict[str, Any]) -> None:
    desk.departments.set_scopes(admin(desk), {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    reach = reached(desk, tree['u_manager'])
    assert not reach.everyone
    assert reach.owner_ids == {tree['u_manager'].id, tree['u_east'].id, tree['u_shanghai'].id, tree['u_pudong'].id}


def test_department_scope_stops_at_the_own_department(desk: Desk, tree: dict[str, Any]) -> None:
    desk.departments.set_scopes(admin(desk), {Role.MANAGER: DataScope.DEPARTMENT})
    assert reached(desk, tree['u_manager']).owner_ids == {tree['u_manager'].id, tree['u_east'].id}


def test_moving_a_department_moves_what_its_managers_reach(desk: Desk, tree: dict[str, Any]) -> None:
    boss = admin(desk)
    desk.departments.set_scopes(boss, {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    desk.departments.move(boss, tree['shanghai'], tree['north'])
    assert reached(desk, tree['u_manager']).owner_ids == {tree['u_manager'].id, tree['u_east'].id}


def test_moving_a_user_moves_who_reaches_them(desk: Desk, tree: dict[str, Any]) -> None:
    boss = admin(desk)
    desk.departments.set_scopes(boss, {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    desk.departments.place_user(boss, tree['u_north'].id, tree['pudong'])
    desk.departments.place_user(boss, tree['u_east'].id, tree['north'])
    assert reached(desk, tree['u_manager']).owner_ids == {
        tree['u_manager'].id, tree['u_shanghai'].id, tree['u_pudong'].id, tree['u_north'].id}


def test_heading_a_department_reaches_it_too(desk: Desk, tree: dict[str, Any]) -> None:
    boss = admin(desk)
    desk.departments.set_scopes(boss, {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    desk.departments.set_head(boss, tree['north'], tree['u_manager'].id)
    assert tree['u_north'].id in reached(desk, tree['u_manager']).owner_ids


def test_the_root_reaches_users_placed_nowhere(desk: Desk) -> None:
    desk.departments.set_scopes(admin(desk), {Role.MANAGER: DataScope.DEPARTMENT})
    manager, rep = user(desk, Role.MANAGER), user(desk)  # never placed: the root's
    assert rep.id in reached(desk, manager).owner_ids


def test_a_department_manager_sees_and_edits_only_leads_in_reach(desk: Desk, tree: dict[str, Any]) -> None:
    desk.departments.set_scopes(admin(desk), {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    inside, outside = lead_of(desk, tree['u_pudong']), lead_of(desk, tree['u_north'])
    manager = signed_in(desk, tree['u_manager'])
    assert desk.leads.lead_view(manager, inside).can_edit
    with pytest.raises((NotFound, NotAllowed)):
        desk.leads.lead_view(manager, outside)
    assert permissions.can_edit_lead(manager, get(desk, Lead, inside))
    assert not permissions.can_edit_lead(manager, get(desk, Lead, outside))
    rows, total = desk.leads.inbox(manager)
    assert {r.id for r in rows} == {inside} and total == 1
    assert {r.user_id for r in desk.workload.team(manager).reps} == {
        tree['u_east'].id, tree['u_shanghai'].id, tree['u_pudong'].id}
    names = {h.id for h in desk.search.search(manager, get(desk, Lead, outside).name).leads}
    assert outside not in names


def test_cycles_the_root_and_non_empty_departments_are_refused(desk: Desk, tree: dict[str, Any]) -> None:
    boss = admin(desk)
    with pytest.raises(ValidationFailed) as cycle:
        desk.departments.move(boss, tree['sales'], tree['pudong'])
    assert cycle.value.errors == {'parent': 'cycle'}
    with pytest.raises(ValidationFailed):
        desk.departments.move(boss, tree['root'], tree['north'])
    with pytest.raises(ValidationFailed) as busy:
        desk.departments.remove(boss, tree['north'])  # a rep is in it
    assert busy.value.errors == {'department': 'not_empty'}
    empty = desk.departments.add(boss, 'Empty', parent_id=tree['north'])
    desk.departments.remove(boss, empty)
    assert empty not in {line.id for line in desk.departments.tree(boss)}


def test_a_manager_shapes_only_their_own_subtree(desk: Desk, tree: dict[str, Any]) -> None:
    manager = tree['u_manager']
    added = desk.departments.add(manager, 'Minhang', parent_id=tree['shanghai'])
    desk.departments.rename(manager, added, 'Minhang 2')
    with pytest.raises(NotAllowed):
        desk.departments.add(manager, 'Elsewhere', parent_id=tree['north'])
    with pytest.raises(NotAllowed):
        desk.departments.place_user(manager, tree['u_north'].id, tree['east'])
    with pytest.raises(NotAllowed):
        desk.departments.set_scopes(manager, {Role.REP: DataScope.ALL})
    lines = {line.id: line for line in desk.departments.tree(manager)}
    assert lines[added].name == 'Minhang 2' and lines[added].depth == 4
    assert lines[tree['shanghai']].can_manage and not lines[tree['north']].can_manage


def test_a_bad_scope_or_name_is_refused_and_changes_nothing(desk: Desk) -> None:
    boss = admin(desk)
    with pytest.raises(ValidationFailed):
        desk.departments.set_scopes(boss, {Role.MANAGER: 'everything'})
    with pytest.raises(ValidationFailed):
        desk.departments.add(boss, '   ')
    assert desk.departments.scopes()[Role.MANAGER] == DataScope.ALL
    assert [line.is_root_default for line in desk.departments.tree(boss)] == [True]


def test_the_whole_tree_from_the_root_is_everything(desk: Desk) -> None:
    """A manager of the root department with "department and below" sees what "all" sees, unowned leads too."""
    desk.departments.set_scopes(admin(desk), {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    assert reached(desk, user(desk, Role.MANAGER)).everyone


def test_a_department_manager_moves_leads_only_within_reach(desk: Desk, tree: dict[str, Any]) -> None:
    desk.departments.set_scopes(admin(desk), {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    inside, outside = lead_of(desk, tree['u_pudong']), lead_of(desk, tree['u_north'])
    manager = signed_in(desk, tree['u_manager'])
    with pytest.raises(NotAllowed):
        desk.steering.reassign(manager, [inside], to_rep_id=tree['u_north'].id)
    desk.steering.reassign(manager, [inside, outside], to_rep_id=tree['u_east'].id)
    assert get(desk, Lead, inside).owner_id == tree['u_east'].id
    assert get(desk, Lead, outside).owner_id == tree['u_north'].id  # outside the reach: untouched
    plan = desk.steering.plan_rebalance(manager, include_recent=True)
    reached_ids = {tree['u_east'].id, tree['u_shanghai'].id, tree['u_pudong'].id}
    assert all(m.from_id in reached_ids and m.to_id in reached_ids for m in plan.moves)


def test_a_department_manager_lists_and_steers_only_users_in_reach(desk: Desk, tree: dict[str, Any]) -> None:
    desk.departments.set_scopes(admin(desk), {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    manager = signed_in(desk, tree['u_manager'])
    listed = {u.id for u in desk.team.users(manager)}
    assert tree['u_pudong'].id in listed and tree['u_north'].id not in listed
    desk.team.update_user(manager, tree['u_pudong'].id, {'capacity': 12})
    with pytest.raises(NotAllowed):
        desk.team.update_user(manager, tree['u_north'].id, {'capacity': 12})


def test_the_sql_reading_of_a_reach_agrees_with_the_record_rule(desk: Desk, tree: dict[str, Any]) -> None:
    """`reach_filter.visible` keeps exactly the rows `Reach.sees` allows: owned in reach, or shared by id."""
    mine, theirs, shared = lead_of(desk, tree['u_east']), lead_of(desk, tree['u_north']), lead_of(desk, tree['u_north'])
    reach = Reach(everyone=False, owner_ids=frozenset({tree['u_east'].id}),
                  shared={RecordKind.LEAD: frozenset({shared})})
    with read_session(desk.ctx.engine) as session:
        clause = visible(reach, col(Lead.owner_id), RecordKind.LEAD, col(Lead.id))
        assert clause is not None
        found = set(session.exec(select(Lead.id).where(clause)).all())
        everyone = visible(Reach(everyone=True), col(Lead.owner_id), RecordKind.LEAD, col(Lead.id))
    assert found == {mine, shared}
    assert everyone is None
    for lead_id in (mine, theirs, shared):
        assert reach.sees(RecordKind.LEAD, lead_id, get(desk, Lead, lead_id).owner_id) == (lead_id in found)
