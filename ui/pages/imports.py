"""Import leads (`/import`, managers, marketing and admins): upload a CSV or XLSX, correct the
column mapping, preview, choose options, run in the background, watch the progress bar and read
the report. The job id is in the URL (`/import?job=12`), so a reload shows the same job."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import events, run, ui
from nicegui.elements.upload_files import FileUpload

from core import permissions
from core.custom_fields import text as custom_text
from core.custom_fields.values import Definition
from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from core.imports.mapping import TARGETS
from core.imports.views import ImportDraft, ImportProgress, ImportReport
from store.models import Source, UserRef

from ..components.table import table_region
from ..errors import message
from ..format import when
from ..i18n import current_language, t
from ..marks import tid
from ..session import require_user
from ..theme import frame

POLL_SECONDS = 0.5
PREVIEW_FIELDS = ('name', 'phone_norm', 'email', 'company', 'source', 'region', 'city')
STATUS_COLORS = {'running': 'primary', 'done': 'positive', 'interrupted': 'warning', 'failed': 'negative',
                 'cancelled': 'grey', 'draft': 'grey', 'expired': 'grey'}


def _targets(custom: tuple[Definition, ...] = ()) -> dict[str, str]:
    """The built-in fields, then the active custom fields by their label in the page's language."""
    language = current_language()
    return {'': t('import.ignore'), **{f: t(f'import.field.{f}') for f in TARGETS},
            **{custom_text.target(d.key): custom_text.label(d, language) for d in custom if not d.is_retired}}


def _problems(errors: dict[str, str], custom: tuple[Definition, ...] = ()) -> str:
    labels = {custom_text.target(d.key): custom_text.label(d, current_language()) for d in custom}
    return '; '.join(f'{t("import.field." + f) if f in TARGETS else labels.get(f, f)}: {t("err.field." + c)}'
                     for f, c in errors.items())


def _progress_text(p: ImportProgress) -> str:
    rate = f'{p.rate:,.0f}' if p.rate else '—'
    eta = f'{p.eta_seconds:,.0f}' if p.eta_seconds is not None else '—'
    return t('import.progress', done=f'{p.done:,}', total=f'{p.total:,}', rate=rate, eta=eta)


async def _try(action: Any) -> Any:
    """Run a core call off the event loop; a refusal becomes a toast and None."""
    try:
        return await run.io_bound(action)
    except ValidationFailed as e:
        ui.notify('; '.join(f'{t("import.option." + f)}: {t("err.field." + c)}' for f, c in e.errors.items()),
                  type='negative')
    except DomainError as e:
        ui.notify(message(e), type='negative')
    return None


