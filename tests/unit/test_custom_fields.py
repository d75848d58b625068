"""Custom fields of leads (core/custom_fields): each type's check and stored form, the admin's
actions (audited, the key never changing), and capture storing the values in `leads.custom`."""

from __future__ import annotations

from typing import Any

import pytest

from core.custom_fields.values import CustomFields, Definition, Option
from core.desk import Desk
from core.errors import NotAllowed, NotFound, ValidationFailed
from store.audit_actions import AuditAction
from store.models import AuditEntry, Lead, Role
from tests.factories import admin, lead_data, user

from .db import get, rows

OPTIONS = ({'key': 'a', 'label_zh': '甲', 'label_en': 'A'}, {'key': 'b', 'label_zh': '乙', 'label_en': 'B'})


def field(key: str, type: str, **kw: Any) -> Definition:
    options = (Option('a', '甲', 'A'), Option('b', '乙', 'B')) if 'select' in type else ()
    return Definition(key=key, type=type, label_zh=key, label_en=key, options=options, **kw)


ALL = CustomFields([field('t', 'text'), field('lt', 'long_text'), field('n', 'number'), field('m', 'money'),
                    field('d', 'date'), field('s', 'single_select'), field('ms', 'multi_select'),
                    field('p', 'phone'), field('e', 'email'), field('u', 'url'), field('yn', 'yes_no'),
                    field('old', 'text', is_retired=True)])


# ----- each type's check (pure) ------------------------------------------------------------------

@pytest.mark.parametrize(('key', 'given', 'stored'), [
    ('t', '  华东代理  ', '华东代理'), ('t', 42, '42'), ('lt', '第一行\n第二行', '第一行\n第二行'),
    ('n', 12, 12), ('n', '3.5', 3.5), ('n', 4.0, 4), ('n', '1,200', 1200), ('n', -7, -7),
    ('m', '12,500.50', 1250050), ('m', 80, 8000), ('m', '¥8000', 800000),
    ('d', '2027-03-31', '2027-03-31'), ('s', 'b', 'b'), ('ms', ['b', 'a', 'b'], ['b', 'a']),
    ('p', '138 0013 8000', '138 0013 8000'), ('e', 'LI@Example.com', 'li@example.com'),
    ('u', 'https://example.com/shop', 'https://example.com/shop'),
    ('yn', True, True), ('yn', False, False), ('yn', '是', True), ('yn', 'no', False),
])
def test_a_good_value_is_stored_in_its_type_s_form(key: str, given: Any, stored: Any) -> None:
    assert ALL.check({key: given}) == {key: stored}


