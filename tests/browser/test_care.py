"""Customer care in a real browser: the rep's "My day" lists a due revisit; following it to the
customer page, the rep records satisfaction and NPS; the trend is drawn, the revisit is stored
and "My day" is clear again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from core.desk import Desk
from tests.ui.test_pipeline_page import make_opportunity

from .support import Server, choose, login

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    """A deal rep won; the timer, run 90 days ahead, opened the regular revisit."""
    team = server.team
    assert team is not None
    deal = make_opportunity(desk, team.rep, company='Jade Garden Hotels')
    won = next(s for s in desk.pipeline.stages() if s.kind == 'won')
    view = desk.pipeline.opportunity_view(team.rep, deal)
    desk.pipeline.move_opportunity(team.rep, deal, to_stage_id=won.id or 0, version=view.opportunity.version)
    assert desk.automation.tick(desk.ctx.now() + timedelta(days=90)).done['care'] == [view.account.id]
    server.seeded['account'] = view.account.id


def stored_revisits(server: Server) -> list[tuple[int, int | None, int | None, str | None]]:
    with sqlite3.connect(server.db_path) as db:
        return db.execute('SELECT account_id, satisfaction, nps, note FROM revisits').fetchall()


def test_rep_records_a_due_revisit_from_my_day(page: Page, start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    account = server.seeded['account']
    login(page, server, team.rep)

    page.get_by_test_id('inbox-agenda').get_by_text('My day').click()
    due = page.get_by_test_id(f'due-revisit-{account}')
    expect(due).to_be_visible()
    expect(due).to_contain_text('Jade Garden Hotels')
    due.get_by_role('link').click()
    page.wait_for_url(server.url(f'/customers/{account}'))
    expect(page.get_by_test_id('care-open-task')).to_be_visible()

    page.get_by_test_id('revisit-satisfaction').click()
    page.get_by_role('option', name='4', exact=True).click()
    choose(page, 'revisit-nps', '9', exact=True)
    page.get_by_test_id('revisit-note').fill('Happy; asks about the <script>x</script> add-on')
    page.get_by_test_id('revisit-save').click()

    expect(page.get_by_test_id('care-trend')).to_be_visible()
    expect(page.get_by_test_id('care-open-task')).to_have_count(0)
    expect(page.get_by_test_id('care-revisits')).to_contain_text('asks about the <script>x</script> add-on')
    assert stored_revisits(server) == [(account, 4, 9, 'Happy; asks about the <script>x</script> add-on')]

    page.goto(server.url('/'))
    page.get_by_test_id('inbox-agenda').get_by_text('My day').click()
    expect(page.get_by_test_id('my-day-revisits-none')).to_be_visible()
    expect(page.get_by_test_id(f'due-revisit-{account}')).to_have_count(0)
