"""Tags in the UI: a manager defines, renames and retires tags in Settings; a rep tags own lead on
its page and takes the tag off again (stored in `record_tags`, audited); a retired tag is not
offered but stays on the lead."""

from __future__ import annotations

from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import AuditEntry, RecordTag, Tag
from tests import factories
from tests.ui.conftest import Team, login
from tests.ui.test_custom_fields_ui import element, until


def tags_of(team: Team, lead_id: int) -> list[int]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(RecordTag.tag_id).where(RecordTag.entity == 'lead',
                                                          RecordTag.record_id == lead_id)).all())


def own_lead(team: Team) -> int:
    return team.desk.leads.capture_lead(factories.lead_data(name='Tagged Co'), channel='manual',
                                        default_source='manual', actor=team.rep_a, keep_for_actor=True).lead_id


async def test_a_manager_defines_a_tag_in_settings(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/settings')
    await user.should_see('No tags yet')
    user.find(marker='tag-define').click()
    user.find(marker='tag-name-zh').type('重点客户')
    user.find(marker='tag-name-en').type('Key account')
    element(user, 'tag-colour').set_value('red')
    user.find(marker='tag-save').click()
    await user.should_see(marker='tag-row-key-account', retries=60)
    with read_session(team.desk.ctx.engine) as s:
        row = s.exec(select(Tag)).one()
        assert (row.key, row.name_zh, row.name_en, row.colour) == ('key-account', '重点客户', 'Key account', 'red')


async def test_renaming_a_tag_shows_the_new_name_and_a_duplicate_name_is_marked(user: User, team: Team) -> None:
    team.desk.tags.define_tag(None, name_zh='重点', name_en='VIP')
    team.desk.tags.define_tag(None, name_zh='展会', name_en='Fair')
    await login(user, team.manager.email)
    await user.open('/settings')
    user.find(marker='tag-edit-vip').click()
    name = element(user, 'tag-name-en')
    name.set_value('Fair')
    user.find(marker='tag-save').click()
    assert await until(lambda: name.error is not None)
    name.set_value('Top')
    user.find(marker='tag-save').click()
    await user.should_see('重点 · Top', retries=60)


async def test_retiring_a_tag_marks_it_retired(user: User, team: Team) -> None:
    team.desk.tags.define_tag(None, name_zh='重点', name_en='VIP')
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker='tag-retire-vip').click()
    await user.should_see(marker='tag-retired-vip', retries=60)
    with read_session(team.desk.ctx.engine) as s:
        assert s.exec(select(Tag)).one().is_retired


async def test_a_rep_cannot_see_the_tags_settings(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/settings')
    await user.should_not_see(marker='tags-card')


async def test_a_rep_tags_own_lead_and_removes_the_tag(user: User, team: Team) -> None:
    tag = team.desk.tags.define_tag(None, name_zh='重点', name_en='VIP', colour='red')
    lead_id = own_lead(team)
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='tag-add').click()
    user.find(marker='tag-option-vip').click()
    await user.should_see(marker='tag-chip-vip', retries=60)
    assert tags_of(team, lead_id) == [tag.id]
    user.find(marker='tag-remove-vip').click()
    await user.should_not_see(marker='tag-chip-vip', retries=60)
    assert tags_of(team, lead_id) == []
    with read_session(team.desk.ctx.engine) as s:
        actions = [a.action for a in s.exec(select(AuditEntry).where(AuditEntry.lead_id == lead_id))]
    assert actions.count('tag_added') == 1 and actions.count('tag_removed') == 1


async def test_a_retired_tag_stays_on_the_lead_and_is_not_offered(user: User, team: Team) -> None:
    vip = team.desk.tags.define_tag(None, name_zh='重点', name_en='VIP')
    team.desk.tags.define_tag(None, name_zh='展会', name_en='Fair')
    lead_id = own_lead(team)
    team.desk.record_tags.add_tag(team.rep_a, 'lead', lead_id, vip.id)
    team.desk.tags.retire_tag(None, vip.id)
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='tag-chip-vip')
    user.find(marker='tag-add').click()
    await user.should_see(marker='tag-option-fair')
    await user.should_not_see(marker='tag-option-vip')


