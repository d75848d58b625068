"""The import page: upload, mapping, preview with problems, run, progress, report."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User

from store.engine import read_session
from store.models import ImportJob, Lead, Role
from tests import factories
from tests.ui.conftest import Team, login
from tests.unit.db import rows

GBK = '姓名,手机,公司名称,来源\n张伟,13800138001,腾达科技,展会\n,13700137003,无名,\n李娜,13900138002,云帆,官网\n'


async def upload(user: User, name: str, data: bytes) -> None:
    await user.should_see(marker='import-upload')
    element = user.find(marker='import-upload').elements.pop()
    assert isinstance(element, ui.upload)
    await element.handle_uploads([SmallFileUpload(name=name, content_type='text/csv', _data=data)])


async def wait_for_text(user: User, marker: str, expected: str, tries: int = 100) -> str:
    await user.should_see(marker=marker, retries=60)
    text = ''
    for _ in range(tries):
        label = next(iter(user.find(marker=marker).elements))
        text = getattr(label, 'text', '')
        if expected in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f'{marker}: {text!r} never contained {expected!r}')


async def test_manager_uploads_maps_previews_runs_and_reads_the_report(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/import')
    await upload(user, 'leads.csv', GBK.encode('gbk'))
    await user.should_see(marker='import-map-0', retries=60)
    mapping = [next(iter(user.find(marker=f'import-map-{i}').elements)).value for i in range(4)]
    assert mapping == ['name', 'phone', 'company', 'source']
    await user.should_see('leads.csv: 3 rows (gb18030)')
    user.find(marker='import-preview').click()
    await user.should_see(marker='import-preview-table', retries=60)
    await user.should_see('First 3 of 3 rows as they will be stored: 1 with problems')
    table = next(iter(user.find(marker='import-preview-table').elements))
    assert isinstance(table, ui.table)
    assert [(r['row'], r['name'], r['phone_norm'], r['problems']) for r in table.rows] == [
        (2, '张伟', '+8613800138001', ''), (3, '', '13700137003', 'Name: Required'), (4, '李娜', '+8613900138002', '')]
    assert rows(team.desk, Lead) == []  # the preview wrote nothing
    user.find(marker='import-run').click()
    await wait_for_text(user, 'import-status', 'Done')
    assert await wait_for_text(user, 'import-counts', 'Created 2') == \
        'Created 2 · joined existing 0 · skipped 0 · failed 1'
    assert '3 of 3 rows' in await wait_for_text(user, 'import-progress-text', '3 of 3')
    await user.should_see(marker='import-failed-table', retries=60)
    failed = next(iter(user.find(marker='import-failed-table').elements))
    assert isinstance(failed, ui.table) and failed.rows == [{'row': 3, 'problems': 'Name: Required'}]
    user.find(marker='import-download-failed').click()
    response = await user.download.next(timeout=5)
    assert response.content.decode('utf-8-sig').splitlines()[1] == '3,,13700137003,无名,,name: required'
    names = {lead.name: lead for lead in rows(team.desk, Lead)}
    assert set(names) == {'张伟', '李娜'} and names['张伟'].source == 'trade_show'
    assert {lead.owner_id for lead in names.values()} <= {team.rep_a.id, team.rep_b.id}


async def test_options_send_everything_to_one_rep_and_skip_duplicates(user: User, team: Team) -> None:
    existing = team.desk.leads.capture_lead({'name': 'Old', 'phone': '13800138001'}, channel='manual',
                                            default_source='manual')
    await login(user, team.manager.email)
    await user.open('/import')
    await upload(user, 'leads.csv', GBK.encode('gbk'))
    await user.should_see(marker='import-assign', retries=60)
    next(iter(user.find(marker='import-assign').elements)).set_value('rep')
    next(iter(user.find(marker='import-rep').elements)).set_value(team.rep_b.id)
    next(iter(user.find(marker='import-duplicates').elements)).set_value('skip')
    user.find(marker='import-run').click()
    await wait_for_text(user, 'import-status', 'Done')
    await wait_for_text(user, 'import-counts', 'Created 1 · joined existing 0 · skipped 1 · failed 1')
    await user.should_see(marker='import-skipped', retries=60)
    li = next(lead for lead in rows(team.desk, Lead) if lead.name == '李娜')
    assert li.owner_id == team.rep_b.id
    assert rows(team.desk, Lead, Lead.id == existing.lead_id)[0].company is None


async def test_an_interrupted_job_shows_resume_and_finishes(user: User, team: Team) -> None:
    desk = team.desk
    draft = desk.imports.upload(team.admin, 'big.csv',
                                ('name,phone\n' + ''.join(f'P{i},1350013{i:04d}\n' for i in range(30))).encode())
    desk.imports.batch_rows = 10
    from store.engine import session_scope

    def dies_after_the_first_batch(_progress: object) -> None:
        with session_scope(desk.ctx.engine) as s:  # as start-up leaves a job whose process died
            job = s.get(ImportJob, draft.job_id)
            assert job is not None
            if job.status == 'running':
                job.status = 'interrupted'

    desk.imports.start(team.admin, draft.job_id, draft.mapping, background=False,
                       on_progress=dies_after_the_first_batch)
    with read_session(desk.ctx.engine) as s:  # stopped after its first batch, the upload kept for the resume
        job = s.get(ImportJob, draft.job_id)
        assert job is not None and (job.status, job.rows_done) == ('interrupted', 10)
        assert Path(job.file_path).exists()
    await login(user, team.manager.email)
    await user.open(f'/import?job={draft.job_id}')
    await wait_for_text(user, 'import-status', 'Interrupted')
    user.find(marker='import-resume').click()
    await wait_for_text(user, 'import-status', 'Done')
    with read_session(desk.ctx.engine) as s:
        assert s.get(ImportJob, draft.job_id).status == 'done'  # type: ignore[union-attr]


async def test_rep_is_refused_and_marketing_sees_the_nav_link(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/import')
    await user.should_see(marker='not-allowed')
    await user.should_not_see(marker='import-upload')
    marketing = factories.user(team.desk, Role.MARKETING, name='Mia')
    user.find(marker='logout').click()
    await user.should_see(marker='login-submit', retries=50)  # /logout answered: signed out
    await login(user, marketing.email)
    await user.open('/import')
    await user.should_see(marker='import-upload')
    await user.should_see('Import')


async def test_unreadable_file_is_reported(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/import')
    await upload(user, 'old.xls', b'\xd0\xcf\x11\xe0rest of an old excel file')
    await user.should_see('Old .xls format: save the file as XLSX or CSV', retries=60)


async def test_hostile_files_are_refused_with_their_reason(user: User, team: Team, tmp_path: Path) -> None:
    from tests.hostile_files import declared_huge_sheet

    await login(user, team.manager.email)
    await user.open('/import')
    await user.should_see('up to 100,000 rows and 50 MB')
    await upload(user, 'huge.xlsx', declared_huge_sheet(tmp_path / 'huge.xlsx').read_bytes())
    await user.should_see('The sheet declares 1,048,576 rows × 16,384 columns', retries=60)
    await upload(user, 'leads\x00.csv', b'name\nZhang Wei\n')
    await user.should_see('The file name contains a control character', retries=60)
    assert rows(team.desk, ImportJob) == []


async def test_refusals_read_in_chinese(user: User, team: Team, tmp_path: Path) -> None:
    from tests.hostile_files import zip_bomb

    user.http_client.headers['Accept-Language'] = 'zh-CN,zh;q=0.9'
    await login(user, team.manager.email)
    await user.open('/import')
    await user.should_see('最多 100,000 行、50 MB')
    await upload(user, 'bomb.xlsx', zip_bomb(tmp_path / 'bomb.xlsx', unpacked_mb=64).read_bytes())
    await user.should_see('此 XLSX 的压缩比为', retries=60)
    await upload(user, 'long.csv', b'name,notes\nZhang Wei,"' + b'x' * (130 * 1024) + b'"\n')
    await user.should_see('第 2 行有超过 128 KiB 的字段', retries=60)
    assert rows(team.desk, ImportJob) == []


async def test_uploader_names_the_chosen_file_and_its_size_not_zero_bytes(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/import')
    await user.should_see(marker='import-upload')
    element = user.find(marker='import-upload').elements.pop()
    header = element.slots['header'].template or ''
    assert 'No file chosen yet' in header and 'Choose a CSV or XLSX file' in header
    assert 'props.files[0].name' in header and 'props.files[0].__sizeLabel' in header  # Quasar's "12.3KB"
    assert 'uploadSizeLabel' not in header  # what showed "0.0B / 0.00%"
