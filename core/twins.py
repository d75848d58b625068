"""A batch's dedupe index: the existing leads a batch of arrivals could join, read in one query,
plus the leads the batch itself creates, answering exactly what `queries.find_duplicate` would
(phone, email, or company + name; an open lead before a closed one, then the oldest)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlmodel import Session

from store import duplicates as store
from store.locks import lock_leads
from store.models import CLOSED_STATUSES, Lead

if TYPE_CHECKING:
    from .capture import CleanLead


def _keys(phone_norm: str | None, email: str | None, company_norm: str | None,
          name: str | None) -> list[tuple[str, object]]:
    keys: list[tuple[str, object]] = []
    if phone_norm:
        keys.append(('phone', phone_norm))
    if email:
        keys.append(('email', email))
    if company_norm and name:
        keys.append(('company_name', (company_norm, name)))
    return keys


class TwinIndex:
    def __init__(self, session: Session, arrivals: Iterable[CleanLead]) -> None:
        arrivals = list(arrivals)
        self._by_key: dict[tuple[str, object], dict[int, Lead]] = {}
        found = store.twins_of_many(
            session, phones=sorted({a.phone_norm for a in arrivals if a.phone_norm}),
            emails=sorted({a.email for a in arrivals if a.email}),
            company_names=sorted({(a.company_norm, a.name) for a in arrivals if a.company_norm and a.name}))
        # PostgreSQL: the twins row-locked (id order, fresh values) before the batch locks the reps, so a
        # touch never overwrites a concurrent edit or assignment with what it read before (SQLite: no-op).
        lock_leads(session, [lead.id for lead in found])
        for lead in found:
            self.add(lead)

    def add(self, lead: Lead) -> None:
        """Index a lead (again, after a touch filled its phone, email or company)."""
        for key in _keys(lead.phone_norm, lead.email, lead.company_norm, lead.name):
            self._by_key.setdefault(key, {})[lead.id or 0] = lead

    def find(self, clean: CleanLead) -> Lead | None:
        candidates: dict[int, Lead] = {}
        for key in _keys(clean.phone_norm, clean.email, clean.company_norm, clean.name):
            candidates.update(self._by_key.get(key, {}))
        live = [lead for lead in candidates.values() if not lead.is_deleted]
        if not live:
            return None
        return min(live, key=lambda lead: (lead.status in CLOSED_STATUSES, lead.id or 0))
