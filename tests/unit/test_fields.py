"""The one field declaration (core/leads/fields.py) and the one dedupe identity (store/identity.py): every
list derived from them says what it said before, and the declaration agrees with the tables."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from core.capture import clean as cleaning
from core.capture import intake as capture
from core.capture import webforms
from core.imports import mapping as import_mapping
from core.leads import actions as leads
from core.leads import merge
from core.leads.fields import CUSTOMER, LEAD, OPPORTUNITY, OPPORTUNITY_TEXT, FieldSet, FieldSpec, Kind
from store import identity
from store.models import WEB_FORM_DEFAULT_FIELDS, Account, Lead, Opportunity
from store.report_lists import OPPORTUNITY_JOINED

CAPTURED = ('name', 'phone', 'email', 'company', 'title', 'wechat', 'region', 'city', 'industry', 'source',
            'campaign', 'message', 'budget', 'authority', 'need', 'timeline', 'external_id')


def test_capture_lists_are_derived_and_unchanged() -> None:
    assert LEAD.captured == CAPTURED
    assert cleaning.FIELD_LIMITS == LEAD.limits == {
        'name': 200, 'phone': 50, 'email': 254, 'company': 200, 'title': 100, 'wechat': 100, 'region': 100,
        'city': 100, 'industry': 100, 'source': 30, 'campaign': 200, 'message': 5000, 'budget': 200,
        'authority': 200, 'need': 500, 'timeline': 200, 'external_id': 200}
    assert list(cleaning.FIELD_LIMITS) == list(CAPTURED)  # the order validation reports errors in
    assert capture.FILLABLE == LEAD.fillable == (
        'phone', 'email', 'company', 'title', 'wechat', 'region', 'city', 'industry', 'budget', 'authority',
        'need', 'timeline', 'campaign', 'external_id')
    assert LEAD.required == ('name',)


def test_clean_lead_holds_the_captured_fields_and_the_identity_columns() -> None:
    names = [f.name for f in dataclasses.fields(cleaning.CleanLead)]
    derived = {'phone_norm', 'company_norm', 'external_key'}
    assert set(names) == set(CAPTURED) | derived | {'custom', 'tags'}  # core/custom_fields, core/tags
    assert {c for part in identity.PARTS for c in part.columns} <= set(names)


def test_page_form_dialog_and_import_lists_are_derived_and_unchanged() -> None:
    from ui.components import lead_form
    from ui.pages import lead as lead_page
    from ui.pages import opportunity
    assert leads.EDITABLE_FIELDS == LEAD.editable == (
        'name', 'phone', 'email', 'company', 'title', 'wechat', 'region', 'city', 'industry', 'campaign',
        'budget', 'authority', 'need', 'timeline', 'message')
    assert webforms.FORM_FIELDS == LEAD.form == (
        'name', 'phone', 'email', 'company', 'title', 'wechat', 'region', 'city', 'industry', 'need',
        'timeline', 'budget', 'authority', 'message')
    assert webforms.MULTILINE == {'message', 'need'}
    assert webforms.INPUT_TYPES == {'phone': 'tel', 'email': 'email'}
    assert webforms.REQUIRED == {'name'}
    assert set(WEB_FORM_DEFAULT_FIELDS) <= set(webforms.FORM_FIELDS)
    assert lead_form.TEXT_FIELDS == LEAD.creatable == (
        'name', 'phone', 'email', 'company', 'title', 'wechat', 'region', 'city', 'industry', 'budget',
        'authority', 'need', 'timeline')
    assert import_mapping.TARGETS == ('name', 'first_name', 'last_name', *CAPTURED[1:], 'tags')  # + the lead's tags
    assert merge.MERGE_FIELDS == leads.EDITABLE_FIELDS
    assert lead_page.BANT == LEAD.to_qualify == ('need', 'budget', 'authority', 'timeline')
    assert opportunity.TEXT_FIELDS == OPPORTUNITY_TEXT == ('name', 'decision_maker', 'need', 'budget', 'timeline')
    assert set(OPPORTUNITY.editable) == {'name', 'amount', 'expected_close', 'decision_maker', 'need', 'budget',
                                         'timeline'}


def test_export_columns_are_derived_and_unchanged() -> None:
    assert LEAD.export_columns == ('id', 'name', 'company', 'phone', 'email', 'source', 'region', 'industry',
                                   'status', 'grade', 'score', 'owner_id', 'created_at', 'assigned_at',
                                   'first_contact_at')
    assert LEAD.export_times == ('created_at', 'assigned_at', 'first_contact_at')
    assert OPPORTUNITY.export_columns == ('id', 'name', 'account', 'stage_id', 'amount_cents', 'expected_close',
                                          'owner_id', 'lost_reason', 'source', 'region', 'industry', 'created_at',
                                          'closed_at')
    assert CUSTOMER.export_columns == ('id', 'name', 'tier', 'owner_id', 'lifetime_value_cents', 'won_count',
                                       'last_activity_at', 'created_at')


def test_every_declared_lead_field_is_a_lead_column_of_its_length() -> None:
    columns = Lead.__table__.columns  # type: ignore[attr-defined]
    for spec in LEAD.specs:
        assert spec.column in columns, spec.key
        kind = columns[spec.column].type
        if spec.capture and spec.kind != Kind.LONG_TEXT:
            assert isinstance(kind, sa.String) and kind.length == spec.max_length, spec.key
    assert isinstance(columns['message'].type, sa.Text)  # a long text's limit is capture's alone
    assert all(s.column in Opportunity.__table__.columns or s.key in OPPORTUNITY_JOINED  # type: ignore[attr-defined]
               for s in OPPORTUNITY.specs)
    assert all(s.column in Account.__table__.columns for s in CUSTOMER.specs)  # type: ignore[attr-defined]


def test_no_declared_limit_is_longer_than_its_column() -> None:
    """A limit above the column's length would pass validation and then fail the insert on PostgreSQL
    (SQLite ignores VARCHAR lengths): the opportunity's decision maker, budget and timeline once did."""
    for field_set, model in ((LEAD, Lead), (OPPORTUNITY, Opportunity), (CUSTOMER, Account)):
        columns = model.__table__.columns  # type: ignore[attr-defined]
        for spec in field_set.specs:
            if spec.max_length is None or spec.column not in columns:
                continue
            kind = columns[spec.column].type
            if isinstance(kind, sa.String) and kind.length is not None:
                assert spec.max_length <= kind.length, (model.__name__, spec.key, spec.max_length, kind.length)