class Editor:
    """A draft: mapping, options, preview and the Run button."""

    def __init__(self, desk: Desk, user: UserRef, draft: ImportDraft, reps: list[tuple[int, str]],
                 templates: list[tuple[int, str]], *, custom: tuple[Definition, ...] = ()) -> None:
        self.desk, self.user, self.draft = desk, user, draft
        self.reps, self.templates, self.custom = reps, templates, custom
        self.selects: list[ui.select] = []

    def build(self) -> None:
        d = self.draft
        ui.label(t('import.file', name=d.file_name, rows=f'{d.total_rows:,}',
                   encoding=d.encoding or 'XLSX')).classes('text-subtitle1')
        if len(d.sheets) > 1:
            tid(ui.select(d.sheets, value=d.sheet, label=t('import.sheet'), on_change=self._sheet)
                .classes('w-64'), 'import-sheet')
        ui.label(t('import.mapping')).classes('text-h6')
        ui.label(t('import.mapping_hint')).classes('text-sm text-grey-7')
        # three columns on a desk; on a phone the column's name and sample side by side, its field under them
        with tid(ui.grid().classes('w-full grid-cols-2 sm:grid-cols-3 items-center gap-x-4 gap-y-1'),
                 'import-mapping'):
            for i, header in enumerate(d.headers):
                ui.label(header or t('import.column', n=i + 1)).classes('text-weight-medium min-w-0 break-words')
                sample = next((row[i] for row in d.sample if i < len(row) and row[i]), '')
                ui.label(sample[:40]).classes('text-grey-7 text-sm min-w-0 break-words')
                self.selects.append(tid(ui.select(_targets(self.custom), value=d.mapping[i] or '').props('dense')
                                        .classes('col-span-2 sm:col-span-1 w-full sm:w-56 max-sm:mb-2'),
                                        f'import-map-{i}'))
        with ui.row().classes('items-end gap-2'):
            if self.templates:
                tid(ui.select({tid_: name for tid_, name in self.templates}, label=t('import.template'),
                              on_change=self._apply_template).classes('w-56'), 'import-template')
            self.template_name = tid(ui.input(t('import.template_name')).props('dense maxlength=100'),
                                     'import-template-name')
            tid(ui.button(t('import.template_save'), on_click=self._save_template).props('flat'),
                'import-template-save')
        ui.label(t('import.options')).classes('text-h6')
        with ui.row().classes('items-start gap-6'):
            self.source = tid(ui.select({s.value: t(f'source.{s.value}') for s in Source}, value='import',
                                        label=t('import.option.default_source')).classes('w-48'), 'import-source')
            with ui.column().classes('gap-0'):
                ui.label(t('import.option.assign')).classes('text-sm text-grey-8')
                self.assign = tid(ui.radio({'rules': t('import.assign.rules'), 'rep': t('import.assign.rep'),
                                            'pool': t('import.assign.pool')}, value='rules'), 'import-assign')
                self.rep = tid(ui.select(dict(self.reps), label=t('import.option.rep_id')).classes('w-48'),
                               'import-rep')
                self.rep.bind_visibility_from(self.assign, 'value', value='rep')
            with ui.column().classes('gap-0'):
                ui.label(t('import.option.duplicates')).classes('text-sm text-grey-8')
                self.duplicates = tid(ui.radio({'touch': t('import.dup.touch'), 'fill': t('import.dup.fill'),
                                                'skip': t('import.dup.skip')}, value='touch'), 'import-duplicates')
        with ui.row().classes('gap-2'):
            tid(ui.button(t('import.preview'), icon='visibility', on_click=self._preview).props('outline'),
                'import-preview')
            tid(ui.button(t('import.run'), icon='play_arrow', on_click=self._run), 'import-run')
        self.preview_box = ui.column().classes('w-full')

    def mapping(self) -> list[str | None]:
        return [s.value or None for s in self.selects]

    def options(self) -> dict[str, Any]:
        return {'default_source': self.source.value, 'assign': self.assign.value,
                'rep_id': self.rep.value if self.assign.value == 'rep' else None, 'duplicates': self.duplicates.value}

    async def _sheet(self, e: events.ValueChangeEventArguments) -> None:
        if e.value != self.draft.sheet and await _try(
                lambda: self.desk.imports.draft(self.user, self.draft.job_id, sheet=e.value)) is not None:
            ui.navigate.reload()

    async def _apply_template(self, e: events.ValueChangeEventArguments) -> None:
        mapping = await _try(lambda: self.desk.imports.apply_template(self.user, e.value, self.draft.headers))
        for select, target in zip(self.selects, mapping or [], strict=False):
            select.set_value(target or '')

    async def _save_template(self) -> None:
        name = self.template_name.value
        if await _try(lambda: self.desk.imports.save_template(self.user, name, self.draft.headers,
                                                               self.mapping())) is not None:
            ui.notify(t('import.template_saved'), type='positive')

    async def _preview(self) -> None:
        mapping, options = self.mapping(), self.options()
        preview = await _try(lambda: self.desk.imports.preview(self.user, self.draft.job_id, mapping, options))
        if preview is None:
            return
        self.preview_box.clear()
        with self.preview_box:
            tid(ui.label(t('import.preview_summary', shown=len(preview.rows), problems=preview.problem_rows,
                           total=f'{preview.total_rows:,}')), 'import-preview-summary')
            columns = [{'name': 'row', 'label': t('import.row'), 'field': 'row', 'align': 'left'}]
            columns += [{'name': f, 'label': t(f'import.field.{"phone" if f == "phone_norm" else f}'), 'field': f,
                         'align': 'left'} for f in PREVIEW_FIELDS]
            columns += [{'name': 'problems', 'label': t('import.problems'), 'field': 'problems', 'align': 'left',
                         'classes': 'text-negative', 'headerClasses': ''}]
            rows = []
            for r in preview.rows:
                line = {'row': r.row_number, **{f: str(r.values.get(f) or '') for f in PREVIEW_FIELDS}}
                line['phone_norm'] = line['phone_norm'] or str(r.values.get('phone') or '')  # as typed when invalid
                notes = [t(f'import.note.{n}') for n in r.notes]
                if r.duplicate_of:
                    notes.append(t('import.note.duplicate', id=r.duplicate_of))
                line['problems'] = '; '.join(filter(None, [_problems(r.problems, self.custom), *notes]))
                line['source'] = t(f'source.{line["source"]}') if line['source'] in Source.__members__.values() \
                    else line['source']
                rows.append(line)
            with table_region(t('import.preview_rows')):
                tid(ui.table(columns=columns, rows=rows, row_key='row').props('dense flat'), 'import-preview-table')

    async def _run(self) -> None:
        mapping, options = self.mapping(), self.options()
        if await _try(lambda: self.desk.imports.start(self.user, self.draft.job_id, mapping, options)) is not None:
            ui.navigate.to(f'/import?job={self.draft.job_id}')


