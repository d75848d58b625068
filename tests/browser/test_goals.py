"""Goal editing in a real browser: the manager sets a rep's monthly goals on the team page, the
row shows the goal with its pace on the team calendar, the normalised leaderboard lists the rep,
and the goal is there after a reload; a department's goal too; the reports' attainment panel shows
them and a click on an actual lists its records."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from core.desk import Desk
from store.models import Source
from tests.factories import PASSWORD

from .support import Server, choose, login

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    lead = desk.leads.capture_lead({'name': 'Goal Gina', 'phone': '13912340001'}, channel='manual',
                                   default_source=Source.MANUAL, actor=team.rep, keep_for_actor=True).lead_id
    admin = desk.team.login(team.admin.email, PASSWORD)[0]
    root = next(line.id for line in desk.departments.tree(admin) if line.is_root)
    east = desk.departments.add(admin, 'East Sales', parent_id=root)
    desk.departments.place_user(admin, team.rep.id, east)
    server.seeded.update(lead=lead, east=east)


def test_manager_sets_a_goal_and_sees_its_pace(
        page: Page, start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    login(page, server, team.manager)
    page.goto(server.url('/team'))
    cell = page.get_by_test_id(f'goals-{team.rep.id}-contacted')
    expect(cell).to_contain_text('No goal')

    page.get_by_test_id('goals-edit').click()
    choose(page, 'goals-who', 'Rita Rep')
    page.get_by_test_id('goals-target-contacted').fill('12')
    page.get_by_test_id('goals-stretch-contacted').fill('20')
    page.get_by_test_id('goals-target-won_cents').fill('50000')
    page.get_by_test_id('goals-save').click()
    expect(page.get_by_text('Saved')).to_be_visible()

    expect(cell).to_contain_text('/ 12')
    expect(cell).to_contain_text(re.compile(r'(Behind|On pace) \(by now: \d+\)'))
    expect(page.get_by_test_id(f'goals-{team.rep.id}-won_cents')).to_contain_text('¥50,000')
    expect(page.get_by_test_id('goals-pace')).to_contain_text('working days, team calendar')
    board = page.get_by_test_id(f'goals-board-{team.rep.id}')
    expect(board).to_contain_text('Rita Rep')
    expect(board).to_contain_text('leads: 1')

    page.reload()  # saved, not just shown
    expect(page.get_by_test_id(f'goals-{team.rep.id}-contacted')).to_contain_text('/ 12')

    east = server.seeded['east']  # a department's goal: its people's figures summed
    page.get_by_test_id('goals-edit').click()
    choose(page, 'goals-who', 'Department: East Sales')
    page.get_by_test_id('goals-target-opportunities').fill('3')
    page.get_by_test_id('goals-save').click()
    expect(page.get_by_test_id(f'goals-d{east}-opportunities')).to_contain_text('/ 3')
    expect(page.get_by_test_id(f'goals-row-d{east}')).to_contain_text('East Sales')

    page.goto(server.url('/reports'))  # the attainment panel: the same figures; a click lists the records
    panel = page.get_by_test_id('panel-goals')
    expect(panel.get_by_test_id(f'goals-report-{team.rep.id}-contacted')).to_contain_text('Rita Rep')
    expect(panel.get_by_test_id(f'goals-report-d{east}-opportunities')).to_contain_text('East Sales')
    expect(panel.get_by_test_id(f'goals-report-d{east}-opportunities')).to_contain_text('/ 3')
    panel.get_by_test_id(f'goals-drill-{team.rep.id}-contacted').click()
    expect(page.get_by_test_id('drill-dialog')).to_be_visible()
    expect(page.get_by_test_id('drill-count')).to_be_visible()