@pytest.mark.parametrize(('key', 'given', 'code'), [
    ('t', 'x' * 201, 'too_long'), ('t', {'a': 1}, 'invalid'), ('t', True, 'invalid'), ('lt', 'x' * 5001, 'too_long'),
    ('n', 'many', 'not_number'), ('n', True, 'not_number'), ('n', float('nan'), 'not_number'), ('n', [1], 'not_number'),
    ('n', 2**60, 'out_of_range'), ('m', 'lots', 'invalid_money'), ('m', -5, 'invalid_money'),
    ('m', True, 'invalid_money'), ('d', '2027-02-30', 'invalid_date'), ('d', 20270301, 'invalid_date'),
    ('d', 'tomorrow', 'invalid_date'), ('s', 'c', 'invalid_option'), ('s', ['a'], 'invalid_option'),
    ('ms', 'a', 'invalid_option'), ('ms', ['a', 'z'], 'invalid_option'), ('p', '12', 'invalid_phone'),
    ('e', 'not-an-email', 'invalid_email'), ('u', 'example.com', 'invalid_url'), ('u', 'ftp://x.org', 'invalid_url'),
    ('u', 'javascript:alert(1)', 'invalid_url'), ('yn', 'maybe', 'not_yes_no'), ('yn', 2, 'not_yes_no'),
])
def test_a_bad_value_is_refused_by_name_with_its_code(key: str, given: Any, code: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        ALL.check({key: given})
    assert info.value.errors == {f'custom.{key}': code}


def test_unknown_and_retired_keys_are_refused_and_every_error_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as info:
        ALL.check({'nope': 1, 'old': 'x', 'n': 'x', 't': 'fine'})
    assert info.value.errors == {'custom.nope': 'unknown_field', 'custom.old': 'retired_field',
                                 'custom.n': 'not_number'}


def test_empty_values_are_left_out_and_a_non_object_is_refused() -> None:
    assert ALL.check({'t': '  ', 'ms': [], 'n': None}) == {}
    with pytest.raises(ValidationFailed) as info:
        ALL.check(['t'])
    assert info.value.errors == {'custom': 'not_object'}


def test_a_required_field_is_required_only_where_the_channel_can_send_it() -> None:
    fields = CustomFields([field('stores', 'number', is_required=True)])
    assert fields.check({}) == {}
    with pytest.raises(ValidationFailed) as info:
        fields.check({'stores': ' '}, require=True)
    assert info.value.errors == {'custom.stores': 'required'}


# ----- the admin's actions -----------------------------------------------------------------------

def define(desk: Desk, key: str = 'product', type: str = 'single_select', **kw: Any) -> Definition:
    kw.setdefault('options', OPTIONS if 'select' in type else ())
    kw.setdefault('label_zh', '意向产品')
    kw.setdefault('label_en', 'Product')
    return desk.custom_fields.define_field(admin(desk), entity='lead', key=key, type=type, **kw)


def audit_actions(desk: Desk) -> list[tuple[str, dict[str, Any]]]:
    return [(e.action, e.reason_params) for e in rows(desk, AuditEntry) if e.action.startswith('custom_field')]


def test_defining_relabelling_retiring_and_restoring_are_audited_and_keep_the_key(desk: Desk) -> None:
    define(desk)
    define(desk, 'stores', 'number', label_zh='门店数', label_en='')
    desk.custom_fields.relabel_field(admin(desk), entity='lead', key='product', label_zh='产品', label_en='Item',
                                     options=[{'key': 'b', 'label_zh': '乙二', 'label_en': 'B2'}, *OPTIONS[:1],
                                              {'key': 'c', 'label_zh': '丙', 'label_en': 'C'}])
    desk.custom_fields.retire_field(admin(desk), entity='lead', key='stores')
    desk.custom_fields.retire_field(admin(desk), entity='lead', key='stores')  # already: nothing to audit
    desk.custom_fields.restore_field(admin(desk), entity='lead', key='stores')
    product, stores = desk.custom_fields.fields(admin(desk))
    assert (product.key, product.label_zh, product.label_en, product.type) == \
        ('product', '产品', 'Item', 'single_select')
    assert [(o.key, o.label_zh) for o in product.options] == [('b', '乙二'), ('a', '甲'), ('c', '丙')]
    assert (stores.label_en, stores.position, stores.is_retired) == ('门店数', 1, False)  # en defaults to zh
    assert [a for a, _ in audit_actions(desk)] == [
        AuditAction.CUSTOM_FIELD_DEFINED, AuditAction.CUSTOM_FIELD_DEFINED, AuditAction.CUSTOM_FIELD_CHANGED,
        AuditAction.CUSTOM_FIELD_RETIRED, AuditAction.CUSTOM_FIELD_RESTORED]
    assert audit_actions(desk)[0][1] == {'entity': 'lead', 'key': 'product', 'type': 'single_select',
                                         'label': '意向产品'}


@pytest.mark.parametrize(('kw', 'errors'), [
    ({'key': 'Product'}, {'key': 'invalid_key'}), ({'key': '1st'}, {'key': 'invalid_key'}),
    ({'key': 'k' * 41}, {'key': 'invalid_key'}), ({'type': 'colour'}, {'type': 'invalid_type'}),
    ({'options': ()}, {'options': 'invalid_options'}),
    ({'options': [{'key': 'a', 'label_zh': '甲'}, {'key': 'a', 'label_zh': '乙'}]}, {'options': 'invalid_options'}),
    ({'options': [{'key': 'a b', 'label_zh': '甲'}]}, {'options': 'invalid_options'}),
    ({'type': 'text', 'options': OPTIONS}, {'options': 'invalid_options'}),
    ({'label_zh': ' '}, {'label_zh': 'required'}),
])
def test_a_bad_definition_is_refused(desk: Desk, kw: dict[str, Any], errors: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as info:
        define(desk, **kw)
    assert info.value.errors == errors
    assert desk.custom_fields.fields(None) == []


def test_a_key_is_taken_once_per_entity_and_options_in_use_stay(desk: Desk) -> None:
    define(desk)
    with pytest.raises(ValidationFailed) as info:
        define(desk, type='text')
    assert info.value.errors == {'key': 'taken'}
    with pytest.raises(ValidationFailed) as info:
        desk.custom_fields.relabel_field(None, entity='lead', key='product', label_zh='x', options=OPTIONS[:1])
    assert info.value.errors == {'options': 'option_removed'}
    with pytest.raises(NotFound):
        desk.custom_fields.retire_field(None, entity='lead', key='nothing')


def test_only_an_admin_defines_fields(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    with pytest.raises(NotAllowed):
        desk.custom_fields.define_field(manager, entity='lead', key='x', type='text', label_zh='x')
    with pytest.raises(NotAllowed):
        desk.custom_fields.fields(manager)


# ----- capture -----------------------------------------------------------------------------------

def capture(desk: Desk, data: dict[str, Any], **kw: Any) -> Lead:
    result = desk.leads.capture_lead(data, channel='manual', default_source='manual', **kw)
    return get(desk, Lead, result.lead_id)


def test_captured_values_are_stored_normalised_and_read_back(desk: Desk) -> None:
    define(desk)
    define(desk, 'tags', 'multi_select')
    define(desk, 'stores', 'number')
    define(desk, 'budget_total', 'money')
    define(desk, 'renewal', 'date')
    define(desk, 'vip', 'yes_no')
    lead = capture(desk, lead_data(custom={'product': 'a', 'tags': ['b', 'a'], 'stores': '12',
                                           'budget_total': '3,000.5', 'renewal': '2027-01-31', 'vip': True}))
    assert lead.custom == {'product': 'a', 'tags': ['b', 'a'], 'stores': 12, 'budget_total': 300050,
                           'renewal': '2027-01-31', 'vip': True}
    assert capture(desk, lead_data()).custom == {}


def test_an_unknown_or_retired_field_refuses_the_whole_capture_and_retiring_keeps_the_values(desk: Desk) -> None:
    define(desk)
    kept = capture(desk, lead_data(custom={'product': 'b'}))
    desk.custom_fields.retire_field(None, entity='lead', key='product')
    for custom, code in (({'product': 'a'}, 'retired_field'), ({'colour': 'red'}, 'unknown_field')):
        with pytest.raises(ValidationFailed) as info:
            capture(desk, lead_data(name='', custom=custom))
        assert info.value.errors == {'name': 'required', f'custom.{next(iter(custom))}': code}
    assert [lead.custom for lead in rows(desk, Lead)] == [{'product': 'b'}]
    assert get(desk, Lead, kept.id).custom == {'product': 'b'}


def test_a_required_field_is_required_where_the_channel_can_send_it(desk: Desk) -> None:
    define(desk, 'stores', 'number', required=True)
    capture(desk, lead_data())  # the dialog and web forms cannot ask it yet
    with pytest.raises(ValidationFailed) as info:
        capture(desk, lead_data(), require_custom=True)
    assert info.value.errors == {'custom.stores': 'required'}
    assert capture(desk, lead_data(custom={'stores': 3}), require_custom=True).custom == {'stores': 3}


def test_a_duplicate_arrival_fills_the_custom_values_its_lead_lacks(desk: Desk) -> None:
    define(desk)
    define(desk, 'stores', 'number')
    first = capture(desk, lead_data(phone='13800138000', custom={'product': 'a'}))
    again = capture(desk, lead_data(phone='13800138000', custom={'product': 'b', 'stores': 4}))
    assert again.id == first.id and again.custom == {'product': 'a', 'stores': 4}
    [touch] = [e for e in rows(desk, AuditEntry) if e.action == AuditAction.TOUCHED]
    assert touch.reason_params['filled'] == 'custom.stores'


def test_a_new_definition_is_checked_by_the_next_capture(desk: Desk) -> None:
    with pytest.raises(ValidationFailed):
        capture(desk, lead_data(custom={'product': 'a'}))
    define(desk)  # the config token changes: the cached definitions are read again
    assert capture(desk, lead_data(custom={'product': 'a'})).custom == {'product': 'a'}


# ----- editing a lead's values -------------------------------------------------------------------

def test_editing_custom_values_checks_them_keeps_the_rest_and_audits_the_keys(desk: Desk) -> None:
    define(desk)
    define(desk, 'stores', 'number', required=True)
    define(desk, 'old', 'text')
    lead = capture(desk, lead_data(custom={'product': 'a', 'stores': 2, 'old': 'kept'}))
    desk.custom_fields.retire_field(None, entity='lead', key='old')
    boss = admin(desk)
    for changes, errors in (({'stores': 'many'}, {'custom.stores': 'not_number'}),
                            ({'stores': ''}, {'custom.stores': 'required'}),
                            ({'old': 'x'}, {'custom.old': 'retired_field'}),
                            ({'colour': 'red'}, {'custom.colour': 'unknown_field'})):
        with pytest.raises(ValidationFailed) as info:
            desk.leads.update_lead(boss, lead.id or 0, version=1, changes={'custom': changes})
        assert info.value.errors == errors
    assert desk.leads.update_lead(boss, lead.id or 0, version=1, changes={'custom': {'product': None,
                                                                                      'stores': '5'}}) == 2
    assert get(desk, Lead, lead.id).custom == {'stores': 5, 'old': 'kept'}  # cleared, changed, kept
    [edit] = [e for e in rows(desk, AuditEntry) if e.action == AuditAction.EDITED]
    assert edit.reason_params['fields'] == 'custom.product, custom.stores'
    assert desk.leads.update_lead(boss, lead.id or 0, version=2, changes={'custom': {'stores': 5}}) == 2
