"""Sending digests when they fall due, once: called by the timer (core/automation/timer.py) every tick.

When: on a working day of the team calendar, at or after a user's send time (team-local), the daily
digest of the previous working day falls due, and on any working day of a week the weekly digest of
the week before (managers). A missed send — the app down at 08:30 — goes out at the first tick after
it is back, the same day.

Once: each (user, kind, period) is one `digests` row (a unique key), and a send is the conditional
update that sets its `sent_at` (store/digests.py `claim`), so two ticks, a "run now" beside the
timer, or a restart mid-way send it once. Each digest is its own transaction: the row, its content
as sent, its email and robot deliveries (the outboxes) and its audit line commit together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core import permissions
from core.automation.policy import load_policy
from core.automation.workhours import WorkCalendar
from core.context import Context, audit
from core.digests.compose import DigestWriter, previous_workday
from core.digests.content import Digest, DigestKind
from core.digests.settings import Channel, DigestSettings, for_user, team_settings
from store import digests as store
from store import email_outbox
from store import outbox as webhook_outbox
from store.audit_actions import AuditAction, WebhookEvent
from store.models import EmailKind, User, UserRef


@dataclass(frozen=True, slots=True)
class Due:
    user_id: int
    kind: DigestKind
    day: date


def due_periods(calendar: WorkCalendar, settings: DigestSettings, is_manager: bool,
                now: datetime) -> list[tuple[DigestKind, date]]:
    """What falls due for one user at `now` (pure: the tests walk it through a calendar)."""
    local = now.astimezone(ZoneInfo(calendar.tz))
    today = local.date()
    if not calendar.is_workday(today) or local.time() < settings.send_time:
        return []
    out: list[tuple[DigestKind, date]] = []
    if DigestKind.DAILY in settings.kinds:
        out.append((DigestKind.DAILY, previous_workday(calendar, today)))
    if DigestKind.WEEKLY in settings.kinds and is_manager:
        out.append((DigestKind.WEEKLY, today - timedelta(days=today.weekday() + 7)))
    return out


def pending_day(calendar: WorkCalendar, settings: DigestSettings, now: datetime) -> date:
    """The daily digest a rep's own lines go into: the one going out next."""
    local = now.astimezone(ZoneInfo(calendar.tz))
    today = local.date()
    if calendar.is_workday(today) and local.time() < settings.send_time:
        return previous_workday(calendar, today)
    return today


class DigestSchedule:
    def __init__(self, ctx: Context, writer: DigestWriter) -> None:
        self.ctx = ctx
        self.writer = writer

    def due(self, now: datetime) -> list[Due]:
        with self.ctx.read() as session:
            calendar = load_policy(session).calendar
            team = team_settings(session)
            users = store.recipients(session)
            prefs = store.prefs(session, [u.id or 0 for u in users])
            wanted = []
            for user in users:
                if user.is_on_leave:
                    continue  # no digest while away; the history shows the gap
                settings = for_user(team, prefs.get(user.id or 0))
                manager = permissions.can_assign(UserRef.of(user))
                wanted += [Due(user.id or 0, kind, day) for kind, day in due_periods(calendar, settings, manager, now)]
            done = store.sent_keys(session, [d.day for d in wanted])
            return [d for d in wanted if (d.user_id, str(d.kind), d.day) not in done]

    def send_due(self, now: datetime | None = None) -> int:
        """Send every digest due and not yet sent; returns how many this call sent."""
        now = now or self.ctx.now()
        sent = 0
        for item in self.due(now):
            sent += self.send(item, now)
        return sent

    def send(self, item: Due, now: datetime) -> int:
        """One digest, one transaction: 1 if this call sent it, 0 if another had; open digest pages
        hear of it after the commit."""
        if not self._send(item, now):
            return 0
        self.ctx.events.publish(self.ctx.events.digest_sent, item.user_id)
        return 1

    def _send(self, item: Due, now: datetime) -> bool:
        with self.ctx.write() as session:
            user = session.get(User, item.user_id)
            if user is None:
                return False
            row = store.ensure(session, item.user_id, item.kind, item.day, now)
            if not store.claim(session, row.id or 0, now):
                return False
            policy = load_policy(session)
            digest = self._compose(session, user, item, policy.calendar)
            digest = replace(digest, own_lines=tuple(row.own_lines or ()))
            content = digest.to_json()
            store.store_content(session, row.id or 0, content)
            settings = for_user(team_settings(session), store.prefs(session, [item.user_id]).get(item.user_id))
            language = user.language or 'zh-CN'
            if Channel.EMAIL in settings.channels and user.email:
                email_outbox.insert(session, to_address=user.email, language=language, kind=EmailKind.DIGEST,
                                    now=now, user_id=user.id, params={'digest': content, 'name': user.name})
            if Channel.ROBOT in settings.channels:
                for webhook_id in webhook_outbox.subscribers(session).get(WebhookEvent.DIGEST_SENT, ()):
                    webhook_outbox.insert_delivery(session, webhook_id, WebhookEvent.DIGEST_SENT,
                                                   {'digest': content, 'name': user.name}, now)
            audit(session, AuditAction.DIGEST_SENT, now=now, actor_id=None, subject_user_id=user.id,
                  reason_key='digest.reason.sent', kind=str(item.kind), day=item.day.isoformat(),
                  channels=sorted(settings.channels))
        return True

    def _compose(self, session: Session, user: User, item: Due, calendar: WorkCalendar) -> Digest:
        if item.kind == DigestKind.WEEKLY:
            return self.writer.weekly(session, user, item.day, calendar)
        return self.writer.daily(session, user, item.day, calendar)


