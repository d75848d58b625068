"""A custom field from definition to export, the way a team meets it, in real browsers: the admin
defines a select field in Settings and puts it on the website form; a visitor sends the form
anonymously with an option picked; the manager filters the inbox by that option and exports the
leads, and the export holds the option's label."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .support import Server, choose, login

pytestmark = pytest.mark.browser


def define_product_field(page: Page, server: Server) -> None:
    page.goto(server.url('/settings'))
    page.get_by_test_id('custom-field-add').click()
    page.get_by_test_id('custom-key').fill('product')
    page.get_by_test_id('custom-label-zh').fill('意向产品')
    page.get_by_test_id('custom-label-en').fill('Product')
    choose(page, 'custom-type', 'Single select')
    page.get_by_test_id('custom-options').fill('crm:客户管理:CRM suite\nerp:企业资源:ERP')
    page.get_by_test_id('custom-save').click()
    expect(page.get_by_test_id('custom-fields')).to_contain_text('Product')


def put_it_on_the_form(page: Page) -> None:
    page.get_by_test_id('form-edit-contact').click()
    page.get_by_test_id('form-field-custom.product').click()
    page.get_by_test_id('form-save').click()
    expect(page.get_by_test_id('form-save')).to_have_count(0)  # the dialog closed: saved


def send_form(page: Page, server: Server, name: str, phone: str, product: str | None) -> None:
    page.goto(server.url('/f/contact'))
    page.get_by_test_id('form-name').fill(name)
    page.get_by_test_id('form-phone').fill(phone)
    if product is not None:
        page.get_by_test_id('form-custom.product').select_option(product)
    if page.get_by_test_id('form-consent').count():
        page.get_by_test_id('form-consent').check()
    page.get_by_test_id('form-submit').click()
    expect(page.get_by_test_id('form-thanks')).to_be_visible()


def test_a_select_field_from_settings_to_form_to_inbox_filter_to_export(
        start_server: Callable[..., Server], new_context: Callable[..., BrowserContext]) -> None:
    server = start_server()
    team = server.team
    assert team is not None

    admin = new_context(locale='en-US').new_page()
    login(admin, server, team.admin)
    define_product_field(admin, server)
    put_it_on_the_form(admin)

    visitor = new_context(locale='en-US').new_page()  # no login: the public form
    visitor.goto(server.url('/f/contact'))
    expect(visitor.locator('label[for="f-custom-product"]')).to_contain_text('意向产品')  # the form's language
    send_form(visitor, server, 'Cora Wants CRM', '13900007777', 'crm')
    send_form(visitor, server, 'Erin Wants ERP', '13900008888', 'erp')

    manager = new_context(locale='en-US').new_page()
    login(manager, server, team.manager)
    table = manager.get_by_test_id('inbox-table')
    expect(table.get_by_text('Erin Wants ERP')).to_be_visible()
    manager.get_by_test_id('filter-custom-product').click()
    manager.get_by_role('option', name='CRM suite').click()
    expect(table.get_by_text('Erin Wants ERP')).to_have_count(0)
    expect(table.get_by_text('Cora Wants CRM')).to_be_visible()

    manager.goto(server.url('/reports'))
    manager.get_by_test_id('export-lists').click()
    with manager.expect_download() as download:
        manager.get_by_test_id('export-list-leads-csv').click()
    text = download.value.path().read_bytes().decode('utf-8-sig')
    rows = {r['name']: r for r in csv.DictReader(io.StringIO(text))}
    assert rows['Cora Wants CRM']['Product'] == 'CRM suite'
    assert rows['Erin Wants ERP']['Product'] == 'ERP'
    assert rows['Cora Wants CRM']['phone'].endswith('7777')
