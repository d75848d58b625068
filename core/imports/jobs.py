"""Importing a file of leads as a recorded job: upload → mapping → preview → run → report.

The run goes through the capture path in batches (`capture.capture_rows`): one transaction per
batch holds the batch's leads, each row's outcome and the job's `rows_done`, so a crash loses
at most the uncommitted batch and a resume starts exactly after the last committed one — no row
imported twice, none lost. Start-up marks jobs whose process is gone as interrupted."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlmodel import Session

from core import permissions
from core.capture.intake import CaptureResult, capture_rows, validate
from core.context import Context, audit, retrying
from core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from core.imports.file import UnreadableFile, check_file_name, data_rows, peek, scan
from core.imports.mapping import TARGETS, row_data, suggest_mapping
from core.imports.views import (
    ImportDraft,
    ImportOptions,
    ImportPreview,
    ImportProgress,
    ImportReport,
    PreviewRow,
    ReportLine,
    progress_of,
)
from core.imports.worker import Prepared, Validator
from core.reports.export import neutralise
from store import imports as store
from store import queries
from store.audit_actions import AuditAction
from store.models import ImportJob, ImportStatus, ImportTemplate, Role, User, UserRef

log = logging.getLogger('leaddesk.imports')

BATCH_ROWS = 2000
"""Rows per transaction: large enough that a batch's fixed costs (reading rules, loads and possible
twins; one commit; one notification per rep) stay small per row, small enough that other writers (a
click in the UI, an API capture) wait well under a second for the write lock (~0.36 s a batch on an idle
2-core box; 1,000-row batches held it ~0.2 s and imported ~15% slower: docs/BENCHMARKS.md)."""
PREVIEW_ROWS = 20
REPORT_LINES = 500
ACTIVE = (ImportStatus.RUNNING,)
RESUMABLE = (ImportStatus.INTERRUPTED, ImportStatus.FAILED)
WORKER_MIN_BATCHES = 3
"""From this many batches on, rows are validated in a second process (core/imports/worker.py):
starting it costs ~1 s of the other core, which a two-batch file would not win back."""
UPLOAD_NAME = re.compile(r'^[0-9a-f]{32}(\.[a-z0-9]{1,7})?(\.part)?$')
"""How `receive` names the files it keeps: anything else in the folder (the CLI's failed-rows CSVs)
is not an upload, and housekeeping leaves it alone."""
CHUNK = 1024 * 1024


def this_runner() -> str:
    return f'{socket.gethostname()}:{os.getpid()}'


def runner_alive(runner: str | None) -> bool:
    """Whether the process named `host:pid` still runs (another host: assume it does)."""
    if not runner or ':' not in runner:
        return False
    host, _, pid = runner.rpartition(':')
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that nothing it wrote is kept."""


class ImportService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.batch_rows = ctx.settings.import_batch_rows or BATCH_ROWS
        self._threads: dict[int, threading.Thread] = {}

    @property
    def folder(self) -> Path:
        return Path(self.ctx.settings.data_dir) / 'imports'

    # ----- upload, mapping, preview ----------------------------------------------------------------

    @property
    def max_bytes(self) -> int:
        return self.ctx.settings.import_max_mb * 1024 * 1024

    def receive(self, actor: UserRef | None, file_name: str) -> Incoming:
        """Begin taking an upload: `write` its chunks as they arrive (counted, refused past the size
        limit), then `finish` (the file is read and checked, and becomes a draft job). Whatever goes
        wrong, nothing is kept: no file, no job."""
        self._check(actor)
        return Incoming(self, actor, check_file_name(file_name))

    def upload(self, actor: UserRef | None, file_name: str, data: bytes | IO[bytes]) -> ImportDraft:
        """`receive` a whole file (bytes, or a binary stream read a chunk at a time)."""
        incoming = self.receive(actor, file_name)
        with incoming:
            if isinstance(data, bytes | bytearray | memoryview):
                for start in range(0, len(data), CHUNK):
                    incoming.write(bytes(data[start:start + CHUNK]))
            else:
                while chunk := data.read(CHUNK):
                    incoming.write(chunk)
            return incoming.finish()

    def _keep(self, actor: UserRef | None, file_name: str, path: Path) -> ImportDraft:
        """A received file: read it whole once (every limit, the row count), then the draft job."""
        table = scan(path)
        now = self.ctx.now()
        with self.ctx.write() as session:
            job = ImportJob(created_by=actor.id if actor else None, file_name=file_name,
                            file_path=str(path), encoding=table.encoding, sheet=table.sheet,
                            total_rows=table.total_rows or 0, created_at=now, updated_at=now)
            session.add(job)
            session.flush()
            template = self._template_for(session, table.headers)
            job.mapping = suggest_mapping(table.headers, template)
            job_id = job.id or 0
        return self.draft(actor, job_id)

    def draft(self, actor: UserRef | None, job_id: int, *, sheet: str | None = None) -> ImportDraft:
        """The file's headers, suggested mapping and first rows (another sheet: re-read and re-suggest)."""
        self._check(actor)
        with self.ctx.read() as session:
            job = self._job(session, job_id)
        path = self._file(job)
        other = bool(sheet and sheet != job.sheet)
        table = scan(path, sheet) if other else peek(path, job.sheet, encoding=job.encoding, rows=5)
        total = table.total_rows if table.total_rows is not None else job.total_rows
        mapping = list(job.mapping)
        if other or len(mapping) != len(table.headers):
            with self.ctx.write() as session:
                mapping = suggest_mapping(table.headers, self._template_for(session, table.headers))
                stored = self._job(session, job_id)
                stored.sheet, stored.mapping, stored.total_rows = table.sheet, mapping, total
        return ImportDraft(job_id=job_id, file_name=job.file_name, headers=table.headers, mapping=mapping,
                           sheets=table.sheets, sheet=table.sheet, encoding=table.encoding,
                           total_rows=total, sample=[cells for _, cells in table.sample[:5]])

    def preview(self, actor: UserRef | None, job_id: int, mapping: Sequence[str | None],
                options: Mapping[str, Any] | None = None) -> ImportPreview:
        """The first rows as they will be stored, each with its problems, before anything is written."""
        self._check(actor)
        opts = ImportOptions.parse(options)
        with self.ctx.read() as session:
            job = self._job(session, job_id)
            table = peek(self._file(job), job.sheet, encoding=job.encoding, rows=PREVIEW_ROWS)
            mapping = _checked_mapping(mapping, len(table.headers))
            lines = []
            for number, cells in table.sample:
                data, notes = row_data(cells, mapping)
                try:
                    clean = validate(data, default_source=opts.default_source,
                                     region=self.ctx.settings.default_region)
                except ValidationFailed as e:
                    lines.append(PreviewRow(row_number=number, values=data, problems=e.errors, notes=notes))
                    continue
                twin = queries.find_duplicate(session, clean)
                values = {k: getattr(clean, k) for k in ('name', 'phone_norm', 'email', 'company', 'source',
                                                          'region', 'city', 'title', 'industry', 'campaign')}
                lines.append(PreviewRow(row_number=number, values=values, problems={}, notes=notes,
                                        duplicate_of=twin.id if twin is not None else None))
        return ImportPreview(rows=lines, total_rows=job.total_rows)

    # ----- templates -------------------------------------------------------------------------------

    def reps(self, actor: UserRef | None) -> list[tuple[int, str]]:
        """Active reps an import may give all its leads to."""
        self._check(actor)
        with self.ctx.read() as session:
            return [(u.id or 0, u.name) for u in queries.active_reps(session)]

    def templates(self, actor: UserRef | None) -> list[tuple[int, str]]:
        self._check(actor)
        with self.ctx.read() as session:
            return [(t.id or 0, t.name) for t in store.templates(session)]

    def save_template(self, actor: UserRef | None, name: str, headers: Sequence[str],
                      mapping: Sequence[str | None]) -> int:
        """Keep this mapping by header text; the next upload with these headers starts from it."""
        self._check(actor)
        name = (name or '').strip()
        if not name or len(name) > 100:
            raise ValidationFailed({'name': 'required' if not name else 'too_long'})
        by_header = dict(zip(headers, _checked_mapping(mapping, len(headers)), strict=True))
        with self.ctx.write() as session:
            template = store.template_by_name(session, name) or ImportTemplate(
                name=name, created_by=actor.id if actor else None, created_at=self.ctx.now())
            template.mapping = by_header
            session.add(template)
            session.flush()
            return template.id or 0

    def apply_template(self, actor: UserRef | None, template_id: int, headers: Sequence[str]) -> list[str | None]:
        self._check(actor)
        with self.ctx.read() as session:
            template = session.get(ImportTemplate, template_id)
            if template is None:
                raise NotFound()
            return suggest_mapping(headers, template.mapping)

    # ----- run, resume, cancel ---------------------------------------------------------------------

    def start(self, actor: UserRef | None, job_id: int, mapping: Sequence[str | None],
              options: Mapping[str, Any] | None = None, *, background: bool = True,
              on_progress: Callable[[ImportProgress], None] | None = None) -> ImportProgress:
        """Fix the mapping and options and run the job (in a worker thread unless told otherwise)."""
        self._check(actor)
        opts = ImportOptions.parse(options)
        now = self.ctx.now()
        with self.ctx.write() as session:
            job = self._job(session, job_id, lock=True)
            if job.status == ImportStatus.EXPIRED:
                raise InvalidState('import_file_gone')
            if job.status != ImportStatus.DRAFT:
                raise InvalidState('import_started')
            if opts.assign == 'rep':
                rep = session.get(User, opts.rep_id)
                if rep is None or not rep.is_active or rep.role != Role.REP:
                    raise ValidationFailed({'rep_id': 'invalid'})
            headers = self._headers(job)
            job.mapping = _checked_mapping(mapping, len(headers))
            job.options = opts.to_dict()
            self._begin(job, now)
            audit(session, AuditAction.IMPORT_STARTED, now=now, actor_id=actor.id if actor else None,
                  reason_key='reason.import_started', file=job.file_name, rows=job.total_rows)
        return self._launch(job_id, background, on_progress)

    def resume(self, actor: UserRef | None, job_id: int, *, background: bool = True,
               on_progress: Callable[[ImportProgress], None] | None = None) -> ImportProgress:
        """Continue an interrupted (or failed) job after its last committed batch."""
        self._check(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            job = self._job(session, job_id, lock=True)
            if job.status not in RESUMABLE:
                raise InvalidState('import_not_resumable')
            self._begin(job, now)
            audit(session, AuditAction.IMPORT_RESUMED, now=now, actor_id=actor.id if actor else None,
                  reason_key='reason.import_resumed', file=job.file_name, rows_done=job.rows_done)
        return self._launch(job_id, background, on_progress)

    def cancel(self, actor: UserRef | None, job_id: int) -> None:
        """Stop after the batch in progress; what was committed stays."""
        self._check(actor)
        with self.ctx.write() as session:
            job = self._job(session, job_id, lock=True)
            if job.status in (ImportStatus.DONE, ImportStatus.CANCELLED, ImportStatus.EXPIRED):
                return
            job.status, job.finished_at = ImportStatus.CANCELLED, self.ctx.now()
            self._forget_file(session, job)  # a cancelled job cannot resume: its upload goes too
        self.ctx.events.publish(self.ctx.events.import_progressed, job_id)

    def join(self, job_id: int, timeout: float | None = None) -> None:
        """Wait for the job's worker thread in this process (tests, the CLI)."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)

    def mark_interrupted(self) -> list[int]:
        """At start-up: running jobs whose process is gone are interrupted (resumable)."""
        with self.ctx.write() as session:
            stale = [j for j in store.jobs_with_status(session, ACTIVE) if not runner_alive(j.runner)]
            for job in stale:
                job.status, job.updated_at = ImportStatus.INTERRUPTED, self.ctx.now()
                audit(session, AuditAction.IMPORT_INTERRUPTED, now=self.ctx.now(),
                      reason_key='reason.import_interrupted',
                      file=job.file_name, rows_done=job.rows_done, total=job.total_rows)
            return [j.id or 0 for j in stale]

    def drafts_expiring(self, session: Session, now: datetime, until: datetime) -> list[tuple[ImportJob, datetime]]:
        """The housekeeping's selection, shared with the timer's preview: drafts nobody ran that
        expire by `until` (the tick: `now`), each with when."""
        keep = timedelta(days=self.ctx.settings.draft_upload_days)
        return [(job, max(now, (job.created_at or now) + keep))
                for job in store.drafts_created_before(session, until - keep)]

    def expire_drafts(self, now: datetime | None = None) -> list[int]:
        """Housekeeping (the timer runs it each tick): a draft nobody ran within
        LEADDESK_DRAFT_UPLOAD_DAYS is marked expired, audited, and its upload — customers' personal
        data — deleted; so is an upload file no job names (a crash while it was received).
        Idempotent: an expired job is no draft, a deleted file is not there to delete."""
        now = now or self.ctx.now()
        days = self.ctx.settings.draft_upload_days
        cutoff = now - timedelta(days=days)
        with self.ctx.write() as session:
            stale = [job for job, _ in self.drafts_expiring(session, now, now)]
            for job in stale:
                job.status, job.finished_at, job.updated_at = ImportStatus.EXPIRED, now, now
                audit(session, AuditAction.IMPORT_EXPIRED, now=now, reason_key='reason.import_expired',
                      file=job.file_name,
                      days=days)
            known = {Path(p).name for p in store.file_paths(session)}
        for job in stale:  # after the commit: a rolled-back expiry keeps its file
            Path(job.file_path).unlink(missing_ok=True)
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if (UPLOAD_NAME.match(path.name) and path.name not in known
                        and path.stat().st_mtime < cutoff.timestamp()):
                    path.unlink(missing_ok=True)
        return [j.id or 0 for j in stale]

    def _begin(self, job: ImportJob, now: datetime) -> None:
        job.status, job.runner, job.error = ImportStatus.RUNNING, this_runner(), None
        job.run_started_at, job.run_started_rows, job.updated_at = now, job.rows_done, now

    def _launch(self, job_id: int, background: bool,
                on_progress: Callable[[ImportProgress], None] | None = None) -> ImportProgress:
        self.ctx.events.publish(self.ctx.events.import_progressed, job_id)
        if not background:
            self.run(job_id, on_progress)
        else:
            thread = threading.Thread(target=self.run, args=(job_id,), name=f'import-{job_id}', daemon=True)
            self._threads[job_id] = thread
            thread.start()
        return self.progress(None, job_id)

    def run(self, job_id: int, on_progress: Callable[[ImportProgress], None] | None = None) -> None:
        """The worker: batch after batch until the file ends, the job is cancelled or a batch fails."""
        try:
            with self.ctx.read() as session:
                job = self._job(session, job_id)
            opts = ImportOptions.parse(job.options)
            left = -(-max(job.total_rows - job.rows_done, 0) // self.batch_rows)
            # streamed: two batches in memory at most (the one written, the one being validated)
            chunks = _batches(data_rows(self._file(job), job.sheet, encoding=job.encoding, skip=job.rows_done),
                              self.batch_rows)
            try:
                # batch n + 1 is mapped and validated in a second process while batch n is written
                with Validator(enabled=left >= WORKER_MIN_BATCHES, mapping=job.mapping,
                               default_source=opts.default_source,
                               region=self.ctx.settings.default_region) as worker:
                    start, chunk = job.rows_done, next(chunks, None)
                    while chunk is not None:
                        following = next(chunks, None)
                        validated = worker.take()
                        if following is not None:
                            worker.submit([cells for _, cells in following])
                        done = retrying(partial(self._run_batch, job_id, start, chunk, validated))
                        if done is None:
                            return
                        self._published(job_id, *done, on_progress)
                        start, chunk = start + len(chunk), following
            finally:
                chunks.close()
            with self.ctx.write() as session:
                job = self._job(session, job_id, lock=True)
                if job.status == ImportStatus.RUNNING:
                    job.status, job.finished_at, job.updated_at = ImportStatus.DONE, self.ctx.now(), self.ctx.now()
                    audit(session, AuditAction.IMPORT_DONE, now=self.ctx.now(), reason_key='reason.import_done',
                          file=job.file_name, created=job.created_count, joined=job.joined_count,
                          skipped=job.skipped_count, failed=job.failed_count)
                    self._forget_file(session, job)
            self._published(job_id, [], None, on_progress)
        except Exception as e:
            log.exception('import %s failed; it can be resumed', job_id)
            with self.ctx.write() as session:
                job = self._job(session, job_id, lock=True)
                job.status, job.error = ImportStatus.FAILED, f'{type(e).__name__}: {e}'[:500]
            self._published(job_id, [], None, on_progress)

    def _run_batch(self, job_id: int, first: int, chunk: Sequence[tuple[int, list[str]]],
                   validated: Prepared | None = None) -> tuple[list[int], list[int | None]] | None:
        """One batch's transaction, from row `first` (None: the job stopped running, or another runner
        is past this batch — a second "resume" in another process; the job row is locked, so of two
        runners only one writes each batch). Run again from its start when PostgreSQL aborts it to
        break a deadlock (`retrying`): the job's progress is read inside."""
        with self.ctx.write() as session:
            job = self._job(session, job_id, lock=True)
            if job.status != ImportStatus.RUNNING or job.rows_done != first:
                return None
            return self._batch(session, job, chunk, validated)

    def _published(self, job_id: int, notified: list[int], owners: list[int | None] | None,
                   on_progress: Callable[[ImportProgress], None] | None) -> None:
        events = self.ctx.events
        events.publish(events.import_progressed, job_id)
        if owners:
            events.publish(events.leads_imported, owners)
        for user_id in notified:
            events.publish(events.notified, user_id)
        if on_progress is not None:
            on_progress(self.progress(None, job_id))

    def _batch(self, session: Session, job: ImportJob, chunk: Sequence[tuple[int, list[str]]],
               validated: Prepared | None = None) -> tuple[list[int], list[int | None]]:
        """One batch through the capture path, its row outcomes and the job's progress: one transaction.
        Returns who was notified and the owners of the leads created or joined (for live pages)."""
        opts = ImportOptions.parse(job.options)
        now = self.ctx.now()
        owner = session.get(User, opts.rep_id) if opts.assign == 'rep' else None
        datas = [row_data(cells, job.mapping)[0] for _, cells in chunk] if validated is None else []
        outcomes, notified = capture_rows(
            session, datas, default_source=opts.default_source, region=self.ctx.settings.default_region,
            config=self.ctx.capture_config.load(session),
            now=now, day_start=self.ctx.day_start(now), actor_id=job.created_by, channel='import', owner=owner,
            owner_reason='reason.assigned.import', to_pool=opts.assign == 'pool', on_duplicate=opts.duplicates,
            validated=validated)
        records = []
        for (number, cells), outcome in zip(chunk, outcomes, strict=True):
            records.append(_record(job.id or 0, number, cells, outcome))
        store.add_rows(session, records)
        for outcome, count in Counter(r['outcome'] for r in records).items():
            setattr(job, f'{outcome}_count', getattr(job, f'{outcome}_count') + count)
        job.rows_done += len(chunk)
        job.updated_at = now
        session.add(job)
        owners = dict.fromkeys(o.owner_id for o in outcomes if isinstance(o, CaptureResult) and not o.skipped)
        return notified, list(owners)

    # ----- dry run (CLI) ---------------------------------------------------------------------------

    def dry_run(self, actor: UserRef | None, job_id: int, mapping: Sequence[str | None],
                options: Mapping[str, Any] | None = None) -> ImportReport:
        """Everything a run would do, in one transaction that is then rolled back: the same report."""
        self._check(actor)
        opts = ImportOptions.parse(options)
        report: ImportReport | None = None
        try:
            with self.ctx.write() as session:
                job = self._job(session, job_id)
                job.mapping, job.options = _checked_mapping(mapping, len(self._headers(job))), opts.to_dict()
                self._begin(job, self.ctx.now())
                for chunk in _batches(data_rows(self._file(job), job.sheet, encoding=job.encoding), self.batch_rows):
                    self._batch(session, job, chunk)
                job.status = ImportStatus.DONE
                session.flush()
                report = self._report(session, job)
                raise _DryRun()
        except _DryRun:
            pass
        assert report is not None
        return report

    # ----- reading progress and results ------------------------------------------------------------

    def progress(self, actor: UserRef | None, job_id: int) -> ImportProgress:
        self._check(actor)
        with self.ctx.read() as session:
            return progress_of(self._job(session, job_id), self.ctx.now())

    def jobs(self, actor: UserRef | None, limit: int = 20) -> list[ImportProgress]:
        """Recent imports (managers and admins see everyone's, marketing their own)."""
        self._check(actor)
        mine = actor.id if actor is not None and actor.role == Role.MARKETING else None
        with self.ctx.read() as session:
            now = self.ctx.now()
            return [progress_of(j, now) for j in store.recent_jobs(session, created_by=mine, limit=limit)]

    def report(self, actor: UserRef | None, job_id: int) -> ImportReport:
        self._check(actor)
        with self.ctx.read() as session:
            return self._report(session, self._job(session, job_id))

    def _report(self, session: Session, job: ImportJob) -> ImportReport:
        def lines(outcome: str) -> list[ReportLine]:
            return [ReportLine(row_number=r.row_number, lead_id=r.lead_id, lead_name=name, errors=r.errors or {})
                    for r, name in store.rows_of(session, job.id or 0, outcome, limit=REPORT_LINES)]

        return ImportReport(progress=progress_of(job, self.ctx.now()), joined=lines('joined'),
                            skipped=lines('skipped'), failed=lines('failed'))

    def failed_csv(self, actor: UserRef | None, job_id: int) -> bytes:
        """The failed rows with their original columns and a reason column: fix and import again.
        UTF-8 with BOM, so Excel opens the Chinese text correctly; a cell Excel would run as a formula
        (`=`, `+`, `-`, `@` first) gets a leading apostrophe, so a hostile upload cannot run code on
        the machine of whoever fixes the rows."""
        self._check(actor)
        with self.ctx.read() as session:
            job = self._job(session, job_id)
            rows = store.rows_of(session, job_id, 'failed')
            headers = (self._headers(job) if Path(job.file_path).exists()
                       else list(job.options.get('headers') or []))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(['row', *(neutralise(h) for h in headers), 'problems'])
        for r, _ in rows:
            problems = '; '.join(f'{f}: {code}' for f, code in (r.errors or {}).items())
            writer.writerow([r.row_number, *(neutralise(v) for v in r.values or []), problems])
        return out.getvalue().encode('utf-8-sig')

    # ----- helpers ---------------------------------------------------------------------------------

    def _headers(self, job: ImportJob) -> list[str]:
        return peek(self._file(job), job.sheet, encoding=job.encoding, rows=0).headers

    @staticmethod
    def _file(job: ImportJob) -> Path:
        """The job's upload; gone (an expired or finished job's): the import cannot go on."""
        path = Path(job.file_path)
        if not path.exists():
            raise InvalidState('import_file_gone')
        return path

    def _forget_file(self, session: Session, job: ImportJob) -> None:
        """A finished job needs its upload no more (it holds customers' personal data): delete it.
        The failed rows keep their cells in the database; the header row (for the failed-rows CSV)
        is kept in the job's options (no column for it: no migration for one list). An interrupted
        or failed job keeps its file so that it can resume."""
        path = Path(job.file_path)
        if path.exists():
            job.options = {**job.options, 'headers': self._headers(job)}
        path.unlink(missing_ok=True)

    def _check(self, actor: UserRef | None) -> None:
        if actor is not None and not permissions.can_import(actor):
            raise NotAllowed()

    @staticmethod
    def _job(session: Session, job_id: int, *, lock: bool = False) -> ImportJob:
        """`lock` (writes): row-locked until commit on PostgreSQL, so a start, resume, cancel or batch
        in another process waits and then reads what this one wrote (SQLite ignores it)."""
        job = session.get(ImportJob, job_id, with_for_update=lock or None, populate_existing=lock)
        if job is None:
            raise NotFound()
        return job

    @staticmethod
    def _template_for(session: Session, headers: Sequence[str]) -> dict[str, Any] | None:
        """The saved template that knows most of these headers (at least half of them)."""
        best, best_hits = None, 0
        for template in store.templates(session):
            hits = sum(1 for h in headers if h in template.mapping)
            if hits > best_hits:
                best, best_hits = template.mapping, hits
        return best if best_hits * 2 >= max(len(headers), 1) else None


class Incoming:
    """One upload being received (`ImportService.receive`): written under the data folder as
    `<random>.<ext>.part`, mode 0600, counted as it comes; past the size limit the file is deleted
    and the upload refused. `finish` reads and checks it and makes the draft job; any failure, or
    leaving the `with` block without finishing, deletes the file."""

    def __init__(self, service: ImportService, actor: UserRef | None, file_name: str) -> None:
        self.service, self.actor, self.file_name = service, actor, file_name
        self.size = 0
        folder = service.folder
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        suffix = ''.join(c for c in Path(file_name).suffix.lower()[:8] if (c.isascii() and c.isalnum()) or c == '.')
        self.path = folder / f'{uuid.uuid4().hex}{suffix if len(suffix) > 1 else ""}'
        self.part = self.path.with_name(self.path.name + '.part')
        self._file: IO[bytes] | None = os.fdopen(
            os.open(self.part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'wb')
        self._done = False

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise InvalidState('import_upload_closed')
        self.size += len(chunk)
        if self.size > self.service.max_bytes:
            self.discard()
            raise UnreadableFile('import_too_large', limit_mb=self.service.ctx.settings.import_max_mb)
        try:
            self._file.write(chunk)
        except OSError:
            self.discard()
            raise

    def finish(self) -> ImportDraft:
        """The draft job; the file stays only if the job row was committed."""
        if self._file is None:
            raise InvalidState('import_upload_closed')
        try:
            self._file.close()
            self._file = None
            os.replace(self.part, self.path)
            draft = self.service._keep(self.actor, self.file_name, self.path)
        except BaseException:
            self.discard()
            raise
        self._done = True
        return draft

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.part.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Incoming:
        return self

    def __exit__(self, *_exc: object) -> None:
        if not self._done:
            self.discard()


def _batches(rows: Iterable[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    """Consecutive lists of `size` rows (the last shorter); closing it closes `rows`' file."""
    iterator = iter(rows)
    try:
        while batch := list(islice(iterator, size)):
            yield batch
    finally:
        close = getattr(iterator, 'close', None)
        if close is not None:
            close()


def _checked_mapping(mapping: Sequence[str | None], width: int) -> list[str | None]:
    """One known target (or None) per column, `name` or a name part among them."""
    fixed = [m or None for m in list(mapping)[:width]] + [None] * max(0, width - len(mapping))
    if any(m is not None and m not in TARGETS for m in fixed):
        raise ValidationFailed({'mapping': 'invalid'})
    if not {'name', 'first_name', 'last_name'} & set(fixed):
        raise ValidationFailed({'mapping': 'no_name'})
    return fixed


def _record(job_id: int, number: int, cells: list[str], outcome: CaptureResult | ValidationFailed) -> dict[str, Any]:
    if isinstance(outcome, ValidationFailed):
        return {'job_id': job_id, 'row_number': number, 'outcome': 'failed', 'lead_id': None,
                'errors': outcome.errors, 'values': cells}
    kind = 'created' if outcome.created else 'skipped' if outcome.skipped else 'joined'
    return {'job_id': job_id, 'row_number': number, 'outcome': kind, 'lead_id': outcome.lead_id,
            'errors': None, 'values': None}

