"""The REST API's custom fields: `POST /api/v1/leads` takes `"custom": {"key": value}` (422 per field,
an unknown key too), `GET` returns it, and /openapi.json describes the fields defined now."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from tests.ui.conftest import Team

OPTIONS = [{'key': 'a', 'label_zh': '甲', 'label_en': 'Plan A'}, {'key': 'b', 'label_zh': '乙', 'label_en': 'Plan B'}]


@pytest.fixture
def keys(team: Team) -> tuple[str, str]:
    """A capture key and a read key, with two lead fields defined (the number required)."""
    fields = team.desk.custom_fields
    fields.define_field(None, entity='lead', key='product', type='single_select', label_zh='意向产品',
                        label_en='Product', options=OPTIONS)
    fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数', label_en='Stores',
                        required=True)
    access = team.desk.access
    return access.create_api_key(None, name='website'), access.create_api_key(None, name='bi', scope='read')


async def test_custom_values_are_captured_and_read_back(user: User, keys: tuple[str, str]) -> None:
    capture_key, read_key = keys
    created = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': capture_key}, json={
        'name': '周杰', 'phone': '139 1111 2222', 'custom': {'product': 'b', 'stores': '12'}})
    assert created.status_code == 201
    lead = await user.http_client.get(f'/api/v1/leads/{created.json()["id"]}', headers={'X-API-Key': read_key})
    assert lead.status_code == 200 and lead.json()['custom'] == {'product': 'b', 'stores': 12}


async def test_bad_unknown_and_missing_custom_values_are_422_per_field(user: User, keys: tuple[str, str]) -> None:
    capture_key, _ = keys
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': capture_key}, json={
        'name': 'Amy', 'email': 'amy@example.com', 'custom': {'product': 'z', 'colour': 'red'}})
    assert r.status_code == 422
    errors = {e['field']: (e['code'], e['message']) for e in r.json()['errors']}
    assert errors == {'custom.product': ('invalid_option', "Not one of the field's options"),
                      'custom.colour': ('unknown_field', 'No such field'),
                      'custom.stores': ('required', 'Required')}
    not_object = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': capture_key}, json={
        'name': 'Amy', 'email': 'amy@example.com', 'custom': ['stores']})
    assert not_object.status_code == 422 and not_object.json()['errors'][0]['field'] == 'custom'


async def test_a_retired_field_is_refused_on_input(user: User, team: Team, keys: tuple[str, str]) -> None:
    team.desk.custom_fields.retire_field(None, entity='lead', key='product')
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': keys[0]}, json={
        'name': 'Bo', 'phone': '13800001111', 'custom': {'product': 'a', 'stores': 1}})
    assert r.status_code == 422
    assert [(e['field'], e['code']) for e in r.json()['errors']] == [('custom.product', 'retired_field')]


async def test_openapi_describes_the_custom_fields_defined_now(user: User, team: Team, keys: tuple[str, str]) -> None:
    spec = (await user.http_client.get('/openapi.json')).json()
    body = spec['paths']['/api/v1/leads']['post']['requestBody']['content']['application/json']['schema']
    custom = body['properties']['custom']
    assert custom['type'] == 'object' and custom['required'] == ['stores']
    assert custom['properties'] == {'product': {'type': 'string', 'enum': ['a', 'b'], 'description': 'Product'},
                                    'stores': {'type': 'number', 'description': 'Stores'}}
    team.desk.custom_fields.retire_field(None, entity='lead', key='product')
    spec = (await user.http_client.get('/openapi.json')).json()
    body = spec['paths']['/api/v1/leads']['post']['requestBody']['content']['application/json']['schema']
    assert list(body['properties']['custom']['properties']) == ['stores']


async def test_a_field_defined_a_moment_ago_is_accepted_at_once(user: User, team: Team,
                                                                keys: tuple[str, str]) -> None:
    """The API checks custom values against the definitions its last capture batch read (no query per
    capture); a value for a field defined since is checked again against the database, not refused."""
    capture_key, read_key = keys
    first = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': capture_key}, json={
        'name': 'Early', 'phone': '13800002222', 'custom': {'stores': 3}})
    assert first.status_code == 201
    team.desk.custom_fields.define_field(None, entity='lead', key='agent', type='text', label_zh='渠道代理',
                                         label_en='Channel agent')
    r = await user.http_client.post('/api/v1/leads', headers={'X-API-Key': capture_key}, json={
        'name': 'Late', 'phone': '13800003333', 'custom': {'stores': 4, 'agent': '华东代理'}})
    assert r.status_code == 201, r.json()
    lead = await user.http_client.get(f'/api/v1/leads/{r.json()["id"]}', headers={'X-API-Key': read_key})
    assert lead.json()['custom'] == {'stores': 4, 'agent': '华东代理'}
