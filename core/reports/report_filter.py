"""What every report panel is computed over: a range of team-local days and optional source, region,
industry and owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """What every panel is computed over: team-local days `start`..`end` (both included)."""

    start: date
    end: date
    source: str | None = None
    region: str | None = None
    industry: str | None = None
    owner_id: int | None = None


