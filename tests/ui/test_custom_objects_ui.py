"""Custom fields of opportunities and customers in the UI: the admin picks the record type in
Settings and says from which stage a deal field is required (with help text); a rep fills a deal's
field under "More fields" on its page, is told by the board which field a move needs, and a manager
edits a customer's field; the board and the customer list filter by a select."""

from __future__ import annotations

from typing import Any

from nicegui.testing import User

from store.engine import read_session
from store.models import Account, AuditEntry, CustomField, Opportunity
from tests.ui.conftest import Team, login
from tests.ui.test_custom_fields_ui import element, until
from tests.ui.test_pipeline_page import make_opportunity, move_via_menu, open_board, stages

CHANNELS = [{'key': 'agent', 'label_zh': '代理', 'label_en': 'Agent'},
            {'key': 'direct', 'label_zh': '直销', 'label_en': 'Direct'}]


def stored(team: Team, model: Any, row_id: int) -> Any:
    with read_session(team.desk.ctx.engine) as s:
        found = s.get(model, row_id)
        assert found is not None
        return found


def define_channel(team: Team, **kw: Any) -> None:
    team.desk.custom_fields.define_field(None, entity='opportunity', key='channel', type='single_select',
                                         label_zh='渠道', label_en='Channel', options=CHANNELS,
                                         help_zh='成交经由的渠道', help_en='How the deal comes in', **kw)


async def test_admin_chooses_opportunities_and_defines_a_field_required_from_a_stage(user: User,
                                                                                   team: Team) -> None:
    quotation = stages(team.desk)['Quotation']
    await login(user, team.admin.email)
    await user.open('/settings')
    element(user, 'custom-entity').set_value('opportunity')
    await user.should_see('Fields your team tracks on every opportunity', retries=60)
    user.find(marker='custom-field-add').click()
    await user.should_see('Add opportunity field')
    user.find(marker='custom-key').type('contract_no')
    user.find(marker='custom-label-zh').type('合同编号')
    user.find(marker='custom-label-en').type('Contract no.')
    element(user, 'custom-required').set_value(quotation.id)
    user.find(marker='custom-help-en').type('As printed on the contract')
    user.find(marker='custom-save').click()
    await user.should_see(marker='custom-required-contract_no', retries=60)
    assert element(user, 'custom-required-contract_no').text == 'Required from “Quotation” on'
    with read_session(team.desk.ctx.engine) as s:
        row = s.get(CustomField, 1)
        assert row is not None
        assert (row.entity, row.key, row.required_stage_id, row.help_en) == \
            ('opportunity', 'contract_no', quotation.id, 'As printed on the contract')
    element(user, 'custom-entity').set_value('lead')  # leads' list: not the deal's field
    await user.should_see('No custom fields yet', retries=60)


async def test_admin_makes_a_lead_field_required_at_qualification(user: User, team: Team) -> None:
    team.desk.custom_fields.define_field(None, entity='lead', key='product', type='text', label_zh='意向产品',
                                         label_en='Product')
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker='custom-edit-product').click()
    element(user, 'custom-required').set_value('qualification')
    user.find(marker='custom-save').click()
    await user.should_see(marker='custom-required-product', retries=60)
    assert element(user, 'custom-required-product').text == 'Required at qualification'
    assert team.desk.custom_fields.fields(None, 'lead')[0].is_required_to_qualify


async def test_rep_fills_a_deal_field_under_more_fields_with_its_help(user: User, team: Team) -> None:
    define_channel(team)
    deal_id = make_opportunity(team.desk, team.rep_a, company='Acme')
    await login(user, team.rep_a.email)
    await user.open(f'/opportunities/{deal_id}')
    await user.should_see('Not filled in: Channel', retries=60)
    user.find(marker='edit-custom').click()
    select = element(user, 'custom-channel')
    assert select.props['hint'] == 'How the deal comes in'
    select.set_value('direct')
    user.find(marker='save-custom').click()
    await user.should_see(marker='value-custom-channel', retries=60)
    assert element(user, 'value-custom-channel').text == 'Direct'
    assert stored(team, Opportunity, deal_id).custom == {'channel': 'direct'}
    with read_session(team.desk.ctx.engine) as s:
        entries = s.exec(AuditEntry.__table__.select()).all()  # type: ignore[attr-defined]
    assert any(e.reason_params.get('fields') == 'custom.channel' for e in entries)


async def test_the_board_refuses_a_move_naming_the_field_it_needs(user: User, team: Team) -> None:
    by_name = stages(team.desk)
    define_channel(team, requirement='stage', required_stage_id=by_name['Solution'].id)
    deal_id = make_opportunity(team.desk, team.rep_a, company='Acme')
    await open_board(user, team.rep_a, deal_id)
    await move_via_menu(user, deal_id, by_name['Solution'])
    await user.should_see('Fill in Channel before moving to “Solution”', retries=60)
    assert stored(team, Opportunity, deal_id).stage_id == by_name['Needs confirmed'].id


async def test_the_board_filters_by_a_deal_select(user: User, team: Team) -> None:
    define_channel(team)
    agent = make_opportunity(team.desk, team.rep_a, company='Acme')
    direct = make_opportunity(team.desk, team.rep_a, company='Beta')
    for deal_id, channel in ((agent, 'agent'), (direct, 'direct')):
        team.desk.pipeline.update_opportunity(team.rep_a, deal_id, version=stored(team, Opportunity, deal_id).version,
                                              changes={'custom': {'channel': channel}})
    await open_board(user, team.manager, agent, direct)
    element(user, 'filter-custom-channel').set_value('agent')
    await user.should_not_see(marker=f'opp-{direct}', retries=60)
    await user.should_see(marker=f'opp-{agent}')


