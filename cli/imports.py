"""`python run.py import FILE [--source S] [--to-pool|--assign [EMAIL]] [--dry-run]` and
`python run.py import --resume JOB`: the same import job as the page, with a progress bar on
stderr and the same report on stdout."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from core.imports.views import ImportProgress, ImportReport
from store import queries
from store.models import Role
from store.wal import WalCheckpointer

BAR_WIDTH = 30
SHOWN_LINES = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `run.py` accepts for `import`."""
    parser.add_argument('--source', default=None, help='import: source for rows without one (default: import)')
    target = parser.add_mutually_exclusive_group()
    target.add_argument('--to-pool', action='store_true', help='import: put every new lead in the pool')
    target.add_argument('--assign', nargs='?', const='rules', default=None, metavar='EMAIL',
                        help='import: assign by the rules (default), or every new lead to the rep EMAIL')
    parser.add_argument('--duplicates', choices=('touch', 'fill', 'skip'), default='touch',
                        help='import: a duplicate row adds a touch, only fills empty fields, or is skipped')
    parser.add_argument('--sheet', default=None, help='import: the XLSX sheet (default: the first)')
    parser.add_argument('--dry-run', action='store_true', help='import: report what would happen, write nothing')
    parser.add_argument('--resume', type=int, default=None, metavar='JOB', help='import: continue an interrupted job')


def bar(p: ImportProgress) -> str:
    filled = int(BAR_WIDTH * p.percent / 100)
    rate = f'{p.rate:,.0f} rows/s' if p.rate else '… rows/s'
    eta = f'ETA {p.eta_seconds:,.0f}s' if p.eta_seconds is not None else 'ETA …'
    return f'[{"#" * filled}{"." * (BAR_WIDTH - filled)}] {p.done:,}/{p.total:,} {p.percent:5.1f}%  {rate}  {eta}'


def print_report(report: ImportReport, out: TextIO, failed_path: Path | None = None) -> None:
    p = report.progress
    out.write(f'import #{p.job_id} {p.file_name}: {p.status}\n')
    out.write(f'created {p.created}, joined existing {p.joined}, skipped {p.skipped}, failed {p.failed}'
              f' (of {p.total} rows)\n')
    for title, lines in (('joined', report.joined), ('skipped', report.skipped)):
        for line in lines[:SHOWN_LINES]:
            out.write(f'  row {line.row_number}: {title} lead #{line.lead_id} {line.lead_name or ""}\n')
    for line in report.failed[:SHOWN_LINES]:
        problems = ', '.join(f'{field} {code}' for field, code in line.errors.items())
        out.write(f'  row {line.row_number}: failed: {problems}\n')
    if failed_path is not None:
        out.write(f'failed rows written to {failed_path}\n')
    if p.error:
        out.write(f'error: {p.error} (resume with: python run.py import --resume {p.job_id})\n')


def options_from(desk: Desk, args: argparse.Namespace) -> dict[str, object]:
    options: dict[str, object] = {'default_source': args.source or 'import', 'duplicates': args.duplicates}
    if args.to_pool:
        options['assign'] = 'pool'
    elif args.assign and args.assign != 'rules':
        with desk.ctx.read() as session:
            rep = queries.user_by_email(session, args.assign.strip().lower())
        if rep is None or rep.role != Role.REP:
            raise ValidationFailed({'assign': 'not_a_rep'})
        options.update(assign='rep', rep_id=rep.id)
    return options


def main(desk: Desk, files: list[str], args: argparse.Namespace, out: TextIO = sys.stdout,
         err: TextIO = sys.stderr, *, describe: Callable[[DomainError], str] | None = None) -> int:
    """0: the job ran to the end (failed rows are in the report); 1: it stopped; 2: bad usage.
    `describe`: a refusal as a sentence (the composition root passes the English catalogue's)."""
    imports = desk.imports

    def show(p: ImportProgress) -> None:
        err.write('\r' + bar(p))
        err.flush()

    try:
        if args.resume is not None:
            imports.resume(None, args.resume, background=False, on_progress=show)
            job_id = args.resume
        else:
            if len(files) != 1:
                err.write('usage: python run.py import FILE [--source S] [--to-pool|--assign [EMAIL]] [--dry-run]\n')
                return 2
            path = Path(files[0])
            with path.open('rb') as source:  # read a megabyte at a time, counted against the size limit
                draft = imports.upload(None, path.name, source)
            if args.sheet:
                draft = imports.draft(None, draft.job_id, sheet=args.sheet)
            job_id = draft.job_id
            err.write(f'{path.name}: {draft.total_rows} rows, encoding {draft.encoding or "xlsx"}'
                      f'{", sheet " + draft.sheet if draft.sheet else ""}\n')
            for header, target in zip(draft.headers, draft.mapping, strict=True):
                err.write(f'  {header!r} → {target or "(ignored)"}\n')
            options = options_from(desk, args)
            if args.dry_run:
                print_report(imports.dry_run(None, job_id, draft.mapping, options), out)
                out.write('dry run: nothing was written\n')
                return 0
            with WalCheckpointer(desk.ctx.engine):  # commits append, a thread copies, as in the app (store/wal.py)
                imports.start(None, job_id, draft.mapping, options, background=False, on_progress=show)
        err.write('\n')
    except (DomainError, OSError) as e:
        if isinstance(e, ValidationFailed):
            detail: object = e.errors
        elif isinstance(e, DomainError) and describe is not None:
            detail = describe(e)
        else:
            detail = e
        err.write(f'import not run: {detail}\n')
        return 1
    report = imports.report(None, job_id)
    failed_path = None
    if report.progress.failed:
        failed_path = Path(desk.ctx.settings.data_dir) / 'imports' / f'job-{job_id}-failed.csv'
        failed_path.write_bytes(imports.failed_csv(None, job_id))
    print_report(report, out, failed_path)
    return 0 if report.progress.status == 'done' else 1
