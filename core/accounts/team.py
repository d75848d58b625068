"""People: first-run setup, login, users, language and notifications."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core import permissions
from core.accounts import auth, sessions
from core.accounts.notifications import NotificationInbox
from core.accounts.signin import SignIn
from core.accounts.views import ViewChoices
from core.context import Context
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.leads.normalize import clean_text, normalize_email
from store import queries
from store.models import Role, SessionEnd, User, UserRef

USER_FIELDS = ('name', 'role', 'capacity', 'daily_quota', 'seniority', 'regions', 'is_on_leave',
               'leave_until', 'is_active', 'shift_start', 'shift_end')
LANGUAGES = ('zh-CN', 'en')


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


class TeamService(NotificationInbox, SignIn, ViewChoices):
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

    # ----- passwords ------------------------------------------------------------------------------

    def find_user(self, email: str) -> UserRef | None:
        """The user with this email (normalised), for the console: it may name who exists."""
        address = normalize_email(email)
        if not address:
            return None
        with self.ctx.read() as session:
            user = queries.user_by_email(session, address)
            return UserRef.of(user) if user is not None else None

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
        with self.ctx.read() as session:  # a manager: the users within their data scope
            return [u for u in queries.all_users(session)
                    if permissions.can_manage_users(actor) or permissions.in_reach(actor, u.id)]

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
        """Admins change anything; managers capacity, quota, seniority, regions and leave of the users
        within their data scope."""
        manager_fields = {'capacity', 'daily_quota', 'seniority', 'regions', 'is_on_leave', 'leave_until',
                          'shift_start', 'shift_end'}
        if not (permissions.can_manage_users(actor) or (permissions.can_assign(actor) and set(changes) <= manager_fields
                                                        and permissions.in_reach(actor, user_id))):
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

