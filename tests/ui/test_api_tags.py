"""The REST API's tags: `POST /api/v1/leads` takes `"tags": [key or name, …]` (an unknown or retired
tag is a 422 naming it), `GET` returns the lead's tag keys, /openapi.json describes the field."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from tests.ui.conftest import Team


@pytest.fixture
def keys(team: Team) -> tuple[str, str]:
    team.desk.tags.define_tag(None, name_zh='重点客户', name_en='Key account')
    team.desk.tags.define_tag(None, name_zh='展会', name_en='Fair')
    access = team.desk.access
    return access.create_api_key(None, name='website'), access.create_api_key(None, name='bi', scope='read')


async def test_tags_by_key_or_name_are_captured_and_read_back(user: User, keys: tuple[str, str]) -> None:
    capture_key, read_key = keys
    created = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': capture_key}, json={
        'name': '周杰', 'phone': '139 1111 2222', 'tags': ['key-account', '展会']})
    assert created.status_code == 201
    lead = await user.http_client.get(f'/api/v1/leads/{created.json()["id"]}', headers={'X-API-Key': read_key})
    assert lead.json()['tags'] == ['key-account', 'fair']


async def test_an_unknown_tag_is_a_422_naming_it(user: User, keys: tuple[str, str]) -> None:
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': keys[0]}, json={
        'name': '周杰', 'phone': '139 1111 2222', 'tags': ['Fair', 'nope']})
    assert r.status_code == 422
    assert r.json()['errors'] == [{'field': 'tags', 'code': 'unknown_tag', 'message':
                                   'No such tag: "nope" (use a tag\'s key or its name in Chinese or English)'}]


async def test_tags_that_are_not_a_list_of_strings_are_a_422(user: User, keys: tuple[str, str]) -> None:
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': keys[0]}, json={
        'name': '周杰', 'phone': '139 1111 2222', 'tags': 'fair'})
    assert r.status_code == 422 and r.json()['errors'][0]['field'] == 'tags'


async def test_a_retired_tag_is_refused(user: User, team: Team, keys: tuple[str, str]) -> None:
    fair = team.desk.tags.tag_set().find('fair')
    assert fair is not None
    team.desk.tags.retire_tag(None, fair.id)
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': keys[0]}, json={
        'name': '周杰', 'phone': '139 1111 2222', 'tags': ['fair']})
    assert r.status_code == 422
    assert r.json()['errors'][0]['message'] == 'The tag "fair" is retired'


async def test_openapi_describes_tags(user: User, keys: tuple[str, str]) -> None:
    spec = (await user.http_client.get('/openapi.json')).json()
    body = spec['paths']['/api/v1/leads']['post']['requestBody']['content']['application/json']['schema']
    assert body['properties']['tags']['type'] == 'array'
