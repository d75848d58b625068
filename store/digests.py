"""The `digests` rows and the users' digest settings (core/digests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .models import DigestPrefs, DigestRecord, Role, User

_DIGESTS = DigestRecord.__table__  # type: ignore[attr-defined]


def find(session: Session, user_id: int, kind: str, day: date) -> DigestRecord | None:
    return session.exec(select(DigestRecord).where(col(DigestRecord.user_id) == user_id, col(DigestRecord.kind) == kind,
                                                   col(DigestRecord.day) == day)).first()


def sent_keys(session: Session, days: Sequence[date]) -> set[tuple[int, str, date]]:
    """(user, kind, day) of the digests already sent for `days`: one read per tick, however many users."""
    if not days:
        return set()
    rows = session.execute(sa.select(_DIGESTS.c.user_id, _DIGESTS.c.kind, _DIGESTS.c.day)
                           .where(_DIGESTS.c.day.in_(sorted(set(days))), _DIGESTS.c.sent_at.is_not(None))).all()
    return {(u, k, d) for u, k, d in rows}


def ensure(session: Session, user_id: int, kind: str, day: date, now: datetime) -> DigestRecord:
    """The period's row, inserted if missing. Two writers racing both end with the one row: the loser's
    insert fails on the unique key inside a savepoint and it reads the winner's."""
    row = find(session, user_id, kind, day)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.execute(sa.insert(_DIGESTS).values(user_id=user_id, kind=kind, day=day, own_lines=[],
                                                       created_at=now))
    except IntegrityError:
        pass
    found = find(session, user_id, kind, day)
    assert found is not None
    return found


def claim(session: Session, digest_id: int, now: datetime) -> bool:
    """Mark the digest sent if nobody has: True for the one caller that did (the send's only gate)."""
    result: Any = session.execute(sa.update(_DIGESTS).where(_DIGESTS.c.id == digest_id, _DIGESTS.c.sent_at.is_(None))
                                  .values(sent_at=now))
    return int(result.rowcount or 0) == 1


def store_content(session: Session, digest_id: int, content: dict[str, Any]) -> None:
    session.execute(sa.update(_DIGESTS).where(_DIGESTS.c.id == digest_id).values(content=content))


def history(session: Session, user_id: int, limit: int = 60) -> list[DigestRecord]:
    """A user's sent digests, newest first."""
    return list(session.exec(select(DigestRecord).where(col(DigestRecord.user_id) == user_id,
                                                        col(DigestRecord.sent_at).is_not(None))
                             .order_by(col(DigestRecord.day).desc(), col(DigestRecord.kind)).limit(limit)).all())


def prefs(session: Session, user_ids: Sequence[int]) -> dict[int, DigestPrefs]:
    if not user_ids:
        return {}
    rows = session.exec(select(DigestPrefs).where(col(DigestPrefs.user_id).in_(sorted(set(user_ids))))).all()
    return {p.user_id: p for p in rows}


def recipients(session: Session) -> list[User]:
    """Active reps and managers (the people a digest is written for), by id."""
    return list(session.exec(select(User).where(col(User.is_active).is_(True),
                                                col(User.role).in_((Role.REP, Role.MANAGER)))
                             .order_by(col(User.id))).all())
