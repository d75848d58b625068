"""Custom fields of an opportunity in a real browser: a rep on a phone (390×844) fills a deal's
select under "More fields", reads the help text under it and the option's label back, with no
sideways scroll."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from tests import factories

from .support import Server, choose, login
from .test_mobile import SIZES, no_sideways_scroll, shot

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    desk.custom_fields.define_field(
        None, entity='opportunity', key='channel', type='single_select', label_zh='成交渠道',
        label_en='Sales channel', help_zh='商机经由哪个渠道成交', help_en='Which channel brings the deal in',
        options=[{'key': 'agent', 'label_zh': '区域代理', 'label_en': 'Regional agent'},
                 {'key': 'direct', 'label_zh': '直销', 'label_en': 'Direct sales'}])
    desk.custom_fields.define_field(None, entity='opportunity', key='seats', type='number', label_zh='席位数',
                                    label_en='Seats')
    lead_id = desk.leads.capture_lead(
        factories.lead_data(name='王小明 Wang Xiaoming', company='上海云杉信息科技有限公司'), channel='manual',
        default_source='manual', actor=team.rep, keep_for_actor=True).lead_id
    desk.leads.log_activity(team.rep, lead_id, kind='call')
    version = desk.leads.lead_view(team.rep, lead_id).lead.version
    desk.leads.update_lead(team.rep, lead_id, version=version, changes={
        'need': 'CRM for 20 reps', 'budget': '¥100k', 'authority': 'CEO', 'timeline': 'Q2'})
    desk.leads.qualify_lead(team.rep, lead_id)
    server.seeded['deal'] = desk.pipeline.convert_lead(team.rep, lead_id, amount='88000',
                                                       expected_close=date(2030, 6, 30))


def test_rep_fills_a_deal_s_custom_field_on_a_phone(start_server: Callable[..., Server],
                                                    new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    page = new_context(locale='en-US', viewport=SIZES['phone']).new_page()
    login(page, server, server.team.rep)
    page.goto(server.url(f"/opportunities/{server.seeded['deal']}"))
    expect(page.get_by_test_id('empty-custom')).to_contain_text('Sales channel')
    no_sideways_scroll(page)
    page.get_by_test_id('edit-custom').click()
    expect(page.get_by_text('Which channel brings the deal in')).to_be_visible()
    choose(page, 'custom-channel', 'Regional agent')
    page.get_by_test_id('custom-seats').fill('25')
    expect(page.get_by_test_id('custom-seats')).to_have_value('25')
    no_sideways_scroll(page)
    shot(page, 'custom-opportunity-phone-edit')
    page.get_by_test_id('save-custom').click()
    expect(page.get_by_test_id('value-custom-channel')).to_have_text('Regional agent')
    expect(page.get_by_test_id('value-custom-seats')).to_have_text('25')
    no_sideways_scroll(page)
