"""Every page, for every role that may open it, on a phone (390×844) and a desk (1440×900), in
Chinese and English: nothing scrolls sideways, the browser logs no error, the page speaks its
language (`<html lang>`), axe-core finds no critical or serious accessibility violation, and the
page does not move once it shows (record pages and the team page not at all, the lists little).

One server and one browser for the module; one browser context per size, language and role, each
page visited once (the tests read the same visit). A case that fails today is marked
xfail(strict=True) with its reason, so it turns red, to be unmarked, the day it is fixed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page

from core.desk import Desk
from tests import factories
from tests.ui.test_pipeline_page import make_opportunity

from .conftest import launch, stop
from .support import Server, Team, login

pytestmark = pytest.mark.browser

SIZES = {'390': {'width': 390, 'height': 844}, '1440': {'width': 1440, 'height': 900}}
LANGUAGES = {'zh-CN': 'zh-CN', 'en': 'en-US'}  # our language → the browser's locale (Accept-Language)
SHOTS = os.environ.get('LEADDESK_SHOTS')
"""A folder: save there a full-page screenshot of every phone-size visit and axe's findings of every visit."""

MANAGER_PAGES = ('/team', '/rules', '/automation', '/import', '/duplicates', '/playbooks', '/settings')
EVERYONE_PAGES = ('/', '/lead', '/pool', '/pipeline', '/opportunity', '/customers', '/customer', '/reports',
                  '/notifications', '/digests', '/account', '/search')
PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    'anonymous': ('/login', '/form'),
    'rep': EVERYONE_PAGES,
    'manager': EVERYONE_PAGES + MANAGER_PAGES,
    'admin': ('/', '/team', '/settings', '/webhooks'),
}
"""Pages as a role reaches them; '/lead', '/opportunity', '/customer' and '/form' stand for a record of
the seeded data (`url`); '/search' is the empty search (tests/browser/test_search.py shows results)."""


FORM_LANGUAGE = 'zh-CN'
"""The seeded contact form's language, whatever the visitor's browser speaks."""


@dataclass(frozen=True)
class Case:
    size: str
    language: str
    role: str
    page: str

    @property
    def id(self) -> str:
        return f'{self.size}-{self.language}-{self.role}-{self.page.strip("/") or "inbox"}'


# ----- what fails today (issue 20) ----------------------------------------------------------------
# Keys: (page, size, language, role); None matches any. Reasons name the page and what fails.

OVERFLOWS: dict[tuple[str, str | None, str | None, str | None], str] = {
}
"""Pages that scroll sideways (or log an error) today."""

AXE: dict[tuple[str, str | None, str | None, str | None], str] = {
}
"""Pages with a critical or serious axe violation today, the rule ids in the reason."""


def _known(table: dict[tuple[str, str | None, str | None, str | None], str], case: Case) -> str | None:
    for (page, size, language, role), reason in table.items():
        if page == case.page and size in (None, case.size) and language in (None, case.language) \
                and role in (None, case.role):
            return reason
    return None


def _cases(table: dict[tuple[str, str | None, str | None, str | None], str]) -> list[Any]:
    params = []
    for size in SIZES:
        for language in LANGUAGES:
            for role, pages in PAGES_BY_ROLE.items():
                for page in pages:
                    case = Case(size, language, role, page)
                    reason = _known(table, case)
                    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                    params.append(pytest.param(case, id=case.id, marks=marks))
    return params


# ----- the server, its data and the browser contexts ---------------------------------------------

