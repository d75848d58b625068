"""The duplicates page: a suggested group, merged through the dialog, then undone."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User

from store.models import Lead
from tests.ui.conftest import Team, login
from tests.unit.db import get


async def test_manager_merges_a_suggested_group_choosing_a_field_and_undoes_it(user: User, team: Team) -> None:
    desk = team.desk
    a = desk.leads.capture_lead({'name': 'Wang', 'email': 'wang@tengda.cn', 'company': 'Tengda'},
                                channel='manual', default_source='manual').lead_id
    b = desk.leads.capture_lead({'name': 'Zhou', 'email': 'zhou@tengda.cn', 'company': 'Tengda Tech',
                                 'phone': '13800138000'}, channel='manual', default_source='manual').lead_id
    await login(user, team.manager.email)
    await user.open('/duplicates')
    await user.should_see(marker='dup-group-0', retries=60)
    await user.should_see('same email domain tengda.cn')
    user.find(marker='dup-merge-0').click()
    await user.should_see(marker='dup-choice-company', retries=60)
    choice = next(iter(user.find(marker='dup-choice-company').elements))
    assert isinstance(choice, ui.radio)
    choice.set_value(b)
    user.find(marker='dup-confirm').click()
    await user.should_see('Merged', retries=60)
    survivor, archived = (a, b) if get(desk, Lead, b).is_deleted else (b, a)
    kept = get(desk, Lead, survivor)
    assert kept.company == 'Tengda Tech' and kept.phone == '13800138000'
    assert get(desk, Lead, archived).merged_into_id == survivor
    await user.should_see(marker='dup-none', retries=60)
    user.find(marker='dup-undo-1').click()
    for _ in range(50):
        if not get(desk, Lead, archived).is_deleted:
            break
        await asyncio.sleep(0.1)
    assert not get(desk, Lead, archived).is_deleted
    await user.should_see(marker='dup-group-0', retries=60)


async def test_rep_is_refused(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/duplicates')
    await user.should_see(marker='not-allowed')


async def test_an_archived_lead_links_to_its_survivor(user: User, team: Team) -> None:
    desk = team.desk
    a = desk.leads.capture_lead({'name': 'Wang', 'email': 'wang@tengda.cn'}, channel='manual',
                                default_source='manual').lead_id
    b = desk.leads.capture_lead({'name': 'Zhou', 'email': 'zhou@tengda.cn'}, channel='manual',
                                default_source='manual').lead_id
    desk.merges.merge(team.manager, [a, b])
    archived = b if get(desk, Lead, b).is_deleted else a
    survivor = a if archived == b else b
    await login(user, team.manager.email)
    await user.open(f'/leads/{archived}')
    await user.should_see(marker='merged-into')
    link = next(iter(user.find(marker='merged-into').elements))
    assert isinstance(link, ui.link) and link.props['href'] == f'/leads/{survivor}'
