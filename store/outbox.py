"""The webhook outbox: a `webhook_deliveries` row per (event, subscribed webhook), written in the
same transaction as the domain change, so a crash can lose neither without the other.

Every domain action already writes an audit line in its transaction. Core's unit of work
(core/projections.py) hands the audit lines a transaction writes to `enqueue`, with the domain's
decision of which webhook event each line is; `enqueue` inserts one pending delivery per enabled
webhook subscribed to the event, with a snapshot of the facts (lead, deal, people) as the database
holds them at that moment. An after-commit handler would not do: a crash between the commit and
the handler would lose the event. After the commit the unit of work calls `wake`.

Capture pays almost nothing when no webhook wants its events: the enabled webhooks per event are
cached per engine (`subscribers`), dropped by `forget` whenever webhooks change (in this process,
and in the others through the relayed `webhooks_changed` event), and re-read at most every
`CACHE_SECONDS` anyway.

The delivery side (core/integrations/outbox.py) claims due rows with a lease (`claim_due`: `next_attempt_at`
moved past the attempt, `FOR UPDATE SKIP LOCKED` on PostgreSQL), so any number of processes may
deliver and a process that dies mid-attempt leaves its rows due again when the lease ends.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import SQLModel, col

from .audit_actions import WebhookEvent
from .models import (
    CustomEntity,
    CustomField,
    CustomFieldType,
    DeliveryStatus,
    Lead,
    LostReason,
    Opportunity,
    RecordTag,
    Stage,
    Tag,
    TagEntity,
    User,
    Webhook,
    WebhookDelivery,
)

EVENT_TYPES: tuple[WebhookEvent, ...] = tuple(WebhookEvent)
"""What a webhook may subscribe to (`test` is the settings page's button, never subscribed)."""

CACHE_SECONDS = 30.0
"""The longest another process's webhook change can go unseen if its relayed event is lost."""

_DELIVERIES = SQLModel.metadata.tables[WebhookDelivery.__tablename__]  # = `.__table__` (undeclared in SQLModel)


# ----- who wants what (cached per engine) ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Subscribers:
    by_event: Mapping[str, tuple[int, ...]]
    loaded_at: float


_cache: weakref.WeakKeyDictionary[Engine, _Subscribers] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _engine_of(session: OrmSession) -> Engine:
    return session.get_bind().engine  # (an Engine's `engine` is itself)


def subscribers(session: OrmSession) -> Mapping[str, tuple[int, ...]]:
    """Event → ids of the enabled webhooks subscribed to it (empty: nobody listens)."""
    engine = _engine_of(session)
    entry = _cache.get(engine)
    if entry is None or time.monotonic() - entry.loaded_at > CACHE_SECONDS:
        rows = session.connection().execute(
            sa.select(col(Webhook.id), col(Webhook.events))
            .where(col(Webhook.is_enabled) == True, col(Webhook.is_deleted) == False)).all()  # noqa: E712
        by_event: dict[str, list[int]] = defaultdict(list)
        for webhook_id, events in rows:
            assert webhook_id is not None  # a primary key
            for name in events or ():
                by_event[name].append(webhook_id)
        entry = _Subscribers({k: tuple(v) for k, v in by_event.items()}, time.monotonic())
        with _cache_lock:
            _cache[engine] = entry
    return entry.by_event


def forget(engine: Engine) -> None:
    """Webhooks changed: the next write reads them again."""
    with _cache_lock:
        _cache.pop(engine, None)


# ----- writing the outbox in the domain's transaction ---------------------------------------------

def enqueue(session: OrmSession, lines: Iterable[Mapping[str, Any]],
            candidates: Callable[[Mapping[str, Any]], Sequence[str]],
            pick: Callable[[Mapping[str, Any], str | None], str | None]) -> int:
    """One pending delivery per (audit line's event, subscribed webhook); returns how many.
    `candidates(line)`: the events it may be; `pick(line, kind of its deal's stage)`: the one it is."""
    wanted = subscribers(session)
    if not wanted:
        return 0
    matched = [line for line in lines if any(wanted.get(e) for e in candidates(line))]
    if not matched:
        return 0
    connection = session.connection()
    deals = any(e.startswith('opportunity.') for line in matched for e in candidates(line))
    facts = _Facts(connection, matched, deals=deals)
    rows: list[dict[str, Any]] = []
    for line in matched:
        name = pick(line, facts.deal_kind(line))
        if name is None or not wanted.get(name):
            continue
        payload = facts.payload(name, line)
        at = line['created_at']
        rows.extend({'webhook_id': webhook_id, 'event': name, 'payload': payload,
                     'status': DeliveryStatus.PENDING, 'attempts': 0, 'next_attempt_at': at, 'created_at': at}
                    for webhook_id in wanted[name])
    if rows:
        connection.execute(sa.insert(_DELIVERIES), rows)
        session.info['outbox_written'] = True
    return len(rows)


def _person(people: Mapping[int, str], user_id: int | None) -> dict[str, Any] | None:
    return None if user_id is None else {'id': user_id, 'name': people.get(user_id, '')}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace('+00:00', 'Z') if value is not None else None


CONTACT_TYPES = (CustomFieldType.PHONE, CustomFieldType.EMAIL)
"""Custom fields that hold contact details: left out of payloads as the built-in phone and email are."""


def _without_contacts(connection: sa.Connection, leads: Sequence[dict[str, Any]]) -> None:
    """Each lead's custom values as a payload carries them: every field but phone and email ones
    (read only when a lead has a custom value at all: one small query)."""
    held = [lead for lead in leads if lead.get('custom')]
    for lead in leads:
        if not lead.get('custom'):
            lead['custom'] = {}
    if not held:
        return
    contacts = set(connection.execute(sa.select(col(CustomField.key)).where(
        col(CustomField.entity) == CustomEntity.LEAD, col(CustomField.type).in_(CONTACT_TYPES))).scalars())
    for lead in held:
        lead['custom'] = {k: v for k, v in lead['custom'].items() if k not in contacts}


class _Facts:
    """The rows the lines name, read once per flush: leads (with their tags' keys), deals (with stage and
    lost reason), people."""

    def __init__(self, connection: sa.Connection, lines: Sequence[Mapping[str, Any]], *, deals: bool) -> None:
        lead_ids = {line['lead_id'] for line in lines if line.get('lead_id')}
        user_ids = {line[k] for line in lines for k in ('actor_id', 'subject_user_id') if line.get(k)}
        self.leads: dict[int, dict[str, Any]] = {}
        self.people: dict[int, str] = {}
        if lead_ids:  # one query: the leads with their owners' names
            query = (sa.select(col(Lead.id), col(Lead.name), col(Lead.company), col(Lead.source), col(Lead.grade),
                               col(Lead.score), col(Lead.temperature), col(Lead.status), col(Lead.region),
                               col(Lead.industry), col(Lead.custom), col(Lead.owner_id),
                               col(User.name).label('owner_name'))
                     .outerjoin(User, col(User.id) == Lead.owner_id)
                     .where(col(Lead.id).in_(lead_ids)))
            for row in connection.execute(query):
                lead = dict(row._mapping)
                if lead['owner_id']:
                    self.people[lead['owner_id']] = lead.pop('owner_name')
                lead.pop('owner_name', None)
                self.leads[lead['id']] = lead | {'tags': []}
            tagged = (sa.select(col(RecordTag.record_id), col(Tag.key)).join(Tag, col(Tag.id) == RecordTag.tag_id)
                      .where(col(RecordTag.entity) == TagEntity.LEAD, col(RecordTag.record_id).in_(lead_ids))
                      .order_by(col(RecordTag.created_at), col(RecordTag.tag_id)))
            for lead_id, key in connection.execute(tagged):  # the lead's tag keys, as it holds them now
                if lead_id in self.leads:
                    self.leads[lead_id]['tags'].append(key)
            _without_contacts(connection, list(self.leads.values()))
        self.deals: dict[int, dict[str, Any]] = {}
        if deals:
            deal_query = (sa.select(col(Opportunity.lead_id), col(Opportunity.id), col(Opportunity.name),
                                    col(Opportunity.amount_cents), col(Opportunity.owner_id),
                                    col(Opportunity.lost_reason), col(Opportunity.lost_note), col(Stage.name_en),
                                    col(Stage.name_zh), col(Stage.kind), col(LostReason.label_en),
                                    col(LostReason.label_zh))
                          .join(Stage, col(Stage.id) == Opportunity.stage_id)
                          .outerjoin(LostReason, col(LostReason.key) == Opportunity.lost_reason)
                          .where(col(Opportunity.lead_id).in_(lead_ids)))
            for deal_row in connection.execute(deal_query):
                deal = dict(deal_row._mapping)
                self.deals[deal['lead_id']] = deal
                if deal['owner_id']:
                    user_ids.add(deal['owner_id'])
        if missing := user_ids - self.people.keys():  # actors and subjects (mostly the owners already read)
            named = connection.execute(sa.select(col(User.id), col(User.name)).where(col(User.id).in_(missing))).all()
            self.people.update((i, name) for i, name in named if i is not None)  # (a primary key: never None)

    def deal_kind(self, line: Mapping[str, Any]) -> str | None:
        """The kind of the stage the line's lead's deal is in (None: no deal, or deals not read)."""
        deal = self.deals.get(line.get('lead_id') or 0)
        return deal['kind'] if deal else None

    def payload(self, name: str, line: Mapping[str, Any]) -> dict[str, Any]:
        lead = self.leads.get(line.get('lead_id') or 0)
        deal = self.deals.get(line.get('lead_id') or 0) if name.startswith('opportunity.') else None
        return {
            'event': name,
            'action': line['action'],
            'occurred_at': _iso(line['created_at']),
            'actor': _person(self.people, line.get('actor_id')),
            'subject': _person(self.people, line.get('subject_user_id')),
            'reason': {'key': line.get('reason_key'), 'params': dict(line.get('reason_params') or {})},
            'lead': None if lead is None else {
                **{k: v for k, v in lead.items() if k != 'owner_id'}, 'owner': _person(self.people, lead['owner_id'])},
            'opportunity': None if deal is None else {
                'id': deal['id'], 'name': deal['name'], 'amount_cents': deal['amount_cents'],
                'stage': {'name_en': deal['name_en'], 'name_zh': deal['name_zh'], 'kind': deal['kind']},
                'lost_reason': None if not deal['lost_reason'] else {
                    'key': deal['lost_reason'], 'label_en': deal['label_en'], 'label_zh': deal['label_zh'],
                    'note': deal['lost_note']},
                'owner': _person(self.people, deal['owner_id'])},
        }


# ----- waking the deliverer after a commit (a nudge only: it also polls) ----------------------------

_wakers: weakref.WeakKeyDictionary[Engine, list[weakref.WeakMethod]] = weakref.WeakKeyDictionary()


def on_committed(engine: Engine, wake: Callable[[], None]) -> None:
    """Call the bound method `wake` after each commit on `engine` that wrote deliveries (`wake` below; held
    weakly: its object — which holds the engine — must not keep the engine alive from here)."""
    _wakers.setdefault(engine, []).append(weakref.WeakMethod(wake))


def wake(engine: Engine) -> None:
    """A transaction on `engine` that wrote deliveries committed (core's unit of work calls this)."""
    for ref in _wakers.get(engine, ()):
        if (wake_up := ref()) is not None:
            wake_up()


# ----- the delivery side's reads and writes ---------------------------------------------------------

def any_due(session: OrmSession, now: datetime, table: sa.Table = _DELIVERIES) -> bool:
    """Whether a pending row of this outbox (webhook deliveries unless told) is due: one index probe."""
    return session.execute(sa.select(table.c.id).where(table.c.status == DeliveryStatus.PENDING,
                                                       table.c.next_attempt_at <= now).limit(1)).first() is not None


def claim_due(session: OrmSession, now: datetime, lease_until: datetime, *, limit: int = 200,
              per_webhook: int = 20, only: int | None = None) -> list[tuple[WebhookDelivery, Webhook]]:
    """Due pending deliveries (oldest first, at most `per_webhook` each), leased until
    `lease_until`: nobody else picks them up meanwhile, and if this process dies they are due
    again then. `only`: that one delivery, if it is due (the "send test" button)."""
    table = _DELIVERIES
    query = sa.select(table.c.id, table.c.webhook_id).where(table.c.status == DeliveryStatus.PENDING,
                                                            table.c.next_attempt_at <= now)
    if only is not None:
        query = query.where(table.c.id == only)
    rows = session.execute(query.order_by(table.c.next_attempt_at, table.c.id).limit(limit)
                           .with_for_update(skip_locked=True)).all()
    taken: dict[int, int] = defaultdict(int)
    ids = []
    for delivery_id, webhook_id in rows:
        if taken[webhook_id] < per_webhook:
            taken[webhook_id] += 1
            ids.append(delivery_id)
    if not ids:
        return []
    session.execute(sa.update(table).where(table.c.id.in_(ids)).values(next_attempt_at=lease_until))
    found = session.execute(sa.select(WebhookDelivery, Webhook).join(Webhook)
                            .where(col(WebhookDelivery.id).in_(ids))
                            .order_by(col(WebhookDelivery.created_at), col(WebhookDelivery.id))).all()
    return [(d, w) for d, w in found]  # (detached when the session ends, with their values loaded)


def record(session: OrmSession, delivery_id: int, *, table: sa.Table = _DELIVERIES, **values: Any) -> None:
    """Write an attempt's outcome (status, attempts, times, response) to a row of this outbox."""
    session.execute(sa.update(table).where(table.c.id == delivery_id).values(**values))


def cancel_pending(session: OrmSession, webhook_id: int) -> int:
    """A webhook switched off or removed: what it had not sent yet will not go."""
    table = _DELIVERIES
    result = session.execute(sa.update(table).where(table.c.webhook_id == webhook_id,
                                                    table.c.status == DeliveryStatus.PENDING)
                             .values(status=DeliveryStatus.CANCELLED, next_attempt_at=None))
    return _rowcount(result)


def insert_delivery(session: OrmSession, webhook_id: int, name: str, payload: dict[str, Any],
                    now: datetime) -> int:
    delivery = WebhookDelivery(webhook_id=webhook_id, event=name, payload=payload, next_attempt_at=now,
                               created_at=now)
    session.add(delivery)
    session.flush()
    session.info['outbox_written'] = True
    return delivery.id or 0


def webhooks(session: OrmSession) -> list[Webhook]:
    return list(session.execute(sa.select(Webhook).where(col(Webhook.is_deleted) == False)  # noqa: E712
                                .order_by(col(Webhook.id))).scalars())


def deliveries(session: OrmSession, webhook_id: int, limit: int = 50) -> list[WebhookDelivery]:
    return list(session.execute(sa.select(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == webhook_id)
                                .order_by(col(WebhookDelivery.id).desc()).limit(limit)).scalars())


def counts(session: OrmSession) -> dict[tuple[int, str], int]:
    """(webhook id, status) → deliveries: the list's pending and failed figures."""
    table = _DELIVERIES
    rows = session.execute(sa.select(table.c.webhook_id, table.c.status, sa.func.count())
                           .where(table.c.status.in_((DeliveryStatus.PENDING, DeliveryStatus.FAILED)))
                           .group_by(table.c.webhook_id, table.c.status)).all()
    return {(w, s): n for w, s, n in rows}


def prune_delivered(session: OrmSession, before: datetime, table: sa.Table = _DELIVERIES) -> int:
    """Delivered rows older than `before` leave the log (the outbox would otherwise grow forever)."""
    result = session.execute(sa.delete(table).where(table.c.status == DeliveryStatus.DELIVERED,
                                                    table.c.created_at < before))
    return _rowcount(result)


def _rowcount(result: sa.Result[Any]) -> int:
    # Session.execute() is typed as returning a Result; for an UPDATE or DELETE it is a CursorResult
    return cast('CursorResult[Any]', result).rowcount or 0
