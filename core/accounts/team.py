"""People: first-run setup, login, users, language and notifications."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import permissions
from core.accounts import auth, sessions
from core.context import Context, audit
from core.errors import DomainError, LockedOut, LoginFailed, NotAllowed, NotFound, ValidationFailed
from core.leads.normalize import clean_text, normalize_email
from store import queries
from store.audit_actions import AuditAction
from store.models import Role, SessionEnd, User, UserRef

USER_FIELDS = ('name', 'role', 'capacity', 'daily_quota', 'seniority', 'regions', 'is_on_leave',
               'leave_until', 'is_active', 'shift_start', 'shift_end')
LANGUAGES = ('zh-CN', 'en')


def _replace_password(session: Any, user: User, hashed: str, *, must_change: bool, now: datetime) -> list[int]:
    """A password set for the user by someone else (an admin's reset, the console): all their
    sessions end and their address's lock is lifted. Returns the ended session ids, to publish."""
    user.password_hash = hashed
    user.must_change_password = must_change
    session.add(user)
    queries.clear_login_failures(session, user.email)
    return sessions.end_sessions(session, user.id, now=now, reason=SessionEnd.PASSWORD)


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
            return UserRef.of(user)

    def create_admin(self, *, email: str, name: str, password: str) -> UserRef:
        """An admin created from the command line: whoever runs the server owns it."""
        with self.ctx.write() as session:
            return UserRef.of(self._new_user(session, email=email, name=name, password=password, role=Role.ADMIN))

    def _new_user(self, session: Any, *, email: str, name: str, password: str, role: str,
                  **fields: Any) -> User:
        errors: dict[str, str] = {}
        address = normalize_email(email)
        if not address:
            errors['email'] = 'invalid_email'
        elif queries.user_by_email(session, address):
            errors['email'] = 'taken'
        if (problem := auth.password_problem(password)) is not None:
            errors['password'] = problem
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
        cookie on an HTTP route (core/accounts/sessions.py), within a minute.

        Wrong passwords count per normalised address whether or not an account has it; from the
        fifth in a row the address waits (30 s, doubling). Unknown, deactivated and known addresses
        get the same messages, the same lock and one argon2 verification each (core/accounts/auth.py), so
        neither the answer nor its time tells a guesser which addresses exist."""
        now = self.ctx.now()
        address = normalize_email(email)
        with self.ctx.write() as session:
            user = queries.user_by_email(session, address) if address else None
            failed = self._attempt(session, auth.throttle_key(email, address), user, password, now)
            if failed is None and user is not None:
                ref = UserRef.of(user)
                ticket = sessions.new_ticket(session, user, now=now, user_agent=user_agent)
        if failed is not None:
            raise failed
        return ref, ticket

    def _attempt(self, session: Any, key: str, user: User | None, password: str, now: datetime) -> DomainError | None:
        """One password attempt at address `key`, in the caller's transaction: None when the
        password is right for an active account (the count is cleared), else the error to raise
        *after* the transaction, so the count it kept commits."""
        throttle = queries.login_throttle(session, key, for_update=True)
        if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
            return LockedOut(seconds=math.ceil((throttle.locked_until - now).total_seconds()))
        right = auth.verify_password(user.password_hash if user is not None else auth.dummy_hash(), password or '')
        if right and user is not None and user.is_active:
            if throttle is not None:
                queries.clear_login_failures(session, key)
            return None
        failures = queries.count_login_failure(session, key, now, now - auth.FORGET_FAILURES_AFTER)
        queries.forget_login_failures(session, now - auth.FORGET_FAILURES_AFTER, now)
        until = auth.lock_after_failure(failures, now)
        if until is None:
            return LoginFailed()
        queries.lock_login(session, key, until)
        if user is not None:  # an admin can see that someone is guessing this account's password
            audit(session, AuditAction.LOGIN_LOCKED, now=now, subject_user_id=user.id, reason_key='reason.login_locked',
                  failures=failures)
        return LockedOut(seconds=math.ceil((until - now).total_seconds()))

    # ----- passwords ------------------------------------------------------------------------------

    def change_password(self, actor: UserRef, current: str, new: str, *, keep: int | None = None) -> list[int]:
        """The user changes their own password, giving the current one. Every browser session of the
        user but `keep` (the one acting, `ui.session.page_session_id()`) ends; returns the ended ids.

        A wrong current password counts like a wrong login at the user's address (and a lock
        applies here too): a borrowed, still signed-in browser must not become an unthrottled way
        to guess it."""
        problem = auth.password_problem(new)
        new_hash = auth.hash_password(new) if problem is None else ''  # before the write lock is taken
        now = self.ctx.now()
        errors: dict[str, str] = {}
        ended: list[int] = []
        with self.ctx.write() as session:
            user = session.get(User, actor.id)
            if user is None or not user.is_active:
                raise NotAllowed()
            failed = self._attempt(session, auth.throttle_key(user.email, user.email), user, current, now)
            if isinstance(failed, LoginFailed):
                errors['current_password'] = 'wrong_password'
            if problem is not None:
                errors['new_password'] = problem
            elif new == current:
                errors['new_password'] = 'same_password'
            if failed is None and not errors:
                user.password_hash = new_hash
                user.must_change_password = False
                session.add(user)
                ended = sessions.end_sessions(session, user.id, now=now, reason=SessionEnd.PASSWORD, keep=keep)
                audit(session, AuditAction.PASSWORD_CHANGED, now=now, actor_id=user.id, subject_user_id=user.id,
                      reason_key='reason.password_changed')
        if isinstance(failed, LockedOut):
            raise failed
        if errors:
            raise ValidationFailed(errors)
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)  # their open pages end now
        return ended

    def reset_password(self, actor: UserRef, user_id: int) -> str:
        """An admin gives a user a temporary password, returned to be shown once. The user's
        sessions end, their address's lock is lifted, and until they choose a new password every
        page sends them to the account page. Not for oneself: that is the account page."""
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        if user_id == actor.id:
            raise NotAllowed('reset_self')
        temporary = auth.new_temporary_password()
        hashed = auth.hash_password(temporary)
        now = self.ctx.now()
        with self.ctx.write() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound()
            ended = _replace_password(session, user, hashed, must_change=True, now=now)
            audit(session, AuditAction.PASSWORD_RESET, now=now, actor_id=actor.id, subject_user_id=user.id,
                  reason_key='reason.password_reset', user=user.name)
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)
        self.ctx.events.publish(self.ctx.events.users_changed)  # the users list shows the must-change mark
        return temporary

    def set_password_from_console(self, email: str, password: str, *, must_change: bool = False) -> UserRef:
        """`run.py user set-password`: whoever has the server's console owns every account (as with
        create-admin), so no current password. All the user's sessions end and the lock is lifted;
        audited with no actor."""
        problem = auth.password_problem(password)
        if problem is not None:
            raise ValidationFailed({'password': problem})
        hashed = auth.hash_password(password)
        now = self.ctx.now()
        with self.ctx.write() as session:
            address = normalize_email(email)
            user = queries.user_by_email(session, address) if address else None
            if user is None:
                raise NotFound()
            ended = _replace_password(session, user, hashed, must_change=must_change, now=now)
            audit(session, AuditAction.PASSWORD_SET_CONSOLE, now=now, subject_user_id=user.id,
                  reason_key='reason.password_set_console', user=user.name)
            ref = UserRef.of(user)
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)
        self.ctx.events.publish(self.ctx.events.users_changed)
        return ref

    def find_user(self, email: str) -> UserRef | None:
        """The user with this email (normalised), for the console: it may name who exists."""
        address = normalize_email(email)
        if not address:
            return None
        with self.ctx.read() as session:
            user = queries.user_by_email(session, address)
            return UserRef.of(user) if user is not None else None

    def logout_everywhere(self, actor: UserRef) -> None:
        now = self.ctx.now()
        with self.ctx.write() as session:
            user = session.get(User, actor.id)
            ended: list[int] = []
            if user is not None:
                ended = sessions.end_sessions(session, actor.id, now=now, reason=SessionEnd.EVERYWHERE)
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)  # open pages of this user end now

    def end_sessions(self, user_id: int, *, keep: int | None = None,
                     reason: SessionEnd = SessionEnd.PASSWORD) -> list[int]:
        """End every browser session of a user but `keep` (the one acting), as an action of its
        own: one transaction, then `sessions_ended` so their open pages close. Inside another
        action's transaction (a password change) call `core.accounts.sessions.end_sessions` there and
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
            return [UserRef.of(u) for u in queries.all_users(session) if u.is_active and u.role == Role.REP]

    def create_user(self, actor: UserRef, *, email: str, name: str, password: str, role: str,
                    **fields: Any) -> UserRef:
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        with self.ctx.write() as session:
            ref = UserRef.of(self._new_user(session, email=email, name=name, password=password, role=role, **fields))
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
