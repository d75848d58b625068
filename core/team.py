"""People: first-run setup, login, users, language and notifications."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store import queries
from store.models import Role, SessionEnd, User, UserRef

from . import auth, permissions, sessions
from .context import Context
from .errors import LockedOut, LoginFailed, NotAllowed, NotFound, ValidationFailed
from .normalize import clean_text, normalize_email

USER_FIELDS = ('name', 'role', 'capacity', 'daily_quota', 'seniority', 'regions', 'is_on_leave',
               'leave_until', 'is_active', 'shift_start', 'shift_end')
LANGUAGES = ('zh-CN', 'en')


def to_ref(user: User) -> UserRef:
    return UserRef(id=user.id or 0, name=user.name, email=user.email, role=user.role, language=user.language)


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    key: str
    params: dict[str, Any]
    lead_id: int | None
    created_at: datetime


def _check_user_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for field, value in values.items():
        if field not in USER_FIELDS:
            errors[field] = 'invalid'
        elif field == 'name':
            name = clean_text(value, max_length=101)
            if not name:
                errors[field] = 'required'
            elif len(name) > 100:
                errors[field] = 'too_long'
            out[field] = name
        elif field == 'role':
            if value not in Role.__members__.values():
                errors[field] = 'invalid'
            out[field] = value
        elif field in ('capacity', 'daily_quota', 'seniority'):
            low, high = (1, 3) if field == 'seniority' else (0, 10_000)
            try:
                number = int(value)
            except (TypeError, ValueError):
                errors[field] = 'invalid'
                continue
            if not low <= number <= high:
                errors[field] = 'out_of_range'
            out[field] = number
        elif field == 'regions':
            out[field] = ','.join(p.strip() for p in str(value or '').replace('，', ',').split(',') if p.strip())[:500]
        elif field in ('is_active', 'is_on_leave'):
            if not isinstance(value, bool):
                errors[field] = 'invalid'
            out[field] = value
        elif field in ('shift_start', 'shift_end'):
            if value is None:
                out[field] = None
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 24 * 60:
                errors[field] = 'invalid'
            out[field] = value
        elif field == 'leave_until':
            if value is not None and not (isinstance(value, datetime) and value.tzinfo is not None):
                errors[field] = 'invalid'
            out[field] = value
    if not errors and ('shift_start' in out or 'shift_end' in out) \
            and (out.get('shift_start') is None) != (out.get('shift_end') is None):
        errors['shift_end' if out.get('shift_start') is not None else 'shift_start'] = 'required'
    if errors:
        raise ValidationFailed(errors)
    return out


class TeamService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ----- setup and login ------------------------------------------------------------------------

    def needs_setup(self) -> bool:
        with self.ctx.read() as session:
            return queries.count_users(session) == 0

    def create_first_admin(self, *, email: str, name: str, password: str) -> UserRef:
        """Only while no user exists: afterwards admins create users."""
        with self.ctx.write() as session:
            if queries.count_users(session) > 0:
                raise NotAllowed('setup_done')
            user = self._new_user(session, email=email, name=name, password=password, role=Role.ADMIN)
            return to_ref(user)

    def create_admin(self, *, email: str, name: str, password: str) -> UserRef:
        """An admin created from the command line: whoever runs the server owns it."""
        with self.ctx.write() as session:
            return to_ref(self._new_user(session, email=email, name=name, password=password, role=Role.ADMIN))

    def _new_user(self, session: Any, *, email: str, name: str, password: str, role: str,
                  **fields: Any) -> User:
        errors: dict[str, str] = {}
        address = normalize_email(email)
        if not address:
            errors['email'] = 'invalid_email'
        elif queries.user_by_email(session, address):
            errors['email'] = 'taken'
        if len(password or '') < auth.MIN_PASSWORD_LENGTH:
            errors['password'] = 'too_short'
        try:
            checked = _check_user_fields({'name': name, 'role': role, **fields})
        except ValidationFailed as e:
            errors |= e.errors
            checked = {}
        if errors:
            raise ValidationFailed(errors)
        user = User(email=address or '', password_hash=auth.hash_password(password), created_at=self.ctx.now(),
                    **checked)
        session.add(user)
        session.flush()
        return user

    def login(self, email: str, password: str, *, user_agent: str = '') -> tuple[UserRef, str]:
        """Returns the user and a one-time login ticket: the browser exchanges it for its session
        cookie on an HTTP route (core/sessions.py), within a minute.

        Wrong passwords count per account; from the fifth in a row the account waits."""
        now = self.ctx.now()
        address = normalize_email(email) or ''
        with self.ctx.write() as session:
            user = queries.user_by_email(session, address)
            if user is None:
                auth.verify_password(auth.hash_password('timing'), password)  # same cost as a real check
                raise LoginFailed()
            if user.locked_until and user.locked_until > now:
                raise LockedOut(seconds=int((user.locked_until - now).total_seconds()) + 1)
            if not auth.verify_password(user.password_hash, password):
                user.failed_logins += 1
                user.locked_until = auth.lock_after_failure(user.failed_logins, now)
                session.add(user)
                failed = LockedOut(seconds=int((user.locked_until - now).total_seconds())) \
                    if user.locked_until else LoginFailed()
            else:
                failed = None
                if not user.is_active:
                    failed = LoginFailed('inactive')
                user.failed_logins = 0
                user.locked_until = None
                session.add(user)
            ref = to_ref(user)
            ticket = sessions.new_ticket(session, user, now=now, user_agent=user_agent) if failed is None else ''
        if failed is not None:
            raise failed
        return ref, ticket

    def logout_everywhere(self, actor: UserRef) -> None:
        now = self.ctx.now()
        with self.ctx.write() as session:
            user = session.get(User, actor.id)
            ended: list[int] = []
            if user is not None:
                user.session_version += 1
                session.add(user)
                ended = sessions.end_sessions(session, actor.id, now=now, reason=SessionEnd.EVERYWHERE)
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)  # open pages of this user end now

    def end_sessions(self, user_id: int, *, keep: int | None = None,
                     reason: SessionEnd = SessionEnd.PASSWORD) -> list[int]:
        """End every browser session of a user but `keep` (the one acting), as an action of its
        own: one transaction, then `sessions_ended` so their open pages close. Inside another
        action's transaction (a password change) call `core.sessions.end_sessions` there and
        publish `sessions_ended` with its ids after the commit."""
        with self.ctx.write() as session:
            ended = sessions.end_sessions(session, user_id, now=self.ctx.now(), reason=reason, keep=keep)
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)
        return ended

    def set_language(self, actor: UserRef, language: str) -> None:
        if language not in LANGUAGES:
            raise ValidationFailed({'language': 'invalid'})
        with self.ctx.write() as session:
            user = session.get(User, actor.id)
            if user is not None:
                user.language = language
                session.add(user)

    # ----- user management ------------------------------------------------------------------------

    def users(self, actor: UserRef) -> list[User]:
        if not permissions.can_assign(actor):
            raise NotAllowed()
        with self.ctx.read() as session:
            return list(queries.all_users(session))

    def reps(self) -> list[UserRef]:
        """Active reps, for assignment pickers."""
        with self.ctx.read() as session:
            return [to_ref(u) for u in queries.all_users(session) if u.is_active and u.role == Role.REP]

    def create_user(self, actor: UserRef, *, email: str, name: str, password: str, role: str,
                    **fields: Any) -> UserRef:
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        with self.ctx.write() as session:
            ref = to_ref(self._new_user(session, email=email, name=name, password=password, role=role, **fields))
        self.ctx.events.publish(self.ctx.events.users_changed)
        return ref

    def update_user(self, actor: UserRef, user_id: int, changes: Mapping[str, Any]) -> None:
        """Admins change anything; managers capacity, quota, seniority, regions and leave."""
        manager_fields = {'capacity', 'daily_quota', 'seniority', 'regions', 'is_on_leave', 'leave_until',
                          'shift_start', 'shift_end'}
        if not (permissions.can_manage_users(actor) or
                (permissions.can_assign(actor) and set(changes) <= manager_fields)):
            raise NotAllowed()
        checked = _check_user_fields(changes)
        if checked.get('leave_until') is not None and checked['leave_until'] <= self.ctx.now():
            raise ValidationFailed({'leave_until': 'past'})
        with self.ctx.write() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound()
            if user.id == actor.id and (checked.get('is_active') is False or
                                        checked.get('role', Role.ADMIN) != Role.ADMIN):
                raise ValidationFailed({'role': 'self'})
            for field, value in checked.items():
                setattr(user, field, value)
            ended: list[int] = []
            if checked.get('is_active') is False:
                user.session_version += 1  # open sessions end at once
                ended = sessions.end_sessions(session, user_id, now=self.ctx.now(), reason=SessionEnd.DEACTIVATED)
            session.add(user)
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)
        self.ctx.events.publish(self.ctx.events.users_changed)

    # ----- notifications --------------------------------------------------------------------------

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
