"""A batch's dedupe index: the existing leads a batch of arrivals could join, read in one query,
plus the leads the batch itself creates, answering exactly what `queries.find_duplicate` would
(the identity of store/identity.py: phone, email, or company + name; an open lead before a closed
one, then the oldest)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlmodel import Session

from store import duplicates as store
from store.identity import Key, identity_keys, twin_rank, wanted
from store.locks import lock_leads

if TYPE_CHECKING:
    from core.capture.clean import CleanLead
    from core.leads.record import LeadRecord


class TwinIndex:
    def __init__(self, session: Session, arrivals: Iterable[CleanLead]) -> None:
        self._by_key: dict[Key, dict[int, LeadRecord]] = {}
        found = store.twins_of_many(session, wanted(arrivals))
        # PostgreSQL: the twins row-locked (id order, fresh values) before the batch locks the reps, so a
        # touch never overwrites a concurrent edit or assignment with what it read before (SQLite: no-op).
        lock_leads(session, [lead.id for lead in found])
        for lead in found:
            self.add(lead)

    def add(self, lead: LeadRecord) -> None:
        """Index a lead, stored or new in this batch (again, after a touch filled its phone, email or
        company)."""
        for key in identity_keys(lead):
            self._by_key.setdefault(key, {})[lead.id or 0] = lead

    def find(self, clean: CleanLead) -> LeadRecord | None:
        candidates: dict[int, LeadRecord] = {}
        for key in identity_keys(clean):
            candidates.update(self._by_key.get(key, {}))
        live = [lead for lead in candidates.values() if not lead.is_deleted]
        if not live:
            return None
        return min(live, key=twin_rank)
