"""Custom fields in a real browser: a rep on a phone (390×844) picks a custom select's option on
the lead page and reads its label back. `LEADDESK_SHOTS=<dir>` also saves the lead page and the
admin's Settings section at phone and desk sizes in both languages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from tests import factories

from .support import Server, login
from .test_mobile import SIZES, no_sideways_scroll, shot

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    fields = desk.custom_fields
    fields.define_field(None, entity='lead', key='product', type='single_select', label_zh='意向产品',
                        label_en='Product',
                        options=[{'key': 'crm', 'label_zh': '客户管理系统', 'label_en': 'CRM suite'},
                                 {'key': 'erp', 'label_zh': '企业资源计划', 'label_en': 'ERP'}])
    fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数', label_en='Stores')
    fields.define_field(None, entity='lead', key='budget_total', type='money', label_zh='总预算',
                        label_en='Total budget')
    fields.define_field(None, entity='lead', key='vip', type='yes_no', label_zh='贵宾客户', label_en='VIP')
    fields.define_field(None, entity='lead', key='channels', type='multi_select', label_zh='渠道代理',
                        label_en='Channel partners', required=True,
                        options=[{'key': 'north', 'label_zh': '华北', 'label_en': 'North'},
                                 {'key': 'south', 'label_zh': '华南', 'label_en': 'South'}])
    fields.define_field(None, entity='lead', key='legacy', type='text', label_zh='旧编号', label_en='Legacy id')
    server.seeded['lead'] = desk.leads.capture_lead(
        factories.lead_data(name='王小明 Wang Xiaoming', company='上海云杉信息科技有限公司',
                            custom={'budget_total': '128000', 'vip': True, 'channels': ['north', 'south'],
                                    'legacy': 'OLD-42'}),
        channel='manual', default_source='manual', actor=team.rep, keep_for_actor=True).lead_id
    fields.retire_field(None, entity='lead', key='legacy')


def test_rep_picks_a_custom_option_on_a_phone(start_server: Callable[..., Server],
                                              new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    page = new_context(locale='en-US', viewport=SIZES['phone']).new_page()
    login(page, server, server.team.rep)
    response = page.goto(server.url(f"/leads/{server.seeded['lead']}"))
    # The "why can I see this?" line is in the first response: filled in later, it wrapped onto a line of
    # its own on a phone and pushed the pencil below away from under the finger tapping it.
    assert response is not None and 'You see this because it is your record.' in response.text()
    expect(page.get_by_test_id('value-custom-budget_total')).to_have_text('¥128,000')
    expect(page.get_by_test_id('value-custom-legacy')).to_have_text('OLD-42')  # retired, kept, read only
    page.get_by_test_id('edit-custom').click()
    expect(page.get_by_test_id('save-custom')).to_be_visible()
    page.get_by_test_id('custom-product').click()
    page.get_by_role('option', name='CRM suite').click()
    page.keyboard.press('Escape')
    page.get_by_test_id('save-custom').click()
    expect(page.get_by_test_id('value-custom-product')).to_have_text('CRM suite')
    no_sideways_scroll(page)


def test_a_reps_chosen_custom_columns_show_on_the_phone_cards(start_server: Callable[..., Server],
                                                               new_context: Callable[..., BrowserContext]) -> None:
    def with_columns(desk: Desk, server: Server) -> None:
        seed(desk, server)
        assert server.team is not None
        desk.team.set_inbox_columns(server.team.rep, ['grade', 'name', 'phone', 'custom.budget_total',
                                                      'custom.product'])

    server = start_server(seed=with_columns)
    assert server.team is not None
    page = new_context(locale='en-US', viewport=SIZES['phone']).new_page()
    login(page, server, server.team.rep)
    card = page.get_by_test_id('inbox-cards').locator('.ld-card').first
    expect(card).to_contain_text('王小明')
    expect(card.locator('.ld-card-custom')).to_have_text(['Total budget: ¥128,000'])  # product empty: no line
    no_sideways_scroll(page)


@pytest.mark.parametrize('size', list(SIZES))
def test_custom_fields_fit_in_both_languages(start_server: Callable[..., Server], size: str,
                                             new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    for locale in ('en-US', 'zh-CN'):
        tag = f'custom-{size}-{locale}'
        page = new_context(locale=locale, viewport=SIZES[size]).new_page()
        login(page, server, server.team.admin)
        page.goto(server.url(f"/leads/{server.seeded['lead']}"))
        expect(page.get_by_test_id('section-custom')).to_be_visible()
        no_sideways_scroll(page)
        page.get_by_test_id('section-custom').scroll_into_view_if_needed()
        shot(page, f'{tag}-lead')
        page.get_by_test_id('edit-custom').click()
        expect(page.get_by_test_id('save-custom')).to_be_visible()
        no_sideways_scroll(page)
        shot(page, f'{tag}-lead-edit')
        page.goto(server.url('/settings'))
        expect(page.get_by_test_id('custom-field-product')).to_be_visible()
        no_sideways_scroll(page)
        page.get_by_test_id('custom-fields-card').scroll_into_view_if_needed()
        shot(page, f'{tag}-settings')
        page.get_by_test_id('custom-edit-product').click()
        expect(page.get_by_test_id('custom-save')).to_be_visible()
        shot(page, f'{tag}-settings-edit')
        page.close()