def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    desk.custom_fields.define_field(None, entity='lead', key='product', type='single_select', label_zh='意向产品',
                                    label_en='Product',
                                    options=[{'key': 'crm', 'label_zh': '客户管理', 'label_en': 'CRM'}])
    desk.custom_fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数',
                                    label_en='Stores')  # empty: named on the "not filled in" line
    lead_id = desk.leads.capture_lead(factories.lead_data(name='Lena Long-Name 李晓明', company='杭州云帆科技有限公司',
                                                          email='lena.long.name@example.com',
                                                          custom={'product': 'crm'}),
                                      channel='manual', default_source='manual', actor=team.rep,
                                      keep_for_actor=True).lead_id
    desk.leads.capture_lead(factories.lead_data(name='Pooled Pei'), channel='manual', default_source='manual',
                            actor=team.manager)
    opportunity_id = make_opportunity(desk, team.rep, company='Dragon Tea 龙茶', expected_close=date(2030, 6, 30))
    won = next(s for s in desk.pipeline.stages() if s.kind == 'won')
    view = desk.pipeline.opportunity_view(team.rep, opportunity_id)
    desk.pipeline.move_opportunity(team.rep, opportunity_id, to_stage_id=won.id or 0,
                                   version=view.opportunity.version)
    deal_id = make_opportunity(desk, team.rep, company='Lotus Labs 莲花', expected_close=date(2030, 6, 30))
    [form] = desk.access.web_forms(team.admin)  # the form shows the custom fields too (axe, fit)
    desk.access.update_web_form(team.admin, form.id or 0, {
        **{k: getattr(form, k) for k in ('name', 'language', 'source', 'consent_text', 'thanks_text', 'redirect_url',
                                         'allowed_origins', 'is_active')},
        'fields': [*form.fields[:3], 'custom.product', 'custom.stores', *form.fields[3:]]})
    vip = desk.tags.define_tag(None, name_zh='重点客户', name_en='Key account', colour='red')  # chips and filters
    desk.tags.define_tag(None, name_zh='展会', name_en='Trade fair', colour='amber')
    for entity, record_id in (('lead', lead_id), ('opportunity', deal_id), ('customer', view.account.id or 0)):
        desk.record_tags.add_tag(team.manager, entity, record_id, vip.id)
    server.seeded.update(lead=lead_id, opportunity=deal_id, customer=view.account.id)


def url(server: Server, page: str) -> str:
    records = {'/lead': f'/leads/{server.seeded["lead"]}',
               '/opportunity': f'/opportunities/{server.seeded["opportunity"]}',
               '/customer': f'/customers/{server.seeded["customer"]}', '/form': '/f/contact'}
    return server.url(records.get(page, page))


@pytest.fixture(scope='module')
def shared_server(tmp_path_factory: pytest.TempPathFactory, team_database: tuple[Path, Team]) -> Iterator[Server]:
    process, server = launch(tmp_path_factory.mktemp('every-page') / 'server', team_database, seed=seed)
    yield server
    stop(process)


@dataclass
class Visit:
    overflow: tuple[int, int]
    """(document scroll width, window inner width)"""
    errors: list[str]
    lang: str
    final_path: str
    serious: list[str]
    """'rule-id (impact): where' of every critical or serious axe violation"""
    shifts: list[tuple[float, str]]
    """(score, what moved) of every layout shift after the page first showed (no input caused them)"""


WATCH_SHIFTS = """
window.__ldShifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.hadRecentInput) continue;
    const what = e.sources.map((s) => s.node ? (s.node.dataset?.testid || s.node.className || s.node.nodeName) : '?');
    window.__ldShifts.push([e.value, what.join(', ').slice(0, 160)]);
  }
}).observe({type: 'layout-shift', buffered: true});
"""
"""Layout shifts as Chromium reports them (the Layout Instability API): a page that moves after it
showed moves the button under a finger about to tap it."""

STILL_PAGES = ('/lead', '/opportunity', '/customer', '/team')
"""Pages whose first response carries everything above the fold: nothing may move once they show.
(A record page's "why can I see this?" line once came later, wrapped onto its own line on a phone and
took the pencil below from under the tap.)"""
STILL = 0.001
"""The most a still page may shift in all (sub-pixel rounding scores 0.000x)."""
SETTLES = 0.1
"""The most any other page may shift in all (lists fill after the first response): web.dev's "good"
cumulative layout shift."""


