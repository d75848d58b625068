"""Playbooks through NiceGUI's simulated user: the lead page's checklist and talk tracks, ticking
there and in the log-activity form, the confirm dialog and the refusal on qualify, the board's
confirm on a forward move, the managers' editor, and the checklist panel on the reports page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import AuditEntry, ChecklistTick, Lead, PlaybookItem, Stage
from tests import factories
from tests.ui.conftest import Team, login
from tests.ui.test_convert import BANT, contacted_lead
from tests.ui.test_pipeline_page import column_of, make_opportunity, move_via_menu, open_board, proceed_past_checklist


def items(team: Team, status: str) -> list[PlaybookItem]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(PlaybookItem).where(PlaybookItem.lead_status == status,
                                                      PlaybookItem.is_archived == False)  # noqa: E712
                           .order_by(PlaybookItem.position)))


def db(team: Team, model: type, *where: Any) -> list[Any]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(model).where(*where)))


def own_lead(team: Team, **fields: Any) -> int:
    return team.desk.leads.capture_lead(factories.lead_data(**fields), channel='manual', default_source='manual',
                                        actor=team.rep_a, keep_for_actor=True).lead_id


async def until(check: Any, tries: int = 80) -> None:
    for _ in range(tries):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def label_text(user: User, marker: str) -> str:
    [element] = user.find(marker=marker).elements
    assert isinstance(element, ui.label)
    return element.text


async def test_lead_page_shows_the_step_checklist_and_talk_tracks_and_ticks(user: User, team: Team) -> None:
    lead_id = own_lead(team, name='Tick Me')
    first = items(team, 'assigned')[0]
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see('Playbook · Lead · Assigned')
    await user.should_see('Read the inquiry and where it came from')
    await user.should_see('do you have two minutes now?')  # the opening line for every grade
    assert label_text(user, 'playbook-progress') == '0 of 3 done'
    user.find(marker=f'playbook-item-{first.id}').elements.pop().set_value(True)
    await until(lambda: [t.done for t in db(team, ChecklistTick)] == [True])
    await until(lambda: label_text(user, 'playbook-progress') == '1 of 3 done')
    await user.should_see('Checklist: “Read the inquiry and where it came from” done')  # the audit trail
    user.find(marker=f'playbook-item-{first.id}').elements.pop().set_value(False)
    await until(lambda: [t.done for t in db(team, ChecklistTick)] == [False])
    assert len(db(team, AuditEntry, AuditEntry.action == 'checklist')) == 2


async def test_another_rep_sees_no_checklist_of_a_lead_not_theirs(user: User, team: Team) -> None:
    lead_id = own_lead(team, name='Read Only')
    first = items(team, 'assigned')[0]
    await login(user, team.rep_b.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='not-allowed')
    await user.should_not_see(marker=f'playbook-item-{first.id}')


async def test_logging_an_activity_ticks_items_and_moves_to_the_bant_checklist(user: User, team: Team) -> None:
    lead_id = own_lead(team, name='Call And Tick')
    first, second, _third = items(team, 'assigned')
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='log-activity').click()
    await user.should_see(marker=f'log-tick-{first.id}')
    user.find(marker=f'log-tick-{first.id}').elements.pop().set_value(True)
    user.find(marker=f'log-tick-{second.id}').elements.pop().set_value(True)
    user.find(marker='activity-save').click()
    await until(lambda: len(db(team, ChecklistTick)) == 2)
    assert all(t.activity_id for t in db(team, ChecklistTick))
    await user.should_see('Playbook · Lead · Contacted', retries=60)
    await user.should_see('Budget: confirm a budget exists and its range')
    await user.should_see('Step left with 1 checklist items open')  # the third one, in the audit trail


async def test_qualify_with_open_items_asks_first_and_a_required_item_refuses(user: User, team: Team) -> None:
    lead_id = contacted_lead(team, **BANT)
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='qualify').click()
    await user.should_see(marker='playbook-open-dialog', retries=60)
    await user.should_see('4 items of this step are still open')
    user.find(marker='playbook-open-cancel').click()
    await asyncio.sleep(0.3)
    assert db(team, Lead, Lead.id == lead_id)[0].status == 'contacted'

    budget = items(team, 'contacted')[1]
    team.desk.playbooks.save_item(team.manager, budget.id, step_key='lead:contacted', text_en=budget.text_en,
                                  text_zh=budget.text_zh, is_required=True)
    user.find(marker='qualify').click()
    await user.should_see('Required checklist items are still open: Budget', retries=60)
    assert db(team, Lead, Lead.id == lead_id)[0].status == 'contacted'

    team.desk.playbooks.tick(team.rep_a, budget.id or 0, done=True, lead_id=lead_id)
    user.find(marker='qualify').click()
    await user.should_see(marker='playbook-open-proceed', retries=60)
    user.find(marker='playbook-open-proceed').click()
    await until(lambda: db(team, Lead, Lead.id == lead_id)[0].status == 'qualified')


async def test_board_move_with_open_items_asks_then_moves(user: User, team: Team) -> None:
    desk = team.desk
    solution = next(s for s in desk.pipeline.stages() if s.name_en == 'Solution')
    deal = make_opportunity(desk, team.rep_a, company='Checklist Co')
    await open_board(user, team.rep_a, deal)
    await move_via_menu(user, deal, solution)
    await proceed_past_checklist(user)
    await until(lambda: column_of(user, deal) == solution.id)
    await user.open(f'/opportunities/{deal}')
    await user.should_see('Playbook · Deal · Solution')
    await user.should_see('Send a written proposal')


async def test_manager_edits_a_step_in_the_editor(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/playbooks')
    await user.should_see('Read the inquiry and where it came from')
    user.find(marker='playbook-step').elements.pop().set_value('lead:contacted')
    await user.should_see('Budget: confirm a budget exists and its range', retries=60)
    user.find(marker='new-item-add').click()  # nothing typed: refused under the fields
    await user.should_see('Required', retries=60)
    user.find(marker='new-item-text-en').type('Ask about the current supplier')
    user.find(marker='new-item-text-zh').type('询问现有供应商')
    user.find(marker='new-item-deadline').elements.pop().set_value(6)
    user.find(marker='new-item-required').elements.pop().set_value(True)
    user.find(marker='new-item-add').click()
    await until(lambda: any(i.text_en == 'Ask about the current supplier' for i in items(team, 'contacted')))
    added = next(i for i in items(team, 'contacted') if i.text_en == 'Ask about the current supplier')
    assert (added.text_zh, added.deadline_hours, added.is_required, added.position) == ('询问现有供应商', 6, True, 4)
    await user.should_see(marker=f'item-{added.id}', retries=60)
    user.find(marker=f'item-up-{added.id}').click()
    await until(lambda: [i.id for i in items(team, 'contacted')][3] == added.id)
    first = items(team, 'contacted')[0]
    user.find(marker=f'item-archive-{first.id}').click()
    await until(lambda: first.id not in [i.id for i in items(team, 'contacted')])
    user.find(marker='new-track-text-en').type('Who else is looking at this?')
    user.find(marker='new-track-text-zh').type('还有谁在关注这个项目？')
    user.find(marker='new-track-grade').elements.pop().set_value('A')
    user.find(marker='new-track-add').click()
    await until(lambda: any(t.text_en == 'Who else is looking at this?' and t.grade == 'A'
                            for t in team.desk.playbooks.editor(team.manager, 'lead:contacted')[1]))


async def test_reports_page_shows_the_checklist_panel(user: User, team: Team) -> None:
    desk = team.desk
    desk.ctx.clock.advance(seconds=(datetime.now(UTC) - desk.ctx.now()).total_seconds())  # the app's real today
    deal = make_opportunity(desk, team.rep_a, company='Report Co')
    with read_session(desk.ctx.engine) as s:
        solution = s.exec(select(Stage).where(Stage.name_en == 'Solution')).one()
    desk.pipeline.move_opportunity(team.rep_a, deal, to_stage_id=solution.id or 0, version=1)
    await login(user, team.manager.email)
    await user.open('/reports')
    await user.should_see(marker='panel-checklist')
    await user.should_see('Most skipped', retries=100)
    table = user.find(marker='table-checklist').elements.pop()
    assert isinstance(table, ui.table)
    stakeholders = next(r for r in table.rows if r['item'].startswith('Map the stakeholders'))
    assert (stakeholders['exits'], stakeholders['skipped'], stakeholders['skip_rate']) == (1, 1, '100.0%')


async def test_the_checklist_table_exports_from_the_reports_page(user: User, team: Team) -> None:
    import csv
    import io

    await login(user, team.manager.email)
    await user.open('/reports')
    await user.should_see('No step was left', retries=100)  # the panel has loaded
    user.find(marker='export-checklist-csv').click()
    response = await user.download.next(timeout=10)
    assert response.content.startswith(b'\xef\xbb\xbf')
    rows = list(csv.DictReader(io.StringIO(response.content.decode('utf-8-sig'))))
    live = [i for i in db(team, PlaybookItem) if not i.is_archived]
    assert len(rows) == len(live) > 0
    assert {r['text_en'] for r in rows} == {i.text_en for i in live}
