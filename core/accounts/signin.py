"""Signing in and passwords: login with throttling, changing your own password (other sessions end), an
admin's reset to a temporary password, the console's set-password, and ending sessions."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from core import permissions
from core.accounts import auth, sessions
from core.accounts.reach import with_reach
from core.context import Context, audit
from core.errors import DomainError, LockedOut, LoginFailed, NotAllowed, NotFound, ValidationFailed
from core.leads.normalize import normalize_email
from store import queries
from store.audit_actions import AuditAction
from store.models import SessionEnd, User, UserRef


def replace_password(session: Any, user: User, hashed: str, *, must_change: bool, now: datetime) -> list[int]:
    """A password set for the user by someone else (an admin's reset, the console): all their
    sessions end and their address's lock is lifted. Returns the ended session ids, to publish."""
    user.password_hash = hashed
    user.must_change_password = must_change
    session.add(user)
    queries.clear_login_failures(session, user.email)
    return sessions.end_sessions(session, user.id or 0, now=now, reason=SessionEnd.PASSWORD)


class SignIn:
    """Part of TeamService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

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
                ref = with_reach(session, user)
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
                ended = sessions.end_sessions(session, user.id or 0, now=now, reason=SessionEnd.PASSWORD, keep=keep)
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
            ended = replace_password(session, user, hashed, must_change=True, now=now)
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
        hashed = auth.new_password_hash(password)
        now = self.ctx.now()
        with self.ctx.write() as session:
            address = normalize_email(email)
            user = queries.user_by_email(session, address) if address else None
            if user is None:
                raise NotFound()
            ended = replace_password(session, user, hashed, must_change=must_change, now=now)
            audit(session, AuditAction.PASSWORD_SET_CONSOLE, now=now, subject_user_id=user.id,
                  reason_key='reason.password_set_console', user=user.name)
            ref = UserRef.of(user)
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)
        self.ctx.events.publish(self.ctx.events.users_changed)
        return ref

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
