"""A user's notifications as the bell shows them, marking them read, and the user's preferences:
which kinds notify at all, which also come by email, toasts on or off, quiet hours (no toasts;
still stored)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.context import Context
from core.errors import ValidationFailed
from store import queries
from store.models import NotifyKind, NotifyPrefs, UserRef

DAY_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    key: str
    params: dict[str, Any]
    lead_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """A user's preferences as the account page shows them (defaults when never changed)."""

    muted: frozenset[NotifyKind] = frozenset()
    toasts: bool = True
    quiet_start: int | None = None
    """Minutes after local midnight (team time zone); None: no quiet hours."""
    quiet_end: int | None = None
    emailed: frozenset[NotifyKind] = frozenset()
    """Kinds also sent by email (when SMTP is set up; quiet hours do not hold emails back)."""

    def quiet_at(self, minute: int) -> bool:
        """Whether `minute` (after local midnight) falls in the quiet hours (which may span midnight)."""
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return False
        return start <= minute < end if start < end else minute >= start or minute < end

    def toast_at(self, minute: int, kind: NotifyKind | None = None) -> bool:
        """Whether a live toast (of `kind`, if it has one) may show at `minute` after local midnight."""
        return self.toasts and not self.quiet_at(minute) and (kind is None or kind not in self.muted)


def _settings(row: NotifyPrefs | None) -> NotifySettings:
    if row is None:
        return NotifySettings()
    return NotifySettings(muted=frozenset(NotifyKind(k) for k in row.muted if k in NotifyKind.__members__.values()),
                          toasts=row.toasts, quiet_start=row.quiet_start, quiet_end=row.quiet_end,
                          emailed=frozenset(NotifyKind(k) for k in row.emailed or ()
                                            if k in NotifyKind.__members__.values()))


def _prefs(session: Session, user_id: int) -> NotifyPrefs:
    row = session.get(NotifyPrefs, user_id)
    if row is None:
        row = NotifyPrefs(user_id=user_id)
        session.add(row)
    return row


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

    # ----- preferences --------------------------------------------------------------------------

    def notify_settings(self, actor: UserRef) -> NotifySettings:
        with self.ctx.read() as session:
            return _settings(session.get(NotifyPrefs, actor.id))

    def toast_allowed(self, actor: UserRef, kind: NotifyKind | None = None) -> bool:
        """Whether a live toast may show to `actor` now: toasts on, not in quiet hours (in the team's
        time zone), its kind not muted."""
        local = self.ctx.now().astimezone(ZoneInfo(self.ctx.settings.timezone))
        return self.notify_settings(actor).toast_at(local.hour * 60 + local.minute, kind)

    def set_muted_kinds(self, actor: UserRef, muted: Iterable[str]) -> NotifySettings:
        """Which kinds of events do not notify `actor` (not stored, not toasted)."""
        try:
            kinds = sorted({NotifyKind(k) for k in muted})
        except ValueError:
            raise ValidationFailed({'muted': 'invalid'}) from None
        with self.ctx.write() as session:
            row = _prefs(session, actor.id)
            row.muted = [str(k) for k in kinds]
            return _settings(row)

    def set_emailed_kinds(self, actor: UserRef, emailed: Iterable[str]) -> NotifySettings:
        """Which kinds of events also reach `actor` by email (core/notify.py queues them)."""
        try:
            kinds = sorted({NotifyKind(k) for k in emailed})
        except ValueError:
            raise ValidationFailed({'emailed': 'invalid'}) from None
        with self.ctx.write() as session:
            row = _prefs(session, actor.id)
            row.emailed = [str(k) for k in kinds]
            return _settings(row)

    def set_toasts(self, actor: UserRef, on: bool) -> NotifySettings:
        """Live toasts on or off (notifications are still stored and shown in the bell)."""
        with self.ctx.write() as session:
            row = _prefs(session, actor.id)
            row.toasts = bool(on)
            return _settings(row)

    def set_quiet_hours(self, actor: UserRef, start: int | None, end: int | None) -> NotifySettings:
        """No toasts from `start` to `end` (minutes after local midnight; may span midnight); both
        None: no quiet hours."""
        if (start is None) != (end is None):
            raise ValidationFailed({'quiet_start' if start is None else 'quiet_end': 'required'})
        if start is not None and end is not None and (not 0 <= start < DAY_MINUTES or not 0 <= end < DAY_MINUTES
                                                      or start == end):
            raise ValidationFailed({'quiet_end': 'invalid'})
        with self.ctx.write() as session:
            row = _prefs(session, actor.id)
            row.quiet_start, row.quiet_end = start, end
            return _settings(row)
