"""Derived data, kept by one explicit step of the unit of work (`Context.write`).

Six things are derived from the rows a user action writes and must change in the same
transaction: each rep's open-lead counter (`users.open_leads`), the reports' daily roll-up
(`report_days`), the webhook outbox (`webhook_deliveries`), the end of each stay in a stage
(`stage_changes.left_at`), the capture configuration's token (store/config_version.py) and the
search documents (`search_docs` and its index, store/search_index.py).

How: `Context.write` opens a `UnitOfWorkSession`. Its `flush()` (an override, no event listener)
records in the transaction's `ChangeSet` what each flush touches — for a lead touched the first
time in the transaction, its stored facts before (one read per flush, of the newly touched leads
only); the audit lines, step exits and stage moves it inserts; whether a scoring rule, assignment
rule or app setting changed. Bulk Core writes (capture's `core/pending.Writes`) register the leads
and audit lines they insert in the same change set. After the caller's block, `apply()` reads the
touched leads once more and writes every projection from "before at first touch" and "after at
the end"; then the transaction commits, then the outbox deliverer is woken. An ORM write and a
bulk write reach the same projections because both go through this step.

Webhook deliveries carry a snapshot of the lead as the database holds it when its audit line is
written, so the audit lines are turned into deliveries at the flush that writes them (or, for
bulk-written ones, at the next flush or at `apply`), not at the end.

Writes that bypass the unit of work (migrations, the benchmarks' raw inserts) rebuild what they
affect: `store.counters.recount_open_leads`, `store.report_rollup.rebuild`,
`store.stage_stays.recompute`, `store.search_index.rebuild`.

The domain's part lives here: which audit line is which webhook event, and what makes a lead
count as open for its owner. The store modules read and write the rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store import config_version, counters, outbox, report_rollup, search_index, stage_stays
from store.audit_actions import AuditAction, WebhookEvent
from store.models import (
    OPEN_STATUSES,
    Account,
    AppSetting,
    AuditEntry,
    Contact,
    CustomField,
    Lead,
    LeadStatus,
    Opportunity,
    StageChange,
    StepExit,
)

# ----- what the domain says ------------------------------------------------------------------------

WEBHOOK_EVENTS: Mapping[AuditAction, tuple[WebhookEvent, ...]] = {
    AuditAction.CAPTURED: (WebhookEvent.LEAD_CAPTURED,),
    AuditAction.ASSIGNED: (WebhookEvent.LEAD_ASSIGNED,),
    AuditAction.POOLED: (WebhookEvent.LEAD_POOLED,),
    AuditAction.SLA_BREACHED: (WebhookEvent.LEAD_SLA_BREACHED,),
    AuditAction.RECYCLED: (WebhookEvent.LEAD_RECYCLED,),
    AuditAction.SENT_TO_REVIEW: (WebhookEvent.LEAD_RECYCLED,),
    AuditAction.CONVERTED: (WebhookEvent.LEAD_CONVERTED,),
    AuditAction.STAGE: (WebhookEvent.OPPORTUNITY_WON, WebhookEvent.OPPORTUNITY_LOST),  # by the stage's kind
    AuditAction.DORMANT: (WebhookEvent.CUSTOMER_DORMANT,),
    AuditAction.IMPORT_DONE: (WebhookEvent.IMPORT_DONE,),
}
"""The webhook events an audit line may be."""

STATUS_EVENTS: Mapping[str, WebhookEvent] = {LeadStatus.QUALIFIED: WebhookEvent.LEAD_QUALIFIED,
                                             LeadStatus.DISQUALIFIED: WebhookEvent.LEAD_DISQUALIFIED}
"""A 'status' line is an event only for these new statuses (its `status` parameter)."""

SENT_DIRECTLY: frozenset[WebhookEvent] = frozenset({WebhookEvent.DIGEST_SENT})
"""Events no audit line projects: their sender queues the delivery in its own transaction (a
digest's card, core/digests/schedule.py), since the card carries the digest, not a record."""

CLOSED_EVENTS: Mapping[str, WebhookEvent] = {'won': WebhookEvent.OPPORTUNITY_WON,
                                             'lost': WebhookEvent.OPPORTUNITY_LOST}
"""A deal's move is an event only into a won or lost stage."""


def candidate_events(line: Mapping[str, Any]) -> tuple[WebhookEvent, ...]:
    """The webhook events an audit line may be (several only for a deal's move)."""
    if line['action'] == AuditAction.STATUS:
        found = STATUS_EVENTS.get(str((line.get('reason_params') or {}).get('status')))
        return (found,) if found else ()
    return WEBHOOK_EVENTS.get(line['action'], ())


def webhook_event(line: Mapping[str, Any], deal_kind: str | None) -> WebhookEvent | None:
    """The one event an audit line is, given its lead's deal's stage kind (None: no deal)."""
    candidates = candidate_events(line)
    if line['action'] != AuditAction.STAGE:
        return candidates[0] if candidates else None
    found = CLOSED_EVENTS.get(deal_kind or '')
    return found if found in candidates else None


def open_owner(owner_id: int | None, status: str | None) -> int | None:
    """Whose open-lead counter a lead adds one to (None: nobody's)."""
    return owner_id if owner_id and status in OPEN_STATUSES else None


# ----- collecting a transaction's changes ----------------------------------------------------------

@dataclass
class ChangeSet(report_rollup.Changes):
    """What one transaction did that the projections depend on (see the module's docstring)."""

    inserted_ids: set[int] = field(default_factory=set)
    unsent: list[Mapping[str, Any]] = field(default_factory=list)
    """Audit lines not turned into webhook deliveries yet."""
    moved_deals: set[int] = field(default_factory=set)
    config_changed: bool = False
    last_assigned: dict[int, datetime] = field(default_factory=dict)
    """Reps a bulk write assigned leads to (read as plain rows): written with their counters."""
    search_deals: set[int] = field(default_factory=set)
    search_accounts: set[int] = field(default_factory=set)
    """Opportunities and accounts written (a contact counts for its account): their search documents,
    and an account's deals', are re-read at the end."""
    search_field_keys: set[str] = field(default_factory=set)
    """Custom fields retired, restored or retyped: every lead holding a value is re-indexed."""

    def add_inserted(self, leads: Sequence[Any], audits: Sequence[Mapping[str, Any]], *, webhook_events: bool,
                     last_assigned: Mapping[int, datetime]) -> None:
        """Leads and audit lines a bulk Core write inserted (`leads`: every column an attribute, a
        new lead has no deal yet); `webhook_events` False: its lines become no webhook events."""
        self.inserted.extend(leads)
        self.inserted_ids.update(lead.id for lead in leads)
        self.audits.extend(audits)
        if webhook_events:
            self.unsent.extend(audits)
        for rep_id, at in last_assigned.items():
            self.last_assigned[rep_id] = max(at, self.last_assigned.get(rep_id, at))


class UnitOfWorkSession(Session):
    """The session of `Context.write`: each flush records what it touched in `changes`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changes = ChangeSet()

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        if self._flushing or self._is_clean():
            super().flush(objects)
            return
        new = list(self.new)
        changed = [*self.dirty, *self.deleted]
        _before_flush(self, new, changed)
        super().flush(objects)
        _after_flush(self, new)
        _searched(self.changes, (*new, *changed))


def changes(session: Session) -> ChangeSet:
    """The change set of the transaction `session` writes in (only `Context.write`'s sessions have
    one: a write elsewhere would leave the projections behind)."""
    if not isinstance(session, UnitOfWorkSession):
        raise TypeError('this write must run in Context.write (its projections are kept there)')
    return session.changes


def updating(session: Session, lead_ids: Iterable[int]) -> None:
    """A bulk Core UPDATE of these leads is about to run (core/leads/bulk.py): record their stored
    facts now, as a flush does before it writes an ORM change, so `apply` counts the change."""
    ch = changes(session)
    _record_before(session, ch, set(lead_ids) - ch.before.keys())


def _before_flush(session: UnitOfWorkSession, new: list[Any], changed: list[Any]) -> None:
    ch = session.changes
    connection = session.connection()
    _record_before(session, ch, report_rollup.touched_leads(connection, (*new, *changed)) - ch.before.keys())
    rewritten = {o.lead_id for o in changed if isinstance(o, StepExit)} - ch.exits_before.keys()
    if rewritten:  # (step exits are only ever inserted by the app; rewritten ones are read before)
        exits = report_rollup.stored_exits(connection, rewritten)
        for lead_id in rewritten:  # (as the transaction found them: without the exits it inserted)
            ch.exits_before[lead_id] = [(i, e) for i, e in exits.get(lead_id, []) if i not in ch.new_exits]
    if not ch.config_changed:
        ch.config_changed = any(_is_config(o) for o in (*new, *changed))
    ch.search_field_keys.update(o.key for o in changed if isinstance(o, CustomField) and _search_shape_changed(o))


def _record_before(session: Session, ch: ChangeSet, ids: set[int]) -> None:
    """The stored facts of leads this transaction touches for the first time."""
    connection = session.connection()
    for lead_id in ids & ch.inserted_ids:
        ch.before[lead_id] = None  # inserted by this transaction's bulk write: counted from its facts
    if ids := ids - ch.inserted_ids:
        stored = report_rollup.stored(connection, ids)
        for lead_id in ids:
            ch.before[lead_id] = stored.get(lead_id)
        if report_rollup.zone_of(session) is not None:
            ch.closed_before.update(report_rollup.closed_stored(connection, stored))


def _search_shape_changed(field_: CustomField) -> bool:
    """A custom field's values enter or leave the search documents (retired, restored, retyped)."""
    state = sa_inspect(field_)
    return any(state.attrs[name].history.has_changes() for name in ('is_retired', 'type'))


def _searched(ch: ChangeSet, objects: Sequence[Any]) -> None:
    """The opportunities and accounts a flush wrote (ids known after it), for their documents."""
    for obj in objects:
        if isinstance(obj, Opportunity) and obj.id is not None:
            ch.search_deals.add(obj.id)
        elif isinstance(obj, Account) and obj.id is not None:
            ch.search_accounts.add(obj.id)
        elif isinstance(obj, Contact):
            ch.search_accounts.add(obj.account_id)


def _is_config(obj: object) -> bool:
    """A rule or setting the capture path caches under the token (bookkeeping rows are not:
    `config_version.is_bookkeeping`)."""
    return isinstance(obj, config_version.WATCHED) and not (isinstance(obj, AppSetting)
                                                            and config_version.is_bookkeeping(obj.key))


def _after_flush(session: UnitOfWorkSession, new: list[Any]) -> None:
    ch = session.changes
    for obj in new:
        if isinstance(obj, Lead):
            ch.before.setdefault(obj.id or 0, None)  # created here
        elif isinstance(obj, AuditEntry):
            line = {'action': obj.action, 'lead_id': obj.lead_id, 'actor_id': obj.actor_id,
                    'subject_user_id': obj.subject_user_id, 'reason_key': obj.reason_key,
                    'reason_params': obj.reason_params, 'created_at': obj.created_at}
            ch.audits.append(line)
            ch.unsent.append(line)
        elif isinstance(obj, StepExit) and obj.id is not None:
            ch.new_exits.add(obj.id)
        elif isinstance(obj, StageChange) and obj.opportunity_id:
            ch.moved_deals.add(obj.opportunity_id)
    _send(session, ch)


def _send(session: Session, ch: ChangeSet) -> None:
    """The audit lines written so far become webhook deliveries (the lead as it is now)."""
    if ch.unsent:
        lines, ch.unsent = ch.unsent, []
        outbox.enqueue(session, lines, candidate_events, webhook_event)


# ----- the explicit step -----------------------------------------------------------------------------

def apply(session: Session) -> None:
    """Bring every projection up to date with what this transaction wrote (in it, before commit)."""
    ch = changes(session)
    session.flush()
    connection = session.connection()
    after = report_rollup.stored(connection, ch.before) if ch.before else {}
    counters.add(connection, _open_deltas(ch, after), ch.last_assigned)
    if (ch.before or ch.inserted or ch.audits) and (zone := report_rollup.zone_of(session)) is not None:
        report_rollup.apply_changes(connection, zone, ch, after)
    if ch.moved_deals:
        stage_stays.recompute(connection, ch.moved_deals)
    if ch.config_changed:
        config_version.bump(connection)
    _search(connection, ch)
    _send(session, ch)


def _search(connection: Any, ch: ChangeSet) -> None:
    """The search documents of every record the transaction wrote: leads a bulk write inserted from
    their values (no read), the others re-read; unchanged documents are not rewritten."""
    if not (ch.inserted or ch.before or ch.search_deals or ch.search_accounts or ch.search_field_keys):
        return
    fields = search_index.searchable_fields(connection)
    fresh = [lead for lead in ch.inserted if lead.id not in ch.before]
    if fresh:
        docs = {search_index.doc_id(d[0], d[1]): d for lead in fresh
                if (d := search_index.lead_doc(lead, fields)) is not None}
        search_index.write(connection, docs, fresh=True)
    leads = set(ch.before) | (search_index.leads_holding(connection, ch.search_field_keys)
                              if ch.search_field_keys else set())
    if leads:
        search_index.write(connection, search_index.lead_docs(connection, leads, fields))
    deals = ch.search_deals | search_index.deals_of_accounts(connection, ch.search_accounts)
    if deals:
        search_index.write(connection, search_index.opportunity_docs(connection, deals))
    if ch.search_accounts:
        search_index.write(connection, search_index.customer_docs(connection, ch.search_accounts))


def _open_deltas(ch: ChangeSet, after: Mapping[int, tuple[report_rollup.LeadFacts, Any]]) -> Counter[int]:
    deltas: Counter[int] = Counter()
    for lead_id, pair in ch.before.items():
        if pair is not None and (owner := open_owner(pair[0].owner_id, pair[0].status)):
            deltas[owner] -= 1
        if (now := after.get(lead_id)) is not None and (owner := open_owner(now[0].owner_id, now[0].status)):
            deltas[owner] += 1
    for lead in ch.inserted:
        if lead.id not in ch.before and (owner := open_owner(lead.owner_id, lead.status)):
            deltas[owner] += 1
    return deltas


def committed(session: Session, engine: Engine) -> None:
    """After the commit: wake the webhook deliverer if the transaction queued deliveries."""
    if session.info.pop('outbox_written', False):
        outbox.wake(engine)