def test_the_api_schema_is_the_declaration() -> None:
    from ui.api import LeadIn
    schema = LeadIn.model_json_schema()
    assert list(schema['properties']) == list(CAPTURED)
    assert schema['required'] == ['name']
    assert schema['properties']['name']['maxLength'] == 200
    assert schema['title'] == 'LeadIn'
    assert {k for k, v in schema['properties'].items() if 'description' in v} == {'source', 'external_id'}


def test_every_import_alias_guesses_its_field_and_no_word_names_two() -> None:
    seen: dict[str, str] = {}
    for field, words in LEAD.aliases().items():
        assert LEAD[field].capture
        for word in words:
            assert import_mapping.guess_field(word) == field, word
            folded = import_mapping.fold_header(word)
            assert seen.setdefault(folded, field) == field, word
    assert all(target in import_mapping.TARGETS for _, target in import_mapping._CONTAINS)


def test_a_field_set_refuses_a_key_twice_and_orders_each_list_by_its_place() -> None:
    with pytest.raises(ValueError, match='twice'):
        FieldSet([FieldSpec('a'), FieldSpec('a')])
    fields = FieldSet([FieldSpec('a', form=1, edit=0), FieldSpec('b', form=0), FieldSpec('c', edit=1)])
    assert (fields.form, fields.editable, fields.export) == (('b', 'a'), ('a', 'c'), ())


def test_the_identity_keys_of_an_arrival() -> None:
    clean = cleaning.validate({'name': 'Li Lei', 'phone': '138 0013 8000', 'email': 'LI@Example.com',
                              'company': '上海某某科技有限公司'}, default_source='api')
    keys = identity.identity_keys(clean)
    assert [kind for kind, _ in keys] == ['phone', 'email', 'company']
    assert keys[0] == ('phone', (clean.phone_norm,))
    assert keys[2] == ('company', (clean.company_norm, 'Li Lei'))
    assert identity.lock_keys(clean, 'import\x1f7') == [
        f'phone:{clean.phone_norm}', f'email:{clean.email}', f'company:{clean.company_norm}\x1fLi Lei',
        'external:import\x1f7']
    no_company = cleaning.validate({'name': 'Li Lei', 'email': 'li@example.com'}, default_source='api')
    assert identity.identity_keys(no_company) == [('email', ('li@example.com',))]
    assert identity.lock_keys(no_company) == ['email:li@example.com']


def test_an_open_twin_comes_before_a_closed_one_then_the_oldest() -> None:
    leads_ = [Lead(id=1, name='a', status='converted'), Lead(id=3, name='a', status='new'),
              Lead(id=2, name='a', status='contacted')]
    assert min(leads_, key=identity.twin_rank).id == 2
    assert all(len(p.columns) >= 1 and all(c in Lead.__table__.columns for c in p.columns)  # type: ignore[attr-defined]
               for p in identity.PARTS)
