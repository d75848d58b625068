"""The public web form against spam: honeypot, per-IP and per-form limits (on the real client
address, behind trusted proxies only), size limits — and what a rep sees afterwards: only the leads
that were accepted, in the database and in their inbox."""

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


def visitor(ip: str) -> httpx.AsyncClient:
    """Another browser, connecting from `ip` (the address the server sees)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(core.app, client=(ip, 40_000)), base_url='http://test')


async def submit(client: httpx.AsyncClient, name: str, phone: str, *, form: str = 'contact',
                 forwarded_for: str | None = None, **extra: str) -> httpx.Response:
    headers = {'X-Forwarded-For': forwarded_for} if forwarded_for else {}
    return await client.post(f'/f/{form}', data={'name': name, 'phone': phone, **extra}, headers=headers)


def thanked(r: httpx.Response) -> bool:
    return r.status_code == 200 and 'data-testid="form-thanks"' in r.text


def limited(r: httpx.Response) -> bool:
    return r.status_code == 429 and 'data-testid="form-alert"' in r.text and 'data-testid="form-thanks"' not in r.text


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
    browser = visitor('203.0.113.1')
    assert thanked(await submit(browser, 'Spam Bot', '13700004321', website='http://spam.example'))  # learns nothing
    assert thanked(await submit(browser, 'Real Visitor', '13700004322', website=''))
    assert lead_names(one_rep) == {'Real Visitor'}
    with read_session(one_rep.desk.ctx.engine) as s:
        assert not [a for a in s.exec(select(AuditEntry)) if 'Spam' in str(a.reason_params)]
    assert notifications(one_rep) == 1  # rep A told of the real lead only
    await only_accepted_in_inbox(user, one_rep, {'Real Visitor'}, {'Spam Bot'})


@pytest.mark.env(LEADDESK_FORM_RATE_PER_MINUTE='2')
async def test_per_ip_limit_stops_one_address_not_the_next(user: User, one_rep: Team) -> None:
    flood = visitor('203.0.113.7')
    for n in range(2):
        assert thanked(await submit(flood, f'Flood {n}', f'1370000100{n}'))
    late = await submit(flood, 'Flood 2', '13700001002')
    assert limited(late) and late.headers['retry-after'] == '60'
    assert 'value="Flood 2"' in late.text  # the typed values are kept for a later try
    assert limited(await submit(flood, 'Flood 3', '13700001003', forwarded_for='198.51.100.77'))  # no proxy listed
    assert thanked(await submit(visitor('198.51.100.9'), 'Neighbour', '13700002000'))
    assert lead_names(one_rep) == {'Flood 0', 'Flood 1', 'Neighbour'}
    assert notifications(one_rep) == 3
    await only_accepted_in_inbox(user, one_rep, {'Flood 0', 'Flood 1', 'Neighbour'}, {'Flood 2', 'Flood 3'})


@pytest.mark.env(LEADDESK_FORM_RATE_PER_MINUTE='2', LEADDESK_TRUSTED_PROXIES='10.0.0.5')
async def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(user: User, one_rep: Team) -> None:
    nginx = visitor('10.0.0.5')
    for n in range(2):
        assert thanked(await submit(nginx, f'Alice {n}', f'1370000300{n}', forwarded_for='198.51.100.1'))
    assert limited(await submit(nginx, 'Alice 2', '13700003002', forwarded_for='198.51.100.1'))
    # A spoofer writes an address of its own; nginx appends the real one, which is what counts.
    assert limited(await submit(nginx, 'Alice 3', '13700003003', forwarded_for='192.0.2.99, 198.51.100.1'))
    assert thanked(await submit(nginx, 'Bob', '13700003100', forwarded_for='198.51.100.2'))
    # Not through the proxy: the header is the sender's own word and is ignored.
    direct = visitor('203.0.113.50')
    for n in range(2):
        assert thanked(await submit(direct, f'Direct {n}', f'1370000320{n}', forwarded_for=f'192.0.2.{n}'))
    assert limited(await submit(direct, 'Direct 2', '13700003202', forwarded_for='192.0.2.200'))
    accepted = {'Alice 0', 'Alice 1', 'Bob', 'Direct 0', 'Direct 1'}
    assert lead_names(one_rep) == accepted
    await only_accepted_in_inbox(user, one_rep, accepted, {'Alice 2', 'Alice 3', 'Direct 2'})


@pytest.mark.env(LEADDESK_FORM_RATE_PER_MINUTE='100', LEADDESK_FORM_RATE_PER_FORM_PER_MINUTE='3')
async def test_per_form_limit_stops_a_spread_out_flood_on_that_form_only(user: User, one_rep: Team) -> None:
    for n in range(3):
        assert thanked(await submit(visitor(f'192.0.2.{n + 1}'), f'Spread {n}', f'1370000300{n}'))
    # a new address: the form itself is over its limit
    assert limited(await submit(visitor('192.0.2.99'), 'Spread 3', '13700003003'))
    other = one_rep.desk.access.create_web_form(one_rep.admin, name='Trade show', source='trade_show')
    assert thanked(await submit(visitor('192.0.2.100'), 'Other Form', '13700003100', form=other.key))
    assert lead_names(one_rep) == {'Spread 0', 'Spread 1', 'Spread 2', 'Other Form'}
    await only_accepted_in_inbox(user, one_rep, {'Spread 0', 'Spread 1', 'Spread 2', 'Other Form'}, {'Spread 3'})


async def test_oversized_fields_are_refused_on_the_server(user: User, one_rep: Team) -> None:
    """The inputs' maxlength only binds an honest browser; the server checks every length itself."""
    browser = visitor('203.0.113.20')
    r = await submit(browser, 'N' * 201, '13700004000')
    assert r.status_code == 422 and 'data-testid="form-error-name"' in r.text
    r = await submit(browser, 'Long Message', '13700004000', message='m' * 5001)
    assert r.status_code == 422 and 'data-testid="form-error-message"' in r.text
    assert lead_names(one_rep) == set()
    assert notifications(one_rep) == 0
    assert thanked(await submit(browser, 'Long Message', '13700004000', message='m' * 5000))  # the limit is fine
    with read_session(one_rep.desk.ctx.engine) as s:
        [lead] = s.exec(select(Lead))
    assert (lead.name, len(lead.message or '')) == ('Long Message', 5000)
    await only_accepted_in_inbox(user, one_rep, {'Long Message'}, {'N' * 201})


async def test_refused_origin_writes_nothing_and_tells_nobody(user: User, one_rep: Team) -> None:
    [form] = one_rep.desk.access.web_forms(one_rep.admin)
    one_rep.desk.access.update_web_form(one_rep.admin, form.id or 0, {
        'name': form.name, 'language': form.language, 'fields': form.fields,
        'allowed_origins': ['https://www.acme.example']})
    browser = visitor('203.0.113.30')
    r = await browser.post('/f/contact', data={'name': 'Elsewhere', 'phone': '13700004100'},
                           headers={'Origin': 'https://spam.example'})
    assert r.status_code == 403
    r = await browser.post('/f/contact', data={'name': 'From Acme', 'phone': '13700004101'},
                           headers={'Origin': 'https://www.acme.example'})
    assert thanked(r)
    assert lead_names(one_rep) == {'From Acme'} and notifications(one_rep) == 1
    await only_accepted_in_inbox(user, one_rep, {'From Acme'}, {'Elsewhere'})
