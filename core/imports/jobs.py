"""Importing a file of leads as a recorded job: upload → mapping → preview → run → report.

The run goes through the capture path in batches (`capture.capture_rows`): one transaction per
batch holds the batch's leads, each row's outcome and the job's `rows_done`, so a crash loses
at most the uncommitted batch and a resume starts exactly after the last committed one — no row
imported twice, none lost. Start-up marks jobs whose process is gone as interrupted."""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from sqlmodel import Session

from core.capture.intake import CaptureResult, capture_rows
from core.context import Context, audit, retrying
from core.errors import InvalidState, ValidationFailed
from core.imports.drafts import ImportDrafts
from core.imports.file import data_rows
from core.imports.mapping import row_data
from core.imports.results import ImportResults
from core.imports.runners import runner_alive, this_runner
from core.imports.views import (
    ImportOptions,
    ImportProgress,
    ImportReport,
)
from core.imports.worker import Prepared, Validator
from core.tags.records import current_tags
from store import imports as store
from store.audit_actions import AuditAction
from store.models import ImportJob, ImportStatus, Role, User, UserRef

log = logging.getLogger('leaddesk.imports')

BATCH_ROWS = 2000
"""Rows per transaction: large enough that a batch's fixed costs (reading rules, loads and possible
twins; one commit; one notification per rep) stay small per row, small enough that other writers (a
click in the UI, an API capture) wait well under a second for the write lock (~0.36 s a batch on an idle
2-core box; 1,000-row batches held it ~0.2 s and imported ~15% slower: docs/BENCHMARKS.md)."""
ACTIVE = (ImportStatus.RUNNING,)
RESUMABLE = (ImportStatus.INTERRUPTED, ImportStatus.FAILED)
WORKER_MIN_BATCHES = 3
"""From this many batches on, rows are validated in a second process (core/imports/worker.py):
starting it costs ~1 s of the other core, which a two-batch file would not win back."""
UPLOAD_NAME = re.compile(r'^[0-9a-f]{32}(\.[a-z0-9]{1,7})?(\.part)?$')
"""How `receive` names the files it keeps: anything else in the folder (the CLI's failed-rows CSVs)
is not an upload, and housekeeping leaves it alone."""


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that nothing it wrote is kept."""


class ImportService(ImportResults, ImportDrafts):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.batch_rows = ctx.settings.import_batch_rows or BATCH_ROWS
        self._threads: dict[int, threading.Thread] = {}

    # ----- upload, mapping, preview ----------------------------------------------------------------

    # ----- templates -------------------------------------------------------------------------------

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
            job.mapping = self._checked(session, mapping, len(headers))
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
                job, custom = self._job(session, job_id), self._custom(session)
            opts = ImportOptions.parse(job.options)
            left = -(-max(job.total_rows - job.rows_done, 0) // self.batch_rows)
            # streamed: two batches in memory at most (the one written, the one being validated)
            chunks = _batches(data_rows(self._file(job), job.sheet, encoding=job.encoding, skip=job.rows_done),
                              self.batch_rows)
            try:
                # batch n + 1 is mapped and validated in a second process while batch n is written
                with Validator(enabled=left >= WORKER_MIN_BATCHES, mapping=job.mapping,
                               default_source=opts.default_source, region=self.ctx.settings.default_region,
                               custom=custom.definitions, tags=current_tags(self.ctx).all) as worker:
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
        config = self.ctx.capture_config.load(session)
        datas = [row_data(cells, job.mapping, config.custom)[0] for _, cells in chunk] if validated is None else []
        outcomes, notified = capture_rows(
            session, datas, default_source=opts.default_source, region=self.ctx.settings.default_region,
            config=config,
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
                job.mapping, job.options = self._checked(session, mapping, len(self._headers(job))), opts.to_dict()
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

    # ----- helpers ---------------------------------------------------------------------------------

def _batches(rows: Iterable[tuple[int, list[str]]], size: int) -> Generator[list[tuple[int, list[str]]], None, None]:
    """Consecutive lists of `size` rows (the last shorter); closing it closes `rows`' file."""
    iterator = iter(rows)
    try:
        while batch := list(islice(iterator, size)):
            yield batch
    finally:
        close = getattr(iterator, 'close', None)
        if close is not None:
            close()


def _record(job_id: int, number: int, cells: list[str], outcome: CaptureResult | ValidationFailed) -> dict[str, Any]:
    if isinstance(outcome, ValidationFailed):
        return {'job_id': job_id, 'row_number': number, 'outcome': 'failed', 'lead_id': None,
                'errors': outcome.errors, 'values': cells}
    kind = 'created' if outcome.created else 'skipped' if outcome.skipped else 'joined'
    return {'job_id': job_id, 'row_number': number, 'outcome': kind, 'lead_id': outcome.lead_id,
            'errors': None, 'values': None}

