"""What every report panel is computed over: a range of team-local days and optional source, region,
industry and owner, within the reader's data scope."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from core import permissions
from store.models import UserRef


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """What every panel is computed over: team-local days `start`..`end` (both included)."""

    start: date
    end: date
    source: str | None = None
    region: str | None = None
    industry: str | None = None
    owner_id: int | None = None
    owners: frozenset[int] | None = None
    """Set by `ReportService.check_filter` from the reader's data scope (None: everyone's); whatever a
    caller passes is replaced, so a crafted filter cannot widen it."""

    @property
    def rollup_scope(self) -> int | frozenset[int]:
        """Which roll-up scopes sum to this filter's figures: one owner, the scope's owners, or the team (0)."""
        return self.owner_id or self.owners or 0




def within_reach(actor: UserRef, f: ReportFilter) -> ReportFilter:
    """The filter cut to the reader's data scope: everyone's for a company-wide scope; a rep (or anyone
    whose scope is their own records) their own numbers; a department scope its owners, and an owner
    asked for outside it is dropped (never wider than the scope)."""
    reach = permissions.reach(actor)
    if reach.everyone:
        return replace(f, owners=None)
    if reach.owner_ids <= {actor.id}:
        return replace(f, owner_id=actor.id, owners=None)
    owners = reach.owner_ids | {actor.id}
    return replace(f, owner_id=f.owner_id if f.owner_id in owners else None, owners=owners)
