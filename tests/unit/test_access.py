"""desk.access: API keys stored hashed, revocation, idempotent API capture."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from core.access import KeyInfo
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from store.engine import read_session
from store.models import Activity, ApiKey, IdempotencyRecord, Lead, Role
from tests.factories import admin, lead_data, user

from .db import get, rows


def api_key(desk: Desk) -> tuple[str, KeyInfo]:
    raw = desk.access.create_api_key(None, name='Website')
    info = desk.access.check_api_key(raw)
    assert info is not None
    return raw, info


# ----- keys --------------------------------------------------------------------------------------

def test_create_api_key_returns_raw_key_and_stores_only_its_sha256(desk: Desk) -> None:
    raw = desk.access.create_api_key(admin(desk), name='CRM sync')
    [stored] = rows(desk, ApiKey)
    assert raw.startswith('ld_') and len(raw) > 40
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert (stored.name, stored.scope, stored.prefix) == ('CRM sync', 'capture', raw[:10])


def test_raw_api_key_is_in_no_column(desk: Desk) -> None:
    raw = desk.access.create_api_key(None, name='Website')
    with read_session(desk.ctx.engine) as session:
        values = [v for row in session.execute(sa.text('SELECT * FROM api_keys')).all() for v in row]
    assert values
    assert not any(isinstance(v, str) and raw in v for v in values)


@pytest.mark.parametrize(('kw', 'errors'), [({'name': ' \x00 '}, {'name': 'required'}),
                                             ({'name': 'x', 'scope': 'admin'}, {'scope': 'invalid'})])
def test_create_api_key_validates_name_and_scope(desk: Desk, kw: dict, errors: dict) -> None:
    with pytest.raises(ValidationFailed) as info:
        desk.access.create_api_key(None, **kw)
    assert info.value.errors == errors
    assert rows(desk, ApiKey) == []


def test_check_api_key_identifies_valid_key(desk: Desk) -> None:
    raw = desk.access.create_api_key(None, name='Website', scope='read')
    info = desk.access.check_api_key(raw)
    assert info is not None
    assert (info.id, info.name, info.scope) == (rows(desk, ApiKey)[0].id, 'Website', 'read')


@pytest.mark.parametrize('raw', [None, '', 'ld_unknown', 'x' * 500])
def test_check_api_key_unknown_is_none(desk: Desk, raw: str | None) -> None:
    desk.access.create_api_key(None, name='Website')
    assert desk.access.check_api_key(raw) is None


def test_check_api_key_revoked_is_none(desk: Desk) -> None:
    boss = admin(desk)
    raw, info = api_key(desk)
    desk.access.revoke_api_key(boss, info.id)
    assert get(desk, ApiKey, info.id).is_revoked
    assert desk.access.check_api_key(raw) is None


def test_rep_cannot_create_or_revoke_api_keys(desk: Desk) -> None:
    rep = user(desk, Role.REP)
    _, info = api_key(desk)
    with pytest.raises(NotAllowed):
        desk.access.create_api_key(rep, name='mine')
    with pytest.raises(NotAllowed):
        desk.access.revoke_api_key(rep, info.id)
    assert [(k.name, k.is_revoked) for k in rows(desk, ApiKey)] == [('Website', False)]


# ----- idempotent API capture --------------------------------------------------------------------

def test_api_capture_uses_api_source_by_default(desk: Desk) -> None:
    _, key = api_key(desk)
    result, replayed = desk.access.capture_via_api(key, lead_data(), None)
    assert (replayed, result.created, get(desk, Lead, result.lead_id).source) == (False, True, 'api')


def test_same_external_id_twice_creates_one_lead(desk: Desk) -> None:
    _, key = api_key(desk)
    first, replayed_first = desk.access.capture_via_api(key, lead_data(external_id='crm-42'), None)
    second, replayed_second = desk.access.capture_via_api(key, lead_data(external_id=' crm-42 '), None)
    assert (replayed_first, replayed_second) == (False, True)
    assert second.lead_id == first.lead_id
    assert [lead.external_id for lead in rows(desk, Lead)] == ['crm-42']
    assert rows(desk, Activity) == []


def test_same_idempotency_key_twice_creates_one_lead(desk: Desk) -> None:
    _, key = api_key(desk)
    first, replayed_first = desk.access.capture_via_api(key, lead_data(), 'req-1')
    second, replayed_second = desk.access.capture_via_api(key, lead_data(), 'req-1')
    assert (replayed_first, replayed_second) == (False, True)
    assert second.lead_id == first.lead_id
    assert len(rows(desk, Lead)) == 1
    assert [(r.api_key_id, r.key, r.lead_id) for r in rows(desk, IdempotencyRecord)] == \
        [(key.id, 'req-1', first.lead_id)]


def test_idempotency_key_is_per_api_key(desk: Desk) -> None:
    _, key_a = api_key(desk)
    _, key_b = api_key(desk)
    first, _ = desk.access.capture_via_api(key_a, lead_data(), 'req-1')
    second, replayed = desk.access.capture_via_api(key_b, lead_data(), 'req-1')
    assert (replayed, second.created) == (False, True)
    assert second.lead_id != first.lead_id


def test_replay_of_duplicate_arrival_reports_created_false(desk: Desk) -> None:
    _, key = api_key(desk)
    existing = desk.leads.capture_lead(lead_data(phone='13812345678'), channel='manual', default_source='manual')
    first, _ = desk.access.capture_via_api(key, lead_data(phone='13812345678'), 'req-1')
    second, replayed = desk.access.capture_via_api(key, lead_data(phone='13812345678'), 'req-1')
    assert (first.created, first.lead_id) == (False, existing.lead_id)
    assert replayed
    assert second.created == first.created


def test_retry_with_external_id_of_duplicate_arrival_adds_one_touch(desk: Desk) -> None:
    _, key = api_key(desk)
    existing = desk.leads.capture_lead(lead_data(phone='13812345678'), channel='manual', default_source='manual')
    desk.access.capture_via_api(key, lead_data(phone='13812345678', external_id='crm-7'), None)
    second, replayed = desk.access.capture_via_api(key, lead_data(phone='13812345678', external_id='crm-7'), None)
    assert second.lead_id == existing.lead_id
    assert replayed
    assert get(desk, Lead, existing.lead_id).touch_count == 1
