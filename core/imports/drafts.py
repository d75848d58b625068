"""Before an import runs: receiving the upload (counted, size-limited, deleted on any failure), the
draft job with its suggested mapping, the preview of the first rows as they will be stored, and
saved mapping templates. The leads' active custom fields are targets beside the built-in fields
(core/imports/mapping.py), read from the capture configuration (cached: no query per row)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from sqlmodel import Session

from core.capture.clean import validate
from core.context import Context
from core.custom_fields.values import NO_FIELDS, CustomFields, Definition
from core.errors import InvalidState, NotFound, ValidationFailed
from core.imports.file import check_file_name, peek, scan
from core.imports.job_access import JobAccess
from core.imports.limits import UnreadableFile
from core.imports.mapping import row_data, suggest_mapping, targets
from core.imports.views import (
    ImportDraft,
    ImportOptions,
    ImportPreview,
    PreviewRow,
)
from store import imports as store
from store import queries
from store.models import ImportJob, ImportTemplate, UserRef

PREVIEW_ROWS = 20


CHUNK = 1024 * 1024


class Incoming:
    """One upload being received (`ImportService.receive`): written under the data folder as
    `<random>.<ext>.part`, mode 0600, counted as it comes; past the size limit the file is deleted
    and the upload refused. `finish` reads and checks it and makes the draft job; any failure, or
    leaving the `with` block without finishing, deletes the file."""

    def __init__(self, service: ImportDrafts, actor: UserRef | None, file_name: str) -> None:
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


def checked_mapping(mapping: Sequence[str | None], width: int,
                    custom: CustomFields = NO_FIELDS) -> list[str | None]:
    """One known target (or None) per column, `name` or a name part among them; a custom field's
    target (`custom.<key>`) only while the field is active."""
    known = set(targets(custom))
    fixed = [m or None for m in list(mapping)[:width]] + [None] * max(0, width - len(mapping))
    if any(m is not None and m not in known for m in fixed):
        raise ValidationFailed({'mapping': 'invalid'})
    if not {'name', 'first_name', 'last_name'} & set(fixed):
        raise ValidationFailed({'mapping': 'no_name'})
    return fixed


class ImportDrafts(JobAccess):
    """Part of ImportService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    def _custom(self, session: Session) -> CustomFields:
        """The leads' custom fields as this transaction sees them (the capture configuration's copy)."""
        return self.ctx.capture_config.load(session).custom

    def _checked(self, session: Session, mapping: Sequence[str | None], width: int) -> list[str | None]:
        return checked_mapping(mapping, width, self._custom(session))

    def custom_fields(self, actor: UserRef | None) -> tuple[Definition, ...]:
        """The leads' custom fields, retired ones too (the page names a failed row's field by its
        label); the active ones are the custom targets."""
        self._check(actor)
        with self.ctx.read() as session:
            return self._custom(session).definitions

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
            job.mapping = suggest_mapping(table.headers, template, self._custom(session))
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
                mapping = suggest_mapping(table.headers, self._template_for(session, table.headers),
                                          self._custom(session))
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
            custom = self._custom(session)
            mapping = checked_mapping(mapping, len(table.headers), custom)
            lines = []
            for number, cells in table.sample:
                data, notes = row_data(cells, mapping, custom)
                try:
                    clean = validate(data, default_source=opts.default_source,
                                     region=self.ctx.settings.default_region, custom_fields=custom)
                except ValidationFailed as e:
                    lines.append(PreviewRow(row_number=number, values=data, problems=e.errors, notes=notes))
                    continue
                twin = queries.find_duplicate(session, clean)
                values = {k: getattr(clean, k) for k in ('name', 'phone_norm', 'email', 'company', 'source',
                                                          'region', 'city', 'title', 'industry', 'campaign')}
                lines.append(PreviewRow(row_number=number, values=values, problems={}, notes=notes,
                                        duplicate_of=twin.id if twin is not None else None))
        return ImportPreview(rows=lines, total_rows=job.total_rows)

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
        with self.ctx.write() as session:
            by_header = dict(zip(headers, self._checked(session, mapping, len(headers)), strict=True))
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
            return suggest_mapping(headers, template.mapping, self._custom(session))
