"""Custom fields on the import page (a target named by its label, a bad value's problem named by
it) and in the reports page's list export (a column headed by the label in the page's language)."""

from __future__ import annotations

import csv
import io

from nicegui import ui
from nicegui.testing import User

from store.models import Lead
from tests.ui.conftest import Team, login
from tests.ui.test_import_page import upload, wait_for_text
from tests.ui.test_reports_page import text_of
from tests.unit.db import rows

CSV = '姓名,手机,门店数\n张伟,13800138001,12\n李娜,13900138002,many\n'


async def test_a_custom_column_is_mapped_by_its_label_and_a_bad_value_named(user: User, team: Team) -> None:
    team.desk.custom_fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数',
                                         label_en='Store count')
    await login(user, team.manager.email)
    await user.open('/import')
    await upload(user, 'leads.csv', CSV.encode('utf-8'))
    await user.should_see(marker='import-map-2', retries=60)
    select = next(iter(user.find(marker='import-map-2').elements))
    assert isinstance(select, ui.select)
    assert select.value == 'custom.stores' and select.options['custom.stores'] == 'Store count'
    user.find(marker='import-preview').click()
    await user.should_see(marker='import-preview-table', retries=60)
    table = next(iter(user.find(marker='import-preview-table').elements))
    assert isinstance(table, ui.table)
    assert [r['problems'] for r in table.rows] == ['', 'Store count: Enter a number']
    user.find(marker='import-run').click()
    await wait_for_text(user, 'import-counts', 'Created 1 · joined existing 0 · skipped 0 · failed 1')
    await user.should_see(marker='import-failed-table', retries=60)
    failed = next(iter(user.find(marker='import-failed-table').elements))
    assert isinstance(failed, ui.table) and failed.rows == [{'row': 3, 'problems': 'Store count: Enter a number'}]
    assert [(lead.name, lead.custom) for lead in rows(team.desk, Lead)] == [('张伟', {'stores': 12})]

    await user.open('/reports')
    await text_of(user, 'line-funnel-0')
    user.find(marker='export-list-leads-csv').click()
    response = await user.download.next(timeout=5)
    exported = list(csv.DictReader(io.StringIO(response.content.decode('utf-8-sig'))))
    assert [(r['name'], r['Store count']) for r in exported] == [('张伟', '12')]
