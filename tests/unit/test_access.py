"""desk.access: API keys stored hashed, revocation, idempotent API capture."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sqlalchemy as sa

from core.capture.api_access import KeyInfo
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


# ----- external ids are scoped to the key that sent them -----------------------------------------

def test_another_keys_external_id_neither_replays_reveals_nor_touches_that_lead(desk: Desk) -> None:
    _, key_a = api_key(desk)
    _, key_b = api_key(desk)
    theirs, _ = desk.access.capture_via_api(key_a, lead_data(name='Theirs', external_id='crm-1'), None)
    before = get(desk, Lead, theirs.lead_id)
    mine, replayed = desk.access.capture_via_api(key_b, lead_data(name='Mine', external_id='crm-1'), None)
    assert (replayed, mine.created) == (False, True) and mine.lead_id != theirs.lead_id
    after = get(desk, Lead, theirs.lead_id)
    assert (after.version, after.touch_count, after.name, after.updated_at) == \
        (before.version, before.touch_count, 'Theirs', before.updated_at)
    assert rows(desk, Activity) == []
    # each key's retry replays its own lead
    again_b, replayed_b = desk.access.capture_via_api(key_b, lead_data(name='Mine again', external_id='crm-1'), None)
    again_a, replayed_a = desk.access.capture_via_api(key_a, lead_data(name='Theirs again', external_id='crm-1'), None)
    assert (again_b.lead_id, replayed_b, again_a.lead_id, replayed_a) == (mine.lead_id, True, theirs.lead_id, True)
    assert sorted((lead.name, lead.external_id) for lead in rows(desk, Lead)) == \
        [('Mine', 'crm-1'), ('Theirs', 'crm-1')]


def test_a_twin_by_phone_from_another_key_keeps_the_first_keys_external_id(desk: Desk) -> None:
    """The same person sent by two keys is one lead (dedupe by phone); the second key's id is not
    filled onto it (the lead has one already) and only the second key's retry names it for that key."""
    _, key_a = api_key(desk)
    _, key_b = api_key(desk)
    first, _ = desk.access.capture_via_api(key_a, lead_data(phone='13812345678', external_id='a-1'), None)
    joined, _ = desk.access.capture_via_api(key_b, lead_data(phone='13812345678', external_id='b-1'), None)
    assert (joined.lead_id, joined.created) == (first.lead_id, False)
    lead = get(desk, Lead, first.lead_id)
    assert (lead.external_id, lead.touch_count) == ('a-1', 1)
    replay, replayed = desk.access.capture_via_api(key_b, lead_data(phone='13812345678', external_id='b-1'), None)
    assert (replay.lead_id, replay.created, replayed) == (first.lead_id, False, True)
    other, replayed = desk.access.capture_via_api(key_b, lead_data(external_id='a-1'), None)
    assert not replayed and other.lead_id != first.lead_id


def test_an_imported_external_id_is_not_replayed_to_an_api_key(desk: Desk) -> None:
    imported = desk.leads.capture_lead(lead_data(name='From the CRM', external_id='crm-5'), channel='import',
                                       default_source='import')
    _, key = api_key(desk)
    result, replayed = desk.access.capture_via_api(key, lead_data(name='Web', external_id='crm-5'), None)
    assert not replayed and result.created and result.lead_id != imported.lead_id
    with pytest.raises(ValidationFailed) as refused:  # the import scope keeps one lead per id
        desk.leads.capture_lead(lead_data(external_id='crm-5'), channel='import', default_source='import')
    assert refused.value.errors == {'external_id': 'taken'}


def test_a_fill_from_a_twin_arrival_takes_the_arrivals_scope(desk: Desk) -> None:
    """A lead without an id joined by an API arrival with one gets that key's id: the key's retry
    replays it, another key's equal id does not."""
    existing = desk.leads.capture_lead(lead_data(phone='13812345679'), channel='manual', default_source='manual')
    _, key_a = api_key(desk)
    _, key_b = api_key(desk)
    desk.access.capture_via_api(key_a, lead_data(phone='13812345679', external_id='x-9'), None)
    assert get(desk, Lead, existing.lead_id).external_id == 'x-9'
    other, replayed = desk.access.capture_via_api(key_b, lead_data(external_id='x-9'), None)
    assert not replayed and other.lead_id != existing.lead_id
    mine, replayed = desk.access.capture_via_api(key_a, lead_data(external_id='x-9'), None)
    assert replayed and mine.lead_id == existing.lead_id


# ----- readiness ------------------------------------------------------------------------------------

def test_ready_when_the_database_takes_a_write(desk: Desk) -> None:
    assert desk.unready() is None
    assert desk.unready() is None  # (the heartbeat row exists now: updated, not inserted)


def test_unready_while_another_writer_holds_the_heartbeat_past_the_timeout(desk: Desk) -> None:
    assert desk.unready() is None
    with desk.ctx.engine.connect() as other:
        other.begin()
        other.execute(sa.text("UPDATE app_settings SET value = 'held' WHERE key = 'ready_heartbeat'"))
        assert desk.unready(timeout=0.3) == 'busy'
        other.rollback()
    assert desk.unready() is None


def test_unready_when_the_database_is_read_only(desk: Desk) -> None:
    engine = desk.ctx.engine
    engine.dispose()
    statement = 'PRAGMA query_only=ON' if engine.dialect.name == 'sqlite' \
        else 'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY'

    def read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if engine.dialect.name != 'sqlite':
            dbapi_connection.commit()

    sa.event.listen(engine, 'connect', read_only)
    try:
        assert desk.unready() == 'read_only'
    finally:
        sa.event.remove(engine, 'connect', read_only)
        engine.dispose()
    assert desk.unready() is None
