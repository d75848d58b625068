"""Bulk edit of leads, customers and opportunities (issue 21): one action — set a field, add or
remove a tag, disqualify, reassign, move to the pool; a deal's stage move or Lost — for some selected
records or all leads (deals) matching the inbox's (board's) filter. One batch record (`BulkBatch`,
its `entity` saying which records) and one undo for every list; what an action does to a customer
is core/customers/bulk.py, to an opportunity core/pipeline/bulk_deals.py. A preview says how many change
and why the others are skipped; the apply is one transaction with one audit line per lead (reason
`reason.bulk.<kind>`, the batch's id), events after the commit; a `BulkBatch` keeps each changed
lead's values before, so the batch can be undone within 24 hours except for leads changed since.

What each action does to a lead, and whether the actor may, is core/leads/bulk_plan.py: the same
checks and writes as the one-by-one actions. Reads and writes are per batch, not per lead (one
query for the leads; the ORM's flush sends the updates and audit lines in batches), and the
derived data follows through the unit of work's one step (core/projections.py), as for any
ORM write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from core.capture.pending import Writes
from core.context import Context, retry_conflicts
from core.customers import bulk as customer_bulk
from core.customers.bulk import CustomerPlanner
from core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from core.leads.actions import LeadService
from core.leads.bulk_matching import ENTITY, MatchingList, matching_ids
from core.leads.bulk_plan import TAG_KINDS, BulkAction, BulkKind, Planner, Skip, state
from core.leads.bulk_rows import undo_leads, write_leads
from core.notify import notify
from core.pipeline import bulk_deals
from store.locks import lock_leads
from store.models import BulkBatch, Role, TagEntity, UserRef
from store.queries import bulk as store

BULK_MAX = 2000
"""The most leads one bulk edit takes (a larger filter is refused: narrow it first)."""
UNDO_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which records: these ids (rows ticked), or — `filters` given — every record the list `matching`
    shows for these filters (core/leads/bulk_matching.py): "all N matching"."""

    ids: tuple[int, ...] = ()
    filters: Mapping[str, Any] | None = None
    entity: TagEntity = TagEntity.LEAD
    """Leads, customers or opportunities (`customers.bulk.KINDS`, `bulk_deals.KINDS`: what they take)."""
    matching: MatchingList = MatchingList.INBOX
    """With `filters`: the list they are of (it must hold `entity`)."""


