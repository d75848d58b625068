"""The lead page: score breakdown, assignment reason, editing with a version check,
activities, disqualifying, manual assignment."""

from __future__ import annotations

import asyncio

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
    user.find(marker='edit-contact').click()  # the fields read as text until their pencil
    user.find(marker='field-company').clear().type('New Co')
    user.find(marker='save-contact').click()
    await user.should_see('Saved', retries=50)
    assert lead(team, lead_id).company == 'New Co'
    assert lead(team, lead_id).version == 2


async def test_stale_edit_is_refused_and_nothing_overwritten(user: User, team: Team) -> None:
    lead_id = capture(team, name='Contested')
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    # Someone else saves while this page is open.
    team.desk.leads.update_lead(team.admin, lead_id, version=1, changes={'company': 'Their Co'})
    user.find(marker='edit-contact').click()
    user.find(marker='field-title').clear().type('My title')
    user.find(marker='save-contact').click()
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


async def test_fields_read_as_text_and_edit_inline_behind_their_pencil(user: User, team: Team) -> None:
    lead_id = capture(team, name='Inline', company='Old Co')
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='value-company')
    await user.should_see('Old Co')
    await user.should_not_see(marker='field-company')  # no open inputs until the pencil
    await user.should_not_see(marker='save-contact')
    user.find(marker='edit-contact').click()
    await user.should_see(marker='field-company')
    await user.should_not_see(marker='value-company')
    user.find(marker='field-company').clear().type('Typed Then Cancelled')
    user.find(marker='cancel-contact').click()
    await user.should_see(marker='value-company')
    await user.should_see('Old Co')
    assert lead(team, lead_id).company == 'Old Co'

    user.find(marker='edit-contact').click()
    assert user.find(marker='field-company').elements.pop().value == 'Old Co'  # the cancelled text is gone
    user.find(marker='field-company').clear().type('New Co')
    user.find(marker='save-contact').click()
    await user.should_see('Saved', retries=50)
    await user.should_not_see(marker='field-company')  # back to reading
    await user.should_see('New Co')
    assert lead(team, lead_id).company == 'New Co'
    # the second block has its own pencil
    user.find(marker='edit-qualify').click()
    user.find(marker='field-budget').type('80万')
    user.find(marker='save-qualify').click()
    await user.should_not_see(marker='field-budget', retries=50)
    assert lead(team, lead_id).budget == '80万'
    assert user.find(marker='value-budget').elements.pop().text == '80万'


async def test_a_refused_save_keeps_the_block_open_with_the_message(user: User, team: Team) -> None:
    lead_id = capture(team, name='Bad Mail', email='ok@example.com')
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='edit-contact').click()
    user.find(marker='field-email').clear().type('not an address')
    user.find(marker='save-contact').click()
    await user.should_see(marker='field-email', retries=50)
    for _ in range(50):
        if user.find(marker='field-email').elements.pop().error:
            break
        await asyncio.sleep(0.05)
    assert user.find(marker='field-email').elements.pop().error
    assert lead(team, lead_id).email == 'ok@example.com'


async def test_phone_bar_logs_an_activity_with_a_follow_up_in_three_taps(user: User, team: Team) -> None:
    lead_id = team.desk.leads.capture_lead(factories.lead_data(name='On The Road', phone='13900001111'),
                                           channel='manual', default_source='manual', actor=team.rep_a,
                                           keep_for_actor=True).lead_id
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    call = user.find(marker='bar-call').elements.pop()
    assert call.props['href'] == 'tel:+8613900001111'
    user.find(marker='bar-log-activity').click()                 # 1: open
    user.find(marker='activity-next-1').click()                  # 2: follow up tomorrow (the kind is a call)
    user.find(marker='activity-save').click()                    # 3: save
    await user.should_see('Logged activity: Call', retries=50)
    with read_session(team.desk.ctx.engine) as s:
        logged = list(s.exec(select(Activity).where(Activity.lead_id == lead_id)))
    assert [a.kind for a in logged] == ['call']
    assert logged[0].next_follow_up_at is not None
    assert lead(team, lead_id).next_follow_up_at is not None
    await user.should_see(marker='bar-follow-up')
    assert user.find(marker='bar-follow-up').elements.pop().text != 'Follow-up'  # the bar shows the date now


async def test_activity_kind_is_one_tap(user: User, team: Team) -> None:
    lead_id = team.desk.leads.capture_lead(factories.lead_data(name='Visited'), channel='manual',
                                           default_source='manual', actor=team.rep_a, keep_for_actor=True).lead_id
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='bar-follow-up').click()
    kind = user.find(marker='activity-kind').elements.pop()
    assert isinstance(kind, ui.toggle)
    kind.set_value('visit')
    user.find(marker='activity-outcome').type('Met the owner')
    user.find(marker='activity-save').click()
    await user.should_see('Logged activity: Visit', retries=50)
    with read_session(team.desk.ctx.engine) as s:
        kinds = [a.kind for a in s.exec(select(Activity).where(Activity.lead_id == lead_id))]
    assert kinds == ['visit']
