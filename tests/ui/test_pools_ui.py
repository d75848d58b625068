"""Several pools on the pages: the pool page's switcher and the rep's claims against each pool's
limit, a manager moving ticked leads to another pool, the admins' pools editor on /automation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import Lead, Pool
from tests.ui.conftest import Team, login
from tests.ui.test_pool_page import pool_lead, table_rows, team_claim


async def until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def north_pool(team: Team, *, claim_limit: int = 1) -> int:
    """A pool for the north department (rep A's), `claim_limit` a day, holding two leads."""
    north = team.desk.departments.add(team.admin, 'North')
    team.desk.departments.place_user(team.admin, team.rep_a.id, north)
    pool = team.desk.pools.save(team.admin, None, {'name': 'North pool', 'department_ids': [north],
                                                   'claim_limit': claim_limit})
    ids = [pool_lead(team, name=f'North {i}') for i in range(2)]
    team.desk.pools.move(team.admin, ids, pool.id)
    return pool.id


def pool_of(team: Team, lead_id: int) -> int | None:
    with read_session(team.desk.ctx.engine) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        return lead.pool_id


async def test_rep_switches_pools_and_sees_each_limit(user: User, team: Team) -> None:
    pool_id = north_pool(team, claim_limit=1)
    pool_lead(team, name='Everyone Lead')
    await login(user, team.rep_a.email)
    await user.open('/pool')  # opens on the rep's department's pool
    rows = await table_rows(user, 'pool-table', 2)
    assert sorted(r['name'] for r in rows) == ['North 0', 'North 1']
    await user.should_see('North pool: you claimed 0 of 1 today')
    await team_claim(user, rows[0]['id'])
    await user.should_see('Claimed: the lead is yours', retries=50)
    await user.should_see("Today's claim limit reached (1)", retries=50)  # the other row's reason, not Claim
    await user.open('/pool?pool=1')  # the default pool: its own limit
    [row] = await table_rows(user, 'pool-table', 1)
    assert row['name'] == 'Everyone Lead'
    await user.should_see('Public pool: you claimed 0 of 10 today')
    assert pool_id != 1


async def test_rep_of_another_department_sees_only_the_shared_pool(user: User, team: Team) -> None:
    north_pool(team)
    await login(user, team.rep_b.email)
    await user.open('/pool')
    await table_rows(user, 'pool-table', 0)
    await user.should_not_see(marker='pool-switch')
    await user.should_see('Public pool: you claimed 0 of 10 today')


async def test_manager_moves_ticked_leads_to_another_pool(user: User, team: Team) -> None:
    pool_id = north_pool(team)
    lead_id = pool_lead(team, name='Wrong Pool')
    await login(user, team.manager.email)
    await user.open('/pool?pool=1')
    [row] = await table_rows(user, 'pool-table', 1)
    user.find(marker='pool-table').trigger('selection', {'added': True, 'rows': [row], 'keys': [row['id']]})
    await user.should_see('1 selected')
    user.find(marker='pool-move-to').elements.pop().set_value(pool_id)
    user.find(marker='pool-move').click()
    assert await until(lambda: pool_of(team, lead_id) == pool_id)
    await user.should_see('1 leads moved to North pool', retries=50)


async def test_admin_adds_a_pool_and_cannot_delete_one_holding_leads(user: User, team: Team) -> None:
    pool_id = north_pool(team)
    await login(user, team.admin.email)
    await user.open('/automation')
    await user.should_see(marker='pools-add', retries=50)
    user.find(marker='pools-add').click()
    await user.should_see(marker='pools-name', retries=50)
    user.find(marker='pools-name').type('South pool')
    user.find(marker='pools-claim_limit').elements.pop().set_value(5)
    user.find(marker='pools-save').click()
    assert await until(lambda: _pool(team, 'South pool') is not None)
    assert _pool(team, 'South pool').claim_limit == 5  # type: ignore[union-attr]
    user.find(marker=f'pools-delete-{pool_id}').click()
    await user.should_see('This pool still holds 2 leads', retries=50)
    assert _pool(team, 'North pool') is not None


def _pool(team: Team, name: str) -> Pool | None:
    with read_session(team.desk.ctx.engine) as s:
        return s.exec(select(Pool).where(Pool.name == name)).first()
