"""A lead as an actor may reach it, and what an activity may be: the checks every use case that
touches a lead makes first (leads, the pipeline, playbooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import permissions
from core.errors import NotAllowed, NotFound, ValidationFailed, check_id
from store.models import ActivityKind, Lead, UserRef


def visible_lead(session: Any, actor: UserRef, lead_id: int, *, lock: bool = False) -> Lead:
    """The lead if it exists and the actor may see it; NotFound / NotAllowed otherwise.
    `lock` (write paths): row-locked until commit, so a concurrent writer on PostgreSQL waits
    and then reads the committed result (SQLite ignores it: one writer anyway)."""
    lead = session.get(Lead, check_id(lead_id), with_for_update=lock or None, populate_existing=lock)
    if lead is None or lead.is_deleted:
        raise NotFound()
    if not permissions.can_view_lead(actor, lead):
        raise NotAllowed()
    return lead


def check_activity(kind: str, next_follow_up_at: datetime | None, now: datetime) -> None:
    """What a user may log (a touch is the system's) and a follow-up that lies ahead."""
    if kind not in ActivityKind.__members__.values() or kind == ActivityKind.TOUCH:
        raise ValidationFailed({'kind': 'invalid'})
    if next_follow_up_at is not None and next_follow_up_at <= now:
        raise ValidationFailed({'next_follow_up_at': 'not_future'})
