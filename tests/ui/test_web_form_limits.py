"""The public web form against spam: honeypot, per-IP and per-form limits, size limits — and what a
rep sees afterwards: only the leads that were accepted, in the database and in their inbox."""

from __future__ import annotations

import httpx
import pytest
from nicegui import core
from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import AuditEntry, Lead, Notification
from tests.ui.conftest import Team, login
from tests.ui.test_inbox_page import wait_rows


def visitor(ip: str) -> User:
    """Another browser, from another address (the form limits by the connection's client IP)."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(core.app, client=(ip, 40_000)), base_url='http://test')
    client.headers['Accept-Language'] = 'en-US,en;q=0.9'
    return User(client)


async def submit(user: User, name: str, phone: str, *, form: str = 'contact', **extra: str) -> None:
    await user.open(f'/f/{form}')
    user.find(marker='form-name').type(name)
    user.find(marker='form-phone').type(phone)
    for field, value in extra.items():
        user.find(marker=f'form-{field}').type(value)
    user.find(marker='form-submit').click()


def lead_names(team: Team) -> set[str]:
    with read_session(team.desk.ctx.engine) as s:
        return {lead.name for lead in s.exec(select(Lead))}


def notifications(team: Team) -> int:
    with read_session(team.desk.ctx.engine) as s:
        return len(list(s.exec(select(Notification))))


async def only_accepted_in_inbox(user: User, team: Team, accepted: set[str], refused: set[str]) -> None:
    """Rep A (the only rep on duty) opens the inbox: every accepted lead, no refused one."""
    await login(user, team.rep_a.email)
    shown = set(await wait_rows(user, accepted))
    assert accepted <= shown and not refused & shown


@pytest.fixture
def one_rep(team: Team) -> Team:
    """Rep B on leave: every accepted lead goes to rep A, so A's inbox shows exactly what got through."""
    team.desk.team.update_user(team.manager, team.rep_b.id, {'is_on_leave': True})
    return team


async def test_honeypot_spam_reaches_no_inbox_and_tells_nobody(user: User, one_rep: Team) -> None:
    await submit(user, 'Spam Bot', '13700004321', honeypot='http://spam.example')
    await user.should_see(marker='form-thanks', retries=50)  # the bot learns nothing
    await submit(user, 'Real Visitor', '13700004322')
    await user.should_see(marker='form-thanks', retries=50)
    assert lead_names(one_rep) == {'Real Visitor'}
    with read_session(one_rep.desk.ctx.engine) as s:
        assert not [a for a in s.exec(select(AuditEntry)) if 'Spam' in str(a.reason_params)]
    assert notifications(one_rep) == 1  # rep A told of the real lead only
    await only_accepted_in_inbox(user, one_rep, {'Real Visitor'}, {'Spam Bot'})


@pytest.mark.env(LEADDESK_FORM_RATE_PER_MINUTE='2')
async def test_per_ip_limit_stops_one_address_not_the_next(user: User, one_rep: Team) -> None:
    flood = visitor('203.0.113.7')
    for n in range(2):
        await submit(flood, f'Flood {n}', f'1370000100{n}')
        await flood.should_see(marker='form-thanks', retries=50)
    await submit(flood, 'Flood 2', '13700001002')
    await flood.should_see('Too many requests', retries=50)
    await flood.should_not_see(marker='form-thanks')
    neighbour = visitor('198.51.100.9')
    await submit(neighbour, 'Neighbour', '13700002000')
    await neighbour.should_see(marker='form-thanks', retries=50)
    assert lead_names(one_rep) == {'Flood 0', 'Flood 1', 'Neighbour'}
    await only_accepted_in_inbox(user, one_rep, {'Flood 0', 'Flood 1', 'Neighbour'}, {'Flood 2'})


@pytest.mark.env(LEADDESK_FORM_RATE_PER_MINUTE='100', LEADDESK_FORM_RATE_PER_FORM_PER_MINUTE='3')
async def test_per_form_limit_stops_a_spread_out_flood_on_that_form_only(user: User, one_rep: Team) -> None:
    for n in range(3):
        bot = visitor(f'192.0.2.{n + 1}')
        await submit(bot, f'Spread {n}', f'1370000300{n}')
        await bot.should_see(marker='form-thanks', retries=50)
    late = visitor('192.0.2.99')  # a new address: the form itself is over its limit
    await submit(late, 'Spread 3', '13700003003')
    await late.should_see('Too many requests', retries=50)
    other = one_rep.desk.access.create_web_form(one_rep.admin, name='Trade show', source='trade_show')
    elsewhere = visitor('192.0.2.100')
    await submit(elsewhere, 'Other Form', '13700003100', form=other.key)
    await elsewhere.should_see(marker='form-thanks', retries=50)
    assert lead_names(one_rep) == {'Spread 0', 'Spread 1', 'Spread 2', 'Other Form'}
    await only_accepted_in_inbox(user, one_rep, {'Spread 0', 'Spread 1', 'Spread 2', 'Other Form'}, {'Spread 3'})


async def test_oversized_fields_are_refused_on_the_server(user: User, one_rep: Team) -> None:
    """The inputs' maxlength only binds an honest browser; the server checks every length itself."""
    await submit(user, 'N' * 201, '13700004000')
    await user.should_see('Too long', retries=50)
    await user.should_not_see(marker='form-thanks')
    user.find(marker='form-name').clear().type('Long Message')
    user.find(marker='form-message').type('m' * 5001)
    user.find(marker='form-submit').click()
    await user.should_see('Too long', retries=50)
    assert lead_names(one_rep) == set()
    user.find(marker='form-message').clear().type('m' * 5000)  # exactly the limit is fine
    user.find(marker='form-submit').click()
    await user.should_see(marker='form-thanks', retries=50)
    with read_session(one_rep.desk.ctx.engine) as s:
        [lead] = s.exec(select(Lead))
    assert (lead.name, len(lead.message or '')) == ('Long Message', 5000)
    await only_accepted_in_inbox(user, one_rep, {'Long Message'}, {'N' * 201})
