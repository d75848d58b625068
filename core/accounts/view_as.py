"""An admin's "view as": browse the app as another user, read-only, to check what their data scope
shows them (issue 22).

How it holds:
- The admin's own browser session carries the user viewed (`browser_sessions.viewing_as_id`); the
  session's reads (core/accounts/sessions.py) then hand pages that user's ref — their role and data
  scope — marked `viewed_by` the admin, in the admin's language.
- Read-only is core's rule, not the page's: `guard` wraps every desk service so a call made with a
  view-as ref runs with `core.context.VIEWING_AS` set, and `Context.write` opens no transaction
  while it is (NotAllowed). A page that still offers a button gets the refusal as any other.
- Starting and ending are audited (the admin as actor, the user viewed as subject). Ending is the one
  write a view-as ref may make: it is this service's, which is not guarded.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlmodel import Session

from core import permissions
from core.accounts.reach import with_reach
from core.context import VIEWING_AS, Context, audit
from core.errors import NotAllowed, NotFound, ValidationFailed
from store.audit_actions import AuditAction
from store.models import BrowserSession, User, UserRef


def _viewer(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, UserRef) and value.viewed_by is not None:
            return value.viewed_by
    return None


class ReadOnlyWhileViewing:
    """A desk service whose methods, called with a view-as ref, cannot write (see the module docstring).
    Everything else passes through unchanged (attributes, private methods, calls by ordinary users)."""

    def __init__(self, service: Any) -> None:
        object.__setattr__(self, '_service', service)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._service, name)
        if name.startswith('_') or not callable(value) or isinstance(value, type):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            viewer = _viewer(args, kwargs)
            if viewer is None:
                return value(*args, **kwargs)
            token = VIEWING_AS.set(viewer)
            try:
                return value(*args, **kwargs)
            finally:
                VIEWING_AS.reset(token)

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._service, name, value)


def guard(service: Any) -> Any:
    return ReadOnlyWhileViewing(service)


def refuse_while_viewing(actor: UserRef | None) -> None:
    """For a write that is not a guarded service's (the desk's own few)."""
    if actor is not None and actor.viewed_by is not None:
        raise NotAllowed()


def as_viewed(session: Session, row: BrowserSession, admin: User) -> UserRef | None:
    """The ref a view-as session's pages get: the viewed user's, marked; None when the session views
    nobody (or the viewer is no longer an admin, or the user viewed is gone: the admin's own ref then)."""
    if row.viewing_as_id is None or not permissions.can_manage_users(UserRef.of(admin)):
        return None
    target = session.get(User, row.viewing_as_id)
    if target is None or not target.is_active:
        return None
    ref = with_reach(session, target)
    ref.viewed_by, ref.viewed_by_name = admin.id, admin.name
    ref.language, ref.must_change_password = admin.language, False
    return ref


class ViewAsService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def start(self, actor: UserRef, session_id: int, user_id: int) -> None:
        """An admin's session starts browsing as `user_id` (an active user other than the admin). Audited."""
        if actor.viewed_by is not None or not permissions.can_manage_users(actor):
            raise NotAllowed()
        if user_id == actor.id:
            raise ValidationFailed({'user': 'invalid'})
        now = self.ctx.now()
        with self.ctx.write() as session:
            row, target = session.get(BrowserSession, session_id), session.get(User, user_id)
            if row is None or row.user_id != actor.id or row.ended_at is not None:
                raise NotAllowed()
            if target is None or not target.is_active:
                raise NotFound()
            row.viewing_as_id = user_id
            session.add(row)
            audit(session, AuditAction.VIEW_AS_STARTED, now=now, actor_id=actor.id, subject_user_id=user_id,
                  reason_key='reason.view_as_started', user=target.name)

    def end(self, actor: UserRef, session_id: int) -> None:
        """The admin's session is their own again (the banner's button). Audited; nothing to end: no-op."""
        admin_id = actor.viewed_by if actor.viewed_by is not None else actor.id
        now = self.ctx.now()
        with self.ctx.write() as session:
            row = session.get(BrowserSession, session_id)
            if row is None or row.user_id != admin_id:
                raise NotAllowed()
            if row.viewing_as_id is None:
                return
            viewed, row.viewing_as_id = row.viewing_as_id, None
            session.add(row)
            target = session.get(User, viewed)
            audit(session, AuditAction.VIEW_AS_ENDED, now=now, actor_id=admin_id, subject_user_id=viewed,
                  reason_key='reason.view_as_ended', user=target.name if target else '')

