"""Custom fields of opportunities and customers (core/custom_fields on `opportunities.custom` and
`accounts.custom`): storage and checks through the convert dialog, the deal's and the customer's
edits (audited with the changed keys), "required from stage X on" on every move, "required at
qualification" on qualifying, help text, the board's and the customers list's filters, exports."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest

from core.clock import FakeClock
from core.custom_fields.requirements import FieldsNeeded
from core.custom_fields.values import Definition, Requirement
from core.desk import Desk
from core.errors import StaleEdit, ValidationFailed
from store.audit_actions import AuditAction
from store.models import Account, AuditEntry, Lead, LeadStatus, Opportunity, Stage, UserRef
from tests.factories import admin, user

from .db import get, rows
from .test_conversion import CLOSE, make_opportunity, qualified_lead

OPTIONS = ({'key': 'a', 'label_zh': '甲', 'label_en': 'A'}, {'key': 'b', 'label_zh': '乙', 'label_en': 'B'})


def define(desk: Desk, entity: str, key: str, type: str = 'text', **kw: Any) -> Definition:
    kw.setdefault('options', OPTIONS if 'select' in type else ())
    kw.setdefault('label_zh', key)
    kw.setdefault('label_en', key.title())
    return desk.custom_fields.define_field(admin(desk), entity=entity, key=key, type=type, **kw)


def stage(desk: Desk, name_en: str) -> Stage:
    return next(s for s in desk.pipeline.stages() if s.name_en == name_en)


def move(desk: Desk, actor: UserRef, opportunity_id: int, to: str, **kw: Any) -> int:
    return desk.pipeline.move_opportunity(actor, opportunity_id, to_stage_id=stage(desk, to).id or 0,
                                          version=get(desk, Opportunity, opportunity_id).version, **kw)


def edit_deal(desk: Desk, actor: UserRef, opportunity_id: int, custom: dict[str, Any]) -> int:
    return desk.pipeline.update_opportunity(actor, opportunity_id, version=get(desk, Opportunity, opportunity_id)
                                            .version, changes={'custom': custom})


# ----- definitions -------------------------------------------------------------------------------

def test_each_record_type_has_its_own_fields_requirement_and_help(desk: Desk) -> None:
    define(desk, 'lead', 'product', 'single_select', requirement=Requirement.QUALIFICATION, help_zh='客户想买的')
    quote = stage(desk, 'Quotation')
    define(desk, 'opportunity', 'contract_no', requirement=Requirement.STAGE, required_stage_id=quote.id,
           help_zh='合同上的编号', help_en='As on the contract')
    define(desk, 'customer', 'stores', 'number')
    define(desk, 'customer', 'product', 'text')  # the same key on another record type
    [lead_field] = desk.custom_fields.fields(None, 'lead')
    [deal_field] = desk.custom_fields.fields(None, 'opportunity')
    assert [f.key for f in desk.custom_fields.fields(None, 'customer')] == ['stores', 'product']
    assert (lead_field.requirement, lead_field.help_zh, lead_field.help_en) == \
        (Requirement.QUALIFICATION, '客户想买的', '客户想买的')  # English help defaults to Chinese
    assert (deal_field.requirement, deal_field.required_stage_id, deal_field.help_en) == \
        (Requirement.STAGE, quote.id, 'As on the contract')


@pytest.mark.parametrize(('entity', 'kw', 'errors'), [
    ('opportunity', {'requirement': 'capture'}, {'required': 'invalid'}),
    ('opportunity', {'requirement': 'stage', 'required_stage_id': 999}, {'required_stage_id': 'invalid'}),
    ('lead', {'requirement': 'stage', 'required_stage_id': 1}, {'required': 'invalid'}),
    ('customer', {'requirement': 'qualification'}, {'required': 'invalid'}),
    ('customer', {'help_zh': 'x' * 301}, {'help_zh': 'too_long'}),
])
def test_a_requirement_the_record_type_has_not_is_refused(desk: Desk, entity: str, kw: dict[str, Any],
                                                          errors: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as info:
        define(desk, entity, 'x', **kw)
    assert info.value.errors == errors
    assert desk.custom_fields.fields(None, entity) == []


def test_relabelling_changes_the_requirement_and_help_and_keeps_the_key(desk: Desk) -> None:
    define(desk, 'opportunity', 'contract_no')
    desk.custom_fields.relabel_field(admin(desk), entity='opportunity', key='contract_no', label_zh='合同号',
                                     requirement='stage', required_stage_id=stage(desk, 'Won').id,
                                     help_zh='签约后填写', help_en='Fill in once signed')
    [field] = desk.custom_fields.fields(None, 'opportunity')
    assert (field.key, field.label_zh, field.required_stage_id, field.help_en) == \
        ('contract_no', '合同号', stage(desk, 'Won').id, 'Fill in once signed')
    desk.custom_fields.relabel_field(None, entity='opportunity', key='contract_no', label_zh='合同号',
                                     requirement='never')
    assert desk.custom_fields.fields(None, 'opportunity')[0].requirement == Requirement.NEVER


# ----- opportunities: storage --------------------------------------------------------------------

def test_converting_stores_the_deal_s_values_checked_by_type(desk: Desk, clock: FakeClock) -> None:
    define(desk, 'opportunity', 'channel', 'single_select')
    define(desk, 'opportunity', 'seats', 'number')
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    with pytest.raises(ValidationFailed) as info:
        desk.pipeline.convert_lead(rep, lead_id, amount='100', expected_close=CLOSE,
                                   custom={'channel': 'z', 'seats': 'many', 'nope': 1})
    assert info.value.errors == {'custom.channel': 'invalid_option', 'custom.seats': 'not_number',
                                 'custom.nope': 'unknown_field'}
    assert get(desk, Lead, lead_id).status == LeadStatus.QUALIFIED  # nothing written
    deal_id = desk.pipeline.convert_lead(rep, lead_id, amount='100', expected_close=CLOSE,
                                         custom={'channel': 'b', 'seats': '12'})
    assert get(desk, Opportunity, deal_id).custom == {'channel': 'b', 'seats': 12}
    [converted] = rows(desk, AuditEntry, AuditEntry.action == AuditAction.CONVERTED)
    assert converted.reason_params['fields'] == 'custom.channel, custom.seats'


def test_editing_a_deal_checks_values_keeps_the_rest_and_audits_the_changed_keys(desk: Desk,
                                                                                 clock: FakeClock) -> None:
    define(desk, 'opportunity', 'channel', 'single_select')
    define(desk, 'opportunity', 'seats', 'number')
    define(desk, 'opportunity', 'old')
    rep = user(desk)
    deal_id = make_opportunity(desk, clock, rep)
    edit_deal(desk, rep, deal_id, {'channel': 'a', 'old': 'kept'})
    desk.custom_fields.retire_field(None, entity='opportunity', key='old')
    for custom, errors in (({'seats': 'x'}, {'custom.seats': 'not_number'}),
                           ({'old': 'y'}, {'custom.old': 'retired_field'})):
        with pytest.raises(ValidationFailed) as info:
            edit_deal(desk, rep, deal_id, custom)
        assert info.value.errors == errors
    version = get(desk, Opportunity, deal_id).version
    assert edit_deal(desk, rep, deal_id, {'channel': None, 'seats': 7}) == version + 1
    assert get(desk, Opportunity, deal_id).custom == {'seats': 7, 'old': 'kept'}
    assert edit_deal(desk, rep, deal_id, {'seats': '7'}) == version + 1  # nothing changed: no new version
    edits = rows(desk, AuditEntry, AuditEntry.action == AuditAction.OPPORTUNITY_EDITED)
    assert [e.reason_params['fields'] for e in edits] == ['custom.channel, custom.old',
                                                          'custom.channel, custom.seats']


# ----- opportunities: required from a stage on ---------------------------------------------------

def test_a_deal_cannot_enter_or_pass_the_stage_until_the_field_is_filled(desk: Desk, clock: FakeClock) -> None:
    define(desk, 'opportunity', 'contract_no', label_zh='合同编号', label_en='Contract no.',
           requirement='stage', required_stage_id=stage(desk, 'Quotation').id)
    define(desk, 'opportunity', 'signer', label_zh='签约人', label_en='Signer',
           requirement='stage', required_stage_id=stage(desk, 'Won').id)
    rep = user(desk)
    deal_id = make_opportunity(desk, clock, rep)
    move(desk, rep, deal_id, 'Solution')  # before the stage: free
    for to in ('Quotation', 'Negotiation'):  # into it, past it
        with pytest.raises(FieldsNeeded) as info:
            move(desk, rep, deal_id, to)
        assert info.value.errors == {'custom.contract_no': 'required'}
        assert info.value.params['fields_zh'] == '合同编号'
        assert info.value.params['stage_en'] == to
    with pytest.raises(FieldsNeeded) as info:
        move(desk, rep, deal_id, 'Won', won_amount='100')
    assert info.value.params['fields_en'] == 'Contract no., Signer'
    assert get(desk, Opportunity, deal_id).stage_id == stage(desk, 'Solution').id  # nothing moved
    edit_deal(desk, rep, deal_id, {'contract_no': 'HT-2027-001'})
    move(desk, rep, deal_id, 'Negotiation')
    with pytest.raises(ValidationFailed) as cleared:  # needed where the deal stands: kept
        edit_deal(desk, rep, deal_id, {'contract_no': ''})
    assert cleared.value.errors == {'custom.contract_no': 'required'}
    move(desk, rep, deal_id, 'Lost', lost_reason='price')  # losing never waits for a field
    assert get(desk, Opportunity, deal_id).stage_id == stage(desk, 'Lost').id


def test_a_field_required_from_the_first_stage_is_asked_on_conversion(desk: Desk, clock: FakeClock) -> None:
    define(desk, 'opportunity', 'channel', 'single_select', requirement='stage',
           required_stage_id=stage(desk, 'Needs confirmed').id)
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    with pytest.raises(ValidationFailed) as info:
        desk.pipeline.convert_lead(rep, lead_id, amount='100', expected_close=CLOSE)
    assert info.value.errors == {'custom.channel': 'required'}
    deal_id = desk.pipeline.convert_lead(rep, lead_id, amount='100', expected_close=CLOSE, custom={'channel': 'a'})
    assert get(desk, Opportunity, deal_id).custom == {'channel': 'a'}


def test_a_retired_field_requires_nothing(desk: Desk, clock: FakeClock) -> None:
    define(desk, 'opportunity', 'contract_no', requirement='stage', required_stage_id=stage(desk, 'Solution').id)
    desk.custom_fields.retire_field(None, entity='opportunity', key='contract_no')
    rep = user(desk)
    deal_id = make_opportunity(desk, clock, rep)
    move(desk, rep, deal_id, 'Quotation')
    assert get(desk, Opportunity, deal_id).stage_id == stage(desk, 'Quotation').id


# ----- leads: required at qualification ----------------------------------------------------------

def test_qualifying_waits_for_fields_required_at_qualification(desk: Desk, clock: FakeClock) -> None:
    define(desk, 'lead', 'product', 'single_select', label_zh='意向产品', label_en='Product',
           requirement='qualification')
    define(desk, 'lead', 'note_extra')
    rep = user(desk)
    lead_id = desk.leads.capture_lead({'name': '张三', 'phone': '13800138000', 'company': '甲公司'},
                                      channel='manual', default_source='manual', actor=rep, keep_for_actor=True,
                                      require_custom=True).lead_id  # not required at capture
    clock.advance(minutes=5)
    desk.leads.log_activity(rep, lead_id, kind='call')
    from .test_conversion import BANT, set_bant
    set_bant(desk, rep, lead_id, BANT)
    with pytest.raises(FieldsNeeded) as info:
        desk.leads.qualify_lead(rep, lead_id)
    assert info.value.errors == {'custom.product': 'required'}
    assert (info.value.code, info.value.params['fields_zh']) == ('fields_needed_qualify', '意向产品')
    assert get(desk, Lead, lead_id).status == LeadStatus.CONTACTED
    desk.leads.update_lead(rep, lead_id, version=get(desk, Lead, lead_id).version,
                           changes={'custom': {'product': 'a'}})
    desk.leads.qualify_lead(rep, lead_id)
    assert get(desk, Lead, lead_id).status == LeadStatus.QUALIFIED
    with pytest.raises(ValidationFailed) as cleared:  # qualified: the field it needed stays filled
        desk.leads.update_lead(rep, lead_id, version=get(desk, Lead, lead_id).version,
                               changes={'custom': {'product': None}})
    assert cleared.value.errors == {'custom.product': 'required'}
    assert get(desk, Lead, lead_id).custom == {'product': 'a'}
    desk.leads.update_lead(rep, lead_id, version=get(desk, Lead, lead_id).version,
                           changes={'custom': {'product': 'b'}})  # changed, not cleared: fine
    assert get(desk, Lead, lead_id).custom == {'product': 'b'}


# ----- customers ---------------------------------------------------------------------------------

def won_customer(desk: Desk, clock: FakeClock, rep: UserRef, **fields: Any) -> Account:
    deal_id = make_opportunity(desk, clock, rep, **fields)
    move(desk, rep, deal_id, 'Won', won_amount='5000')
    return get(desk, Account, get(desk, Opportunity, deal_id).account_id)


def test_a_customer_s_values_are_checked_stored_and_audited(desk: Desk, clock: FakeClock) -> None:
    define(desk, 'customer', 'stores', 'number')
    define(desk, 'customer', 'vip_club', 'yes_no')
    rep = user(desk)
    account = won_customer(desk, clock, rep)
    with pytest.raises(ValidationFailed) as info:
        desk.customers.update_customer(rep, account.id or 0, version=account.version,
                                       changes={'custom': {'stores': 'x'}})
    assert info.value.errors == {'custom.stores': 'not_number'}
    version = desk.customers.update_customer(rep, account.id or 0, version=account.version,
                                             changes={'custom': {'stores': '3', 'vip_club': '是'}})
    assert get(desk, Account, account.id).custom == {'stores': 3, 'vip_club': True}
    with pytest.raises(StaleEdit):
        desk.customers.update_customer(rep, account.id or 0, version=account.version,
                                       changes={'custom': {'stores': 4}})
    [edit] = rows(desk, AuditEntry, AuditEntry.action == AuditAction.CUSTOMER_EDITED)
    assert edit.reason_params == {'account': account.name, 'fields': 'custom.stores, custom.vip_club'}
    assert version == account.version + 1


# ----- filters and exports -----------------------------------------------------------------------

def test_the_board_and_the_customers_list_filter_by_a_select_or_yes_no_field(desk: Desk, clock: FakeClock) -> None:
    define(desk, 'opportunity', 'channel', 'single_select')
    define(desk, 'customer', 'vip_club', 'yes_no')
    rep = user(desk)
    first = make_opportunity(desk, clock, rep, phone='13800138001', company='甲公司')
    second = make_opportunity(desk, clock, rep, phone='13800138002', company='乙公司')
    edit_deal(desk, rep, first, {'channel': 'a'})
    edit_deal(desk, rep, second, {'channel': 'b'})

    def cards(**custom: Any) -> list[int]:
        return [c.id for column in desk.pipeline.board(rep, custom=custom) for c in column.cards]

    assert cards(channel='a') == [first]
    assert sorted(cards()) == sorted([first, second])
    with pytest.raises(ValidationFailed) as info:
        cards(channel='z')
    assert info.value.errors == {'custom.channel': 'invalid_option'}
    move(desk, rep, first, 'Won', won_amount='1')
    move(desk, rep, second, 'Won', won_amount='1')
    a = get(desk, Opportunity, first).account_id
    account = get(desk, Account, a)
    desk.customers.update_customer(rep, a, version=account.version, changes={'custom': {'vip_club': True}})
    assert [r.id for r in desk.customers.customers(rep, custom={'vip_club': 'yes'})[0]] == [a]
    assert len(desk.customers.customers(rep, custom={'vip_club': False})[0]) == 0
    assert len(desk.customers.customers(rep)[0]) == 2


def test_opportunity_and_customer_exports_end_with_the_custom_columns(desk: Desk, clock: FakeClock) -> None:
    define(desk, 'opportunity', 'channel', 'single_select', label_zh='渠道', label_en='Channel')
    define(desk, 'customer', 'stores', 'number', label_zh='门店数', label_en='Stores')
    rep = user(desk)
    deal_id = make_opportunity(desk, clock, rep)
    edit_deal(desk, rep, deal_id, {'channel': 'b'})
    account = won_customer(desk, clock, rep, phone='13800138009', company='丙公司')
    desk.customers.update_customer(rep, account.id or 0, version=account.version, changes={'custom': {'stores': 5}})
    deals = desk.export.list_frame(None, 'opportunities', language='en')
    assert list(deals['Channel']) == ['B', None]
    customers = desk.export.list_frame(None, 'customers', language='zh-CN')
    assert list(customers['门店数']) == [5]
    csv = pd.read_csv(io.BytesIO(desk.export.export_list(None, 'customers', 'csv', language='en')),
                      encoding='utf-8-sig')
    assert list(csv['Stores']) == [5]
