"""Steering from the team page: drill-down, bulk move, rebalance plan, leave handover, rep settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from nicegui import app, ui
from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import AuditEntry, Lead
from store.models import User as UserRow
from tests.ui.conftest import Team, login
from tests.ui.test_team_page import text_of


def own(team: Team, rep_id: int, n: int, **fields: object) -> list[int]:
    now = team.desk.ctx.now()
    ids = []
    with team.desk.ctx.write() as s:
        for i in range(n):
            lead = Lead(name=f'Lead {rep_id}-{i}', owner_id=rep_id, status='assigned', grade='B',
                        assigned_at=now - timedelta(days=4), created_at=now - timedelta(days=4), **fields)
            s.add(lead)
            s.flush()
            ids.append(lead.id or 0)
    return ids


def owners(team: Team, ids: list[int]) -> list[int | None]:
    with read_session(team.desk.ctx.engine) as s:
        return [s.get(Lead, i).owner_id for i in ids]  # type: ignore[union-attr]


async def until(check: object, tries: int = 60) -> None:
    for _ in range(tries):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError('condition not met')


async def open_team(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/team')
    await text_of(user, f'rep-open-{team.rep_b.id}')


async def test_bulk_move_from_the_drill_down(user: User, team: Team) -> None:
    ids = own(team, team.rep_a.id, 3)
    await open_team(user, team)
    await text_of(user, f'rep-open-{team.rep_a.id}', '3 / 10')
    user.find(marker=f'rep-leads-{team.rep_a.id}').click()
    await user.should_see(marker=f'drill-lead-{ids[0]}', retries=60)
    await user.should_see('Lead ' + str(team.rep_a.id) + '-2')
    user.find(marker=f'drill-check-{ids[0]}').click()
    user.find(marker=f'drill-check-{ids[1]}').click()
    user.find(marker=f'drill-to-{team.rep_a.id}').elements.pop().set_value(team.rep_b.id)
    user.find(marker=f'drill-move-{team.rep_a.id}').click()
    await until(lambda: owners(team, ids) == [team.rep_b.id, team.rep_b.id, team.rep_a.id])
    assert await text_of(user, f'rep-open-{team.rep_a.id}', '1 / 10') == '1 / 10'
    assert await text_of(user, f'rep-open-{team.rep_b.id}', '2 / 10') == '2 / 10'
    await user.should_not_see(marker=f'drill-lead-{ids[0]}', retries=60)
    with read_session(team.desk.ctx.engine) as s:
        lead = s.get(Lead, ids[0])
        assert lead is not None and lead.assignment_reason['manager'] == 'Manager Wang'


async def test_move_to_the_pool_needs_a_target_first(user: User, team: Team) -> None:
    ids = own(team, team.rep_a.id, 1)
    await open_team(user, team)
    user.find(marker=f'rep-leads-{team.rep_a.id}').click()
    await user.should_see(marker=f'drill-check-{ids[0]}', retries=60)
    user.find(marker=f'drill-check-{ids[0]}').click()
    user.find(marker=f'drill-move-{team.rep_a.id}').click()  # no target chosen: a field error, nothing moves
    target = user.find(marker=f'drill-to-{team.rep_a.id}').elements.pop()
    assert isinstance(target, ui.select)
    await until(lambda: target.error == 'Required')
    assert owners(team, ids) == [team.rep_a.id]
    assert target.options[0] == 'The pool' and team.rep_a.id not in target.options
    target.set_value(0)
    user.find(marker=f'drill-move-{team.rep_a.id}').click()
    await until(lambda: owners(team, ids) == [None])


async def test_rebalance_shows_a_plan_and_applies_it_on_confirmation(user: User, team: Team) -> None:
    ids = own(team, team.rep_a.id, 6)
    await open_team(user, team)
    user.find(marker='rebalance').click()
    await user.should_see('3 leads would move (0 to the pool).', retries=60)
    assert owners(team, ids).count(team.rep_a.id) == 6  # nothing moves before confirmation
    user.find(marker='plan-apply').click()
    await until(lambda: owners(team, ids).count(team.rep_b.id) == 3)
    assert await text_of(user, f'rep-open-{team.rep_a.id}', '3 / 10') == '3 / 10'
    with read_session(team.desk.ctx.engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == 'rebalanced')).all()) == 1


async def test_rebalance_can_be_cancelled(user: User, team: Team) -> None:
    ids = own(team, team.rep_a.id, 4)
    await open_team(user, team)
    user.find(marker='rebalance').click()
    await user.should_see(marker='plan-summary', retries=60)
    user.find(marker='plan-cancel').click()
    await user.should_not_see(marker='plan-dialog', retries=60)
    assert owners(team, ids) == [team.rep_a.id] * 4


async def test_going_on_leave_offers_to_hand_over(user: User, team: Team) -> None:
    ids = own(team, team.rep_a.id, 2)
    await open_team(user, team)
    user.find(marker=f'rep-settings-open-{team.rep_a.id}').click()  # leave is set in the rep's dialog
    await user.should_see(marker='set-leave', retries=60)
    user.find(marker='set-leave').click()
    user.find(marker='set-save').click()
    await user.should_see('Rep Li is on leave: move their open leads?', retries=60)
    user.find(marker='plan-apply').click()
    await until(lambda: owners(team, ids) == [team.rep_b.id, team.rep_b.id])
    await user.should_see(marker=f'rep-status-{team.rep_a.id}')
    assert await text_of(user, f'rep-open-{team.rep_a.id}', '0 / 10') == '0 / 10'


async def test_settings_dialog_sets_shift_and_return_date(user: User, team: Team) -> None:
    await open_team(user, team)
    user.find(marker=f'rep-settings-open-{team.rep_b.id}').click()
    await user.should_see(marker='set-save', retries=60)
    user.find(marker='set-shift-start').type('09:00')
    user.find(marker='set-save').click()  # only one end of the shift: refused, named under the field
    end = user.find(marker='set-shift-end').elements.pop()
    await until(lambda: end.error == 'Required')
    user.find(marker='set-shift-end').type('18:00')
    back = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    user.find(marker='set-leave-until').type(back)
    user.find(marker='set-save').click()
    await user.should_not_see(marker='set-save', retries=60)
    with read_session(team.desk.ctx.engine) as s:
        rep = s.get(UserRow, team.rep_b.id)
        assert rep is not None
        assert (rep.shift_start, rep.shift_end, rep.is_on_leave) == (540, 1080, True)
        assert rep.leave_until is not None
    detail = await text_of(user, f'rep-detail-{team.rep_b.id}')
    for _ in range(60):
        if 'shift 09:00–18:00' in detail:
            break
        await asyncio.sleep(0.05)
        detail = await text_of(user, f'rep-detail-{team.rep_b.id}')
    assert detail == f'back {back} · shift 09:00–18:00'


async def test_a_capture_refreshes_an_open_drill_down(user: User, team: Team) -> None:
    await open_team(user, team)
    team.desk.team.update_user(team.admin, team.rep_b.id, {'is_on_leave': True})
    user.find(marker=f'rep-leads-{team.rep_a.id}').click()
    await user.should_see(marker=f'drill-count-{team.rep_a.id}', retries=60)
    result = app.state.desk.leads.capture_lead({'name': 'Fresh Fish', 'phone': '+86 139 0000 1111'},
                                               channel='api', default_source='api')
    assert result.owner_id == team.rep_a.id
    await user.should_see(marker=f'drill-lead-{result.lead_id}', retries=60)
