"""The REST API contract: status codes, shapes, dedupe, idempotency, limits."""

from __future__ import annotations

import asyncio

import pytest
from nicegui.testing import User
from sqlmodel import func, select

from store.engine import read_session
from store.models import Lead
from tests.ui.conftest import Team


@pytest.fixture
def key(team: Team) -> str:
    return team.desk.access.create_api_key(None, name='website')


def lead_count(team: Team) -> int:
    with read_session(team.desk.ctx.engine) as s:
        return s.exec(select(func.count()).select_from(Lead)).one()


async def test_health_answers_without_login(user: User) -> None:
    response = await user.http_client.get('/health')
    assert response.status_code == 200


async def test_post_creates_a_scored_assigned_lead(user: User, team: Team, key: str) -> None:
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key}, json={
        'name': '周杰', 'phone': '139 1111 2222', 'company': '杭州云帆科技有限公司', 'budget': '30万',
        'authority': '总经理', 'need': 'CRM', 'timeline': '一个月内'})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {'id', 'status', 'score', 'grade', 'owner_id', 'owner_name', 'duplicate_of'}
    assert body['status'] == 'assigned' and body['owner_name'] in ('Rep Li', 'Rep Zhao')
    assert body['grade'] == 'A' and body['duplicate_of'] is None


async def test_duplicate_joins_existing_lead_with_200(user: User, team: Team, key: str) -> None:
    first = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                        json={'name': 'Amy', 'email': 'amy@example.com'})
    again = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                        json={'name': 'Amy W', 'email': 'AMY@example.com', 'source': 'ads'})
    assert again.status_code == 200
    assert again.json()['duplicate_of'] == first.json()['id']
    assert lead_count(team) == 1


async def test_same_external_id_replays_first_answer(user: User, team: Team, key: str) -> None:
    payload = {'name': 'Bo', 'phone': '13800001111', 'external_id': 'crm-42'}
    first = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key}, json=payload)
    second = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key}, json=payload)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert lead_count(team) == 1


async def test_idempotency_key_replays_first_answer(user: User, team: Team, key: str) -> None:
    headers = {'X-API-Key': key, 'Idempotency-Key': 'abc-1'}
    first = await user.http_client.post('/api/v1/leads', headers=headers, json={'name': 'C', 'phone': '13800002222'})
    second = await user.http_client.post('/api/v1/leads', headers=headers, json={'name': 'C', 'phone': '13800002222'})
    assert second.json()['id'] == first.json()['id'] and second.status_code == 201
    assert lead_count(team) == 1


async def test_concurrent_posts_each_get_their_own_answer(user: User, team: Team, key: str) -> None:
    """Posts in flight together (they may share one commit: core/capture/group_commit.py) answer as if sent
    one by one: each its own lead, a same-phone pair one 201 and one 200 naming it."""
    payloads = [{'name': f'P{i}', 'phone': f'1390000{i:04d}'} for i in range(8)] + \
        [{'name': 'P0 again', 'phone': '+86 139 0000 0000'}]
    responses = await asyncio.gather(*(user.http_client.post('/api/v1/leads', headers={'X-API-Key': key}, json=p)
                                       for p in payloads))
    bodies = [r.json() for r in responses]
    assert sorted(r.status_code for r in responses) == [200] + [201] * 8
    assert len({b['id'] for b in bodies}) == 8 and lead_count(team) == 8
    pair = sorted((r.status_code, b['id'], b['duplicate_of']) for r, b in zip(responses, bodies, strict=True)
                  if b['id'] == bodies[0]['id'])  # P0 and its twin, whichever arrived first
    assert pair == [(200, bodies[0]['id'], bodies[0]['id']), (201, bodies[0]['id'], None)]


@pytest.mark.parametrize('headers', [{}, {'X-API-Key': 'ld_wrong'}])
async def test_missing_or_wrong_key_is_401(user: User, team: Team, headers: dict[str, str]) -> None:
    r = await user.http_client.post('/api/v1/leads', headers=headers, json={'name': 'X', 'phone': '13800003333'})
    assert r.status_code == 401 and 'X-API-Key' in r.json()['detail']
    assert lead_count(team) == 0


async def test_revoked_key_is_401(user: User, team: Team, key: str) -> None:
    key_id = team.desk.access.api_keys(team.admin)[0].id
    team.desk.access.revoke_api_key(team.admin, key_id)
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key}, json={'name': 'X', 'phone': '1380'})
    assert r.status_code == 401


