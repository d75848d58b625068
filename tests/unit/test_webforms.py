"""What a web form's owner may configure and who may post it (core/capture/webforms.py), and the form
settings and captures through the desk (core/capture/api_access.py)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.capture.webforms import (
    CHOICES_SEPARATOR,
    clean_settings,
    frame_ancestors,
    normalize_origin,
    origin_allowed,
    origin_of,
    posted_custom,
    shown_custom,
)
from core.custom_fields.values import CustomFields, Definition, Option
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from store.engine import read_session
from store.models import WEB_FORM_DEFAULT_FIELDS, AuditEntry, Lead, Role
from tests import factories

BASE = {'name': 'Contact', 'language': 'en', 'fields': ['name', 'email']}


def errors(**values: object) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as e:
        clean_settings({**BASE, **values})
    return e.value.errors


def test_origins_are_normalised() -> None:
    assert normalize_origin('HTTPS://WWW.Example.com:443/') == 'https://www.example.com'
    assert normalize_origin('http://localhost:3000') == 'http://localhost:3000'
    assert normalize_origin('http://[::1]:8080') == 'http://[::1]:8080'
    for bad in ('www.example.com', 'ftp://example.com', 'https://example.com/contact', 'https://*.example.com',
                'https://user@example.com', 'javascript:alert(1)', 'https://example.com?x=1', 'https://a b.com'):
        assert normalize_origin(bad) is None, bad


def test_settings_are_cleaned() -> None:
    clean = clean_settings({**BASE, 'allowed_origins': ['https://Acme.example/', '', 'https://acme.example'],
                            'redirect_url': ' https://acme.example/thanks ', 'consent_text': '  I agree  '})
    assert clean['allowed_origins'] == ['https://acme.example']
    assert clean['redirect_url'] == 'https://acme.example/thanks'
    assert (clean['consent_text'], clean['thanks_text']) == ('I agree', None)


def test_a_form_must_ask_for_the_name_and_a_way_to_reach_the_visitor() -> None:
    assert errors(fields=['name', 'company']) == {'fields': 'form_needs_contact'}
    assert errors(fields=['phone']) == {'fields': 'form_needs_contact'}
    assert errors(fields=['name', 'phone', 'source']) == {'fields': 'invalid'}  # the form's own, not the visitor's
    assert clean_settings({**BASE, 'fields': ['email', 'name', 'email']})['fields'] == ['email', 'name']


def test_bad_settings_are_each_named() -> None:
    assert errors(language='de', redirect_url='javascript:alert(1)', allowed_origins=['example.com'],
                  name='') == {'language': 'invalid', 'redirect_url': 'invalid_url',
                               'allowed_origins': 'invalid_origin', 'name': 'required'}
    assert errors(redirect_url='ftp://example.com/x') == {'redirect_url': 'invalid_url'}
    assert errors(allowed_origins=[f'https://s{i}.example' for i in range(51)]) == {
        'allowed_origins': 'too_many_origins'}
    assert errors(consent_text='x' * 2001) == {'consent_text': 'too_long'}


def test_origin_of_a_submission() -> None:
    assert origin_of('https://acme.example', 'https://other.example/x') == 'https://acme.example'
    assert origin_of(None, 'https://acme.example/contact?x=1') == 'https://acme.example'
    assert origin_of('null', None) == 'null'
    assert origin_of(None, None) is None


def test_who_may_post() -> None:
    own = {'crm.example.com'}
    assert origin_allowed('https://anyone.example', own, [])  # empty list: any site
    assert origin_allowed(None, own, ['https://acme.example'])  # no origin sent: not a browser page elsewhere
    assert origin_allowed('https://acme.example', own, ['https://acme.example'])
    assert origin_allowed('https://crm.example.com', own, ['https://acme.example'])  # the app's own page
    assert not origin_allowed('https://evil.example', own, ['https://acme.example'])
    assert not origin_allowed('null', own, ['https://acme.example'])


def test_framing_policy() -> None:
    assert frame_ancestors([]) == 'frame-ancestors *'
    assert frame_ancestors(['https://a.example', 'https://b.example']) == \
        "frame-ancestors 'self' https://a.example https://b.example"


def test_new_forms_ask_the_default_fields_in_chinese(desk: Desk) -> None:
    form = desk.access.create_web_form(None, name='Trade show')
    assert (form.fields, form.language, form.allowed_origins) == (list(WEB_FORM_DEFAULT_FIELDS), 'zh-CN', [])


def test_the_seeded_and_new_forms_are_named_in_their_language(desk: Desk) -> None:
    assert desk.access.web_form('contact').name == '网站联系表单'
    assert desk.access.create_web_form(None).name == '新网页表单'
    assert desk.access.create_web_form(None, language='en').name == 'New web form'


def test_a_name_leaddesk_gave_follows_the_language_and_a_chosen_one_stays(desk: Desk) -> None:
    admin = factories.user(desk, Role.ADMIN)
    contact = desk.access.web_form('contact')
    values = {**BASE, 'name': contact.name, 'fields': contact.fields}
    assert desk.access.update_web_form(admin, contact.id or 0, values).name == 'Website contact form'
    back = desk.access.update_web_form(admin, contact.id or 0, {**values, 'name': 'Website contact form',
                                                                 'language': 'zh-CN'})
    assert back.name == '网站联系表单'
    chosen = desk.access.update_web_form(admin, contact.id or 0, {**values, 'name': '展会报名', 'language': 'en'})
    assert chosen.name == '展会报名'


def test_a_manager_edits_a_form_and_it_is_audited(desk: Desk) -> None:
    manager = factories.user(desk, Role.MANAGER)
    form = desk.access.create_web_form(None, name='Trade show')
    saved = desk.access.update_web_form(manager, form.id or 0, {
        **BASE, 'name': 'Expo', 'allowed_origins': ['https://expo.example'], 'thanks_text': 'See you'})
    assert (saved.name, saved.language, saved.fields, saved.allowed_origins, saved.thanks_text) == (
        'Expo', 'en', ['name', 'email'], ['https://expo.example'], 'See you')
    assert desk.access.web_form(form.key).name == 'Expo'  # the next visitor sees it
    with read_session(desk.ctx.engine) as s:
        [entry] = [a for a in s.exec(select(AuditEntry)) if a.action == 'web_form_saved' and a.actor_id == manager.id]
    assert entry.reason_params['name'] == 'Expo'
    with pytest.raises(NotAllowed):
        desk.access.update_web_form(factories.user(desk, Role.REP), form.id or 0, BASE)


def test_form_capture_reads_only_the_forms_fields_and_keeps_the_consent(desk: Desk) -> None:
    factories.user(desk, Role.REP)
    form = desk.access.create_web_form(None, name='Expo', source='trade_show')
    form = desk.access.update_web_form(factories.user(desk, Role.ADMIN), form.id or 0, {
        **BASE, 'source': 'trade_show', 'consent_text': 'I agree'})
    with pytest.raises(ValidationFailed) as e:
        desk.access.capture_via_form(form, {'name': '', 'email': 'x@example.com'})
    assert e.value.errors == {'name': 'required', 'consent': 'consent_required'}
    result = desk.access.capture_via_form(form, {'name': 'Ann', 'email': 'ann@example.com', 'consent': 'yes',
                                                 'phone': '13800138000', 'source': 'ads'})
    with read_session(desk.ctx.engine) as s:
        lead = s.get(Lead, result.lead_id)
        [consented] = [a for a in s.exec(select(AuditEntry)) if a.action == 'consented']
    assert lead is not None and (lead.source, lead.phone) == ('trade_show', None)  # not asked: not read
    assert (consented.lead_id, consented.reason_params) == (lead.id, {'form': 'Contact', 'text': 'I agree'})


def custom_fields() -> CustomFields:
    return CustomFields([
        Definition(key='product', type='single_select', label_zh='意向产品', label_en='Product',
                   options=(Option('crm', '客户管理', 'CRM'),), is_required=True, position=1),
        Definition(key='tags', type='multi_select', label_zh='标签', label_en='Tags', options=(Option('a', '甲', 'A'),),
                   position=2),
        Definition(key='old', type='text', label_zh='旧', label_en='Old', is_retired=True, position=3)])


def test_a_form_may_show_active_custom_fields_anywhere_in_its_order() -> None:
    fields = ['name', 'custom.product', 'email']
    assert clean_settings({**BASE, 'fields': fields}, custom_fields())['fields'] == fields
    assert clean_settings({**BASE, 'fields': [*fields, 'custom.tags']}, custom_fields())['fields'][-1] == 'custom.tags'
    for bad in ('custom.nope', 'custom.old', 'custom.', 'custom'):  # unknown, retired, no key
        with pytest.raises(ValidationFailed) as e:
            clean_settings({**BASE, 'fields': ['name', 'email', bad]}, custom_fields())
        assert e.value.errors == {'fields': 'invalid'}
    assert errors(fields=['name', 'email', 'custom.product']) == {'fields': 'invalid'}  # none defined


def test_only_the_custom_fields_a_form_shows_are_read_from_a_post() -> None:
    shown = ['name', 'email', 'custom.product', 'custom.old']
    assert list(shown_custom(shown, custom_fields())) == ['custom.product']  # retired since: left out
    values, problems = posted_custom(shown, custom_fields(), {'custom.product': 'crm', 'custom.tags': 'a',
                                                              'custom.old': 'x', 'custom.nope': 'y'})
    assert (values, problems) == ({'product': 'crm'}, {})
    assert posted_custom(shown, custom_fields(), {}) == ({}, {'custom.product': 'required'})
    assert posted_custom(['name'], custom_fields(), {}) == ({}, {})  # required, but not on the form
    assert posted_custom(shown, custom_fields(), {'custom.product': 'x' * 6000}) == \
        ({}, {'custom.product': 'too_long'})


def test_a_multi_select_on_a_form_posts_each_ticked_box() -> None:
    shown = ['name', 'email', 'custom.product', 'custom.tags']
    ticked = {'custom.product': 'crm', 'custom.tags': 'a' + CHOICES_SEPARATOR + 'b'}
    assert posted_custom(shown, custom_fields(), ticked) == ({'product': 'crm', 'tags': ['a', 'b']}, {})
    none = {'custom.product': 'crm'}
    assert posted_custom(shown, custom_fields(), none) == ({'product': 'crm'}, {})  # no box ticked: no value
