"""What the import pages and the CLI read: options, the draft, the preview, progress and report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from core.capture.intake import DUPLICATE_ACTIONS
from core.errors import ValidationFailed
from store.models import ImportJob, ImportStatus, Source

ASSIGN_MODES = ('rules', 'rep', 'pool')
"""Imported leads are assigned by the rules, all to one rep, or put in the pool."""


@dataclass(frozen=True, slots=True)
class ImportOptions:
    default_source: str = Source.IMPORT
    """For rows without a (known) source."""
    assign: str = 'rules'
    rep_id: int | None = None
    duplicates: str = 'touch'
    """touch (a touch activity, empty fields filled) / fill (only fill empty fields) / skip."""

    @classmethod
    def parse(cls, values: Mapping[str, Any] | None) -> ImportOptions:
        """Checked options from a form or the stored job; every bad field named at once."""
        values = dict(values or {})
        errors: dict[str, str] = {}
        source = values.get('default_source') or Source.IMPORT
        if source not in Source.__members__.values():
            errors['default_source'] = 'invalid_source'
        assign = values.get('assign') or 'rules'
        if assign not in ASSIGN_MODES:
            errors['assign'] = 'invalid'
        rep_id = values.get('rep_id')
        if assign == 'rep' and not isinstance(rep_id, int):
            errors['rep_id'] = 'required'
        duplicates = values.get('duplicates') or 'touch'
        if duplicates not in DUPLICATE_ACTIONS:
            errors['duplicates'] = 'invalid'
        if errors:
            raise ValidationFailed(errors)
        return cls(default_source=source, assign=assign, rep_id=rep_id if assign == 'rep' else None,
                   duplicates=duplicates)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ImportDraft:
    job_id: int
    file_name: str
    headers: list[str]
    mapping: list[str | None]
    sheets: list[str]
    sheet: str | None
    encoding: str | None
    total_rows: int
    sample: list[list[str]]
    """The first data rows as in the file."""


@dataclass(frozen=True, slots=True)
class PreviewRow:
    row_number: int
    values: dict[str, Any]
    """As the lead will be stored (phone in E.164), or as read when the row has problems."""
    problems: dict[str, str]
    """Field → error code (`err.field.<code>`): the row would fail."""
    notes: list[str] = field(default_factory=list)
    """Warnings that do not stop the row (`import.note.<code>`)."""
    duplicate_of: int | None = None
    """The existing lead this row would join."""


@dataclass(frozen=True, slots=True)
class ImportPreview:
    rows: list[PreviewRow]
    total_rows: int

    @property
    def problem_rows(self) -> int:
        return sum(1 for r in self.rows if r.problems)


@dataclass(frozen=True, slots=True)
class ImportProgress:
    job_id: int
    file_name: str
    status: str
    total: int
    done: int
    created: int
    joined: int
    skipped: int
    failed: int
    rate: float | None
    """Rows per second in this run (None before the first batch)."""
    eta_seconds: float | None
    error: str | None
    created_at: datetime | None = None

    @property
    def percent(self) -> float:
        return 100.0 if not self.total else round(100 * self.done / self.total, 1)


def progress_of(job: ImportJob, now: datetime) -> ImportProgress:
    """The job as its page shows it. The rate is this run's rows over its time: up to `now` while it
    runs, frozen at its last commit (`updated_at`) once it ended, so a finished import keeps its
    final rate instead of falling as the page stays open. An interrupted run has none: start-up
    stamped it later, and when the process died is not known."""
    rate = eta = None
    ran = job.rows_done - job.run_started_rows
    end = now if job.status == ImportStatus.RUNNING else job.updated_at
    if job.status == ImportStatus.INTERRUPTED:
        end = None
    if job.run_started_at is not None and end is not None and ran > 0:
        seconds = (end - job.run_started_at).total_seconds()
        if seconds > 0:
            rate = ran / seconds
            eta = (job.total_rows - job.rows_done) / rate if job.status == 'running' else 0.0
    return ImportProgress(job_id=job.id or 0, file_name=job.file_name, status=job.status, total=job.total_rows,
                          done=job.rows_done, created=job.created_count, joined=job.joined_count,
                          skipped=job.skipped_count, failed=job.failed_count, rate=rate, eta_seconds=eta,
                          error=job.error, created_at=job.created_at)


@dataclass(frozen=True, slots=True)
class ReportLine:
    row_number: int
    lead_id: int | None
    lead_name: str | None
    errors: dict[str, str]


@dataclass(frozen=True, slots=True)
class ImportReport:
    progress: ImportProgress
    joined: list[ReportLine]
    """Rows that joined an existing lead (touch or fill), with the lead."""
    skipped: list[ReportLine]
    failed: list[ReportLine]