async def test_invalid_fields_are_listed_with_422(user: User, team: Team, key: str) -> None:
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                    json={'phone': 'not a phone', 'email': 'nope', 'source': 'martians'})
    assert r.status_code == 422
    errors = {e['field']: e['code'] for e in r.json()['errors']}
    assert errors == {'name': 'required', 'phone': 'invalid_phone', 'email': 'invalid_email',
                      'source': 'invalid_source'}
    assert lead_count(team) == 0


async def test_body_over_64_kib_is_413(user: User, team: Team, key: str) -> None:
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                    json={'name': 'Big', 'phone': '13800004444', 'message': 'x' * 70_000})
    assert r.status_code == 413
    assert lead_count(team) == 0


async def test_broken_json_is_400(user: User, team: Team, key: str) -> None:
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key, 'Content-Type': 'application/json'},
                                    content=b'{"name": ')
    assert r.status_code == 400


@pytest.mark.env(LEADDESK_API_RATE_PER_MINUTE='3')
async def test_over_rate_limit_is_429(user: User, team: Team, key: str) -> None:
    codes = [(await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                          json={'name': f'R{i}', 'phone': f'1380000{i:04d}'})).status_code
             for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    assert lead_count(team) == 3


async def test_get_lead_needs_read_scope(user: User, team: Team, key: str) -> None:
    created = (await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                           json={'name': 'Dee', 'phone': '13800005555'})).json()
    denied = await user.http_client.get(f'/api/v1/leads/{created["id"]}', headers={'X-API-Key': key})
    assert denied.status_code == 403
    reader = team.desk.access.create_api_key(None, name='bi', scope='read')
    ok = await user.http_client.get(f'/api/v1/leads/{created["id"]}', headers={'X-API-Key': reader})
    assert ok.status_code == 200 and ok.json()['name'] == 'Dee'
    missing = await user.http_client.get('/api/v1/leads/99999', headers={'X-API-Key': reader})
    assert missing.status_code == 404


async def test_openapi_documents_the_lead_endpoint(user: User) -> None:
    spec = (await user.http_client.get('/openapi.json')).json()
    body = spec['paths']['/api/v1/leads']['post']['requestBody']['content']['application/json']['schema']
    assert 'name' in body['properties'] and 'external_id' in body['properties']


async def test_api_answers_carry_no_browser_session(user: User, team: Team, key: str) -> None:
    """The API is served in front of the pages' middleware: no session cookie for API clients
    (nor do anonymous pages: sign-in is our own cookie, set only at login), and a missing key is still refused."""
    import httpx
    from nicegui import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://test') as fresh:
        captured = await fresh.post('/api/v1/leads', headers={'X-API-Key': key},
                                    json={'name': 'Ann', 'phone': '13800001111'})
        health = await fresh.get('/health')
        refused = await fresh.post('/api/v1/leads', json={'name': 'Bob', 'phone': '13800002222'})
        page = await fresh.get('/login')
    assert captured.status_code == 201 and health.status_code == 200 and refused.status_code == 401
    assert [r.headers.get('set-cookie') for r in (captured, health, refused)] == [None, None, None]
    assert page.status_code == 200 and 'set-cookie' not in page.headers  # an anonymous page sets none either
    assert lead_count(team) == 1


async def test_a_server_fault_answers_json_500(user: User, team: Team, key: str,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """A broken database (here: the keys table gone) is a JSON error with a code, not a text page,
    and the log has the trace."""
    import httpx
    from nicegui import app

    with team.desk.ctx.engine.begin() as c:
        c.exec_driver_sql('ALTER TABLE api_keys RENAME TO api_keys_gone')
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)  # as a server: answer sent, error logged
    async with httpx.AsyncClient(transport=transport, base_url='http://test') as client:
        r = await client.post('/api/v1/leads', headers={'X-API-Key': key},
                              json={'name': 'Ann', 'phone': '13800001111'})
    assert r.status_code == 500
    assert r.json()['code'] == 'internal' and 'retry' in r.json()['detail']
    assert [rec.getMessage() for rec in caplog.records if rec.levelname == 'ERROR'] == [
        'API POST /api/v1/leads failed']
    caplog.clear()  # the expected error, not a failure of the test


# ----- hostile input --------------------------------------------------------------------------------

@pytest.mark.parametrize('body', [b'[' * 30_000 + b']' * 30_000,  # past Python's own parser: was a 500
                                  b'{"name": ' + b'{"a": ' * 50 + b'1' + b'}' * 50 + b'}',  # parses, too deep
                                  b'[' * 17 + b']' * 17])
async def test_json_nested_too_deep_is_400(user: User, team: Team, key: str, body: bytes) -> None:
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key, 'Content-Type': 'application/json'},
                                    content=body)
    assert r.status_code == 400
    assert r.json() == {'code': 'too_deep', 'detail': 'The JSON is nested deeper than 16 levels.'}
    assert lead_count(team) == 0


