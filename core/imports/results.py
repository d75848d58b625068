"""What an import did: progress while it runs, the recent jobs, the report of joined, skipped and
failed rows, and the failed rows as a CSV to fix and import again."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlmodel import Session

from core.context import Context
from core.imports.job_access import JobAccess
from core.imports.views import (
    ImportProgress,
    ImportReport,
    ReportLine,
    progress_of,
)
from core.reports.export import neutralise
from store import imports as store
from store.models import ImportJob, Role, UserRef

REPORT_LINES = 500


class ImportResults(JobAccess):
    """Part of ImportService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

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
