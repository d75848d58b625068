"""A lead followed from assigned to converted in a real browser, with its playbook visible and
ticked along the way (issue 11 "Done when"): tick on the page, tick while logging the first call,
the whole BANT checklist ticked so qualifying asks nothing, and converting with items open asks
first and lands on the deal's own playbook."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from core.desk import Desk
from store.models import LeadStatus
from tests import factories

from .support import Server, login

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    lead_id = desk.leads.capture_lead(
        factories.lead_data(name='Playbook Pan', company='Pan Logistics', need='Fleet tracking', budget='30万',
                            authority='COO Pan', timeline='Q3'),
        channel='manual', default_source='manual', actor=team.rep, keep_for_actor=True).lead_id
    items = {status: [i.id for i in desk.playbooks.editor(team.manager, f'lead:{status}')[0]]
             for status in (LeadStatus.ASSIGNED, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)}
    server.seeded.update(lead=lead_id, items=items)


def exits(server: Server) -> list[tuple[str, list[int], list[int]]]:
    with sqlite3.connect(server.db_path) as db:
        rows = db.execute('SELECT lead_status, done_ids, open_ids FROM playbook_exits ORDER BY id').fetchall()
    return [(status, json.loads(done), json.loads(left)) for status, done, left in rows]


def test_a_lead_from_assigned_to_converted_with_its_checklist(page: Page,
                                                              start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    lead_id, items = server.seeded['lead'], server.seeded['items']
    panel = page.get_by_test_id('playbook-panel')
    progress = page.get_by_test_id('playbook-progress')
    login(page, server, server.team.rep)
    page.goto(server.url(f'/leads/{lead_id}'))

    # assigned: prepare — one item ticked on the page, one with the first call
    expect(panel).to_contain_text('Playbook · Lead · Assigned')
    expect(panel).to_contain_text('do you have two minutes now?')  # a talk track
    expect(progress).to_have_text('0 of 3 done')
    page.get_by_test_id(f'playbook-item-{items["assigned"][0]}').click()
    expect(progress).to_have_text('1 of 3 done')
    page.get_by_test_id('log-activity').click()
    page.get_by_test_id(f'log-tick-{items["assigned"][1]}').click()
    page.get_by_test_id('activity-outcome').fill('Wants fleet tracking for 40 trucks')
    page.get_by_test_id('activity-save').click()

    # contacted: BANT, every item ticked, so qualifying asks nothing
    expect(panel).to_contain_text('Playbook · Lead · Contacted')
    expect(page.get_by_test_id('lead-status')).to_have_text('Contacted')
    for i, item in enumerate(items['contacted'], start=1):
        page.get_by_test_id(f'playbook-item-{item}').click()
        expect(progress).to_have_text(f'{i} of 4 done')
    page.get_by_test_id('qualify').click()
    expect(page.get_by_test_id('lead-status')).to_have_text('Qualified')
    expect(page.get_by_test_id('playbook-open-dialog')).to_have_count(0)

    # qualified: one item done, then convert — the two open ones are named, the user goes ahead
    expect(panel).to_contain_text('Playbook · Lead · Qualified')
    page.get_by_test_id(f'playbook-item-{items["qualified"][0]}').click()
    expect(progress).to_have_text('1 of 3 done')
    page.get_by_test_id('convert').click()
    page.get_by_test_id('convert-amount').fill('86000')
    page.get_by_test_id('convert-close').fill('2030-09-30')
    page.get_by_test_id('convert-submit').click()
    dialog = page.get_by_test_id('playbook-open-dialog')
    expect(dialog).to_contain_text('2 items of this step are still open')
    expect(dialog).to_contain_text('Agree the next step (demo or visit) with a date')
    page.get_by_test_id('playbook-open-proceed').click()

    # the deal's page: the first stage's playbook
    expect(page.get_by_test_id('opp-name-title')).to_have_text('Pan Logistics')
    expect(panel).to_contain_text('Playbook · Deal · Needs confirmed')
    expect(panel).to_contain_text('Map the stakeholders')

    assigned, contacted, qualified = items['assigned'], items['contacted'], items['qualified']
    assert exits(server) == [('assigned', assigned[:2], assigned[2:]), ('contacted', contacted, []),
                             ('qualified', qualified[:1], qualified[1:])]