async def test_manager_edits_a_customer_field_and_filters_the_list(user: User, team: Team) -> None:
    team.desk.custom_fields.define_field(None, entity='customer', key='stores', type='number', label_zh='门店数',
                                         label_en='Stores')
    team.desk.custom_fields.define_field(None, entity='customer', key='club', type='yes_no', label_zh='会员',
                                         label_en='Club member')
    deal_id = make_opportunity(team.desk, team.rep_a, company='Acme')
    won = stages(team.desk)['Won']
    team.desk.pipeline.move_opportunity(team.manager, deal_id, to_stage_id=won.id or 0,
                                        version=stored(team, Opportunity, deal_id).version, won_amount='100')
    account_id = stored(team, Opportunity, deal_id).account_id
    await login(user, team.manager.email)
    await user.open(f'/customers/{account_id}')
    await user.should_see('Not filled in: Stores, Club member', retries=60)
    user.find(marker='edit-custom').click()
    user.find(marker='custom-stores').type('12')
    element(user, 'custom-club').set_value('yes')
    user.find(marker='save-custom').click()
    await user.should_see(marker='value-custom-stores', retries=60)
    assert element(user, 'value-custom-stores').text == '12'
    assert stored(team, Account, account_id).custom == {'stores': 12, 'club': True}
    await user.open('/customers')
    await user.should_see(marker='filter-custom-club', retries=60)
    customers = element(user, 'customers')
    assert await until(lambda: [r['id'] for r in customers.rows] == [account_id])
    element(user, 'filter-custom-club').set_value('no')
    assert await until(lambda: customers.rows == [])
    element(user, 'filter-custom-club').set_value('yes')
    assert await until(lambda: [r['id'] for r in customers.rows] == [account_id])


async def test_the_convert_dialog_asks_a_deal_field_needed_from_the_first_stage(user: User, team: Team) -> None:
    from tests.ui.test_convert import opportunities, proceed_past_checklist, qualified_lead
    define_channel(team, requirement='stage', required_stage_id=stages(team.desk)['Needs confirmed'].id)
    lead_id = qualified_lead(team, company='Huaxin Tech')
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='convert').click()
    await user.should_see('Channel *', retries=60)
    user.find(marker='convert-amount').type('12500')
    user.find(marker='convert-close').type('2030-06-30')
    user.find(marker='convert-submit').click()
    channel = element(user, 'convert-custom-channel')
    assert await until(lambda: channel.error == 'Required')
    assert opportunities(team, lead_id) == []
    channel.set_value('agent')
    user.find(marker='convert-submit').click()
    await proceed_past_checklist(user)
    assert await until(lambda: len(opportunities(team, lead_id)) == 1)
    assert opportunities(team, lead_id)[0].custom == {'channel': 'agent'}


async def test_qualifying_names_the_custom_field_it_needs(user: User, team: Team) -> None:
    from tests.ui.test_convert import BANT, contacted_lead
    team.desk.custom_fields.define_field(None, entity='lead', key='product', type='text', label_zh='意向产品',
                                         label_en='Product', requirement='qualification')
    lead_id = contacted_lead(team, **BANT)
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='qualify').click()
    await user.should_see('Fill in Product before qualifying this lead', retries=60)
    product = element(user, 'custom-product')
    assert product.error == 'Required'


async def test_a_web_form_shows_a_field_s_help_text_in_its_language(user: User, team: Team) -> None:
    from tests.ui.test_web_form_custom import FORM, configure
    team.desk.custom_fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数',
                                         label_en='Stores', help_zh='全国门店总数', help_en='All stores nationwide')
    configure(team, language='zh-CN', fields=['name', 'phone', 'custom.stores'])
    page = (await user.http_client.get(FORM)).text
    assert '全国门店总数' in page and 'All stores nationwide' not in page
    assert 'aria-describedby="h-f-custom-stores"' in page
    configure(team, language='en', fields=['name', 'phone', 'custom.stores'])
    assert 'All stores nationwide' in (await user.http_client.get(FORM)).text


async def test_the_convert_dialog_carries_a_lead_value_into_the_deal_field_of_the_same_key(user: User,
                                                                                          team: Team) -> None:
    from tests.ui.test_convert import opportunities, proceed_past_checklist, qualified_lead
    team.desk.custom_fields.define_field(None, entity='lead', key='channel', type='single_select', label_zh='渠道',
                                         label_en='Channel', options=CHANNELS)
    define_channel(team)
    lead_id = qualified_lead(team, company='Huaxin Tech', custom={'channel': 'direct'})
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='convert').click()
    await user.should_see(marker='convert-custom-channel', retries=60)
    assert element(user, 'convert-custom-channel').value == 'direct'
    user.find(marker='convert-amount').type('100')
    user.find(marker='convert-close').type('2030-06-30')
    user.find(marker='convert-submit').click()
    await proceed_past_checklist(user)
    assert await until(lambda: len(opportunities(team, lead_id)) == 1)
    assert opportunities(team, lead_id)[0].custom == {'channel': 'direct'}