@dataclass(frozen=True, slots=True)
class Preview:
    selected: int
    change: int
    skipped: dict[Skip, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BulkResult:
    batch_id: int | None
    """None when nothing changed (no batch is kept)."""
    changed: int
    skipped: dict[Skip, int]


@dataclass(frozen=True, slots=True)
class UndoResult:
    restored: int
    stale: int
    """Leads changed since the batch: left as they are."""


@dataclass(frozen=True, slots=True)
class BatchView:
    id: int
    entity: TagEntity
    action: BulkKind
    params: dict[str, Any]
    changed: int
    created_at: datetime | None
    undone_at: datetime | None
    can_undo: bool


class BulkService:
    def __init__(self, ctx: Context, leads: LeadService) -> None:
        self.ctx = ctx
        self.leads = leads

    def _ids(self, session: Session, actor: UserRef, selection: Selection) -> list[int]:
        if selection.entity not in (TagEntity.LEAD, TagEntity.CUSTOMER, TagEntity.OPPORTUNITY) or (
                selection.filters is not None and selection.entity != ENTITY.get(selection.matching)):
            raise ValidationFailed({'selection': 'invalid'})
        if selection.filters is None:
            ids = list(dict.fromkeys(int(i) for i in selection.ids))
        else:
            ids = matching_ids(session, self.leads, actor, selection.matching,
                                filters=selection.filters, limit=BULK_MAX + 1)
        if len(ids) > BULK_MAX:
            raise ValidationFailed({'leads': 'too_many'})
        return ids

    def _planner(self, session: Session, actor: UserRef, action: BulkAction, now: datetime, *,
                 lock: bool) -> Planner:
        return Planner(session, actor, action, config=self.ctx.capture_config.load(session), now=now,
                       day_start=self.ctx.day_start(now), region=self.ctx.settings.default_region, lock=lock)

    def preview(self, actor: UserRef, selection: Selection, action: BulkAction) -> Preview:
        """How many leads the action would change, and how many it would skip and why (one read)."""
        now = self.ctx.now()
        with self.ctx.read() as session:
            ids = self._ids(session, actor, selection)
            if selection.entity != TagEntity.LEAD:
                records, found = self._records(session, actor, selection.entity, action, ids=ids, now=now, lock=False)
                outcomes = Counter(records.check(record) for record in found)
            else:
                planner = self._planner(session, actor, action, now, lock=False)
                found = store.live_leads(session, ids)
                planner.load(session, found)
                outcomes = Counter(planner.check(lead) for lead in found)
        skipped = {skip: n for skip, n in outcomes.items() if skip is not None}
        if missing := len(ids) - len(found):
            skipped[Skip.NOT_ALLOWED] = skipped.get(Skip.NOT_ALLOWED, 0) + missing
        return Preview(selected=len(ids), change=outcomes[None], skipped=skipped)

    def _records(self, session: Session, actor: UserRef, entity: str, action: BulkAction, *, ids: Sequence[int],
                 now: datetime, lock: bool) -> tuple[Any, Sequence[Any]]:
        """A customer's or deal's planner and the selected records it acts on (loaded)."""
        tags, region = self.ctx.capture_config.load(session).tags, self.ctx.settings.default_region
        planner: CustomerPlanner | bulk_deals.DealPlanner
        if entity == TagEntity.CUSTOMER:
            planner = CustomerPlanner(session, actor, action, tags=tags, region=region, now=now)
            found: Sequence[Any] = store.live_customers(session, ids, lock=lock)
        else:
            planner = bulk_deals.DealPlanner(session, actor, action, tags=tags, region=region, now=now)
            found = store.live_deals(session, ids, lock=lock)
        planner.load(session, found)
        return planner, found

    @retry_conflicts
    def apply(self, actor: UserRef, selection: Selection, action: BulkAction) -> BulkResult:
        """Apply the action to every selected record it may change, in one transaction; the others
        are skipped and counted as the preview counts them."""
        if selection.entity != TagEntity.LEAD:
            return self._apply_records(actor, selection, action)
        now = self.ctx.now()
        changed: list[tuple[int, int | None, int | None]] = []  # (lead, owner before, owner after)
        with self.ctx.write() as session:
            ids = self._ids(session, actor, selection)
            lock_leads(session, ids)  # PostgreSQL: leads, then reps (Team) — the one lock order
            planner = self._planner(session, actor, action, now, lock=True)
            found = store.live_leads(session, ids)
            planner.load(session, found)
            outcomes = {lead.id or 0: planner.check(lead) for lead in found}
            skipped = Counter(skip for skip in outcomes.values() if skip is not None)
            skipped[Skip.NOT_ALLOWED] += len(ids) - len(found)
            todo = [lead for lead in found if outcomes[lead.id or 0] is None]
            if not todo:
                return BulkResult(batch_id=None, changed=0, skipped=+skipped)
            batch = BulkBatch(actor_id=actor.id, action=action.kind, params=_params(action), changed=len(todo),
                              created_at=now)
            session.add(batch)
            session.flush()
            batch_id = batch.id or 0
            snapshot: dict[str, Any] = {}
            columns: set[str] = set()
            writes = Writes(session, 0)
            with session.no_autoflush:  # the leads are written below in one statement, not row by row
                for lead in todo:
                    before, owner, tags = state(lead), lead.owner_id, planner.tags.ids(lead.id or 0)
                    planner.apply(session, lead, batch_id, writes)
                    after = state(lead)
                    diff = {k: v for k, v in before.items() if after[k] != v}
                    columns.update(diff)
                    snapshot[str(lead.id)] = {'v': lead.version, 'before': diff}
                    if action.kind in TAG_KINDS:
                        snapshot[str(lead.id)]['tags'] = tags  # the exact set an undo puts back
                    changed.append((lead.id or 0, owner, lead.owner_id))
                write_leads(session, todo, columns)
            writes.flush()  # the audit lines, after the leads: a webhook's payload shows the lead as changed
            batch.snapshot = snapshot
            session.add(batch)
            told = self._tell_reps(session, action, changed, now)
        self._published(action.kind, changed, told, tagged=action.kind in TAG_KINDS)
        return BulkResult(batch_id=batch_id, changed=len(changed), skipped=+skipped)

    def _apply_records(self, actor: UserRef, selection: Selection, action: BulkAction) -> BulkResult:
        """Customers or deals: the same batch as leads', each record changed by its planner."""
        now, entity = self.ctx.now(), selection.entity
        with self.ctx.write() as session:
            ids = self._ids(session, actor, selection)
            planner, found = self._records(session, actor, entity, action, ids=ids, now=now, lock=True)
            outcomes = {a.id or 0: planner.check(a) for a in found}
            skipped = Counter(skip for skip in outcomes.values() if skip is not None)
            skipped[Skip.NOT_ALLOWED] += len(ids) - len(found)
            todo = [a for a in found if outcomes[a.id or 0] is None]
            if not todo:
                return BulkResult(batch_id=None, changed=0, skipped=+skipped)
            batch = BulkBatch(actor_id=actor.id, entity=entity, action=action.kind,
                              params=_params(action), changed=len(todo), created_at=now)
            session.add(batch)
            session.flush()
            apply_all = customer_bulk.apply_all if entity == TagEntity.CUSTOMER else bulk_deals.apply_all
            batch.snapshot = apply_all(session, planner, todo, batch.id or 0)
            session.add(batch)
        self._published_records(entity, [r.id or 0 for r in todo], actor, tagged=action.kind in TAG_KINDS)
        return BulkResult(batch_id=batch.id, changed=len(todo), skipped=+skipped)

    def _published_records(self, entity: str, ids: Sequence[int], actor: UserRef, *, tagged: bool) -> None:
        """Open pages redraw: a record's chips (tagged), every board (a deal changed)."""
        events = self.ctx.events
        for record_id in ids:
            if tagged:
                events.publish(events.record_tagged, entity, record_id)
            if entity == TagEntity.OPPORTUNITY:
                events.publish(events.opportunity_moved, record_id, actor.id)

    @staticmethod
    def _tell_reps(session: Session, action: BulkAction, changed: Sequence[tuple[int, int | None, int | None]],
                   now: datetime) -> list[int]:
        """A reassignment tells each new owner once, with the count (as the pool's batch assign)."""
        if action.kind != BulkKind.REASSIGN:
            return []
        per_rep = Counter(after for _lead, _before, after in changed if after is not None)
        told: list[int] = []
        for rep_id, count in per_rep.items():
            told += notify(session, [rep_id], 'notify.assigned_many', now=now, count=count)
        return told

    def _published(self, kind: BulkKind | None, changed: Sequence[tuple[int, int | None, int | None]],
                   told: Sequence[int], *, tagged: bool = False) -> None:
        events = self.ctx.events
        for lead_id, before, after in changed:
            if tagged:  # every open page showing the lead redraws its chips
                events.publish(events.record_tagged, TagEntity.LEAD, lead_id)
            if kind == BulkKind.REASSIGN:
                events.publish(events.lead_assigned, lead_id, after, before)
            else:
                events.publish(events.lead_changed, lead_id, after if after is not None else before)
        for user_id in told:
            events.publish(events.notified, user_id)

    @retry_conflicts
    def undo(self, actor: UserRef, batch_id: int) -> UndoResult:
        """Put back each record's values before the batch, unless it changed since (stale: skipped
        and counted). Refused once undone, or after 24 hours (`bulk_too_old`). One transaction."""
        now = self.ctx.now()
        changed: list[tuple[int, int | None, int | None]] = []
        records: list[int] = []
        with self.ctx.write() as session:
            batch = session.get(BulkBatch, batch_id, with_for_update=True, populate_existing=True)
            if batch is None:
                raise NotFound()
            if batch.actor_id != actor.id and actor.role != Role.ADMIN:
                raise NotAllowed()
            if batch.undone_at is not None:
                raise InvalidState('bulk_undone')
            if batch.created_at is None or now - batch.created_at > UNDO_WINDOW:
                raise InvalidState('bulk_too_old')
            entity = batch.entity
            if entity == TagEntity.CUSTOMER:
                records = customer_bulk.undo_all(session, batch.snapshot, batch_id=batch_id, actor=actor, now=now)
            elif entity == TagEntity.OPPORTUNITY:
                records = bulk_deals.undo_all(session, batch.snapshot, batch_id=batch_id, batch_at=batch.created_at,
                                              actor=actor, now=now)
            else:
                changed = undo_leads(session, batch, actor, now)
            stale = len(batch.snapshot) - len(changed) - len(records)  # changed since, or merged away
            batch.undone_at, batch.undone_by = now, actor.id
            session.add(batch)
            tagged = any('tags' in e for e in batch.snapshot.values())
        self._published(None, changed, (), tagged=tagged)
        self._published_records(entity, records, actor, tagged=tagged)
        return UndoResult(restored=len(changed) + len(records), stale=stale)

    def recent(self, actor: UserRef, *, limit: int = 10) -> list[BatchView]:
        """The actor's bulk edits of the last 24 hours, newest first, each with whether Undo works."""
        now = self.ctx.now()
        with self.ctx.read() as session:
            batches = store.recent_batches(session, actor.id, now - UNDO_WINDOW, limit=limit)
            return [BatchView(id=b.id or 0, entity=TagEntity(b.entity), action=BulkKind(b.action),
                              params=dict(b.params), changed=b.changed, created_at=b.created_at, undone_at=b.undone_at,
                              can_undo=b.undone_at is None and b.created_at is not None
                              and now - b.created_at <= UNDO_WINDOW)
                    for b in batches]

    def lead_ids(self, actor: UserRef, selection: Selection) -> list[int]:
        """The ids a selection names (for "all N matching": the UI shows the count it acts on)."""
        with self.ctx.read() as session:
            return self._ids(session, actor, selection)


def _params(action: BulkAction) -> dict[str, Any]:
    """What the list of recent batches says about the action."""
    value = action.value if isinstance(action.value, str | int | float | bool | list) else str(action.value)
    params: dict[str, Any] = {'field': action.field, 'value': value, 'reason': action.reason or None,
                              'rep_id': action.rep_id, 'tag_id': action.tag_id, 'stage_id': action.stage_id}
    return {k: v for k, v in params.items() if v not in (None, '')}
