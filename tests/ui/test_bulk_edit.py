"""Bulk edit on the inbox (ui/components/bulk_edit.py): ticking rows, the action dialog's preview,
applying, and undoing from the list of recent bulk edits."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User

from store.models import Lead, LeadStatus, Role, TagEntity
from tests import factories
from tests.ui.conftest import Team, login
from tests.ui.test_inbox_page import wait_rows
from tests.unit.db import get


def element(user: User, marker: str) -> ui.element:
    return user.find(marker=marker).elements.pop()


async def settle(check: object, timeout: float = 3.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if callable(check) and check():
            return
        await asyncio.sleep(0.05)


async def test_a_manager_disqualifies_ticked_rows_then_undoes_it(user: User, team: Team) -> None:
    desk = team.desk
    ids = {name: desk.leads.capture_lead(factories.lead_data(name=name), channel='manual', default_source='manual',
                                         actor=team.rep_a, keep_for_actor=True).lead_id
           for name in ('Spam One', 'Spam Two', 'Keeper')}
    await login(user, team.manager.email)
    await wait_rows(user, set(ids))
    await user.should_not_see(marker='bulk-bar')  # nothing ticked: no bar
    table = user.find(marker='inbox-table')
    table.trigger('pick', [ids['Spam One'], True])
    table.trigger('pick', [ids['Spam Two'], True])
    await user.should_see('2 selected')
    user.find(marker='bulk-action').click()
    await user.should_see(marker='bulk-dialog')
    kind = element(user, 'bulk-kind')
    assert isinstance(kind, ui.select)
    kind.set_value('disqualify')
    user.find(marker='bulk-reason').type('bought list')
    user.find(marker='bulk-do-preview').click()
    await user.should_see('2 will change')
    user.find(marker='bulk-apply').click()
    await user.should_see('2 leads changed (0 skipped)', retries=100)
    assert {get(desk, Lead, ids[n]).status for n in ('Spam One', 'Spam Two')} == {LeadStatus.DISQUALIFIED}
    assert get(desk, Lead, ids['Keeper']).status == LeadStatus.ASSIGNED
    names = table.elements.pop()
    assert isinstance(names, ui.table)
    await settle(lambda: [r['name'] for r in names.rows] == ['Keeper'])
    assert [r['name'] for r in names.rows] == ['Keeper']

    user.find(marker='bulk-recent').click()
    await user.should_see(marker='bulk-recent-list')
    await user.should_see('Disqualify: 2 leads')
    batch = desk.bulk.recent(team.manager)[0]
    user.find(marker=f'bulk-undo-{batch.id}').click()
    await user.should_see('2 leads restored; 0 skipped because they changed since', retries=100)
    assert {get(desk, Lead, ids[n]).status for n in ('Spam One', 'Spam Two')} == {LeadStatus.ASSIGNED}


async def test_select_all_matching_and_a_reps_actions(user: User, team: Team) -> None:
    desk = team.desk
    for n in range(3):
        desk.leads.capture_lead(factories.lead_data(name=f'Mine {n}'), channel='manual', default_source='manual',
                                actor=team.rep_a, keep_for_actor=True)
    await login(user, team.rep_a.email)
    await wait_rows(user, {'Mine 0', 'Mine 1', 'Mine 2'})
    table = user.find(marker='inbox-table')
    first = element(user, 'inbox-table')
    assert isinstance(first, ui.table)
    table.trigger('pick', [first.rows[0]['id'], True])
    await user.should_see('Select all 3 matching')
    user.find(marker='bulk-select-all').click()
    await user.should_see('All 3 matching selected')
    user.find(marker='bulk-action').click()
    await user.should_see(marker='bulk-dialog')
    kind = element(user, 'bulk-kind')
    assert isinstance(kind, ui.select)
    assert set(kind.options) == {'set_field', 'disqualify'}  # no reassign, no pool; no tags defined: no tag actions
    field = element(user, 'bulk-field')
    assert isinstance(field, ui.select)
    field.set_value('city')
    user.find(marker='bulk-value').type('杭州')
    user.find(marker='bulk-apply').click()
    await user.should_see('3 leads changed (0 skipped)', retries=100)
    assert {get(desk, Lead, row.id).city for row in desk.leads.inbox(team.rep_a)[0]} == {'杭州'}


async def test_a_rep_tags_ticked_leads_with_a_preview_of_who_has_it(user: User, team: Team) -> None:
    desk = team.desk
    vip = desk.tags.define_tag(factories.user(desk, Role.MANAGER), name_zh='重点', name_en='VIP', colour='red')
    ids = [desk.leads.capture_lead(factories.lead_data(name=f'Mine {n}'), channel='manual', default_source='manual',
                                   actor=team.rep_a, keep_for_actor=True).lead_id for n in range(2)]
    desk.record_tags.add_tag(team.rep_a, TagEntity.LEAD, ids[0], vip.id)
    await login(user, team.rep_a.email)
    await wait_rows(user, {'Mine 0', 'Mine 1'})
    table = user.find(marker='inbox-table')
    for lead_id in ids:
        table.trigger('pick', [lead_id, True])
    await user.should_see('2 selected')
    user.find(marker='bulk-action').click()
    await user.should_see(marker='bulk-dialog')
    kind = element(user, 'bulk-kind')
    assert isinstance(kind, ui.select)
    kind.set_value('tag_add')
    tag = element(user, 'bulk-tag')
    assert isinstance(tag, ui.select) and tag.options == {vip.id: 'VIP'}
    tag.set_value(vip.id)
    user.find(marker='bulk-do-preview').click()
    await user.should_see('1 will change · 1 skipped: already tagged')
    user.find(marker='bulk-apply').click()
    await user.should_see('1 leads changed (1 skipped)', retries=100)
    assert [t.id for t in desk.record_tags.tags_of(team.rep_a, TagEntity.LEAD, ids[1])] == [vip.id]


async def test_a_manager_hands_ticked_customers_to_a_rep_and_tags_them(user: User, team: Team) -> None:
    from store.models import Account
    from tests.ui.test_convert import until
    from tests.ui.test_customers_page import table_rows, won_deal
    desk = team.desk
    vip = desk.tags.define_tag(team.manager, name_zh='重点', name_en='VIP', colour='red')
    first, _ = won_deal(team, team.rep_a, 'Alpha Co')
    second, _ = won_deal(team, team.rep_a, 'Beta Co')
    await login(user, team.manager.email)
    await user.open('/customers')
    await until(lambda: len(table_rows(user)) == 2)
    await user.should_not_see(marker='bulk-bar')
    assert {r['pick_label'] for r in table_rows(user)} == {'Select this customer'}
    table = user.find(marker='customers')
    for account_id in (first, second):
        table.trigger('pick', [account_id, True])
    await user.should_see('2 selected')
    user.find(marker='bulk-action').click()
    await user.should_see('Bulk edit 2 customers')
    kind = element(user, 'bulk-kind')
    assert isinstance(kind, ui.select) and set(kind.options) == {'tag_add', 'tag_remove', 'reassign'}
    kind.set_value('reassign')
    rep = element(user, 'bulk-rep')
    assert isinstance(rep, ui.select) and 0 not in rep.options  # no rules pick a customer's owner
    rep.set_value(team.rep_b.id)
    user.find(marker='bulk-do-preview').click()
    await user.should_see('2 will change')
    user.find(marker='bulk-apply').click()
    await user.should_see('2 customers changed (0 skipped)', retries=100)
    assert {get(desk, Account, i).owner_id for i in (first, second)} == {team.rep_b.id}
    await until(lambda: {r['owner'] for r in table_rows(user)} == {'Rep Zhao'})

    table.trigger('pick', [first, True])
    await user.should_see('1 selected')
    user.find(marker='bulk-action').click()
    await user.should_see(marker='bulk-dialog')
    element(user, 'bulk-kind').set_value('tag_add')
    element(user, 'bulk-tag').set_value(vip.id)
    user.find(marker='bulk-apply').click()
    await user.should_see('1 customers changed (0 skipped)', retries=100)
    assert [t.id for t in desk.record_tags.tags_of(team.manager, TagEntity.CUSTOMER, first)] == [vip.id]
    user.find(marker='bulk-recent').click()  # the tag batch after it left the owners as they were
    await user.should_see('Reassign: 2 customers')
    batch = desk.bulk.recent(team.manager)[-1]
    user.find(marker=f'bulk-undo-{batch.id}').click()
    await user.should_see('2 customers restored; 0 skipped because they changed since', retries=100)
    assert {get(desk, Account, i).owner_id for i in (first, second)} == {team.rep_a.id}
