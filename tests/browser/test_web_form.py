"""The hosted web form in Chromium with JavaScript off: on a phone-sized screen, on its own, framed
by another site and as the copy-paste `<form>` on another site's page — the visitor fills it in,
sees the thank-you page (or the site's own page), and the lead is in the database."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlmodel import select

from core.desk import Desk
from store.engine import make_engine, read_session
from store.models import Lead

from .support import Server
from .test_mobile import SIZES, no_sideways_scroll, shot

pytestmark = pytest.mark.browser

PHONE = {'viewport': {'width': 390, 'height': 844}, 'java_script_enabled': False, 'locale': 'en-US'}


def lead_names(server: Server) -> list[str]:
    engine = make_engine(f'sqlite:///{server.db_path}')
    try:
        with read_session(engine) as s:
            return [lead.name for lead in s.exec(select(Lead).order_by(Lead.id))]
    finally:
        engine.dispose()


def set_form(desk: Desk, server: Server, **changes: Any) -> None:
    assert server.team is not None
    [form] = desk.access.web_forms(server.team.admin)
    values = {k: getattr(form, k) for k in ('name', 'language', 'source', 'fields', 'consent_text', 'thanks_text',
                                             'redirect_url', 'allowed_origins', 'is_active')}
    desk.access.update_web_form(server.team.admin, form.id or 0, {**values, **changes})


@pytest.fixture
def no_script(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture
def other_site() -> Iterator[Callable[[str], str]]:
    """Another website (another origin): `publish(html)` serves the page and returns its URL."""
    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, b'')
            self.send_response(200 if body else 404)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    def publish(html: str) -> str:
        pages['/page.html'] = html.encode()
        return f'http://127.0.0.1:{port}/page.html'

    yield publish
    httpd.shutdown()


def test_visitor_sends_the_form_with_javascript_off_on_a_phone(
        no_script: BrowserContext, start_server: Callable[..., Server]) -> None:
    server = start_server(seed=lambda desk, s: set_form(desk, s, language='en', consent_text='I agree to be called.'))
    page = no_script.new_page()
    page.goto(server.url('/f/contact'))
    expect(page.get_by_test_id('form-heading')).to_have_text('Website contact form')
    submit = page.get_by_test_id('form-submit')
    box = submit.bounding_box()
    assert box is not None and box['x'] >= 0 and box['x'] + box['width'] <= 390  # fits the phone's width
    page.get_by_test_id('form-name').fill('Nora No-Script')
    page.get_by_test_id('form-phone').fill('not a number')
    page.get_by_test_id('form-consent').check()
    submit.click()
    expect(page.get_by_test_id('form-error-phone')).to_have_text('Not a valid phone number')
    expect(page.get_by_test_id('form-name')).to_have_value('Nora No-Script')  # kept
    assert lead_names(server) == []
    page.get_by_test_id('form-phone').fill('13900001111')
    page.get_by_test_id('form-consent').check()
    page.get_by_test_id('form-submit').click()
    expect(page.get_by_test_id('form-thanks')).to_have_text('Thank you! We will contact you soon.')
    assert lead_names(server) == ['Nora No-Script']


def test_the_redirect_takes_the_visitor_to_the_sites_own_page(
        no_script: BrowserContext, start_server: Callable[..., Server], other_site: Callable[[str], str]) -> None:
    landing = other_site('<!doctype html><title>Acme</title><h1 id="landed">Thanks from Acme</h1>')
    server = start_server(seed=lambda desk, s: set_form(desk, s, redirect_url=landing))
    page = no_script.new_page()
    page.goto(server.url('/f/contact'))
    page.get_by_test_id('form-name').fill('Rex Redirect')
    page.get_by_test_id('form-phone').fill('13900002222')
    page.get_by_test_id('form-submit').click()
    expect(page.locator('#landed')).to_have_text('Thanks from Acme')  # the form's policy lets the 303 go there
    assert lead_names(server) == ['Rex Redirect']


def test_another_site_frames_the_form_and_posts_its_own_copy(
        no_script: BrowserContext, start_server: Callable[..., Server], other_site: Callable[[str], str]) -> None:
    """An empty allow-list: any site may frame the form or post the snippet (today's embeds keep working)."""
    server = start_server()
    form_url = server.url('/f/contact')
    host = other_site(f'<!doctype html><h1>Acme</h1><iframe id="embed" src="{form_url}" width="380" height="900">'
                      f'</iframe><form id="own" method="post" action="{form_url}"><input name="name" id="own-name">'
                      '<input name="phone" id="own-phone"><input name="website" style="position:absolute;'
                      'left:-10000px"><button id="own-send">Send</button></form>')
    page = no_script.new_page()
    page.goto(host)
    frame = page.frame_locator('#embed')
    frame.get_by_test_id('form-name').fill('Fay Framed')
    frame.get_by_test_id('form-phone').fill('13900003333')
    frame.get_by_test_id('form-submit').click()
    expect(frame.get_by_test_id('form-thanks')).to_be_visible()
    page.locator('#own-name').fill('Sam Snippet')
    page.locator('#own-phone').fill('13900004444')
    page.locator('#own-send').click()
    expect(page.get_by_test_id('form-thanks')).to_be_visible()
    assert lead_names(server) == ['Fay Framed', 'Sam Snippet']


def test_a_site_not_on_the_allow_list_can_neither_frame_nor_post(
        no_script: BrowserContext, start_server: Callable[..., Server], other_site: Callable[[str], str]) -> None:
    server = start_server(seed=lambda desk, s: set_form(desk, s, language='en',
                                                        allowed_origins=['https://www.acme.example']))
    form_url = server.url('/f/contact')
    host = other_site(f'<!doctype html><iframe id="embed" src="{form_url}"></iframe>'
                      f'<form method="post" action="{form_url}"><input name="name" id="own-name">'
                      '<input name="phone" id="own-phone"><button id="own-send">Send</button></form>')
    page = no_script.new_page()
    page.goto(host)
    expect(page.frame_locator('#embed').get_by_test_id('form-submit')).to_have_count(0)  # framing refused
    page.locator('#own-name').fill('Spam Site')
    page.locator('#own-phone').fill('13900005555')
    page.locator('#own-send').click()
    expect(page.get_by_test_id('form-refused')).to_have_text('This form cannot be sent from this website.')
    own = no_script.new_page()  # the form itself, on the app's own address, still works
    own.goto(form_url)
    own.get_by_test_id('form-name').fill('Own Page')
    own.get_by_test_id('form-phone').fill('13900006666')
    own.get_by_test_id('form-submit').click()
    expect(own.get_by_test_id('form-thanks')).to_be_visible()
    assert lead_names(server) == ['Own Page']


def custom_seed(language: str) -> Callable[[Desk, Server], None]:
    """A custom select (and a number) shown on the contact form, in `language`."""
    def seed(desk: Desk, server: Server) -> None:
        desk.custom_fields.define_field(
            None, entity='lead', key='product', type='single_select', label_zh='意向产品', label_en='Product',
            options=[{'key': 'crm', 'label_zh': '客户管理系统', 'label_en': 'CRM suite'},
                     {'key': 'erp', 'label_zh': '企业资源计划', 'label_en': 'ERP'}], required=True)
        desk.custom_fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数',
                                        label_en='Number of stores')
        set_form(desk, server, language=language,
                 fields=['name', 'phone', 'email', 'custom.product', 'custom.stores', 'message'])
    return seed


