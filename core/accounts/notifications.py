"""A user's notifications as the bell shows them, and marking them read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.context import Context
from store import queries
from store.models import UserRef


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    key: str
    params: dict[str, Any]
    lead_id: int | None
    created_at: datetime


class NotificationInbox:
    """Part of TeamService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    def notifications(self, actor: UserRef) -> tuple[list[NotificationView], int]:
        with self.ctx.read() as session:
            rows = queries.unread_notifications(session, actor.id)
            return ([NotificationView(id=n.id or 0, key=n.key, params=n.params, lead_id=n.lead_id,
                                      created_at=n.created_at or self.ctx.now()) for n in rows],
                    queries.count_unread(session, actor.id))

    def mark_notifications_read(self, actor: UserRef) -> None:
        with self.ctx.write() as session:
            queries.mark_notifications_read(session, actor.id)
        self.ctx.events.publish(self.ctx.events.notified, actor.id)
