"""Custom lead fields on a web form: chosen and ordered in Settings, drawn per type in the form's
language on the public page, and captured through the one capture path (the same checks); a
value for a field the form does not show, an unknown key or an oversize value is never stored."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import Lead
from tests.ui.conftest import Team, login

FORM = '/f/contact'


def leads(team: Team) -> list[Lead]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(Lead)))


def define(team: Team) -> None:
    team.desk.custom_fields.define_field(
        None, entity='lead', key='product', type='single_select', label_zh='意向产品', label_en='Product',
        options=[{'key': 'crm', 'label_zh': '客户管理', 'label_en': 'CRM'},
                 {'key': 'erp', 'label_zh': '企业资源', 'label_en': 'ERP'}])
    team.desk.custom_fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数',
                                         label_en='Stores')
    team.desk.custom_fields.define_field(None, entity='lead', key='contract', type='date', label_zh='合同到期日',
                                         label_en='Contract ends', required=True)


def configure(team: Team, **changes: Any) -> None:
    [form] = [f for f in team.desk.access.web_forms(team.admin) if f.key == 'contact']
    values = {k: getattr(form, k) for k in ('name', 'language', 'source', 'fields', 'consent_text', 'thanks_text',
                                             'redirect_url', 'allowed_origins', 'is_active')}
    team.desk.access.update_web_form(team.manager, form.id or 0, {**values, **changes})


async def post(user: User, data: dict[str, str]) -> httpx.Response:
    return await user.http_client.post(FORM, data=data, follow_redirects=False)


async def test_admin_adds_a_select_field_and_the_visitor_fills_it_in(user: User, team: Team) -> None:
    define(team)
    await login(user, team.manager.email)
    await user.open('/settings')
    user.find(marker='form-edit-contact').click()
    await user.should_see(marker='form-save', retries=50)
    await user.should_see('Product')  # offered by its label in the reader's language (en)
    user.find(marker='form-field-custom.product').elements.pop().set_value(True)
    for _ in range(12):  # up from last to just below the phone
        user.find(marker='form-up-custom.product').click()
        await asyncio.sleep(0.05)
    user.find(marker='form-save').click()
    await user.should_see('Saved', retries=50)
    [form] = [f for f in team.desk.access.web_forms(team.admin) if f.key == 'contact']
    assert 'custom.product' in form.fields and 'custom.stores' not in form.fields
    assert form.fields.index('custom.product') < form.fields.index('message')

    page = (await user.http_client.get(FORM)).text
    assert '意向产品' in page and '客户管理' in page and 'Product' not in page  # the form's language
    assert re.search(r'<select [^>]*name="custom.product"', page)
    assert page.index('name="custom.product"') < page.index('name="message"')  # the chosen order
    r = await post(user, {'name': '访客 王', 'phone': '13700001234', 'custom.product': 'erp'})
    assert r.status_code == 200 and 'form-thanks' in r.text
    [lead] = leads(team)
    assert lead.custom == {'product': 'erp'}


async def test_english_form_labels_its_custom_field_in_english(user: User, team: Team) -> None:
    define(team)
    configure(team, language='en', fields=['name', 'phone', 'custom.product'])
    r = await user.http_client.get(FORM, headers={'accept-language': 'zh-CN'})
    assert 'Product' in r.text and 'CRM' in r.text and '意向产品' not in r.text


async def test_a_bad_value_is_shown_under_its_field_and_nothing_is_stored(user: User, team: Team) -> None:
    define(team)
    configure(team, fields=['name', 'phone', 'custom.product', 'custom.stores'])
    r = await post(user, {'name': '访客 王', 'phone': '13700001234', 'custom.product': 'sap',
                          'custom.stores': 'many'})
    assert r.status_code == 422
    assert 'data-testid="form-error-custom.product"' in r.text and 'data-testid="form-error-custom.stores"' in r.text
    assert 'value="many"' in r.text  # the typed value kept
    assert leads(team) == []


async def test_a_required_field_on_the_form_must_be_filled_and_one_off_it_is_not(
        user: User, team: Team) -> None:
    define(team)  # `contract` is required
    configure(team, fields=['name', 'phone', 'custom.contract'])
    r = await post(user, {'name': '访客 王', 'phone': '13700001234'})
    assert r.status_code == 422 and 'data-testid="form-error-custom.contract"' in r.text
    assert leads(team) == []
    configure(team, fields=['name', 'phone'])
    r = await post(user, {'name': '访客 王', 'phone': '13700001234'})
    assert r.status_code == 200
    [lead] = leads(team)
    assert lead.custom == {}


async def test_custom_keys_the_form_does_not_show_are_never_stored(user: User, team: Team) -> None:
    define(team)
    configure(team, fields=['name', 'phone', 'custom.product'])
    r = await post(user, {'name': '访客 王', 'phone': '13700001234', 'custom.product': 'crm',
                          'custom.stores': '12', 'custom.nope': 'x', 'custom': '{"stores": 3}'})
    assert r.status_code == 200
    [lead] = leads(team)
    assert lead.custom == {'product': 'crm'}


async def test_an_oversize_value_is_refused_unread(user: User, team: Team) -> None:
    team.desk.custom_fields.define_field(None, entity='lead', key='note', type='text', label_zh='备注',
                                         label_en='Note')
    configure(team, fields=['name', 'phone', 'custom.note'])
    r = await post(user, {'name': '访客 王', 'phone': '13700001234', 'custom.note': 'x' * 20_000})
    assert r.status_code == 422 and 'data-testid="form-error-custom.note"' in r.text
    assert leads(team) == []


async def test_a_form_may_not_name_an_unknown_or_retired_field(user: User, team: Team) -> None:
    define(team)
    try:
        configure(team, fields=['name', 'phone', 'custom.nope'])
    except Exception as e:
        assert getattr(e, 'errors', {}).get('fields') == 'invalid'
    else:
        raise AssertionError('saved')
    configure(team, fields=['name', 'phone', 'custom.stores'])
    team.desk.custom_fields.retire_field(None, entity='lead', key='stores')
    page = (await user.http_client.get(FORM)).text
    assert 'custom.stores' not in page and '门店数' not in page  # retired: left out
    r = await post(user, {'name': '访客 王', 'phone': '13700001234', 'custom.stores': '3'})
    assert r.status_code == 200
    [lead] = leads(team)
    assert lead.custom == {}


async def test_a_multi_select_is_a_group_of_boxes_and_every_ticked_one_is_kept(user: User, team: Team) -> None:
    team.desk.custom_fields.define_field(
        None, entity='lead', key='channels', type='multi_select', label_zh='渠道代理', label_en='Channel partners',
        required=True, options=[{'key': 'north', 'label_zh': '华北', 'label_en': 'North'},
                                {'key': 'south', 'label_zh': '华南', 'label_en': 'South'},
                                {'key': 'west', 'label_zh': '西部', 'label_en': 'West'}])
    configure(team, fields=['name', 'phone', 'custom.channels'])
    page = (await user.http_client.get(FORM)).text
    assert re.search(r'<fieldset [^>]*data-testid="form-custom.channels"[^>]*><legend>渠道代理', page)
    assert len(re.findall(r'<input type="checkbox" name="custom.channels"', page)) == 3

    r = await post(user, {'name': '没勾选', 'phone': '13700002222'})  # required: at least one box
    assert 'form-error-custom.channels' in r.text and leads(team) == []
    r = await user.http_client.post(FORM, content='name=%E5%8B%BE%E4%BA%86&phone=13700003333'
                                    '&custom.channels=north&custom.channels=west',
                                    headers={'content-type': 'application/x-www-form-urlencoded'})
    assert r.status_code == 200 and 'form-thanks' in r.text
    [lead] = leads(team)
    assert lead.custom == {'channels': ['north', 'west']}
    r = await user.http_client.post(FORM, content='name=x&phone=13700004444&custom.channels=north&custom.channels=nope',
                                    headers={'content-type': 'application/x-www-form-urlencoded'})
    assert 'form-error-custom.channels' in r.text and len(leads(team)) == 1  # an unknown option: refused whole
    assert 'value="north" checked' in r.text  # what was ticked stays ticked
