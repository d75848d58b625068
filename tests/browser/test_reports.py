"""The reports page in a real browser on the demo data: the numbers change with the range, a
click on a funnel step lists exactly those leads, and the leads export holds the same rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .support import LoginPage, Server

pytestmark = pytest.mark.browser

DEMO_MANAGER = 'manager@demo.leaddesk'
DEMO_PASSWORD = 'demo1234'


class ReportsPage:
    """/reports as a user sees it."""

    def __init__(self, page: Page, server: Server) -> None:
        self.page, self.server = page, server

    def open(self) -> ReportsPage:
        self.page.goto(self.server.url('/reports'))
        expect(self.page.get_by_test_id('panel-funnel')).to_be_visible()
        return self

    def captured(self) -> int:
        """The funnel's first step once computed ('Captured: N')."""
        line = self.page.get_by_test_id('line-funnel-0')
        expect(line).to_have_text(re.compile(r'Captured: \d+'))
        return int(line.inner_text().split(':')[1])

    def choose_preset(self, name: str) -> None:
        self.page.get_by_test_id('report-preset').click()
        self.page.get_by_role('option', name=name).click()

    def click_funnel_step(self, index: int, steps: int = 5) -> None:
        """Click the middle of a funnel step on the chart's canvas (the funnel fills the chart
        between ECharts' default 60 px top and bottom margins)."""
        chart = self.page.get_by_test_id('chart-funnel')
        box = chart.bounding_box()
        assert box is not None
        band = (box['height'] - 120) / steps
        chart.click(position={'x': box['width'] / 2, 'y': 60 + band * (index + 0.5)})


def test_range_drill_down_and_export_agree(page: Page, start_server: Callable[..., Server]) -> None:
    server = start_server(with_team=False, env={'LEADDESK_DEMO': '1'})
    page.set_default_timeout(20_000)
    login = LoginPage(page, server)
    login.open().submit(DEMO_MANAGER, DEMO_PASSWORD)
    page.wait_for_url(server.url('/'))
    reports = ReportsPage(page, server).open()
    expect(page.get_by_test_id('report-status')).to_contain_text('computed')
    last_30 = reports.captured()
    assert last_30 > 0

    reports.choose_preset('Last 90 days')
    expect(page.get_by_test_id('line-funnel-0')).not_to_have_text(f'Captured: {last_30}')
    last_90 = reports.captured()
    assert last_90 > last_30  # the demo spreads ~300 leads over 60 days

    reports.click_funnel_step(0)
    dialog = page.get_by_test_id('drill-dialog')
    expect(page.get_by_test_id('drill-count')).to_have_text(re.compile(rf'^{last_90} records'))
    links = page.locator('[data-testid^="drill-leads-"]')
    expect(links).to_have_count(last_90)
    listed = {int(t.removeprefix('drill-leads-')) for t in links.evaluate_all('els => els.map(e => e.dataset.testid)')}
    page.keyboard.press('Escape')
    expect(dialog).to_be_hidden()

    page.get_by_test_id('export-lists').click()
    with page.expect_download() as download:
        page.get_by_test_id('export-list-leads-csv').click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b'\xef\xbb\xbf')
    rows = list(csv.DictReader(io.StringIO(data.decode('utf-8-sig'))))
    assert {int(r['id']) for r in rows} == listed
