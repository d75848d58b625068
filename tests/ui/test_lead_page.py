"""The lead page: score breakdown, assignment reason, editing with a version check,
activities, disqualifying, manual assignment."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import Activity, Lead
from tests import factories
from tests.ui.conftest import Team, login


def capture(team: Team, **fields: str) -> int:
    data = factories.lead_data(**fields)
    return team.desk.leads.capture_lead(data, channel='manual', default_source='manual').lead_id


def lead(team: Team, lead_id: int) -> Lead:
    with read_session(team.desk.ctx.engine) as s:
        found = s.get(Lead, lead_id)
        assert found is not None
        return found


async def test_lead_page_explains_score_and_assignment(user: User, team: Team) -> None:
    lead_id = capture(team, name='Sun Li', budget='50万', need='CRM for 20 reps')
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see('Budget stated')
    await user.should_see('+20')
    await user.should_see('Need described')
    owner = lead(team, lead_id).owner_id
    rep_name = 'Rep Li' if owner == team.rep_a.id else 'Rep Zhao'
    await user.should_see(f'→ {rep_name}')
    await user.should_see('of 10 open')


async def test_owner_edits_a_field_and_it_is_saved(user: User, team: Team) -> None:
    lead_id = capture(team, name='Edit Me')
    owner = lead(team, lead_id).owner_id
    email = team.rep_a.email if owner == team.rep_a.id else team.rep_b.email
    await login(user, email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='field-company').clear().type('New Co')
    user.find(marker='save-lead').click()
    await user.should_see('Saved', retries=50)
    assert lead(team, lead_id).company == 'New Co'
    assert lead(team, lead_id).version == 2


async def test_stale_edit_is_refused_and_nothing_overwritten(user: User, team: Team) -> None:
    lead_id = capture(team, name='Contested')
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    # Someone else saves while this page is open.
    team.desk.leads.update_lead(team.admin, lead_id, version=1, changes={'company': 'Their Co'})
    user.find(marker='field-title').clear().type('My title')
    user.find(marker='save-lead').click()
    await user.should_see('Someone else saved this lead', retries=50)
    saved = lead(team, lead_id)
    assert (saved.company, saved.title) == ('Their Co', None)


async def test_first_call_marks_lead_contacted(user: User, team: Team) -> None:
    lead_id = team.desk.leads.capture_lead(factories.lead_data(name='Call Me'), channel='manual',
                                           default_source='manual', actor=team.rep_a, keep_for_actor=True).lead_id
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='log-activity').click()
    user.find(marker='activity-outcome').type('Interested, wants a demo')
    user.find(marker='activity-note').type('<b>call back</b> Tuesday')
    user.find(marker='activity-save').click()
    await user.should_see('Logged activity: Call', retries=50)
    await user.should_see('<b>call back</b> Tuesday')
    assert lead(team, lead_id).status == 'contacted'
    with read_session(team.desk.ctx.engine) as s:
        kinds = [a.kind for a in s.exec(select(Activity).where(Activity.lead_id == lead_id))]
    assert kinds == ['call']


async def test_disqualify_needs_a_reason(user: User, team: Team) -> None:
    lead_id = capture(team, name='Not A Fit')
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='disqualify').click()
    user.find(marker='disqualify-confirm').click()
    await user.should_see('Required', retries=50)
    assert lead(team, lead_id).status != 'disqualified'
    user.find(marker='disqualify-reason').type('Student project, no budget')
    user.find(marker='disqualify-confirm').click()
    await user.should_see('Disqualified: Student project, no budget', retries=50)
    assert lead(team, lead_id).status == 'disqualified'


async def test_manager_assigns_lead_to_another_rep(user: User, team: Team) -> None:
    lead_id = capture(team, name='Hand Over')
    target = team.rep_b if lead(team, lead_id).owner_id == team.rep_a.id else team.rep_a
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='assign-picker').elements.pop().set_value(target.id)
    user.find(marker='assign').click()
    await user.should_see(f'Assigned to {target.name} manually by Manager Wang', retries=50)
    assert lead(team, lead_id).owner_id == target.id


async def test_duplicate_arrival_shows_as_touch_on_the_lead(user: User, team: Team) -> None:
    lead_id = capture(team, name='Twice', phone='13912340000')
    team.desk.leads.capture_lead({'name': 'Twice', 'phone': '+86 139 1234 0000', 'source': 'trade_show'},
                                 channel='api', default_source='api')
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see('Repeat inquiry · Trade show')
    await user.should_see('Arrived again via the API (source: Trade show); joined this lead')


async def test_phone_is_a_tel_link_in_national_format_with_a_copy_button(user: User, team: Team) -> None:
    lead_id = capture(team, name='Call Me', phone='130-0621-9832')
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    link = user.find(marker='lead-phone').elements.pop()
    assert isinstance(link, ui.link)
    assert (link.text, link.props['href']) == ('130 0621 9832', 'tel:+8613006219832')
    copy = user.find(marker='lead-phone-copy').elements.pop()
    assert copy.props['aria-label'] == 'Copy number'
