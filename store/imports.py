"""Reads and bulk writes for import jobs, their row outcomes and mapping templates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, func, select

from .capture_writes import bulk_insert
from .models import ImportJob, ImportRow, ImportStatus, ImportTemplate, Lead

_ROWS = SQLModel.metadata.tables[ImportRow.__tablename__]  # = `.__table__` (undeclared in SQLModel)


def jobs_with_status(session: Session, statuses: Sequence[str]) -> Sequence[ImportJob]:
    return session.exec(select(ImportJob).where(col(ImportJob.status).in_(statuses))).all()


def recent_jobs(session: Session, *, created_by: int | None, limit: int) -> Sequence[ImportJob]:
    """Newest first; `created_by` None: everyone's."""
    query = select(ImportJob).where(ImportJob.status != 'draft')
    if created_by is not None:
        query = query.where(ImportJob.created_by == created_by)
    return session.exec(query.order_by(col(ImportJob.id).desc()).limit(limit)).all()


def add_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """One multi-row insert per batch (Core, not the ORM: a 100k-row import writes 100k of these)."""
    bulk_insert(session, _ROWS, rows)


def rows_of(session: Session, job_id: int, outcome: str, *, limit: int | None = None
            ) -> Sequence[tuple[ImportRow, str | None]]:
    """A job's rows with one outcome, in file order, each with its lead's name."""
    query = (select(ImportRow, Lead.name).outerjoin(Lead, col(Lead.id) == ImportRow.lead_id)
             .where(ImportRow.job_id == job_id, ImportRow.outcome == outcome)
             .order_by(col(ImportRow.row_number)))
    if limit is not None:
        query = query.limit(limit)
    return session.exec(query).all()


def row_counts(session: Session, job_id: int) -> dict[str, int]:
    return dict(session.exec(select(ImportRow.outcome, func.count()).where(ImportRow.job_id == job_id)
                             .group_by(ImportRow.outcome)).all())


def templates(session: Session) -> Sequence[ImportTemplate]:
    return session.exec(select(ImportTemplate).order_by(ImportTemplate.name)).all()


def template_by_name(session: Session, name: str) -> ImportTemplate | None:
    return session.exec(select(ImportTemplate).where(ImportTemplate.name == name)).first()


def drafts_created_before(session: Session, cutoff: datetime) -> Sequence[ImportJob]:
    """Draft jobs uploaded before `cutoff` (nobody ran them): housekeeping expires them."""
    return session.exec(select(ImportJob).where(ImportJob.status == ImportStatus.DRAFT,
                                                col(ImportJob.created_at) < cutoff)).all()


def file_paths(session: Session) -> Sequence[str]:
    """Every job's upload path (most point at files already deleted)."""
    return session.exec(select(ImportJob.file_path)).all()
