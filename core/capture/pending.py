"""What a capture batch has decided but not yet written: its new leads, audit lines and touch
activities, written at the end in a few multi-row statements (store/capture_writes.py).

Why: the ORM costs ~1 ms per lead (pydantic validation of every object, a unit-of-work flush per
lead to learn its id) — an import of 100,000 rows spent 80% of its time there. A new lead here is
a plain object with the lead's columns as attributes and an id reserved up front, so scoring,
assignment, dedupe and the audit trail work on it exactly as on a stored `Lead`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core import projections
from core.notify import kind_of, queue_emails
from store import capture_writes as store
from store import queries
from store.audit_actions import AuditAction


class NewLead:
    """A lead created in this transaction, not yet inserted: every column of `leads` as an
    attribute (defaults first), readable by scoring (`model_dump`), dedupe and assignment: a
    `LeadRecord` by structure (its columns live in `__dict__`, set from `store.LEAD_DEFAULTS`; the
    annotations below only declare the ones `LeadRecord` names, for the type checker)."""

    id: int | None
    name: str
    phone: str | None
    phone_norm: str | None
    email: str | None
    company: str | None
    company_norm: str | None
    title: str | None
    wechat: str | None
    region: str | None
    city: str | None
    industry: str | None
    source: str
    campaign: str | None
    message: str | None
    budget: str | None
    authority: str | None
    need: str | None
    timeline: str | None
    external_id: str | None
    external_key: str | None
    status: str
    owner_id: int | None
    score: int
    grade: str
    temperature: str
    score_reasons: list[dict[str, Any]]
    assignment_reason: dict[str, Any] | None
    touch_count: int
    account_id: int | None
    assigned_at: datetime | None
    sla_status: str | None
    sla_due_at: datetime | None
    sla_grace_at: datetime | None
    protected_until: datetime | None
    protection_max_at: datetime | None
    warned_until: datetime | None
    version: int
    updated_at: datetime | None
    pooled_at: datetime | None
    is_deleted: bool
    custom: dict[str, Any]

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(store.LEAD_DEFAULTS)
        self.__dict__['score_reasons'] = []
        self.__dict__.update(values)

    def model_dump(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def row(self) -> dict[str, Any]:
        """The insert's values (the JSON columns are fresh objects: scoring and assignment assign
        new ones rather than edit them in place)."""
        data = self.__dict__
        return {k: data[k] for k in store.LEAD_DEFAULTS}


class Writes:
    """The batch's pending rows, written by `flush` in foreign-key order (leads first)."""

    def __init__(self, session: Session, expected_leads: int, *, webhook_events: bool = True) -> None:
        self._session = session
        self._webhook_events = webhook_events
        """Whether its audit lines become webhook events one by one (a single capture), or not at all
        (an import: its job's `import.done` says it once, as its notifications are one per batch)."""
        self._expected = max(expected_leads, 1)
        self._ids: Iterator[int] = iter(())
        self.leads: list[NewLead] = []
        self.audits: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.last_assigned: dict[int, datetime] = {}
        """Reps given a lead by this batch (read as plain rows, not `User`s): when, written by `flush`."""

    def notify(self, user_ids: Iterable[int | None], key: str, *, now: datetime, lead_id: int | None = None,
               **params: Any) -> list[int]:
        """What `core.notify.notify` adds, written with the batch; returns whom to push to."""
        told = list(dict.fromkeys(u for u in user_ids if u))
        self.notifications += [{'user_id': user_id, 'lead_id': lead_id, 'key': key, 'params': params,
                                'is_read': False, 'created_at': now} for user_id in told]
        return told

    def _unmuted(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The notifications whose users did not mute their kind (one read for the batch)."""
        muted = queries.muted_kinds(self._session, list({row['user_id'] for row in rows})) if rows else {}
        return [row for row in rows if kind_of(row['key']) not in muted.get(row['user_id'], ())] if muted else rows

    def rep_assigned(self, rep_id: int, now: datetime) -> None:
        self.last_assigned[rep_id] = max(now, self.last_assigned.get(rep_id, now))

    def new_lead(self, **values: Any) -> NewLead:
        """A new lead with its id reserved now (ids are reserved for the whole batch at once)."""
        lead_id = next(self._ids, None)
        if lead_id is None:
            last = (self.leads[-1].id or 0) if self.leads else 0
            self._ids = iter(store.reserve_lead_ids(self._session, self._expected, after=last))
            lead_id = next(self._ids)
        lead = NewLead(id=lead_id, **values)
        self.leads.append(lead)
        return lead

    def audit(self, action: AuditAction, *, now: datetime, lead_id: int | None = None, actor_id: int | None = None,
              subject_user_id: int | None = None, reason_key: str | None = None, **params: Any) -> None:
        """The same line as `context.audit`, written with the batch."""
        self.audits.append({'action': action, 'lead_id': lead_id, 'actor_id': actor_id,
                            'subject_user_id': subject_user_id, 'reason_key': reason_key,
                            'reason_params': params, 'created_at': now})

    def activity(self, **values: Any) -> None:
        self.activities.append({**store.ACTIVITY_DEFAULTS, **values})

    def flush(self) -> None:
        """Insert everything pending and register the inserted leads and audit lines (and the reps'
        last assignment) with the transaction's change set, so the unit of work's projections
        (counters, roll-up, webhook events: core/projections.py) count them as they count ORM
        writes; let the ORM flush what it holds (touched leads, reps given as `User`s)."""
        session = self._session
        store.insert_leads(session, [lead.row() for lead in self.leads])
        projections.changes(session).add_inserted(self.leads, self.audits, webhook_events=self._webhook_events,
                                                  last_assigned=self.last_assigned)
        session.flush()
        store.insert_audit(session, self.audits)
        store.insert_activities(session, self.activities)
        told = self._unmuted(self.notifications)
        store.insert_notifications(session, told)
        queue_emails(session, told)  # those the users chose by email, in the same transaction
        self.leads, self.audits, self.activities, self.last_assigned = [], [], [], {}
        self.notifications = []
