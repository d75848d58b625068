"""Departments in Settings: an admin adds a department under the company, renames and moves it
(a move under its own sub-department is refused on the form), sets a user's department on the
users list, and picks a role's data scope; the root's default name shows in the reader's language;
a manager edits only their own subtree; a rep sees no department editor."""

from __future__ import annotations

from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import AppSetting, Department
from store.models import User as UserRow
from tests import factories
from tests.ui.conftest import Team, login
from tests.ui.test_custom_fields_ui import element, until
from tests.ui.test_inbox_page import wait_rows


def departments(team: Team) -> dict[str, Department]:
    with read_session(team.desk.ctx.engine) as s:
        return {d.name: d for d in s.exec(select(Department)).all()}


async def test_an_admin_adds_renames_and_moves_departments(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    await user.should_see('Company')  # the root's default name, in English
    user.find(marker='dept-add').click()
    user.find(marker='dept-name').type('East sales')
    user.find(marker='dept-save').click()
    assert await until(lambda: 'East sales' in departments(team), timeout=10)
    east = departments(team)['East sales']
    assert east.parent_id == departments(team)['Company'].id
    user.find(marker='dept-add').click()
    user.find(marker='dept-name').type('Shanghai')
    element(user, 'dept-parent').set_value(east.id)
    user.find(marker='dept-save').click()
    assert await until(lambda: 'Shanghai' in departments(team), timeout=10)
    await user.should_see(marker=f'dept-edit-{east.id}', retries=60)
    shanghai = departments(team)['Shanghai']
    assert shanghai.parent_id == east.id
    # moving East under Shanghai would make a cycle: refused under the field, nothing changes
    user.find(marker=f'dept-edit-{east.id}').click()
    parent = element(user, 'dept-parent')
    parent.set_value(shanghai.id)
    user.find(marker='dept-save').click()
    assert await until(lambda: parent.error is not None)
    assert departments(team)['East sales'].parent_id == departments(team)['Company'].id
    element(user, 'dept-name').set_value('华东销售')
    parent.set_value(departments(team)['Company'].id)
    user.find(marker='dept-save').click()
    assert await until(lambda: '华东销售' in departments(team), timeout=10)
    await user.should_see(marker=f'dept-name-{east.id}', retries=60)


async def test_an_admin_places_a_user_and_sets_a_scope(user: User, team: Team) -> None:
    east = team.desk.departments.add(None, 'East sales')
    await login(user, team.admin.email)
    await user.open('/settings')
    element(user, f'user-dept-{team.rep_a.id}').set_value(east)
    element(user, 'scope-manager').set_value('department_tree')

    def stored() -> tuple[int | None, str]:
        with read_session(team.desk.ctx.engine) as s:
            rep = s.get(UserRow, team.rep_a.id)
            scopes = s.get(AppSetting, 'data_scopes')
            return (rep.department_id if rep else None), (scopes.value if scopes else '')

    assert await until(lambda: stored()[0] == east and '"manager": "department_tree"' in stored()[1])


async def test_the_root_shows_in_chinese_for_a_chinese_reader(user: User, team: Team) -> None:
    team.desk.team.set_language(team.admin, 'zh-CN')
    await login(user, team.admin.email)
    await user.open('/settings')
    await user.should_see('公司')


async def test_a_manager_edits_only_their_subtree(user: User, team: Team) -> None:
    east = team.desk.departments.add(None, 'East sales')
    north = team.desk.departments.add(None, 'North sales')
    team.desk.departments.place_user(None, team.manager.id, east)
    await login(user, team.manager.email)
    await user.open('/settings')
    await user.should_see(marker=f'dept-edit-{east}')
    await user.should_not_see(marker=f'dept-edit-{north}')
    await user.should_not_see(marker='scope-manager')


async def test_a_rep_sees_no_department_editor(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/settings')
    await user.should_not_see(marker='departments-card')


async def test_a_department_manager_s_inbox_is_their_department_s(user: User, team: Team) -> None:
    """With managers scoped to their department tree, the inbox says whose leads it holds and lists
    only the department's: rep A's lead shows, rep B's (another department) does not."""
    east = team.desk.departments.add(None, 'East sales')
    north = team.desk.departments.add(None, 'North sales')
    for who, where in ((team.manager.id, east), (team.rep_a.id, east), (team.rep_b.id, north)):
        team.desk.departments.place_user(None, who, where)
    team.desk.departments.set_scopes(team.admin, {'manager': 'department_tree'})
    ids = {rep.id: team.desk.leads.capture_lead(factories.lead_data(name=f'Lead of {rep.name}'), channel='manual',
                                                default_source='manual', actor=rep, keep_for_actor=True).lead_id
           for rep in (team.rep_a, team.rep_b)}
    await login(user, team.manager.email)
    await user.open('/')
    await user.should_see('Open leads in my departments')
    assert await wait_rows(user, {f'Lead of {team.rep_a.name}'}) == [f'Lead of {team.rep_a.name}']
    assert team.desk.leads.lead_view(team.admin, ids[team.rep_b.id]) is not None  # there, only out of reach
