"""A lead batch's rows (core/leads/bulk.py): the changed leads written in one statement, and a
batch's undo for leads (values, tags, one audit line each)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from core import projections
from core.capture.pending import Writes
from core.leads.bulk_plan import restore
from core.leads.bulk_tags import restore_tags
from store.audit_actions import AuditAction
from store.bulk_writes import update_leads
from store.locks import lock_leads
from store.models import BulkBatch, Lead, TagEntity, UserRef
from store.queries import bulk as store


def undo_leads(session: Session, batch: BulkBatch, actor: UserRef, now: datetime
                ) -> list[tuple[int, int | None, int | None]]:
    """A lead batch's undo: each lead not changed since gets its values and tags back, written in
    one statement with one audit line each; returns (lead, owner before the undo, owner after)."""
    ids = [int(i) for i in batch.snapshot]
    lock_leads(session, ids)
    changed: list[tuple[int, int | None, int | None]] = []
    restored: list[Lead] = []
    columns: set[str] = set()
    writes = Writes(session, 0)
    with session.no_autoflush:
        for lead in store.live_leads(session, ids):
            entry = batch.snapshot[str(lead.id)]
            if lead.version != entry['v']:
                continue  # changed since the batch: stale
            owner = lead.owner_id
            restore(lead, entry['before'])
            if 'tags' in entry:
                restore_tags(session, TagEntity.LEAD, lead.id or 0, entry['tags'], now)
            columns.update(entry['before'])
            lead.version += 1
            lead.updated_at = now
            restored.append(lead)
            writes.audit(AuditAction.BULK_UNDONE, now=now, lead_id=lead.id, actor_id=actor.id,
                         reason_key='reason.bulk.undone', batch=batch.id)
            changed.append((lead.id or 0, owner, lead.owner_id))
        write_leads(session, restored, columns)
    writes.flush()
    return changed


def write_leads(session: Session, leads: Sequence[Lead], columns: set[str]) -> None:
    """The changed leads in one UPDATE statement (store/bulk_writes.py) instead of the ORM's one per
    row: registered with the unit of work first, so the projections count them; then taken out of
    the session, so its flush (audit lines, reps) does not write them again."""
    if not leads:
        return
    projections.updating(session, [lead.id or 0 for lead in leads])
    for lead in leads:
        session.expunge(lead)
    update_leads(session, leads, columns | {'version', 'updated_at'})
