"""The public web form: no login, validation, thank-you, honeypot, per-IP limit."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import Lead, Notification
from tests.ui.conftest import Team


def leads(team: Team) -> list[Lead]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(Lead)))


async def test_visitor_submits_a_lead_and_is_thanked(user: User, team: Team) -> None:
    await user.open('/f/contact')
    user.find(marker='form-name').type('访客 王')
    user.find(marker='form-phone').type('13700001234')
    user.find(marker='form-submit').click()
    await user.should_see(marker='form-thanks', retries=50)
    [lead] = leads(team)
    assert (lead.name, lead.source, lead.status) == ('访客 王', 'website', 'assigned')


async def test_invalid_submission_shows_field_errors(user: User, team: Team) -> None:
    await user.open('/f/contact')
    user.find(marker='form-name').type('No Contact')
    user.find(marker='form-submit').click()
    await user.should_see('Give a phone number or an email', retries=50)
    assert leads(team) == []


async def test_honeypot_submission_is_thanked_and_dropped(user: User, team: Team) -> None:
    await user.open('/f/contact')
    user.find(marker='form-name').type('Bot')
    user.find(marker='form-phone').type('13700004321')
    user.find(marker='form-honeypot').type('http://spam.example')
    user.find(marker='form-submit').click()
    await user.should_see(marker='form-thanks', retries=50)
    assert leads(team) == []


@pytest.mark.env(LEADDESK_FORM_RATE_PER_MINUTE='1')
async def test_second_submission_from_same_ip_is_limited(user: User, team: Team) -> None:
    await user.open('/f/contact')
    user.find(marker='form-name').type('First')
    user.find(marker='form-phone').type('13700000001')
    user.find(marker='form-submit').click()
    await user.should_see(marker='form-thanks', retries=50)
    await user.open('/f/contact')
    user.find(marker='form-name').type('Second')
    user.find(marker='form-phone').type('13700000002')
    user.find(marker='form-submit').click()
    await user.should_see('Too many requests', retries=50)
    assert [lead.name for lead in leads(team)] == ['First']


async def test_unknown_form_key_says_so(user: User, team: Team) -> None:
    await user.open('/f/nope')
    await user.should_see(marker='form-missing')


async def test_lead_with_no_eligible_rep_waits_in_pool_and_managers_are_told(user: User, team: Team) -> None:
    for rep in (team.rep_a, team.rep_b):
        team.desk.team.update_user(team.manager, rep.id, {'is_on_leave': True})
    await user.open('/f/contact')
    user.find(marker='form-name').type('Nobody Free')
    user.find(marker='form-phone').type('13700005555')
    user.find(marker='form-submit').click()
    await user.should_see(marker='form-thanks', retries=50)
    [lead] = leads(team)
    assert (lead.status, lead.owner_id) == ('pool', None)
    with read_session(team.desk.ctx.engine) as s:
        told = {n.user_id for n in s.exec(select(Notification))}
    assert told == {team.admin.id, team.manager.id}
