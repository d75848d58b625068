"""`python run.py export KIND --format csv|xlsx -o FILE [--since YYYY-MM-DD]`: what the operator
types and reads; the export itself is core/reports/export.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from core.reports.export import EVER, FORMATS, LISTS, ExportService
from core.reports.report_filter import ReportFilter


def run(desk: Any, kind: str, fmt: str, output: str, since: str | None,
        *, language: str = 'zh-CN') -> tuple[int, str]:
    """`python run.py export KIND --format csv|xlsx -o FILE [--since YYYY-MM-DD] [--lang zh-CN|en]`: the
    whole team's list (the command line is whoever runs the server); `language`: of the custom fields'
    columns. Returns (exit code, message)."""
    if kind not in LISTS:
        return 2, f'export: unknown list {kind!r} (one of {", ".join(LISTS)})'
    if fmt not in FORMATS:
        return 2, f'export: --format must be csv or xlsx, not {fmt!r}'
    start = EVER
    if since:
        try:
            start = date.fromisoformat(since)
        except ValueError:
            return 2, f'export: --since must be a date like 2026-03-01, not {since!r}'
    exporter: ExportService = desk.export
    end = max(exporter.reports.today(), start)
    frame = exporter.list_frame(None, kind, ReportFilter(start=start, end=end), language)
    Path(output).write_bytes(exporter.encode({kind: frame}, fmt))
    return 0, f'{len(frame)} {kind} written to {output}'
