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
    """Posts in flight together (they may share one commit: core/capture_queue.py) answer as if sent
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
    (pages still get one), and a missing key is still refused."""
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
    assert page.status_code == 200 and 'session=' in page.headers.get('set-cookie', '')
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
