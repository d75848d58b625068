"""An import job's row and upload file as every import step reads them: found (locked for writes), its
file still there, its headers, who may touch it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session

from core import permissions
from core.context import Context
from core.errors import InvalidState, NotAllowed, NotFound
from core.imports.file import peek
from store import imports as store
from store.models import ImportJob, UserRef


class JobAccess:
    """Part of ImportService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    @property
    def folder(self) -> Path:
        return Path(self.ctx.settings.data_dir) / 'imports'

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
