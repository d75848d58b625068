"""Several pools (issue 22, core/automation/pools.py, pool_admin.py): recycling into the owner's
department's pool (nearest ancestor, else the default) or the pool a rule names, each pool's claim
and holding limits, cool-down and protection, who sees which pool, moving leads between pools, the
editor's refusals, and the preview's drops per pool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.automation.pool import ClaimRefused
from core.automation.preview import drops_by_pool
from core.clock import FakeClock
from core.desk import Desk
from core.errors import InvalidState, NotAllowed, ValidationFailed
from store.models import Account, AuditEntry, Lead, Pool, Role, UserRef
from tests.factories import admin, lead_data, user

from .db import get, rows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def north(desk: Desk) -> dict[str, Any]:
    """北区 (with a sub-team) served by its own pool (2 claims a day), a south department with none,
    two north reps (one in the sub-team), one south rep and a manager."""
    boss = admin(desk)
    north_id = desk.departments.add(boss, '北区销售部')
    team_id = desk.departments.add(boss, '北区一组', parent_id=north_id)
    south_id = desk.departments.add(boss, '南区销售部')
    pool = desk.pools.save(boss, None, {'name': '北区公海', 'department_ids': [north_id], 'claim_limit': 2,
                                        'cooldown_days': 1, 'protection_days': 2})
    a, b, s = user(desk), user(desk), user(desk)
    desk.departments.place_user(boss, a.id, north_id)
    desk.departments.place_user(boss, b.id, team_id)
    desk.departments.place_user(boss, s.id, south_id)
    return {'admin': boss, 'pool': pool, 'a': a, 'b': b, 'south': s, 'manager': user(desk, Role.MANAGER),
            'north_id': north_id, 'south_id': south_id}


def owned(desk: Desk, rep: UserRef, **fields: Any) -> int:
    return desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual', actor=rep,
                                   keep_for_actor=True).lead_id


def lead(desk: Desk, lead_id: int) -> Lead:
    return get(desk, Lead, lead_id)


def default_id(desk: Desk) -> int:
    [row] = rows(desk, Pool, Pool.is_default == True)  # noqa: E712
    return row.id or 0


def recycled(desk: Desk, clock: FakeClock, *ids: int) -> None:
    clock.advance(days=7)
    assert sorted(desk.automation.tick().done['recycle']) == sorted(ids)


# ----- recycling into the right pool -------------------------------------------------------------

def test_recycle_sends_a_lead_to_its_owners_department_pool_or_the_nearest_ancestors(
        desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    from_north, from_team, from_south = owned(desk, north['a']), owned(desk, north['b']), owned(desk, north['south'])
    recycled(desk, clock, from_north, from_team, from_south)
    pool_id = north['pool'].id
    assert [lead(desk, i).pool_id for i in (from_north, from_team, from_south)] == [pool_id, pool_id, default_id(desk)]
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'recycled', AuditEntry.lead_id == from_north)
    assert (entry.reason_key, entry.reason_params['pool'], entry.reason_params['pool_id']) == (
        'reason.recycled_to_pool', '北区公海', pool_id)
    # the north pool's own cool-down (1 day), the default's the policy's (3 days)
    assert lead(desk, from_north).cooldown_until == clock.now() + timedelta(days=1)
    assert lead(desk, from_south).cooldown_until == clock.now() + timedelta(days=3)


def test_a_rule_naming_a_pool_wins_over_the_department(desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    boss = north['admin']
    desk.recycle_rules.save(boss, [{'name': 'A to north', 'grades': ['A', 'B', 'C'], 'action': 'pool',
                                    'pool_id': north['pool'].id}])
    lead_id = owned(desk, north['south'])
    recycled(desk, clock, lead_id)
    assert lead(desk, lead_id).pool_id == north['pool'].id
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'recycled', AuditEntry.lead_id == lead_id)
    assert (entry.reason_key, entry.reason_params['rule'], entry.reason_params['pool']) == (
        'reason.recycled_to_named_pool', 'A to north', '北区公海')


def test_a_rule_naming_an_unknown_pool_is_refused(desk: Desk, north: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as info:
        desk.recycle_rules.save(north['admin'], [{'name': 'x', 'grades': ['A'], 'action': 'pool', 'pool_id': 999}])
    assert info.value.errors == {'rule0.pool_id': 'unknown_pool'}


def test_vip_customers_never_recycle_by_a_tier_rule(desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    desk.recycle_rules.save(north['admin'], [{'name': 'VIP stays', 'tiers': ['vip'], 'action': 'never'}])
    vip, plain = owned(desk, north['a']), owned(desk, north['a'])
    with desk.ctx.write() as session:
        account = Account(name='Big Co', tier='vip', is_customer=True)
        session.add(account)
        session.flush()
        row = session.get(Lead, vip)
        assert row is not None
        row.account_id = account.id
        session.add(row)
    recycled(desk, clock, plain)
    assert (lead(desk, vip).status, lead(desk, plain).status) == ('assigned', 'pool')


# ----- claiming: each pool's limits, who sees which ------------------------------------------------

def test_claim_limit_is_per_pool(desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    ids = [owned(desk, north['a']) for _ in range(3)]
    elsewhere = owned(desk, north['south'])
    recycled(desk, clock, *ids, elsewhere)
    b = north['b']
    desk.pool.claim_lead(b, ids[0])
    desk.pool.claim_lead(b, ids[1])
    with pytest.raises(ClaimRefused) as info:
        desk.pool.claim_lead(b, ids[2])
    assert (info.value.code, info.value.params) == ('claim.claim_limit', {'limit': 2})
    assert lead(desk, ids[2]).status == 'pool'
    desk.pool.claim_lead(b, elsewhere)  # the default pool's limit (10) is its own
    assert lead(desk, elsewhere).owner_id == b.id
    # the claim took the north pool's protection (2 days)
    assert lead(desk, ids[0]).protected_until == clock.now() + timedelta(days=2)


def test_the_pool_page_shows_each_reps_claims_against_the_pools_limit(
        desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    ids = [owned(desk, north['a']) for _ in range(2)]
    recycled(desk, clock, *ids)
    desk.pool.claim_lead(north['b'], ids[0])
    cards = {c.pool.name: c for c in desk.pools.cards(north['b'])}
    assert (cards['北区公海'].claimed_today, cards['北区公海'].claim_limit, cards['北区公海'].waiting) == (1, 2, 1)
    assert cards['北区公海'].own
    assert (cards['Public pool'].claimed_today, cards['Public pool'].claim_limit) == (0, 10)


def test_holding_limit_counts_open_leads_claimed_from_the_pool(
        desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    desk.pools.save(north['admin'], north['pool'].id, {'name': '北区公海', 'department_ids': [north['north_id']],
                                                       'hold_limit': 1})
    ids = [owned(desk, north['a']) for _ in range(2)]
    recycled(desk, clock, *ids)
    desk.pool.claim_lead(north['b'], ids[0])
    with pytest.raises(ClaimRefused) as info:
        desk.pool.claim_lead(north['b'], ids[1])
    assert (info.value.code, info.value.params) == ('claim.hold_limit', {'limit': 1})


def test_a_department_pool_is_hidden_from_other_departments(
        desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    lead_id = owned(desk, north['a'])
    recycled(desk, clock, lead_id)
    south = north['south']
    assert [c.pool.name for c in desk.pools.cards(south)] == ['Public pool']
    listed, total = desk.pool.pool(south)  # asks for nothing: the default pool's (empty) list
    assert (listed, total) == ([], 0)
    listed, _ = desk.pool.pool(south, query=_in(north['pool'].id))  # asking for it does not show it
    assert lead_id not in [r.id for r in listed]
    with pytest.raises(ClaimRefused) as info:
        desk.pool.claim_lead(south, lead_id)
    assert info.value.code == 'claim.not_your_pool'
    assert [r.id for r in desk.pool.pool(north['b'])[0]] == [lead_id]  # the sub-team's rep sees it
    assert {c.pool.name for c in desk.pools.cards(north['manager'])} == {'Public pool', '北区公海'}


def _in(pool_id: int) -> Any:
    from core.automation.pool import PoolQuery
    return PoolQuery(pool_id=pool_id)


def test_an_unmasked_pool_shows_the_phone(desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    desk.pools.save(north['admin'], north['pool'].id, {'name': '北区公海', 'department_ids': [north['north_id']],
                                                       'masked': False})
    lead_id = owned(desk, north['a'], phone='13812345678')
    recycled(desk, clock, lead_id)
    [row] = desk.pool.pool(north['b'])[0]
    assert row.phone_masked == '13812345678'


# ----- managers move leads; admins edit pools ------------------------------------------------------

def test_a_manager_moves_pool_leads_to_another_pool(desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    lead_id = owned(desk, north['south'])
    recycled(desk, clock, lead_id)
    with pytest.raises(NotAllowed):
        desk.pools.move(north['a'], [lead_id], north['pool'].id)
    assert desk.pools.move(north['manager'], [lead_id], north['pool'].id) == 1
    assert lead(desk, lead_id).pool_id == north['pool'].id
    [entry] = rows(desk, AuditEntry, AuditEntry.lead_id == lead_id, AuditEntry.reason_key == 'reason.moved_to_pool')
    assert entry.reason_params['pool'] == '北区公海'


def test_a_pool_is_deleted_only_when_empty(desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    boss = north['admin']
    lead_id = owned(desk, north['a'])
    recycled(desk, clock, lead_id)
    with pytest.raises(InvalidState) as info:
        desk.pools.delete(boss, north['pool'].id)
    assert (info.value.code, info.value.params) == ('pool_not_empty', {'count': 1})
    with pytest.raises(InvalidState):
        desk.pools.delete(boss, default_id(desk))
    desk.pools.move(boss, [lead_id], default_id(desk))
    desk.pools.delete(boss, north['pool'].id)
    assert [p.name for p in rows(desk, Pool)] == ['Public pool']


def test_the_editor_refuses_bad_values_and_non_admins(desk: Desk, north: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as info:
        desk.pools.save(north['admin'], None, {'name': '', 'claim_limit': -1, 'department_ids': [999],
                                               'protection_days': 'x'})
    assert info.value.errors == {'name': 'required', 'claim_limit': 'out_of_range',
                                 'department_ids': 'unknown_department', 'protection_days': 'not_a_number'}
    with pytest.raises(ValidationFailed) as info:
        desk.pools.save(north['admin'], None, {'name': '北区公海'})
    assert info.value.errors == {'name': 'duplicate'}
    with pytest.raises(NotAllowed):
        desk.pools.save(north['manager'], None, {'name': 'Mine'})
    assert len(rows(desk, Pool)) == 2


# ----- the preview ---------------------------------------------------------------------------------

def test_the_preview_counts_what_drops_into_each_pool(desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    owned(desk, north['a'])
    owned(desk, north['b'])
    owned(desk, north['south'])
    clock.advance(days=6, hours=12)
    drops = drops_by_pool(desk.preview_timer(north['manager'], 24))
    assert [(pool.name, n) for pool, n in drops] == [('Public pool', 1), ('北区公海', 2)]


def test_a_lead_claimed_from_a_pool_keeps_that_pools_protection_until_recycled(
        desk: Desk, clock: FakeClock, north: dict[str, Any]) -> None:
    lead_id = owned(desk, north['a'])
    recycled(desk, clock, lead_id)
    desk.pool.claim_lead(north['b'], lead_id)
    clock.advance(days=2)
    assert desk.automation.tick().done['recycle'] == [lead_id]
    entries = rows(desk, AuditEntry, AuditEntry.action == 'recycled', AuditEntry.lead_id == lead_id)
    assert [(e.reason_params['days'], e.reason_params['pool']) for e in entries] == [
        (7.0, '北区公海'), (2.0, '北区公海')]
