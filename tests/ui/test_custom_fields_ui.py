"""Custom fields in the UI: the admin defines them in Settings; a rep reads and edits their values
on the lead page (checked by core, stored in `leads.custom`); a retired field is hidden unless it
holds a value, then read only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nicegui.testing import User
from sqlmodel import select

from store.custom_indexes import existing
from store.engine import read_session
from store.models import AuditEntry, CustomField, Lead
from tests import factories
from tests.ui.conftest import Team, login


def element(user: User, marker: str) -> Any:
    return user.find(marker=marker).elements.pop()


async def until(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def stored_lead(team: Team, lead_id: int) -> Lead:
    with read_session(team.desk.ctx.engine) as s:
        found = s.get(Lead, lead_id)
        assert found is not None
        return found


def define_product(team: Team) -> None:
    team.desk.custom_fields.define_field(
        None, entity='lead', key='product', type='single_select', label_zh='意向产品', label_en='Product',
        options=[{'key': 'crm', 'label_zh': '客户管理', 'label_en': 'CRM'},
                 {'key': 'erp', 'label_zh': '企业资源', 'label_en': 'ERP'}])


def own_lead(team: Team, **custom: Any) -> int:
    data = factories.lead_data(name='Custom Co') | ({'custom': custom} if custom else {})
    return team.desk.leads.capture_lead(data, channel='manual', default_source='manual', actor=team.rep_a,
                                        keep_for_actor=True).lead_id


async def test_admin_defines_a_select_field_and_it_is_listed(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    await user.should_see('No custom fields yet')
    user.find(marker='custom-field-add').click()
    user.find(marker='custom-key').type('product')
    user.find(marker='custom-label-zh').type('意向产品')
    user.find(marker='custom-label-en').type('Product')
    element(user, 'custom-type').set_value('single_select')
    user.find(marker='custom-options').type('crm:客户管理:CRM\nerp：企业资源：ERP')
    user.find(marker='custom-save').click()
    await user.should_see(marker='custom-field-product', retries=60)
    await user.should_see('CRM, ERP')
    with read_session(team.desk.ctx.engine) as s:
        row = s.get(CustomField, 1)
        assert row is not None and (row.key, row.type, row.label_zh) == ('product', 'single_select', '意向产品')
        assert [o['label_en'] for o in row.options] == ['CRM', 'ERP']


async def test_admin_marks_a_field_filterable_and_it_is_indexed(user: User, team: Team) -> None:
    define_product(team)
    await login(user, team.admin.email)
    await user.open('/settings')
    await user.should_see(marker='custom-field-product')
    await user.should_not_see(marker='custom-filterable-product')
    user.find(marker='custom-edit-product').click()
    element(user, 'custom-filterable').set_value(True)
    user.find(marker='custom-save').click()
    await user.should_see(marker='custom-filterable-product', retries=60)  # the "Indexed" badge
    [field] = team.desk.custom_fields.fields(team.admin)
    assert field.is_filterable
    with team.desk.ctx.engine.connect() as c:
        assert existing(c, 'leads') == {'ix_leads_cf_product'}


async def test_a_bad_key_is_marked_on_the_field(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker='custom-field-add').click()
    user.find(marker='custom-key').type('Bad Key')
    user.find(marker='custom-label-zh').type('坏')
    user.find(marker='custom-save').click()
    key = element(user, 'custom-key')
    assert await until(lambda: key.error is not None and 'lower-case' in key.error)
    assert team.desk.custom_fields.fields(team.admin) == []


async def test_admin_relabels_and_retires_then_restores(user: User, team: Team) -> None:
    define_product(team)
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker='custom-edit-product').click()
    user.find(marker='custom-label-en').clear().type('Product line')
    user.find(marker='custom-save').click()
    await user.should_see('Product line', retries=60)
    user.find(marker='custom-retire-product').click()
    await user.should_see(marker='custom-retired-product', retries=60)
    assert team.desk.custom_fields.fields(team.admin)[0].is_retired
    user.find(marker='custom-restore-product').click()
    await user.should_not_see(marker='custom-retired-product', retries=60)
    assert not team.desk.custom_fields.fields(team.admin)[0].is_retired


async def test_rep_edits_a_select_field_on_the_lead_page(user: User, team: Team) -> None:
    define_product(team)
    lead_id = own_lead(team)
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see('Not filled in: Product')
    user.find(marker='edit-custom').click()
    element(user, 'custom-product').set_value('erp')
    user.find(marker='save-custom').click()
    await user.should_see(marker='value-custom-product', retries=60)
    assert element(user, 'value-custom-product').text == 'ERP'  # the option's label, not its key
    saved = stored_lead(team, lead_id)
    assert saved.custom == {'product': 'erp'} and saved.version == 2
    with read_session(team.desk.ctx.engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.lead_id == lead_id)).all()
    assert any(e.reason_params.get('fields') == 'custom.product' for e in entries)


async def test_a_bad_value_is_marked_and_nothing_is_stored(user: User, team: Team) -> None:
    team.desk.custom_fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数',
                                         label_en='Stores')
    lead_id = own_lead(team)
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='edit-custom').click()
    user.find(marker='custom-stores').type('many')
    user.find(marker='save-custom').click()
    stores = element(user, 'custom-stores')
    assert await until(lambda: stores.error == 'Enter a number')
    saved = stored_lead(team, lead_id)
    assert saved.custom == {} and saved.version == 1


async def test_retired_field_hidden_unless_it_holds_a_value(user: User, team: Team) -> None:
    define_product(team)
    team.desk.custom_fields.define_field(None, entity='lead', key='vip', type='yes_no', label_zh='贵宾',
                                         label_en='VIP')
    lead_id = own_lead(team, vip='yes')
    empty_id = own_lead(team)
    team.desk.custom_fields.retire_field(None, entity='lead', key='product')
    team.desk.custom_fields.retire_field(None, entity='lead', key='vip')
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='value-custom-vip')  # kept, read only
    assert element(user, 'value-custom-vip').text == 'Yes'
    await user.should_not_see('Product')
    await user.should_not_see(marker='edit-custom')
    await user.should_not_see(marker='custom-vip')  # no input for it
    await user.open(f'/leads/{empty_id}')
    await user.should_see(marker='lead-name')
    await user.should_not_see(marker='section-custom')


async def test_new_lead_dialog_asks_the_active_custom_fields(user: User, team: Team) -> None:
    define_product(team)
    team.desk.custom_fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数',
                                         label_en='Stores', required=True)
    team.desk.custom_fields.define_field(None, entity='lead', key='old', type='text', label_zh='旧', label_en='Old')
    team.desk.custom_fields.retire_field(None, entity='lead', key='old')
    await login(user, team.rep_a.email)
    user.find(marker='new-lead').click()
    await user.should_see('Stores *')
    await user.should_not_see(marker='new-custom-old')
    user.find(marker='new-name').type('Custom Qian')
    user.find(marker='new-phone').type('13912345678')
    element(user, 'new-custom-product').set_value('crm')
    user.find(marker='new-save').click()
    stores = element(user, 'new-custom-stores')
    assert await until(lambda: stores.error == 'Required')  # required: the dialog can ask it
    user.find(marker='new-custom-stores').type('12')
    user.find(marker='new-save').click()
    with read_session(team.desk.ctx.engine) as s:
        def created() -> Lead | None:
            s.expire_all()
            return s.exec(select(Lead).where(Lead.name == 'Custom Qian')).first()
        assert await until(lambda: created() is not None)
        found = created()
        assert found is not None and found.custom == {'product': 'crm', 'stores': 12}
