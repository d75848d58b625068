"""What a user does with digests: read their history (managers: a rep's in reach), preview today's,
add their own two lines to the next one before it goes out, and choose their settings (admins and
managers: the team's). Every write is one transaction, audited."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core import permissions
from core.automation.policy import load_policy
from core.context import Context, audit
from core.digests.content import Digest, DigestKind
from core.digests.schedule import DigestSchedule, pending_day
from core.digests.settings import (
    OWN_LINE_LENGTH,
    OWN_LINES,
    SETTINGS_KEY,
    Channel,
    DigestSettings,
    for_user,
    parse_time,
    team_settings,
)
from core.errors import NotAllowed, NotFound, ValidationFailed
from store import digests as store
from store import queries
from store.audit_actions import AuditAction
from store.models import AppSetting, DigestPrefs, User, UserRef


@dataclass(frozen=True, slots=True)
class SentDigest:
    id: int
    sent_at: datetime | None
    digest: Digest


@dataclass(frozen=True, slots=True)
class OwnLines:
    day: date
    """The working day of the digest they go into."""
    lines: tuple[str, ...]


class DigestService:
    def __init__(self, ctx: Context, schedule: DigestSchedule) -> None:
        self.ctx = ctx
        self.schedule = schedule

    def _check_reader(self, actor: UserRef, user_id: int) -> None:
        if user_id != actor.id and not (permissions.can_assign(actor) and permissions.in_reach(actor, user_id)):
            raise NotAllowed()

    def compose(self, actor: UserRef, kind: DigestKind, day: date, user_id: int | None = None) -> Digest:
        """The digest of `day` (weekly: its week) for `user_id` (default: the actor) as it reads now."""
        user_id = user_id or actor.id
        self._check_reader(actor, user_id)
        if kind == DigestKind.WEEKLY and not permissions.can_assign(actor):
            raise NotAllowed()
        with self.ctx.read() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound()
            calendar = load_policy(session).calendar
            if kind == DigestKind.WEEKLY:
                return self.schedule.writer.weekly(session, user, day, calendar)
            return self.schedule.writer.daily(session, user, day, calendar)

    def readers(self, actor: UserRef) -> list[tuple[int, str]]:
        """Whose digest history `actor` may open, themselves first: a manager's or admin's also the
        active reps within their data scope (as `_check_reader` allows)."""
        people = [(actor.id, actor.name)]
        if permissions.can_assign(actor):
            with self.ctx.read() as session:
                people += [(u.id or 0, u.name) for u in queries.active_reps(session)
                           if u.id != actor.id and permissions.in_reach(actor, u.id)]
        return people

    def history(self, actor: UserRef, user_id: int | None = None, limit: int = 60) -> list[SentDigest]:
        """The digests sent to `user_id` (default: the actor), newest first, as they were sent."""
        user_id = user_id or actor.id
        self._check_reader(actor, user_id)
        with self.ctx.read() as session:
            return [SentDigest(r.id or 0, r.sent_at, Digest.from_json(r.content))
                    for r in store.history(session, user_id, limit) if r.content]

    def own_lines(self, actor: UserRef) -> OwnLines:
        """The lines the actor has added to the digest going out next."""
        with self.ctx.read() as session:
            day = self._pending(session, actor)
            row = store.find(session, actor.id, DigestKind.DAILY, day)
            return OwnLines(day, tuple(row.own_lines) if row else ())

    def set_own_lines(self, actor: UserRef, lines: Sequence[str]) -> OwnLines:
        """Up to two lines of the rep's own in the next daily digest, until it is sent."""
        clean = [' '.join(str(x).split()) for x in lines]
        clean = [x for x in clean if x]
        errors = {f'{i}': 'too_long' for i, x in enumerate(clean) if len(x) > OWN_LINE_LENGTH}
        if len(clean) > OWN_LINES:
            errors['lines'] = 'too_many_lines'
        if errors:
            raise ValidationFailed(errors)
        now = self.ctx.now()
        with self.ctx.write() as session:
            day = self._pending(session, actor)
            row = store.ensure(session, actor.id, DigestKind.DAILY, day, now)
            if row.sent_at is not None:
                raise ValidationFailed({'lines': 'already_sent'})
            row.own_lines = clean
            session.add(row)
            audit(session, AuditAction.DIGEST_LINES, now=now, actor_id=actor.id, subject_user_id=actor.id,
                  reason_key='digest.reason.lines', day=day.isoformat())
        return OwnLines(day, tuple(clean))

    def _pending(self, session: Any, actor: UserRef) -> date:
        calendar = load_policy(session).calendar
        settings = for_user(team_settings(session), store.prefs(session, [actor.id]).get(actor.id))
        return pending_day(calendar, settings, self.ctx.now())

    # ---- settings ---------------------------------------------------------------------------------------

    def settings(self, actor: UserRef) -> tuple[DigestSettings, DigestSettings]:
        """(the team's, the actor's own as resolved)."""
        with self.ctx.read() as session:
            team = team_settings(session)
            return team, for_user(team, store.prefs(session, [actor.id]).get(actor.id))

    def set_team_settings(self, actor: UserRef, values: dict[str, Any]) -> DigestSettings:
        if not permissions.can_assign(actor):
            raise NotAllowed()
        settings = _parse(values)
        now = self.ctx.now()
        with self.ctx.write() as session:
            session.merge(AppSetting(key=SETTINGS_KEY, value=json.dumps(settings.to_dict())))
            audit(session, AuditAction.DIGEST_SETTINGS, now=now, actor_id=actor.id,
                  reason_key='digest.reason.team_settings', **settings.to_dict())
        return settings

    def set_my_settings(self, actor: UserRef, values: dict[str, Any]) -> DigestSettings:
        """The actor's own kinds, channels and send time (a missing key keeps the team's)."""
        parsed = _parse(values)
        now = self.ctx.now()
        with self.ctx.write() as session:
            session.merge(DigestPrefs(user_id=actor.id,
                                      kinds=sorted(parsed.kinds) if values.get('kinds') is not None else None,
                                      channels=sorted(parsed.channels) if values.get('channels') is not None else None,
                                      send_time=values.get('send_time') or None))
            audit(session, AuditAction.DIGEST_SETTINGS, now=now, actor_id=actor.id, subject_user_id=actor.id,
                  reason_key='digest.reason.my_settings', **parsed.to_dict())
            return for_user(team_settings(session), store.prefs(session, [actor.id]).get(actor.id))


def _parse(values: dict[str, Any]) -> DigestSettings:
    errors: dict[str, str] = {}
    if values.get('send_time'):
        try:
            parse_time(values['send_time'])
        except (ValueError, TypeError):
            errors['send_time'] = 'invalid'
    for name, enum in (('kinds', DigestKind), ('channels', Channel)):
        raw = values.get(name)
        if raw is not None and (not isinstance(raw, list | tuple) or
                                any(v not in enum.__members__.values() for v in raw)):
            errors[name] = 'invalid'
    if errors:
        raise ValidationFailed(errors)
    return DigestSettings.from_dict(dict(values))