async def test_the_inbox_shows_chips_and_filters_by_tag(user: User, team: Team) -> None:
    vip = team.desk.tags.define_tag(None, name_zh='重点', name_en='VIP', colour='red')
    tagged, plain = own_lead(team), team.desk.leads.capture_lead(
        factories.lead_data(name='Plain Co'), channel='manual', default_source='manual', actor=team.rep_a,
        keep_for_actor=True).lead_id
    team.desk.record_tags.add_tag(team.rep_a, 'lead', tagged, vip.id)
    await login(user, team.rep_a.email)
    await user.open('/')
    table = element(user, 'inbox-table')
    assert await until(lambda: {r['id'] for r in table.rows} == {tagged, plain})
    assert {r['id']: [g['n'] for g in r['tags']] for r in table.rows} == {tagged: ['VIP'], plain: []}
    element(user, 'filter-tags').set_value([vip.id])
    assert await until(lambda: [r['id'] for r in table.rows] == [tagged])
    assert [r['id'] for r in element(user, 'inbox-cards').rows] == [tagged]  # the phone's cards too


async def test_a_manager_adds_an_assignment_rule_that_tests_a_tag(user: User, team: Team) -> None:
    team.desk.tags.define_tag(None, name_zh='重点', name_en='VIP')
    await login(user, team.manager.email)
    await user.open('/rules')
    user.find(marker='new-rule-name').type('VIP leads')
    element(user, 'new-rule-tags').set_value(['vip'])
    user.find(marker='new-rule-save').click()
    assert await until(lambda: team.desk.rules.rules(team.manager)[-1].name == 'VIP leads')
    assert team.desk.rules.rules(team.manager)[-1].match_tags == ['vip']


async def test_a_manager_tags_a_customer_and_the_list_filters_by_it(user: User, team: Team) -> None:
    from tests.ui.test_customers_page import table_rows, won_deal
    vip = team.desk.tags.define_tag(None, name_zh='重点', name_en='VIP')
    tagged, _ = won_deal(team, team.rep_a, 'Huaxin Tech')
    won_deal(team, team.rep_a, 'Plain Co')
    await login(user, team.manager.email)
    await user.open(f'/customers/{tagged}')
    user.find(marker='tag-add').click()
    user.find(marker='tag-option-vip').click()
    await user.should_see(marker='tag-chip-vip', retries=60)
    await user.open('/customers')
    assert await until(lambda: len(table_rows(user)) == 2)
    element(user, 'filter-tags').set_value([vip.id])
    assert await until(lambda: [r['id'] for r in table_rows(user)] == [tagged])
    assert [g['n'] for g in table_rows(user)[0]['tags']] == ['VIP']


async def test_a_rep_tags_own_opportunity(user: User, team: Team) -> None:
    from tests.ui.test_convert import converted
    team.desk.tags.define_tag(None, name_zh='展会', name_en='Fair')
    _, opportunity_id = converted(team, team.rep_a, amount='9000', name='Deal buyer', company='Deal Co')
    await login(user, team.rep_a.email)
    await user.open(f'/opportunities/{opportunity_id}')
    user.find(marker='tag-add').click()
    user.find(marker='tag-option-fair').click()
    await user.should_see(marker='tag-chip-fair', retries=60)
    assert [t.key for t in team.desk.record_tags.tags_of(team.rep_a, 'opportunity', opportunity_id)] == ['fair']


async def test_a_tag_defined_while_the_inbox_is_open_joins_its_filter(user: User, team: Team) -> None:
    from tests.ui.test_inbox_page import _app_desk
    own_lead(team)
    await login(user, team.rep_a.email)
    await user.open('/')
    await user.should_see(marker='new-lead')
    await user.should_not_see(marker='filter-tags')  # no tag yet: no filter
    _app_desk().tags.define_tag(None, name_zh='重点', name_en='VIP')  # the app's desk: its event reaches the page
    await user.should_see(marker='filter-tags', retries=60)
    assert list(element(user, 'filter-tags').options.values()) == ['VIP']
