"""The public web form over plain HTTP (`/f/<key>`, ui/webform.py): a page without NiceGUI or a
session, validation shown per field with the typed values kept, honeypot, language, consent,
redirect, the per-form origin allow-list, escaping and the security headers."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from nicegui import Client, app
from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import AuditEntry, Lead, Notification
from tests.ui.conftest import Team

FORM = '/f/contact'


def leads(team: Team) -> list[Lead]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(Lead)))


def configure(team: Team, key: str = 'contact', **changes: Any) -> None:
    """Change the form as a manager would in Settings."""
    [form] = [f for f in team.desk.access.web_forms(team.admin) if f.key == key]
    values = {k: getattr(form, k) for k in ('name', 'language', 'source', 'fields', 'consent_text', 'thanks_text',
                                             'redirect_url', 'allowed_origins', 'is_active')}
    team.desk.access.update_web_form(team.manager, form.id or 0, {**values, **changes})


async def post(user: User, data: dict[str, str], path: str = FORM, **headers: str) -> httpx.Response:
    return await user.http_client.post(path, data=data, headers=headers, follow_redirects=False)


def shown_value(page: str, field: str) -> str:
    """What the re-rendered form shows in a field (the browser's view: entities decoded)."""
    match = re.search(rf'name="{field}"[^>]*value="([^"]*)"', page) or \
        re.search(rf'name="{field}"[^>]*>([^<]*)</textarea>', page)
    assert match, field
    return unescape(match.group(1))


def error_under(page: str, field: str) -> str | None:
    match = re.search(rf'data-testid="form-error-{field}">([^<]*)<', page)
    return unescape(match.group(1)) if match else None


async def test_the_form_is_a_plain_page_with_no_session(user: User, team: Team) -> None:
    sessions = Path(team.desk.ctx.settings.data_dir) / 'sessions'
    before = len(list(sessions.glob('*'))) if sessions.exists() else 0
    r = await user.http_client.get(FORM)
    assert r.status_code == 200 and r.headers['content-type'].startswith('text/html')
    assert 'set-cookie' not in r.headers
    assert '<script' not in r.text and '_nicegui' not in r.text
    assert '<html lang="zh-CN">' in r.text and '姓名' in r.text and '提交' in r.text  # the form's language
    assert re.findall(r'<(?:input|textarea)[^>]* name="([a-z]+)"', r.text) == [
        'name', 'phone', 'email', 'company', 'title', 'region', 'city', 'need', 'timeline', 'budget', 'message',
        'website']  # the form's fields in its order, then the honeypot
    assert 'width=device-width' in r.text
    after = len(list(sessions.glob('*'))) if sessions.exists() else 0
    assert after == before


async def test_visitor_submits_a_lead_and_is_thanked(user: User, team: Team) -> None:
    r = await post(user, {'name': '访客 王', 'phone': '13700001234', 'website': ''})
    assert r.status_code == 200 and 'data-testid="form-thanks"' in r.text and '谢谢' in r.text
    [lead] = leads(team)
    assert (lead.name, lead.source, lead.status) == ('访客 王', 'website', 'assigned')
    with read_session(team.desk.ctx.engine) as s:
        [captured] = [a for a in s.exec(select(AuditEntry)) if a.action == 'captured']
        told = [n.user_id for n in s.exec(select(Notification))]
    assert captured.reason_params['channel'] == 'web_form'
    assert told == [lead.owner_id]  # the new owner is told, as for any capture


async def test_multipart_bodies_are_read_too(user: User, team: Team) -> None:
    r = await user.http_client.post(FORM, files={'name': (None, 'Multi Part'), 'email': (None, 'mp@example.com')})
    assert r.status_code == 200, r.text
    assert [lead.email for lead in leads(team)] == ['mp@example.com']


async def test_invalid_submission_shows_each_error_under_its_field_and_keeps_the_values(
        user: User, team: Team) -> None:
    configure(team, language='en')
    r = await post(user, {'name': '', 'phone': 'not a phone', 'company': 'Acme Ltd', 'message': 'line 1\nline 2'})
    assert r.status_code == 422
    assert error_under(r.text, 'name') == 'Required'
    assert error_under(r.text, 'phone') == 'Not a valid phone number'
    assert error_under(r.text, 'email') is None
    assert shown_value(r.text, 'phone') == 'not a phone'
    assert shown_value(r.text, 'company') == 'Acme Ltd'
    assert shown_value(r.text, 'message') == 'line 1\nline 2'
    assert leads(team) == []


async def test_no_phone_and_no_email_is_said_under_the_phone(user: User, team: Team) -> None:
    configure(team, language='en')
    r = await post(user, {'name': 'No Contact'})
    assert r.status_code == 422 and error_under(r.text, 'phone') == 'Give a phone number or an email'
    assert leads(team) == []


async def test_fields_the_form_does_not_ask_for_are_ignored(user: User, team: Team) -> None:
    """A crafted post cannot choose the source, a campaign or an external id."""
    r = await post(user, {'name': 'Crafty', 'phone': '13700001235', 'source': 'referral', 'campaign': 'x',
                          'external_id': 'steal-1'})
    assert r.status_code == 200
    [lead] = leads(team)
    assert (lead.source, lead.campaign, lead.external_id) == ('website', None, None)


async def test_honeypot_submission_is_thanked_and_dropped(user: User, team: Team) -> None:
    r = await post(user, {'name': 'Bot', 'phone': '13700004321', 'website': 'http://spam.example'})
    assert r.status_code == 200 and 'data-testid="form-thanks"' in r.text
    assert leads(team) == []


async def test_unknown_or_closed_form_is_not_found(user: User, team: Team) -> None:
    r = await user.http_client.get('/f/nope')
    assert r.status_code == 404 and 'data-testid="form-missing"' in r.text
    configure(team, is_active=False)
    assert (await user.http_client.get(FORM)).status_code == 404
    r = await post(user, {'name': 'Late', 'phone': '13700001236'})
    assert r.status_code == 404 and leads(team) == []


async def test_chinese_form_is_chinese_from_its_title_to_its_thanks(user: User, team: Team) -> None:
    r = await user.http_client.get(FORM, headers={'Accept-Language': 'en-US'})
    assert '<title>网站联系表单</title>' in r.text and '>网站联系表单</h1>' in r.text
    assert '<html lang="zh-CN">' in r.text and '>姓名 <' in r.text and '>提交<' in r.text
    assert 'contact form' not in r.text
    refused = await post(user, {'name': '', 'phone': '12'})
    assert refused.status_code == 422 and '请检查下面标出的项目。' in refused.text and '必填' in refused.text
    done = await post(user, {'name': '李雷', 'phone': '13700001299'})
    assert '谢谢！我们会尽快与您联系。' in done.text and '<title>网站联系表单</title>' in done.text


async def test_switching_a_form_to_english_retitles_it(user: User, team: Team) -> None:
    configure(team, language='en')
    r = await user.http_client.get(FORM, headers={'Accept-Language': 'zh-CN'})
    assert '>Website contact form</h1>' in r.text and '网站' not in r.text


async def test_english_form_speaks_english_whatever_the_browser(user: User, team: Team) -> None:
    configure(team, language='en', fields=['name', 'email', 'message'])
    r = await user.http_client.get(FORM, headers={'Accept-Language': 'zh-CN'})
    assert '<html lang="en">' in r.text and '>Name <' in r.text and '>Send<' in r.text and '姓名' not in r.text
    assert re.findall(r'<(?:input|textarea)[^>]* name="([a-z]+)"', r.text) == ['name', 'email', 'message', 'website']
    done = await post(user, {'name': 'Eve', 'email': 'eve@example.com'})
    assert 'Thank you!' in done.text


async def test_custom_thanks_text(user: User, team: Team) -> None:
    configure(team, thanks_text='We call back within one working day.')
    r = await post(user, {'name': 'Tia', 'phone': '13700001237'})
    assert 'We call back within one working day.' in r.text


async def test_consent_box_must_be_ticked_when_the_form_has_consent_text(user: User, team: Team) -> None:
    configure(team, language='en', consent_text='I agree that Acme stores my details to contact me.')
    page = await user.http_client.get(FORM)
    assert 'I agree that Acme stores my details' in page.text and 'name="consent"' in page.text
    r = await post(user, {'name': 'Con Sent', 'phone': 'bad'})
    assert r.status_code == 422
    assert 'Please tick the box to agree' in r.text and error_under(r.text, 'phone')  # every error at once
    assert leads(team) == []
    r = await post(user, {'name': 'Con Sent', 'phone': '13700001238', 'consent': 'yes'})
    assert r.status_code == 200 and [lead.name for lead in leads(team)] == ['Con Sent']
    with read_session(team.desk.ctx.engine) as s:
        [consented] = [a for a in s.exec(select(AuditEntry)) if a.action == 'consented']
    assert consented.reason_params['text'] == 'I agree that Acme stores my details to contact me.'


async def test_redirect_url_answers_303(user: User, team: Team) -> None:
    configure(team, redirect_url='https://www.example.com/thanks?from=form')
    r = await post(user, {'name': 'Red Irect', 'phone': '13700001239'})
    assert r.status_code == 303 and r.headers['location'] == 'https://www.example.com/thanks?from=form'
    assert "form-action 'self' https://www.example.com" in (await user.http_client.get(FORM)).headers[
        'content-security-policy']
    assert [lead.name for lead in leads(team)] == ['Red Irect']


async def test_origin_allow_list_refuses_other_sites(user: User, team: Team) -> None:
    data = {'name': 'From Elsewhere', 'phone': '13700002001'}
    assert (await post(user, data, Origin='https://spam.example')).status_code == 200  # empty list: anywhere
    configure(team, allowed_origins=['https://www.acme.example', 'http://localhost:3000'])
    r = await post(user, {**data, 'name': 'Spam Site'}, Origin='https://spam.example')
    assert r.status_code == 403 and 'data-testid="form-refused"' in r.text
    r = await post(user, {**data, 'name': 'Spam Referer'}, Referer='https://spam.example/page')
    assert r.status_code == 403
    assert (await post(user, {**data, 'name': 'Sandboxed'}, Origin='null')).status_code == 403
    ok = [await post(user, {**data, 'name': 'Acme Page'}, Origin='https://www.acme.example'),
          await post(user, {**data, 'name': 'Acme Referer'}, Referer='https://www.acme.example/contact'),
          await post(user, {**data, 'name': 'Dev Site'}, Origin='http://localhost:3000'),
          await post(user, {**data, 'name': 'Own Page'}, Origin='http://test'),  # this app (Host: test)
          await post(user, {**data, 'name': 'No Origin'})]
    assert [r.status_code for r in ok] == [200] * 5
    with read_session(team.desk.ctx.engine) as s:
        lead = s.exec(select(Lead)).one()  # one person: the later ones joined the first lead
    assert (lead.name, lead.touch_count) == ('From Elsewhere', 5)  # the refused ones wrote nothing


async def test_framing_follows_the_allow_list(user: User, team: Team) -> None:
    csp = (await user.http_client.get(FORM)).headers['content-security-policy']
    assert 'frame-ancestors *' in csp and "default-src 'none'" in csp
    configure(team, allowed_origins=['https://www.acme.example'])
    csp = (await user.http_client.get(FORM)).headers['content-security-policy']
    assert "frame-ancestors 'self' https://www.acme.example" in csp


async def test_pages_and_api_carry_security_headers(user: User, team: Team) -> None:
    page = await user.http_client.get('/login')
    assert page.headers['x-content-type-options'] == 'nosniff'
    assert page.headers['referrer-policy'] == 'strict-origin-when-cross-origin'
    assert page.headers['content-security-policy'] == "frame-ancestors 'self'"
    api = await user.http_client.get('/health')
    assert api.headers['x-content-type-options'] == 'nosniff'
    form = await user.http_client.get(FORM)
    assert form.headers['x-content-type-options'] == 'nosniff' and form.headers['cache-control'] == 'no-store'
    assert form.headers['content-security-policy'].count('frame-ancestors') == 1


async def test_hostile_strings_are_rendered_as_text(user: User, team: Team) -> None:
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    configure(team, name=f'Form {hostile}', consent_text=f'Agree {hostile}', thanks_text=f'Thanks {hostile}',
              language='en')
    for r in (await user.http_client.get(FORM),
              await post(user, {'name': hostile, 'phone': 'x' + hostile, 'message': f'</textarea>{hostile}'}),
              await post(user, {'name': hostile, 'phone': '13700003001', 'consent': 'yes'})):
        assert '<script' not in r.text and '<img' not in r.text, r.text
        assert '&lt;script&gt;alert(1)&lt;/script&gt;' in r.text
    assert [lead.name for lead in leads(team)] == [hostile]  # stored as typed, shown as text


async def test_a_body_over_the_limit_is_refused_unread(user: User, team: Team) -> None:
    r = await post(user, {'name': 'Big', 'phone': '13700003002', 'message': 'm' * 70_000})
    assert r.status_code == 413 and leads(team) == []


async def test_other_bodies_are_refused(user: User, team: Team) -> None:
    r = await user.http_client.post(FORM, json={'name': 'Json', 'phone': '13700003003'})
    assert r.status_code == 415 and leads(team) == []


async def test_lead_with_no_eligible_rep_waits_in_pool_and_managers_are_told(user: User, team: Team) -> None:
    for rep in (team.rep_a, team.rep_b):
        team.desk.team.update_user(team.manager, rep.id, {'is_on_leave': True})
    r = await post(user, {'name': 'Nobody Free', 'phone': '13700005555'})
    assert r.status_code == 200
    [lead] = leads(team)
    assert (lead.status, lead.owner_id) == ('pool', None)
    with read_session(team.desk.ctx.engine) as s:
        assert list(s.exec(select(Notification))) == []  # not one per lead: the timer's summary tells them
    app.state.desk.automation.tick()  # the app's desk: its clock is the one the form's capture used
    with read_session(team.desk.ctx.engine) as s:
        told = {n.user_id for n in s.exec(select(Notification))}
    assert told == {team.admin.id, team.manager.id}


@pytest.mark.parametrize('field', ['name', 'message'])
async def test_values_at_the_limit_pass_and_over_it_are_refused(user: User, team: Team, field: str) -> None:
    limit = {'name': 200, 'message': 5000}[field]
    over = await post(user, {'name': 'Limit', 'phone': '13700006000', field: 'n' * (limit + 1)})
    assert over.status_code == 422 and error_under(over.text, field) == '内容过长'
    at = await post(user, {'name': 'Limit', 'phone': '13700006000', field: 'n' * limit})
    assert at.status_code == 200
    [lead] = leads(team)
    assert len(getattr(lead, field)) == limit


@pytest.mark.env(LEADDESK_FORM_RATE_PER_MINUTE='1000')
async def test_nothing_is_left_behind_by_many_anonymous_submissions(user: User, team: Team) -> None:
    """No NiceGUI client and no storage file per visitor (bench/api_routes.py counts 10,000)."""
    sessions = Path(team.desk.ctx.settings.data_dir) / 'sessions'
    files = len(list(sessions.glob('*'))) if sessions.exists() else 0
    clients = len(Client.instances)
    for n in range(30):
        await user.http_client.get(FORM)
        assert (await post(user, {'name': f'Anon {n}', 'phone': f'137000070{n:02d}'})).status_code == 200
    assert len(Client.instances) == clients
    assert (len(list(sessions.glob('*'))) if sessions.exists() else 0) == files
    assert len(leads(team)) == 30