async def test_a_wide_flat_array_is_a_clear_422(user: User, team: Team, key: str) -> None:
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key, 'Content-Type': 'application/json'},
                                    content=b'[' + b'0,' * 30_000 + b'0]')
    assert r.status_code == 422 and r.json()['errors'][0]['code'] == 'not_object'
    assert '{' not in r.json()['detail']


async def test_422_messages_are_filled_in(user: User, team: Team, key: str) -> None:
    """Every message is a finished sentence: the field list filled in, and a too-long field names its limit."""
    from core.capture.clean import FIELD_LIMITS

    data = {name: 'x' * (limit + 1) for name, limit in FIELD_LIMITS.items()}
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key}, json=data)
    assert r.status_code == 422
    body = r.json()
    assert body['detail'].startswith('Some fields are invalid: name, ') and '{' not in body['detail']
    messages = {e['field']: e['message'] for e in body['errors']}
    assert messages['name'] == 'Too long (at most 200 characters)'
    assert messages['message'] == 'Too long (at most 5000 characters)'
    assert not [m for m in messages.values() if '{' in m or '}' in m]
    big = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                      json={'name': 'Big', 'phone': '13800004444', 'message': 'x' * 70_000})
    assert big.json() == {'code': 'too_large', 'detail': 'The request body is larger than 64 KiB.'}


async def test_invisible_characters_do_not_make_a_second_lead(user: User, team: Team, key: str) -> None:
    first = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                        json={'name': 'Zoe', 'email': 'zw@x.com'})
    again = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                        json={'name': 'Z\u200boe\u202e', 'email': 'zw\u200b@x.com\ufeff',
                                              'phone': '\u2066138\u00ad0000\u200d7777'})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()['duplicate_of'] == first.json()['id'] and lead_count(team) == 1
    with read_session(team.desk.ctx.engine) as s:
        lead = s.exec(select(Lead)).one()
    assert (lead.name, lead.email, lead.phone, lead.phone_norm) == ('Zoe', 'zw@x.com', '13800007777', '+8613800007777')


async def test_another_keys_external_id_is_neither_replayed_nor_revealed(user: User, team: Team, key: str) -> None:
    """Key B sending key A's external id gets its own lead: no replay of A's answer, no 422 `taken`
    telling B the id exists, A's lead untouched; each key's retry replays its own answer."""
    other = team.desk.access.create_api_key(None, name='partner')
    theirs = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': key},
                                         json={'name': 'Secret Customer', 'phone': '13800008888', 'external_id': 'o-1'})
    mine = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': other},
                                       json={'name': 'Probe', 'phone': '13800009999', 'external_id': 'o-1'})
    assert (theirs.status_code, mine.status_code) == (201, 201)
    assert mine.json()['id'] != theirs.json()['id'] and 'Secret' not in mine.text
    again = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': other},
                                        json={'name': 'Probe 2', 'email': 'p@x.com', 'external_id': 'o-1'})
    assert again.json() == mine.json()
    with read_session(team.desk.ctx.engine) as s:
        leads = {lead.name: lead for lead in s.exec(select(Lead))}
    assert set(leads) == {'Secret Customer', 'Probe'} and leads['Secret Customer'].touch_count == 0


# ----- readiness ------------------------------------------------------------------------------------

async def test_ready_answers_200_when_the_database_takes_a_write(user: User, team: Team) -> None:
    r = await user.http_client.get('/ready')
    assert (r.status_code, r.json()) == (200, {'status': 'ready'})


async def test_ready_answers_503_while_the_database_cannot_be_written(user: User, team: Team) -> None:
    """Another writer holds SQLite's write lock past the probe's 2 s: 503 with a reason, while /health
    (liveness) stays 200; once the lock is gone, ready again."""
    import os
    import sqlite3
    import time

    path = os.environ['LEADDESK_DATABASE_URL'].removeprefix('sqlite:///')
    await user.http_client.get('/ready')
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute('BEGIN IMMEDIATE')
        started = time.monotonic()
        r = await user.http_client.get('/ready')
        waited = time.monotonic() - started
        assert r.status_code == 503
        assert r.json() == {'status': 'unready', 'reason': 'busy',
                            'detail': 'The database did not take a write within 2.0 seconds (another writer holds it).'}
        assert waited >= 1.5  # it waited for the lock (busy_timeout) before saying so
        assert (await user.http_client.get('/health')).status_code == 200
    finally:
        holder.execute('ROLLBACK')
        holder.close()
    assert (await user.http_client.get('/ready')).status_code == 200
