"""Notifications: stored per user, shown in the bell, pushed live by the caller after commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from store import queries
from store.models import Notification, Role


def notify(session: Session, user_ids: Iterable[int | None], key: str, *, now: datetime,
           lead_id: int | None = None, **params: Any) -> list[int]:
    """Add one notification per user (None and repeats skipped); returns whom to push to."""
    told: list[int] = []
    for user_id in dict.fromkeys(u for u in user_ids if u):
        session.add(Notification(user_id=user_id, lead_id=lead_id, key=key, params=params, created_at=now))
        told.append(user_id)
    return told


def managers(session: Session) -> list[int]:
    return queries.active_ids_with_roles(session, (Role.MANAGER, Role.ADMIN))