class JobView:
    """A started job: a live progress bar while it runs, then the report."""

    def __init__(self, desk: Desk, user: UserRef, job_id: int) -> None:
        self.desk, self.user, self.job_id = desk, user, job_id
        self.status = ''

    def build(self, p: ImportProgress) -> None:
        with ui.row().classes('items-center gap-3'):
            ui.label(p.file_name).classes('text-h6')
            self.badge = tid(ui.badge(''), 'import-status')
        self.bar = tid(ui.linear_progress(value=0, show_value=False).props('size=16px rounded'), 'import-progress')
        self.text = tid(ui.label(''), 'import-progress-text')
        self.counts = tid(ui.label(''), 'import-counts')
        self.error = ui.label('').classes('text-negative')
        with ui.row().classes('gap-2'):
            self.cancel = tid(ui.button(t('import.cancel'), on_click=self._cancel).props('outline color=negative'),
                              'import-cancel')
            self.resume = tid(ui.button(t('import.resume'), icon='play_arrow', on_click=self._resume),
                              'import-resume')
        self.report_box = tid(ui.column().classes('w-full'), 'import-report')
        self.show(p)
        self.timer = ui.timer(POLL_SECONDS, self.poll)

    def show(self, p: ImportProgress) -> None:
        self.badge.set_text(t(f'import.status.{p.status}'))
        self.badge.props(f'color={STATUS_COLORS.get(p.status, "grey")}')
        self.bar.set_value(p.percent / 100)
        self.text.set_text(_progress_text(p))
        self.counts.set_text(t('import.counts', created=p.created, joined=p.joined, skipped=p.skipped,
                               failed=p.failed))
        self.error.set_text(p.error or '')
        self.cancel.set_visibility(p.status == 'running')
        self.resume.set_visibility(p.status in ('interrupted', 'failed'))
        if p.status != self.status:
            self.status = p.status
            if p.status not in ('running', 'draft'):
                ui.timer(0, self.load_report, once=True)

    async def poll(self) -> None:
        p = await run.io_bound(self.desk.imports.progress, self.user, self.job_id)
        self.show(p)

    async def load_report(self) -> None:
        report: ImportReport = await run.io_bound(self.desk.imports.report, self.user, self.job_id)
        custom = await run.io_bound(self.desk.imports.custom_fields, self.user) if report.failed else ()
        self.report_box.clear()
        with self.report_box:
            if report.failed:
                tid(ui.button(t('import.download_failed'), icon='download', on_click=self._download)
                    .props('outline'), 'import-download-failed')
            for title, lines, marker in ((t('import.joined'), report.joined, 'import-joined'),
                                         (t('import.skipped'), report.skipped, 'import-skipped')):
                if lines:
                    ui.label(title).classes('text-subtitle1')
                    with tid(ui.column().classes('gap-0'), marker):
                        for line in lines:
                            with ui.row().classes('gap-2'):
                                ui.label(t('import.row_n', n=line.row_number))
                                ui.link(line.lead_name or f'#{line.lead_id}', f'/leads/{line.lead_id}')
            if report.failed:
                ui.label(t('import.failed')).classes('text-subtitle1')
                rows = [{'row': line.row_number, 'problems': _problems(line.errors, custom)} for line in report.failed]
                with table_region(t('import.failed')):
                    tid(ui.table(columns=[{'name': 'row', 'label': t('import.row'), 'field': 'row', 'align': 'left'},
                                          {'name': 'problems', 'label': t('import.problems'), 'field': 'problems',
                                           'align': 'left'}], rows=rows, row_key='row').props('dense flat'),
                        'import-failed-table')

    async def _download(self) -> None:
        content = await _try(lambda: self.desk.imports.failed_csv(self.user, self.job_id))
        if content is not None:
            ui.download.content(content, f'import-{self.job_id}-failed.csv', 'text/csv')

    async def _cancel(self) -> None:
        await _try(lambda: self.desk.imports.cancel(self.user, self.job_id))
        await self.poll()

    async def _resume(self) -> None:
        await _try(lambda: self.desk.imports.resume(self.user, self.job_id))
        await self.poll()


def _recent(jobs: list[ImportProgress]) -> None:
    if not jobs:
        return
    ui.label(t('import.recent')).classes('text-h6')
    with tid(ui.column().classes('gap-1'), 'import-jobs'):
        for p in jobs:
            with ui.row().classes('items-center gap-3'):
                ui.link(p.file_name, f'/import?job={p.job_id}')
                ui.badge(t(f'import.status.{p.status}')).props(f'color={STATUS_COLORS.get(p.status, "grey")}')
                ui.label(t('import.counts', created=p.created, joined=p.joined, skipped=p.skipped,
                           failed=p.failed)).classes('text-sm text-grey-8')
                ui.label(when(p.created_at)).classes('text-sm text-grey-7')


