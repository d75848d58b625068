"""Notifications: stored per user, shown in the bell, pushed live by the caller after commit.

Each notification key has a kind (`KINDS`); a user who muted a kind (core/accounts/notifications.py)
is not told of it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from store import queries
from store.models import Notification, NotifyKind, Role

KINDS: dict[str, NotifyKind] = {
    'notify.assigned_to_you': NotifyKind.ASSIGNED,
    'notify.assigned_many': NotifyKind.ASSIGNED,
    'notify.leads_moved_to_you': NotifyKind.ASSIGNED,
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
    return told


def managers(session: Session) -> list[int]:
    return queries.active_ids_with_roles(session, (Role.MANAGER, Role.ADMIN))
