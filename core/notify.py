"""Notifications: stored per user, shown in the bell, pushed live by the caller after commit.

Each notification key has a kind (`KINDS`); a user who muted a kind (core/accounts/notifications.py)
is not told of it. A user who chose a kind by email also gets it as an email, queued in the email
outbox in the same transaction (sent by core/integrations/mailer.py, never here), when SMTP is set up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.accounts.reach import read_scopes, resolve
from core.integrations.smtp import DEFAULT_LANGUAGE, configured
from store import email_outbox, queries
from store.models import EmailKind, Notification, NotifyKind, Reach, Role

KINDS: dict[str, NotifyKind] = {
    'notify.assigned_to_you': NotifyKind.ASSIGNED,
    'notify.assigned_many': NotifyKind.ASSIGNED,
    'notify.leads_moved_to_you': NotifyKind.ASSIGNED,
    'notify.records_handed_to_you': NotifyKind.ASSIGNED,
    'notify.taken_away': NotifyKind.TAKEN,
    'notify.recycled_from_you': NotifyKind.TAKEN,
    'notify.leads_moved_from_you': NotifyKind.TAKEN,
    'notify.sla_breached': NotifyKind.SLA,
    'notify.sla_no_rep': NotifyKind.SLA,
    'notify.protection_ending': NotifyKind.SLA,
    'notify.pool_summary': NotifyKind.POOLED,
    'notify.import_pooled': NotifyKind.POOLED,
    'notify.no_eligible_rep': NotifyKind.POOLED,
    'notify.review': NotifyKind.POOLED,
    'notify.follow_up_due': NotifyKind.FOLLOW_UP,
    'notify.taken_away_many': NotifyKind.TAKEN,
    'notify.recycled_many': NotifyKind.TAKEN,
    'notify.sla_breached_many': NotifyKind.SLA,
    'notify.sla_no_rep_many': NotifyKind.SLA,
    'notify.protection_ending_many': NotifyKind.SLA,
    'notify.review_many': NotifyKind.POOLED,
    'notify.follow_up_due_many': NotifyKind.FOLLOW_UP,
    'notify.shared_with_you': NotifyKind.ASSIGNED,
    'care.notify.due': NotifyKind.FOLLOW_UP,
    'care.notify.wake_up': NotifyKind.FOLLOW_UP,
}
"""Notification key → its kind; a key not listed is `SYSTEM` (imports, webhooks)."""


def kind_of(key: str) -> NotifyKind:
    return KINDS.get(key, NotifyKind.SYSTEM)


def unmuted(session: Session, user_ids: Iterable[int], key: str) -> list[int]:
    """Of these users, those who did not mute the key's kind."""
    ids = list(user_ids)
    muted = queries.muted_kinds(session, ids)
    kind = kind_of(key)
    return [u for u in ids if kind not in muted.get(u, ())]


def notify(session: Session, user_ids: Iterable[int | None], key: str, *, now: datetime,
           lead_id: int | None = None, **params: Any) -> list[int]:
    """Add one notification per user (None, repeats and who muted its kind skipped); returns whom to
    push to."""
    told = unmuted(session, dict.fromkeys(u for u in user_ids if u), key)
    for user_id in told:
        session.add(Notification(user_id=user_id, lead_id=lead_id, key=key, params=params, created_at=now))
    queue_emails(session, [{'user_id': u, 'key': key, 'lead_id': lead_id, 'params': params, 'created_at': now}
                           for u in told])
    return told


def queue_emails(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Queue, as emails, the stored notifications `rows` (user_id, key, lead_id, params, created_at)
    whose users chose their kind by email, when SMTP is set up: the email outbox row is written in
    the notification's transaction (capture batches write theirs in bulk and call this too)."""
    if not rows or not configured(session):
        return
    recipients = email_outbox.emailed_kinds(session, list({row['user_id'] for row in rows}))
    for row in rows:
        recipient = recipients.get(row['user_id'])
        if recipient is not None and kind_of(row['key']) in recipient.kinds:
            email_outbox.insert(session, to_address=recipient.address, kind=EmailKind.NOTIFICATION,
                                now=row['created_at'], language=recipient.language or DEFAULT_LANGUAGE,
                                user_id=row['user_id'], key=row['key'], params=dict(row['params']),
                                lead_id=row['lead_id'])


def managers(session: Session) -> list[int]:
    return queries.active_ids_with_roles(session, (Role.MANAGER, Role.ADMIN))


class ManagerReach:
    """The active managers and admins with their data scopes, resolved once per timer step: a manager
    is told only of records within their reach (issue 22), a department's manager of their
    department's leads, not the whole company's."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._reaches: dict[int, Reach] | None = None

    @property
    def reaches(self) -> dict[int, Reach]:
        """Read on first use: a timer step with nothing to tell reads nothing."""
        if self._reaches is None:
            scopes = read_scopes(self.session)
            self._reaches = {user_id: resolve(self.session, user_id, role, department_id, scopes)
                             for user_id, role, department_id
                             in queries.active_with_roles(self.session, (Role.MANAGER, Role.ADMIN))}
        return self._reaches

    def over(self, owner_id: int | None) -> list[int]:
        """The managers whose reach covers a record of `owner_id` (None, unowned: the company-wide ones)."""
        return [u for u, r in self.reaches.items() if r.covers(owner_id)]


@dataclass
class Grouped:
    """One timer step's notifications of one key, gathered per user and sent once: a user told of
    one lead gets `key` naming it (linked to the lead); told of several, one `many` line with the
    count, linked to `link`. A manager whose team missed thirty first responses in one tick reads
    one line, not thirty; each lead keeps its own audit line."""

    key: str
    many: str
    link: str
    leads: dict[int, list[tuple[int | None, str]]] = field(default_factory=dict)

    def add(self, user_ids: Iterable[int | None], lead_id: int | None, lead: str) -> None:
        for user_id in dict.fromkeys(u for u in user_ids if u):
            self.leads.setdefault(user_id, []).append((lead_id, lead))

    def send(self, session: Session, *, now: datetime) -> list[int]:
        """Store the notifications (muted kinds skipped); returns whom to push to."""
        told: list[int] = []
        for user_id, leads in self.leads.items():
            if len(leads) == 1:
                lead_id, name = leads[0]
                told += notify(session, [user_id], self.key, now=now, lead_id=lead_id, lead=name)
            else:
                told += notify(session, [user_id], self.many, now=now, count=len(leads), link=self.link)
        self.leads.clear()
        return told