class Visitor:
    """One browser context per size, language and role, kept while the cases run in that order; each
    case's page visited once."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser, self.server = browser, server
        self.key: tuple[str, str, str] | None = None
        self.context: BrowserContext | None = None
        self.page: Page | None = None
        self.errors: list[str] = []
        self.visits: dict[Case, Visit] = {}
        self.axe = Axe()

    def page_for(self, case: Case) -> Page:
        key = (case.size, case.language, case.role)
        if key != self.key or self.page is None:
            self.close()
            self.context = self.browser.new_context(viewport=SIZES[case.size],  # type: ignore[arg-type]
                                                    locale=LANGUAGES[case.language])
            self.context.add_cookies([{'name': 'ld_lang', 'value': case.language, 'url': self.server.base_url}])
            self.context.add_init_script(WATCH_SHIFTS)
            page = self.context.new_page()
            page.on('console', lambda m: self.errors.append(f'console {m.type}: {m.text}')
                    if m.type == 'error' else None)
            page.on('pageerror', lambda e: self.errors.append(f'page error: {e}'))
            if case.role != 'anonymous':
                team = self.server.team
                assert team is not None
                login(page, self.server, getattr(team, case.role))
            self.key, self.page = key, page
        return self.page

    def visit(self, case: Case) -> Visit:
        if case in self.visits:
            return self.visits[case]
        page = self.page_for(case)
        self.errors.clear()
        response = page.goto(url(self.server, case.page))
        assert response is not None
        if response.status >= 400:
            self.errors.append(f'HTTP {response.status}')
        # the page's connection is up: by WebSocket or, when the handshake times out on a loaded box, by
        # NiceGUI's long-polling fallback — under which 'networkidle' never comes (a poll is always open)
        # (the public form is plain HTML under a strict CSP: no connection to wait for)
        for _ in range(600):
            if page.evaluate("typeof window.socket === 'undefined' || window.did_handshake === true"):
                break
            page.wait_for_timeout(100)
        page.wait_for_timeout(500)  # slow parts fill in the background
        width = page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')
        results = self.axe.run(page).response
        serious = [f'{v["id"]} ({v["impact"]}): {" ".join(n["html"][:90] for n in v["nodes"][:3])}'
                   for v in results['violations'] if v['impact'] in ('critical', 'serious')]
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            Path(f'{SHOTS}/{case.id}.axe.json').write_text(json.dumps(results['violations'], indent=1))
            if case.size == '390':
                page.screenshot(path=f'{SHOTS}/{case.id}.png', full_page=True)
        shifts = [(value, what) for value, what in page.evaluate('window.__ldShifts || []')]
        visit = Visit(overflow=(width[0], width[1]), errors=list(self.errors),
                      lang=page.evaluate('document.documentElement.lang'),
                      final_path=page.evaluate('location.pathname'), serious=serious, shifts=shifts)
        self.visits[case] = visit
        return visit

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
        self.context, self.page, self.key = None, None, None


@pytest.fixture(scope='module')
def visitor(browser: Browser, shared_server: Server) -> Iterator[Visitor]:
    v = Visitor(browser, shared_server)
    yield v
    v.close()


# ----- the tests ---------------------------------------------------------------------------------

@pytest.mark.parametrize('case', _cases(OVERFLOWS))
def test_page_fits_the_screen_in_its_language_without_errors(visitor: Visitor, case: Case) -> None:
    visit = visitor.visit(case)
    expected_path = url(visitor.server, case.page).removeprefix(visitor.server.base_url)
    assert visit.final_path == expected_path, f'sent to {visit.final_path} instead'
    language = FORM_LANGUAGE if case.page == '/form' else case.language  # a web form speaks its own
    assert visit.lang in (language, LANGUAGES[language])  # ours, or Quasar's pack's (en-US)
    assert not visit.errors, ' ;; '.join(visit.errors)
    scroll_width, inner_width = visit.overflow
    assert scroll_width <= inner_width + 1, f'scrolls sideways: {scroll_width} px in a {inner_width} px window'


@pytest.mark.parametrize('case', _cases(AXE))
def test_page_has_no_serious_accessibility_violation(visitor: Visitor, case: Case) -> None:
    serious = visitor.visit(case).serious
    assert not serious, ' ;; '.join(serious)


@pytest.mark.parametrize('case', _cases({}))
def test_page_holds_still_once_shown(visitor: Visitor, case: Case) -> None:
    shifts = visitor.visit(case).shifts
    limit = STILL if case.page in STILL_PAGES else SETTLES
    assert sum(score for score, _ in shifts) <= limit, ' ;; '.join(f'{score:.3f}: {what}' for score, what in shifts)
