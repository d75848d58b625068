"""Exports read back from the written files: CSV with a BOM, XLSX sheets, formula cells
neutralised, the reader's visibility and the report filter respected, and the CLI."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import ValidationFailed
from core.reports.export import neutralise
from core.reports.report_filter import ReportFilter
from store.models import Role, UserRef
from tests import factories
from tests.ui.test_pipeline_page import make_opportunity

from .test_cli import run_cli

HOSTILE = ['=HYPERLINK("http://x","y")', '+86 cmd', '-2+3', '@SUM(A1)']


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b'\xef\xbb\xbf'), 'UTF-8 BOM so Excel reads Chinese'
    return list(csv.DictReader(io.StringIO(data.decode('utf-8-sig'))))


def read_xlsx(data: bytes | Path, sheet: str | None = None) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    rows = list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture
def team(desk: Desk) -> tuple[UserRef, UserRef, UserRef]:
    li = factories.user(desk, Role.REP, name='李娜')
    zhao = factories.user(desk, Role.REP, name='Zhao')
    manager = factories.user(desk, Role.MANAGER)
    for i, name in enumerate(HOSTILE):
        desk.leads.capture_lead(factories.lead_data(name=name, company='杭州云帆科技有限公司', source='ads'),
                                channel='manual', default_source='manual', actor=li if i % 2 else zhao,
                                keep_for_actor=True)
    return manager, li, zhao


def test_formula_cells_get_an_apostrophe() -> None:
    assert [neutralise(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]
    assert neutralise('Plain 名字') == 'Plain 名字' and neutralise(12) == 12


def test_leads_csv_has_bom_chinese_and_no_formulas(desk: Desk, team: tuple) -> None:
    manager, _, _ = team
    rows = read_csv(desk.export.export_list(manager, 'leads', 'csv'))
    assert sorted(r['name'] for r in rows) == sorted("'" + v for v in HOSTILE)
    assert {r['company'] for r in rows} == {'杭州云帆科技有限公司'}
    assert {r['owner'] for r in rows} == {'李娜', 'Zhao'}


def test_leads_xlsx_rows_match_and_times_are_local(desk: Desk, team: tuple, clock: FakeClock) -> None:
    manager, li, _ = team
    contacted = desk.leads.inbox(li)[0][0].id
    clock.advance(hours=1)
    desk.leads.log_activity(li, contacted, kind='call')  # one contact time among empty ones (NaT in pandas)
    rows = read_xlsx(desk.export.export_list(manager, 'leads', 'xlsx'))
    assert sorted(str(r['name']) for r in rows) == sorted("'" + v for v in HOSTILE)
    assert {r['created_at'] for r in rows} == {'2026-03-02 17:00:00'}  # 09:00 UTC in Shanghai
    assert sorted(r['first_contact_at'] or '' for r in rows) == ['', '', '', '2026-03-02 18:00:00']


def test_rep_exports_only_own_records(desk: Desk, team: tuple) -> None:
    _, li, _ = team
    rows = read_csv(desk.export.export_list(li, 'leads', 'csv'))
    assert len(rows) == 2 and {r['owner'] for r in rows} == {'李娜'}


def test_list_export_follows_the_report_filter(desk: Desk, team: tuple) -> None:
    manager, _, zhao = team
    march = ReportFilter(start=date(2026, 3, 1), end=date(2026, 3, 31), owner_id=zhao.id)
    assert len(read_csv(desk.export.export_list(manager, 'leads', 'csv', march))) == 2
    february = ReportFilter(start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert read_csv(desk.export.export_list(manager, 'leads', 'csv', february)) == []


def test_panel_export_holds_the_panel_numbers(desk: Desk, team: tuple) -> None:
    manager, _, _ = team
    today = ReportFilter(start=date(2026, 3, 2), end=date(2026, 3, 2))
    funnel = read_csv(desk.export.export_report(manager, today, 'csv', 'funnel'))
    assert [(r['step'], r['count']) for r in funnel][:2] == [('captured', '4'), ('contacted', '0')]
    book = read_xlsx(desk.export.export_report(manager, today, 'xlsx'), 'conversion_by_source')
    assert [(r['key'], r['captured']) for r in book] == [('ads', 4)]


def test_money_exports_in_yuan(desk: Desk, team: tuple) -> None:
    manager, li, _ = team
    make_opportunity(desk, li, company='Acme', amount='12500.50')
    rows = read_csv(desk.export.export_list(manager, 'opportunities', 'csv'))
    assert [(r['amount'], r['stage'], r['owner']) for r in rows] == [('12500.50', 'Needs confirmed', '李娜')]


def test_unknown_list_or_format_is_refused(desk: Desk, team: tuple) -> None:
    manager, _, _ = team
    with pytest.raises(ValidationFailed):
        desk.export.export_list(manager, 'users', 'csv')
    with pytest.raises(ValidationFailed):
        desk.export.export_list(manager, 'leads', 'pdf')


def test_cli_writes_an_xlsx_whose_rows_match(tmp_path: Path) -> None:
    desk = factories.make_desk(tmp_path / 'leaddesk.db', FakeClock())
    rep = factories.user(desk, Role.REP, name='Rep')
    for name in ('Alpha', '=cmd'):
        desk.leads.capture_lead(factories.lead_data(name=name), channel='manual', default_source='manual',
                                actor=rep, keep_for_actor=True)
    desk.ctx.engine.dispose()
    out = tmp_path / 'leads.xlsx'
    done = run_cli(['export', 'leads', '--format', 'xlsx', '-o', str(out), '--since', '2026-03-01'], tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(str(r['name']) for r in read_xlsx(out)) == ["'=cmd", 'Alpha']
    later = tmp_path / 'later.csv'
    assert run_cli(['export', 'leads', '-o', str(later), '--since', '2099-01-01'], tmp_path).returncode == 0
    assert read_csv(later.read_bytes()) == []
    assert run_cli(['export', 'users', '-o', str(later)], tmp_path).returncode == 2


def test_cli_writes_custom_columns_in_the_language_asked(tmp_path: Path) -> None:
    desk = factories.make_desk(tmp_path / 'leaddesk.db', FakeClock())
    desk.custom_fields.define_field(None, entity='lead', key='vip', type='yes_no', label_zh='重点客户', label_en='VIP')
    desk.leads.capture_lead(factories.lead_data(name='Alpha', custom={'vip': True}), channel='manual',
                            default_source='manual')
    desk.ctx.engine.dispose()
    out = tmp_path / 'leads.csv'
    for language, header, value in (('en', 'VIP', 'Yes'), ('zh-CN', '重点客户', '是')):
        done = run_cli(['export', 'leads', '-o', str(out), '--lang', language], tmp_path)
        assert done.returncode == 0, done.stderr
        assert [r[header] for r in read_csv(out.read_bytes())] == [value]


def test_xlsx_writer_keeps_kinds_and_text_a_spreadsheet_reads() -> None:
    """core/reports/xlsx.py's workbook (pyexcelerate), read back with openpyxl: numbers stay numbers (money exact),
    markup and Chinese stay text, characters XML cannot carry are dropped, missing cells stay
    empty, and a sheet with no rows still has its header."""
    from zoneinfo import ZoneInfo

    import pandas as pd

    from core.reports.export import to_xlsx

    frame = pd.DataFrame({'id': [1, 2, 3], 'name': ['张三 <b>&amp;</b>', None, '=cmd\x01 x '],
                          'amount_cents': [12345, None, 7], 'owner_id': [4, None, 5], 'flag': [True, False, None],
                          'none': [None] * 3, 'mixed': [1, 'a', None]})
    data = to_xlsx({'leads': frame, 'an empty sheet & more': pd.DataFrame({'a': []})}, ZoneInfo('Asia/Shanghai'))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ['leads', 'an empty sheet _ more']  # & [ ] : * ? / \\ are not kept
    assert [list(r) for r in book['leads'].iter_rows(values_only=True)] == [
        ['id', 'name', 'amount', 'owner_id', 'flag', 'none', 'mixed'],
        [1, '张三 <b>&amp;</b>', 123.45, 4, True, None, 1],
        [2, None, None, None, False, None, 'a'],
        [3, "'=cmd x ", 0.07, 5, None, None, None]]
    assert [list(r) for r in book['an empty sheet _ more'].iter_rows(values_only=True)] == [['a']]
    assert len(list(openpyxl.load_workbook(io.BytesIO(data), read_only=True)['leads'].iter_rows())) == 4