def test_visitor_picks_a_custom_option_on_a_phone(
        no_script: BrowserContext, start_server: Callable[..., Server]) -> None:
    server = start_server(seed=custom_seed('en'))
    page = no_script.new_page()
    page.goto(server.url('/f/contact'))
    expect(page.locator('label[for="f-custom-product"]')).to_contain_text('Product')
    page.get_by_test_id('form-name').fill('Cora Custom')
    page.get_by_test_id('form-phone').fill('13900005555')
    page.get_by_test_id('form-custom.stores').fill('three')
    page.get_by_test_id('form-custom.product').select_option('crm')
    no_sideways_scroll(page)
    shot(page, 'webform-custom-phone-en')
    page.get_by_test_id('form-submit').click()
    expect(page.get_by_test_id('form-error-custom.stores')).to_have_text('Enter a number')
    expect(page.get_by_test_id('form-custom.product')).to_have_value('crm')  # kept
    assert lead_names(server) == []
    page.get_by_test_id('form-custom.stores').fill('3')
    page.get_by_test_id('form-submit').click()
    expect(page.get_by_test_id('form-thanks')).to_be_visible()
    engine = make_engine(f'sqlite:///{server.db_path}')
    try:
        with read_session(engine) as s:
            [lead] = s.exec(select(Lead))
            assert (lead.name, lead.custom) == ('Cora Custom', {'product': 'crm', 'stores': 3})
    finally:
        engine.dispose()


@pytest.mark.parametrize('language', ['zh-CN', 'en'])
def test_custom_fields_fit_the_form_at_both_sizes(browser: Browser, start_server: Callable[..., Server],
                                                  language: str) -> None:
    server = start_server(seed=custom_seed(language))
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, java_script_enabled=False, locale='en-US')
        page = context.new_page()
        page.goto(server.url('/f/contact'))
        expect(page.locator('label[for="f-custom-product"]')).to_contain_text(
            '意向产品' if language == 'zh-CN' else 'Product')  # the form's language, not the browser's
        no_sideways_scroll(page)
        shot(page, f'webform-custom-{size}-{language}')
        context.close()
