"""The team workload page: one live row per rep; capacity and leave edited in the rep's dialog."""

from __future__ import annotations

import asyncio

from nicegui import app, ui
from nicegui.testing import User

from store.engine import read_session
from store.models import User as UserRow
from tests import factories
from tests.ui.conftest import Team, login


async def text_of(user: User, marker: str, expected: str | None = None) -> str:
    """The label's text, waiting (up to ~3 s) for `expected` when given."""
    await user.should_see(marker=marker, retries=60)
    label = user.find(marker=marker).elements.pop()
    assert isinstance(label, ui.label)
    for _ in range(60):
        if expected is None or label.text == expected:
            break
        await asyncio.sleep(0.05)
    return label.text


async def badge_of(user: User, marker: str, expected: str | None = None) -> str:
    await user.should_see(marker=marker, retries=60)
    badge = user.find(marker=marker).elements.pop()
    assert isinstance(badge, ui.badge)
    for _ in range(60):
        if expected is None or badge.text == expected:
            break
        await asyncio.sleep(0.05)
    return badge.text


async def test_manager_sees_each_reps_open_count_and_capacity(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/team')
    for rep in (team.rep_a, team.rep_b):
        assert await text_of(user, f'rep-open-{rep.id}', '0 / 10') == '0 / 10'
        user.find(marker=f'rep-settings-open-{rep.id}').click()
        await user.should_see(marker='set-capacity', retries=60)
        capacity = user.find(marker='set-capacity').elements.pop()
        assert isinstance(capacity, ui.number)
        assert capacity.value == 10
        user.find(content='Cancel').click()
        await user.should_not_see(marker='set-capacity', retries=60)
    user.find(marker='team-fairness')
    user.find(marker='team-totals')


async def test_capture_updates_the_row_live(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/team')
    await text_of(user, f'rep-open-{team.rep_a.id}', '0 / 10')
    result = app.state.desk.leads.capture_lead(factories.lead_data(name='Live Fish'), channel='api',
                                               default_source='api')
    assert result.owner_id in (team.rep_a.id, team.rep_b.id)
    assert await text_of(user, f'rep-open-{result.owner_id}', '1 / 10') == '1 / 10'


async def test_an_import_updates_the_rows_live(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/team')
    await text_of(user, f'rep-open-{team.rep_b.id}', '0 / 10')
    data = b'name,phone\r\nBatch One,13300133011\r\nBatch Two,13300133012\r\n'
    draft = app.state.desk.imports.upload(team.admin, 'team.csv', data)
    app.state.desk.imports.start(team.admin, draft.job_id, draft.mapping, {'assign': 'rep', 'rep_id': team.rep_b.id})
    assert await text_of(user, f'rep-open-{team.rep_b.id}', '2 / 10') == '2 / 10'
    app.state.desk.imports.join(draft.job_id, timeout=30)


async def test_setting_capacity_stores_it(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/team')
    await text_of(user, f'rep-open-{team.rep_a.id}', '0 / 10')
    user.find(marker=f'rep-settings-open-{team.rep_a.id}').click()
    await user.should_see(marker='set-capacity', retries=60)
    capacity = user.find(marker='set-capacity').elements.pop()
    assert isinstance(capacity, ui.number)
    capacity.set_value(12)
    user.find(marker='set-save').click()
    assert await text_of(user, f'rep-open-{team.rep_a.id}', '0 / 12') == '0 / 12'
    with read_session(team.desk.ctx.engine) as s:
        stored = s.get(UserRow, team.rep_a.id)
        assert stored is not None
        assert stored.capacity == 12


async def test_rep_gets_not_allowed(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/team')
    await user.should_see(marker='not-allowed')
    await user.should_not_see(marker='team-totals')


async def test_a_rep_row_reads_at_a_glance_and_edits_only_in_the_dialog(user: User, team: Team) -> None:
    """Status chip, load against capacity, due, breaches and deals in one row; no inline inputs."""
    desk = app.state.desk
    desk.leads.capture_lead(factories.lead_data(name='Row Lead'), channel='manual', default_source='manual',
                            actor=team.rep_a, keep_for_actor=True)
    await login(user, team.manager.email)
    await user.open('/team')
    uid = team.rep_a.id
    assert await text_of(user, f'rep-open-{uid}', '1 / 10') == '1 / 10'
    assert await badge_of(user, f'rep-status-{uid}') == 'Active'
    for mark in ('new', 'due', 'overdue', 'sla'):
        assert (await text_of(user, f'rep-{mark}-{uid}')).isdigit()
    assert await text_of(user, f'rep-new-{uid}', '1') == '1'
    assert '¥' in await text_of(user, f'rep-deals-{uid}')
    assert await text_of(user, 'team-total-open', '1 / 20') == '1 / 20'  # the team's totals as figures too
    assert await text_of(user, 'team-total-reps') == '2'
    row = user.find(marker=f'rep-{uid}').elements.pop()
    inline = [e for e in row.descendants() if isinstance(e, ui.number | ui.switch | ui.input)]
    assert inline == []  # nothing to change by accident
    user.find(marker=f'rep-settings-open-{uid}').click()
    await user.should_see(marker='set-leave', retries=60)
    user.find(marker='set-leave').click()
    user.find(marker='set-save').click()
    assert await badge_of(user, f'rep-status-{uid}', 'On leave') == 'On leave'
    with read_session(team.desk.ctx.engine) as s:
        stored = s.get(UserRow, uid)
        assert stored is not None and stored.is_on_leave