def register(desk: Desk) -> None:
    @ui.page('/import')
    async def import_page(request: Request, job: int | None = None) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('nav.import'), user):
            if not permissions.can_import(user):
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                return None
            ui.label(t('import.title')).classes('text-h5')
            if job is None:
                await _upload_step(desk, user)
                return None
            try:
                progress = await run.io_bound(desk.imports.progress, user, job)
                if progress.status == 'draft':
                    draft = await run.io_bound(desk.imports.draft, user, job)
                    reps = await run.io_bound(desk.imports.reps, user)
                    templates = await run.io_bound(desk.imports.templates, user)
                    custom = await run.io_bound(desk.imports.custom_fields, user)
                    Editor(desk, user, draft, reps, templates, custom=custom).build()
                else:
                    JobView(desk, user, job).build(progress)
            except DomainError as e:
                tid(ui.label(message(e)).classes('text-negative'), 'import-error')
        return None


async def _receive(desk: Desk, user: UserRef, file: FileUpload) -> ImportDraft | None:
    """Hand the uploaded file to the import a megabyte at a time (counted there, refused past the
    limit): the page never holds the whole file. A refusal is a toast and nothing is kept."""
    try:
        incoming = desk.imports.receive(user, file.name)
        with incoming:
            async for chunk in file.iterate():
                await run.io_bound(incoming.write, chunk)
            return await run.io_bound(incoming.finish)
    except DomainError as e:
        ui.notify(message(e), type='negative', multi_line=True)
    return None


def _upload_header() -> str:
    """QUploader's header with the chosen file's name and size (and the progress while it goes up)
    where Quasar shows "0.0B / 0.00%" until a file is picked; the same pick and stop buttons.

    Quasar lays its file input, transparent, over the pick button: an input without a label inside
    a button (axe's label and nested-interactive). Here the input is out of sight (`display: none`,
    so out of the accessibility tree too) and the button, named, clicks it (`pickFiles`)."""
    return f'''
<div class="q-uploader__header-content column">
  <div class="flex flex-center no-wrap q-gutter-xs">
    <div class="col column justify-center">
      <div class="q-uploader__title">{escape(t('import.upload'))}</div>
      <div class="q-uploader__subtitle ellipsis" data-testid="import-upload-file">
        <template v-if="props.files.length">{{{{ props.files[0].name }}}} · {{{{
          props.files[0].__sizeLabel }}}}<template v-if="props.isUploading"> · {{{{
          props.uploadProgressLabel }}}}</template></template>
        <template v-else>{escape(t('import.no_file'))}</template>
      </div>
    </div>
    <q-spinner v-if="props.isUploading" class="q-uploader__spinner"></q-spinner>
    <q-btn v-if="props.canAddFiles" type="a" icon="add_box" flat dense round @click="props.pickFiles"
           aria-label="{escape(t('import.pick'))}"></q-btn>
    <div class="hidden"><q-uploader-add-trigger></q-uploader-add-trigger></div>
    <q-btn v-if="props.isUploading" type="a" icon="clear" flat dense round @click="props.abort"
           aria-label="{escape(t('import.abort'))}"></q-btn>
  </div>
</div>'''


async def _upload_step(desk: Desk, user: UserRef) -> None:
    limit_mb = desk.ctx.settings.import_max_mb

    async def uploaded(e: events.UploadEventArguments) -> None:
        draft = await _receive(desk, user, e.file)
        if draft is not None:
            ui.navigate.to(f'/import?job={draft.job_id}')

    def refused() -> None:
        ui.notify(t('err.import_too_large', limit_mb=limit_mb), type='negative')

    def failed() -> None:
        ui.notify(t('import.upload_failed', limit_mb=limit_mb), type='negative')

    ui.label(t('import.upload_hint', limit_mb=limit_mb)).classes('text-grey-8')
    # max_file_size is the browser's check only; the server's is ui/upload_limit.py and core's count
    upload = ui.upload(label=t('import.upload'), auto_upload=True, on_upload=uploaded, on_rejected=refused,
                       max_file_size=limit_mb * 1024 * 1024)
    upload.on('failed', failed)  # the server refused (413) or the connection broke
    upload.add_slot('header', _upload_header())
    tid(upload.props('accept=".csv,.txt,.xlsx,.xlsm"').classes('w-96 max-w-full'), 'import-upload')
    _recent(await run.io_bound(desk.imports.jobs, user))
