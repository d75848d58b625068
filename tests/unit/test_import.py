"""Importing real-shaped files: each row's fate checked in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.imports.file import detect_encoding
from core.imports.limits import UnreadableFile
from core.imports.views import progress_of
from store.models import Activity, AuditEntry, ImportJob, ImportRow, Lead, Notification, Role
from tests import factories
from tests.unit.db import rows


def csv_bytes(lines: list[list[str]], encoding: str) -> bytes:
    return '\r\n'.join(','.join(cells) for cells in lines).encode(encoding)


def xlsx_bytes(tmp_path: Path, sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, lines in sheets.items():
        sheet = book.create_sheet(title)
        for line in lines:
            sheet.append(line)
    path = tmp_path / 'book.xlsx'
    book.save(path)
    return path.read_bytes()


def run_import(desk: Desk, name: str, data: bytes, *, sheet: str | None = None, **options: object) -> int:
    actor = factories.admin(desk)
    draft = desk.imports.upload(actor, name, data)
    if sheet is not None:
        draft = desk.imports.draft(actor, draft.job_id, sheet=sheet)
    desk.imports.start(actor, draft.job_id, draft.mapping, dict(options), background=False)
    return draft.job_id


def fates(desk: Desk, job_id: int) -> dict[int, tuple[str, int | None, dict | None]]:
    return {r.row_number: (r.outcome, r.lead_id, r.errors) for r in rows(desk, ImportRow, ImportRow.job_id == job_id)}


GBK_ROWS = [
    ['姓名', '手机', '公司名称', '邮箱', '来源', '省份'],
    ['张伟', '13800138001', '深圳腾达科技有限公司', 'zhang@tengda.cn', '展会', '广东'],
    ['李娜', '139 0013 8002', '杭州云帆', '', '官网', '浙江'],
    ['', '13700137003', '无名公司', '', '', ''],
    ['王芳', '123', '', '', '广告', ''],
]


def test_gbk_csv_with_chinese_headers_is_detected_mapped_and_imported(desk: Desk) -> None:
    factories.user(desk, Role.REP, name='Rep Li')
    data = csv_bytes(GBK_ROWS, 'gbk')
    assert detect_encoding(data) == 'gb18030'
    draft = desk.imports.upload(factories.admin(desk), 'leads.csv', data)
    assert draft.encoding == 'gb18030'
    assert draft.headers[0] == '姓名'
    assert draft.mapping == ['name', 'phone', 'company', 'email', 'source', 'region']
    desk.imports.start(factories.admin(desk), draft.job_id, draft.mapping, background=False)
    fate = fates(desk, draft.job_id)
    assert [fate[n][0] for n in (2, 3, 4, 5)] == ['created', 'created', 'failed', 'failed']
    assert fate[4][2] == {'name': 'required'}
    assert fate[5][2] == {'phone': 'invalid_phone'}
    zhang = rows(desk, Lead, Lead.id == fate[2][1])[0]
    assert (zhang.name, zhang.phone_norm, zhang.company, zhang.source, zhang.region) == (
        '张伟', '+8613800138001', '深圳腾达科技有限公司', 'trade_show', '广东')
    assert zhang.owner_id is not None and zhang.status == 'assigned'
    li = rows(desk, Lead, Lead.id == fate[3][1])[0]
    assert li.source == 'website' and li.phone_norm == '+8613900138002'
    job = rows(desk, ImportJob)[0]
    assert (job.status, job.total_rows, job.rows_done, job.created_count, job.failed_count) == ('done', 4, 4, 2, 2)


def test_utf8_bom_csv_reads_clean_headers_and_joins_an_existing_lead(desk: Desk) -> None:
    existing = desk.leads.capture_lead({'name': 'Chen Jie', 'phone': '13600136000'}, channel='manual',
                                       default_source='manual')
    data = csv_bytes([['联系人', '手机号码', 'Email', '渠道'],
                      ['陈杰', '+86 136-0013-6000', 'chen@example.com', '推荐'],
                      ['Anna', '', 'anna@example.com', '']], 'utf-8-sig')
    assert data.startswith(b'\xef\xbb\xbf')
    job_id = run_import(desk, 'bom.csv', data)
    fate = fates(desk, job_id)
    assert fate[2][:2] == ('joined', existing.lead_id)
    assert fate[3][0] == 'created'
    joined = rows(desk, Lead, Lead.id == existing.lead_id)[0]
    assert joined.email == 'chen@example.com' and joined.touch_count == 1  # empty field filled, touch counted
    anna = rows(desk, Lead, Lead.id == fate[3][1])[0]
    assert anna.source == 'import'  # no source in the row: the default
    touch = rows(desk, Activity, Activity.lead_id == existing.lead_id, Activity.kind == 'touch')
    assert touch[0].source == 'referral'


def test_xlsx_second_sheet_is_chosen_and_numbers_read_as_typed(desk: Desk, tmp_path: Path) -> None:
    data = xlsx_bytes(tmp_path, {
        '说明': [['请在第二页填写线索'], ['这一页不导入']],
        '线索': [['客户姓名', '联系电话', '单位', '城市'],
                 ['赵敏', 13500135000, '北京星河股份有限公司', '北京'],
                 [None, None, None, None],
                 ['孙亮', 13400134000.0, 'Acme Co., Ltd.', '上海']],
    })
    actor = factories.admin(desk)
    draft = desk.imports.upload(actor, 'book.xlsx', data)
    assert draft.sheets == ['说明', '线索'] and draft.sheet == '说明'
    draft = desk.imports.draft(actor, draft.job_id, sheet='线索')
    assert draft.mapping == ['name', 'phone', 'company', 'city'] and draft.total_rows == 2
    desk.imports.start(actor, draft.job_id, draft.mapping, background=False)
    fate = fates(desk, draft.job_id)
    assert sorted(fate) == [2, 4]  # the blank spreadsheet row 3 is not a row
    leads = {lead.name: lead for lead in rows(desk, Lead)}
    assert leads['赵敏'].phone == '13500135000' and leads['赵敏'].company_norm == '北京星河'
    assert leads['孙亮'].phone_norm == '+8613400134000' and leads['孙亮'].city == '上海'


def test_crm_export_joins_first_and_last_name_and_maps_its_columns(desk: Desk) -> None:
    data = csv_bytes([['Lead ID', 'First Name', 'Last Name', 'Mobile', 'Email', 'Company', 'Lead Source', 'Title'],
                      ['00Q1', 'Ada', 'Lovelace', '', 'ada@engine.co.uk', 'Analytical Engines Ltd', 'Trade Show',
                       'CTO'],
                      ['00Q2', '明', '李', '13100131000', '', '', 'Web', ''],
                      ['00Q3', 'Grace', 'Hopper', '', 'grace@navy.mil', '', 'Carrier Pigeon', '']], 'utf-8')
    job_id = run_import(desk, 'salesforce.csv', data)
    by_name = {lead.name: lead for lead in rows(desk, Lead)}
    assert set(by_name) == {'Ada Lovelace', '李明', 'Grace Hopper'}
    ada = by_name['Ada Lovelace']
    assert (ada.external_id, ada.email, ada.company, ada.source, ada.title) == (
        '00Q1', 'ada@engine.co.uk', 'Analytical Engines Ltd', 'trade_show', 'CTO')
    assert by_name['李明'].source == 'website'
    grace = by_name['Grace Hopper']
    assert grace.source == 'import' and grace.campaign == 'Carrier Pigeon'  # unknown source kept, default used
    assert [f[0] for f in fates(desk, job_id).values()] == ['created'] * 3


def test_bad_rows_fail_with_reasons_and_come_back_as_csv(desk: Desk) -> None:
    data = csv_bytes([['姓名', '手机', '邮箱'],
                      ['好人', '13000130000', ''],
                      ['', '13000130001', ''],
                      ['坏邮箱', '', 'not-an-email'],
                      ['没联系方式', '', ''],
                      ['好人', '13000130000', ''],
                      ['X' * 250, '13000130002', '']], 'utf-8')
    job_id = run_import(desk, 'bad.csv', data)
    fate = fates(desk, job_id)
    assert fate[2][0] == 'created'
    assert fate[3] == ('failed', None, {'name': 'required'})
    assert fate[4] == ('failed', None, {'email': 'invalid_email'})
    assert fate[5] == ('failed', None, {'phone': 'phone_or_email'})
    assert fate[6][:2] == ('joined', fate[2][1])  # the same person twice in one file: one lead
    assert fate[7] == ('failed', None, {'name': 'too_long'})
    assert len(rows(desk, Lead)) == 1
    report = desk.imports.report(factories.admin(desk), job_id)
    assert [line.row_number for line in report.failed] == [3, 4, 5, 7]
    assert [line.lead_id for line in report.joined] == [fate[2][1]]
    text = desk.imports.failed_csv(factories.admin(desk), job_id).decode('utf-8-sig').splitlines()
    assert text[0] == 'row,姓名,手机,邮箱,problems'
    assert text[1] == '3,,13000130001,,name: required'
    assert text[2] == '4,坏邮箱,,not-an-email,email: invalid_email'


def test_failed_rows_csv_neutralises_formula_cells_after_the_upload_is_gone(desk: Desk) -> None:
    """A hostile upload must not become a formula run on the machine of whoever fixes the rows."""
    data = csv_bytes([['=HEADER()', 'phone', 'email'],
                      ['=cmd|\' /C calc\'!A0', '', '@SUM(1)'],
                      ['', '+8613000130001', '-1+1'],
                      ['Plain', '', 'not-an-email']], 'utf-8')
    actor = factories.admin(desk)
    draft = desk.imports.upload(actor, 'evil.csv', data)
    desk.imports.start(actor, draft.job_id, ['name', 'phone', 'email'], background=False)
    assert not Path(rows(desk, ImportJob)[0].file_path).exists()
    text = desk.imports.failed_csv(actor, draft.job_id).decode('utf-8-sig').splitlines()
    assert text[0] == "row,'=HEADER(),phone,email,problems"
    assert text[1] == "2,'=cmd|' /C calc'!A0,,'@SUM(1),email: invalid_email"
    assert text[2] == "3,,'+8613000130001,'-1+1,name: required; email: invalid_email"
    assert text[3] == '4,Plain,,not-an-email,email: invalid_email'


def test_duplicates_can_be_skipped_or_only_fill_fields(desk: Desk) -> None:
    first = desk.leads.capture_lead({'name': 'Wu', 'phone': '13200132000'}, channel='manual', default_source='manual')
    data = csv_bytes([['name', 'phone', 'company'], ['Wu', '13200132000', 'Wu Trading']], 'utf-8')
    skipped = run_import(desk, 'a.csv', data, duplicates='skip')
    assert fates(desk, skipped)[2][:2] == ('skipped', first.lead_id)
    assert rows(desk, Lead)[0].company is None
    filled = run_import(desk, 'b.csv', data, duplicates='fill')
    assert fates(desk, filled)[2][:2] == ('joined', first.lead_id)
    lead = rows(desk, Lead)[0]
    assert lead.company == 'Wu Trading' and lead.touch_count == 0
    assert rows(desk, Activity, Activity.kind == 'touch') == []


def test_to_pool_and_to_one_rep(desk: Desk) -> None:
    li = factories.user(desk, Role.REP, name='Rep Li')
    factories.user(desk, Role.REP, name='Rep Zhao')
    data = csv_bytes([['name', 'phone']] + [[f'P{i}', f'1310013{i:04d}'] for i in range(4)], 'utf-8')
    pooled = run_import(desk, 'p.csv', data, assign='pool')
    assert {(lead.status, lead.owner_id) for lead in rows(desk, Lead)} == {('pool', None)}
    assert rows(desk, Notification) == []  # the importer chose the pool: nobody is alarmed
    data = csv_bytes([['name', 'phone']] + [[f'R{i}', f'1320013{i:04d}'] for i in range(3)], 'utf-8')
    to_li = run_import(desk, 'r.csv', data, assign='rep', rep_id=li.id)
    ids = [f[1] for f in fates(desk, to_li).values()]
    assert {lead.owner_id for lead in rows(desk, Lead, Lead.id.in_(ids))} == {li.id}
    told = rows(desk, Notification, Notification.user_id == li.id)
    assert [(n.key, n.params) for n in told] == [('notify.assigned_many', {'count': 3})]  # once per batch
    assert pooled != to_li


def test_rules_assignment_spreads_a_batch_by_the_kept_loads(desk: Desk) -> None:
    a = factories.user(desk, Role.REP, name='A', capacity=3)
    b = factories.user(desk, Role.REP, name='B', capacity=3)
    data = csv_bytes([['name', 'phone']] + [[f'L{i}', f'1330013{i:04d}'] for i in range(8)], 'utf-8')
    run_import(desk, 'l.csv', data)
    owners = [lead.owner_id for lead in rows(desk, Lead)]
    assert owners.count(a.id) == 3 and owners.count(b.id) == 3 and owners.count(None) == 2
    assigned = rows(desk, AuditEntry, AuditEntry.action == 'assigned')
    assert len(assigned) == 6
    from store.models import User

    assert {u.open_leads for u in rows(desk, User, User.role == 'rep')} == {3}


def test_leads_an_import_leaves_in_the_pool_reach_managers_in_the_timers_summary_only(desk: Desk) -> None:
    factories.user(desk, Role.REP, name='A', capacity=1)
    boss = factories.admin(desk)
    data = csv_bytes([['name', 'phone']] + [[f'L{i}', f'1340013{i:04d}'] for i in range(4)], 'utf-8')
    run_import(desk, 'l.csv', data)
    assert rows(desk, Notification, Notification.user_id == boss.id) == []
    desk.automation.tick()
    told = rows(desk, Notification, Notification.user_id == boss.id)
    assert [(n.key, n.params['count']) for n in told] == [('notify.pool_summary', 3)]


def test_preview_shows_rows_as_stored_with_problems_and_writes_nothing(desk: Desk) -> None:
    existing = desk.leads.capture_lead({'name': 'Old', 'phone': '13800138001'}, channel='manual',
                                       default_source='manual')
    actor = factories.admin(desk)
    draft = desk.imports.upload(actor, 'leads.csv', csv_bytes(GBK_ROWS, 'gbk'))
    preview = desk.imports.preview(actor, draft.job_id, draft.mapping, {'default_source': 'trade_show'})
    assert preview.total_rows == 4 and preview.problem_rows == 2
    first, second, third, fourth = preview.rows
    assert first.values['phone_norm'] == '+8613800138001' and first.duplicate_of == existing.lead_id
    assert second.problems == {} and second.values['source'] == 'website'
    assert third.problems == {'name': 'required'} and fourth.problems == {'phone': 'invalid_phone'}
    assert len(rows(desk, Lead)) == 1


def test_mapping_without_a_name_is_refused(desk: Desk) -> None:
    actor = factories.admin(desk)
    draft = desk.imports.upload(actor, 'x.csv', csv_bytes(GBK_ROWS, 'gbk'))
    with pytest.raises(ValidationFailed) as e:
        desk.imports.start(actor, draft.job_id, [None, 'phone', None, None, None, None], background=False)
    assert e.value.errors == {'mapping': 'no_name'}


def test_template_is_saved_and_applied_to_the_next_file(desk: Desk) -> None:
    actor = factories.admin(desk)
    headers = ['客户', '号码', '备注']
    data = csv_bytes([headers, ['甲', '13000130009', 'x']], 'utf-8')
    draft = desk.imports.upload(actor, 'odd.csv', data)
    assert draft.mapping == [None, None, 'message']
    desk.imports.save_template(actor, 'Odd export', headers, ['name', 'phone', 'message'])
    again = desk.imports.upload(actor, 'odd2.csv', data)
    assert again.mapping == ['name', 'phone', 'message']
    assert desk.imports.templates(actor)[0][1] == 'Odd export'


def test_reps_may_not_import_and_broken_files_are_refused(desk: Desk) -> None:
    rep = factories.user(desk, Role.REP)
    with pytest.raises(NotAllowed):
        desk.imports.upload(rep, 'a.csv', b'name\nx\n')
    marketing = factories.user(desk, Role.MARKETING)
    with pytest.raises(UnreadableFile):
        desk.imports.upload(marketing, 'empty.csv', b'\r\n\r\n')
    with pytest.raises(UnreadableFile):
        desk.imports.upload(marketing, 'broken.xlsx', b'PK\x03\x04 not really a zip')


def test_batches_commit_progress_and_a_resume_skips_committed_rows(desk: Desk) -> None:
    desk.imports.batch_rows = 3
    actor = factories.admin(desk)
    data = csv_bytes([['name', 'phone']] + [[f'N{i}', f'1340013{i:04d}'] for i in range(10)], 'utf-8')
    draft = desk.imports.upload(actor, 'n.csv', data)
    desk.imports.start(actor, draft.job_id, draft.mapping, background=False)
    job = rows(desk, ImportJob)[0]
    assert job.rows_done == 10 and job.created_count == 10
    assert not Path(job.file_path).exists()  # done: the upload (personal data) is deleted
    # a job that dies after its second batch keeps its file and resumes at row 7
    data = csv_bytes([['name', 'phone']] + [[f'M{i}', f'1350013{i:04d}'] for i in range(10)], 'utf-8')
    draft = desk.imports.upload(actor, 'm.csv', data)
    stops = iter([False, True])

    def dies_after_the_second_batch(_progress: object) -> None:
        if next(stops, False):
            raise RuntimeError('process died')

    desk.imports.start(actor, draft.job_id, draft.mapping, background=False, on_progress=dies_after_the_second_batch)
    job = rows(desk, ImportJob, ImportJob.id == draft.job_id)[0]
    assert (job.status, job.rows_done) == ('failed', 6)
    assert Path(job.file_path).exists()  # kept for the resume
    desk.imports.resume(actor, draft.job_id, background=False)
    job = rows(desk, ImportJob, ImportJob.id == draft.job_id)[0]
    assert (job.status, job.rows_done, job.created_count, job.joined_count) == ('done', 10, 10, 0)
    assert len(rows(desk, Lead)) == 20  # no row imported twice, none lost
    assert not Path(job.file_path).exists()


def test_batch_dedupe_prefers_an_open_lead_like_single_capture(desk: Desk) -> None:
    manager = factories.user(desk, Role.MANAGER)
    closed = desk.leads.capture_lead({'name': 'Old', 'phone': '13500135000'}, channel='manual',
                                     default_source='manual')
    desk.leads.disqualify_lead(manager, closed.lead_id, reason='no budget')
    open_lead = desk.leads.capture_lead({'name': 'New', 'email': 'new@firm.cn'}, channel='manual',
                                        default_source='manual')
    desk.imports.batch_rows = 2
    data = csv_bytes([['name', 'phone', 'email'], ['X', '13500135000', 'new@firm.cn'], ['Y', '13600136000', ''],
                      ['Y again', '136 0013 6000', '']], 'utf-8')
    job_id = run_import(desk, 'd.csv', data)
    fate = fates(desk, job_id)
    assert fate[2][:2] == ('joined', open_lead.lead_id)
    assert fate[3][0] == 'created'
    assert fate[4][:2] == ('joined', fate[3][1])  # a duplicate in the next batch finds the one just created


def test_cancel_stops_after_the_batch_in_progress(desk: Desk) -> None:
    desk.imports.batch_rows = 4
    actor = factories.admin(desk)
    data = csv_bytes([['name', 'phone']] + [[f'C{i}', f'1370013{i:04d}'] for i in range(12)], 'utf-8')
    draft = desk.imports.upload(actor, 'c.csv', data)
    desk.imports.start(actor, draft.job_id, draft.mapping, background=False,
                       on_progress=lambda p: desk.imports.cancel(actor, p.job_id))
    job = rows(desk, ImportJob)[0]
    assert (job.status, job.rows_done, job.created_count) == ('cancelled', 4, 4)
    assert len(rows(desk, Lead)) == 4


def test_background_run_finishes_in_a_worker_thread(desk: Desk) -> None:
    actor = factories.admin(desk)
    data = csv_bytes([['name', 'phone']] + [[f'B{i}', f'1380013{i:04d}'] for i in range(5)], 'utf-8')
    draft = desk.imports.upload(actor, 'b.csv', data)
    started = desk.imports.start(actor, draft.job_id, draft.mapping)
    assert started.status in ('running', 'done')
    desk.imports.join(draft.job_id, timeout=60)
    done = desk.imports.progress(actor, draft.job_id)
    assert (done.status, done.done, done.total, done.created, done.percent) == ('done', 5, 5, 5, 100.0)


def test_an_external_id_held_by_another_lead_fails_the_row_not_the_batch(desk: Desk) -> None:
    desk.leads.capture_lead({'name': 'Held', 'phone': '13100131000', 'external_id': 'CRM-1'}, channel='api',
                            default_source='api')
    with pytest.raises(ValidationFailed) as e:  # the single path refuses it too (it used to hit the unique index)
        desk.leads.capture_lead({'name': 'Other', 'phone': '13100131001', 'external_id': 'CRM-1'},
                                channel='api', default_source='api')
    assert e.value.errors == {'external_id': 'taken'}
    data = csv_bytes([['name', 'phone', 'Lead ID'], ['Other', '13100131001', 'CRM-1'],
                      ['Fine', '13100131002', 'CRM-2']], 'utf-8')
    fate = fates(desk, run_import(desk, 'e.csv', data))
    assert fate[2] == ('failed', None, {'external_id': 'taken'}) and fate[3][0] == 'created'
    # two new rows of one batch with one id: the second is refused before the batch's one insert
    data = csv_bytes([['name', 'phone', 'Lead ID'], ['First', '13100131003', 'CRM-3'],
                      ['Second', '13100131004', 'CRM-3']], 'utf-8')
    fate = fates(desk, run_import(desk, 'f.csv', data))
    assert fate[2][0] == 'created' and fate[3] == ('failed', None, {'external_id': 'taken'})


def test_rows_validated_by_the_worker_process_equal_the_capture_paths_own() -> None:
    """core/imports/worker.py validates batch n + 1 in a child process: every row's fields or field
    errors must be what the capture path would have found itself."""
    from core.capture.clean import validate
    from core.imports.mapping import row_data
    from core.imports.worker import Validator

    mapping = ['name', 'phone', 'email', 'source', 'company']
    cells = [['张伟', '138 0013 8001', 'ZW@Example.cn', '展会', '深圳腾达科技有限公司'],
             ['', '13700137003', '', '', ''], ['王芳', '123', 'not-mail', '广告', ''],
             ['<img src=x onerror=alert(1)>', '', 'a@b.cn', 'nonsense', 'ACME Co., Ltd.']]
    with Validator(enabled=True, mapping=mapping, default_source='import', region='CN') as worker:
        assert worker.submit(cells)
        got = worker.take()
    assert got is not None and len(got) == len(cells)
    for row, outcome in zip(cells, got, strict=True):
        try:
            expected: object = validate(row_data(row, mapping)[0], default_source='import', region='CN')
        except ValidationFailed as e:
            expected = e.errors
        assert (outcome.errors if isinstance(outcome, ValidationFailed) else outcome) == expected


def test_an_import_of_many_batches_ends_the_same_with_or_without_the_worker(desk: Desk, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from core.imports import jobs as imports

    factories.user(desk, Role.REP, name='Rep Li')
    desk.imports.batch_rows = 4
    lines = [['name', 'phone', 'email']] + [[f'N{i}' if i % 7 else '', f'1360013{i % 23:04d}', f'n{i}@x.cn']
                                            for i in range(30)]
    first = fates(desk, run_import(desk, 'a.csv', csv_bytes(lines, 'utf-8')))
    other = factories.make_desk(tmp_path / 'other.db', desk.ctx.clock)
    other.ctx.settings.data_dir = tmp_path / 'other'
    factories.user(other, Role.REP, name='Rep Li')
    other.imports.batch_rows = 4
    monkeypatch.setattr(imports, 'WORKER_MIN_BATCHES', 10_000)  # every row validated in this process
    second = fates(other, run_import(other, 'a.csv', csv_bytes(lines, 'utf-8')))
    def outcomes(fate: dict[int, tuple[str, int | None, dict | None]]) -> dict[int, tuple[str, dict | None]]:
        return {row: (outcome, errors) for row, (outcome, _lead, errors) in fate.items()}  # ids differ by engine

    assert outcomes(first) == outcomes(second)
    assert {outcome for outcome, _, _ in first.values()} == {'created', 'joined', 'failed'}
    assert sorted(lead.name for lead in rows(desk, Lead)) == sorted(lead.name for lead in rows(other, Lead))


def test_the_rate_runs_with_the_clock_while_running_and_freezes_when_the_job_ends() -> None:
    start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    job = ImportJob(id=1, file_name='a.csv', file_path='x', status='running', total_rows=1000, rows_done=600,
                    run_started_at=start, run_started_rows=0, updated_at=start + timedelta(seconds=3))
    assert progress_of(job, start + timedelta(seconds=6)).rate == 100
    job.status, job.rows_done, job.updated_at = 'done', 1000, start + timedelta(seconds=10)
    for later in (10, 60, 3600):
        assert progress_of(job, start + timedelta(seconds=later)).rate == 100  # the final rate, kept
    job.status = 'cancelled'
    assert progress_of(job, start + timedelta(hours=2)).rate == 100
    job.status = 'interrupted'  # start-up stamped it: when the run stopped is not known
    assert progress_of(job, start + timedelta(hours=2)).rate is None
