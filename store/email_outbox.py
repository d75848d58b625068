"""The email outbox's rows: written in the transaction that decided to send (a notification, a
reset link, the test button), claimed with a lease by the mailer (core/integrations/mailer.py).

The bookkeeping reads and writes every outbox shares (`any_due`, `record`, `prune_delivered`, the
after-commit wake) live in store/outbox.py and take this table; only what differs is here: a plain
claim (no per-receiver ordering: each message stands alone) and the rows' own columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import SQLModel, col

from .models import DeliveryStatus, EmailKind, EmailMessage, NotifyPrefs, User

TABLE = SQLModel.metadata.tables[EmailMessage.__tablename__]


def insert(session: OrmSession, *, to_address: str, language: str, kind: EmailKind, now: datetime,
           user_id: int | None = None, key: str = '', params: dict[str, Any] | None = None,
           lead_id: int | None = None) -> int:
    """One pending message, due now; the commit wakes the mailer (store/outbox.py `wake`)."""
    message = EmailMessage(user_id=user_id, to_address=to_address, language=language, kind=kind, key=key,
                           params=params or {}, lead_id=lead_id, next_attempt_at=now, created_at=now)
    session.add(message)
    session.flush()
    session.info['outbox_written'] = True
    return message.id or 0


def claim_due(session: OrmSession, now: datetime, lease_until: datetime, *, limit: int = 50,
              only: int | None = None) -> list[EmailMessage]:
    """Due pending messages (oldest first), leased until `lease_until` (`FOR UPDATE SKIP LOCKED` on
    PostgreSQL: any number of processes may send). `only`: that one message, if due."""
    query = sa.select(TABLE.c.id).where(TABLE.c.status == DeliveryStatus.PENDING, TABLE.c.next_attempt_at <= now)
    if only is not None:
        query = query.where(TABLE.c.id == only)
    ids = list(session.execute(query.order_by(TABLE.c.next_attempt_at, TABLE.c.id).limit(limit)
                               .with_for_update(skip_locked=True)).scalars())
    if not ids:
        return []
    session.execute(sa.update(TABLE).where(TABLE.c.id.in_(ids)).values(next_attempt_at=lease_until))
    return list(session.execute(sa.select(EmailMessage).where(col(EmailMessage.id).in_(ids))
                                .order_by(col(EmailMessage.id))).scalars())


def wipe_params(session: OrmSession, message_id: int) -> None:
    """A reset link's token leaves the outbox once the message is sent or given up."""
    session.execute(sa.update(TABLE).where(TABLE.c.id == message_id).values(params={}))


def recent(session: OrmSession, limit: int = 20) -> list[EmailMessage]:
    """The newest messages, for the settings page's log."""
    return list(session.execute(sa.select(EmailMessage).order_by(col(EmailMessage.id).desc()).limit(limit)).scalars())


@dataclass(frozen=True, slots=True)
class Recipient:
    """A user who chose some notification kinds by email."""

    address: str
    language: str | None
    kinds: frozenset[str]


def emailed_kinds(session: OrmSession, user_ids: Sequence[int]) -> dict[int, Recipient]:
    """Of these users, the active ones who chose any kind by email."""
    if not user_ids:
        return {}
    rows = session.execute(sa.select(col(User.id), col(User.email), col(User.language), col(NotifyPrefs.emailed))
                           .join(NotifyPrefs, col(NotifyPrefs.user_id) == User.id)
                           .where(col(User.id).in_(list(user_ids)), col(User.is_active) == True)).all()  # noqa: E712
    return {uid: Recipient(email, language, frozenset(kinds))
            for uid, email, language, kinds in rows if kinds and uid is not None}
