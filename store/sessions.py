"""Browser sessions: the reads and writes core/accounts/sessions.py runs (one row per login)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from .models import BrowserSession, User


def by_token(session: Session, token_hash: str) -> tuple[BrowserSession, User] | None:
    """The session with this token and its user: one lookup on the unique token index."""
    row = session.exec(select(BrowserSession, User).join(User, col(User.id) == BrowserSession.user_id)
                       .where(BrowserSession.token_hash == token_hash)).first()
    return (row[0], row[1]) if row is not None else None


def by_id(session: Session, session_id: int) -> tuple[BrowserSession, User] | None:
    row = session.exec(select(BrowserSession, User).join(User, col(User.id) == BrowserSession.user_id)
                       .where(BrowserSession.id == session_id)).first()
    return (row[0], row[1]) if row is not None else None


def open_of_user(session: Session, user_id: int) -> Sequence[BrowserSession]:
    return session.exec(select(BrowserSession).where(BrowserSession.user_id == user_id,
                                                     col(BrowserSession.ended_at).is_(None))).all()


def stale(session: Session, *, idle_before: datetime, started_before: datetime,
          ticket_before: datetime) -> Sequence[BrowserSession]:
    """Open sessions past a limit: idle, too old, or a login ticket never exchanged. Reads only
    open rows (the partial index `ix_browser_sessions_open`)."""
    started = col(BrowserSession.started_at)
    return session.exec(select(BrowserSession).where(
        col(BrowserSession.ended_at).is_(None),
        sa.or_(col(BrowserSession.last_seen_at) < idle_before,
               sa.and_(started.is_not(None), started < started_before),
               sa.and_(started.is_(None), col(BrowserSession.created_at) < ticket_before)))).all()


def touch(session: Session, session_id: int, now: datetime) -> None:
    """Refresh `last_seen_at` of a session still open (one UPDATE; no ORM object loaded)."""
    session.execute(sa.update(BrowserSession).where(col(BrowserSession.id) == session_id,
                                                    col(BrowserSession.ended_at).is_(None))
                    .values(last_seen_at=now))
