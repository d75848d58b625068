"""Locks PostgreSQL needs where SQLite's single writer used to be enough.

In one SQLite process every write transaction runs under `Context.write`'s lock, so a
read-then-write (is there a twin? who has room?) never interleaves with another. With
PostgreSQL and several processes, two transactions can read the same state at once:

- `lock_identities`: a transaction-level advisory lock per dedupe key (normalised phone,
  email, company + name), taken before the twin lookup, so two simultaneous captures of
  the same person give one lead and one touch, never two leads.
- `try_leader_lock` / `holds_leader_lock`: the session-level advisory lock the timer's leader holds
  on a dedicated connection for as long as it lives (core/cluster.py).

Every function is a no-op on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

LEADER_KEY = 0x4C44_5449  # 'LDTI': the timer's leadership, one key per database
"""The advisory-lock key of the timer leader (two-int form: classid 1, objid this)."""


def is_postgres(session_or_connection: Session | Connection) -> bool:
    bind = session_or_connection.get_bind() if isinstance(session_or_connection, Session) \
        else session_or_connection
    return bind.dialect.name == 'postgresql'


def lock_identities(session: Session, *, phone_norm: str | None, email: str | None, company_norm: str | None,
                    name: str | None, external_id: str | None = None) -> None:
    """Serialise transactions that look up or create a lead with any of the keys the twin lookup
    (`queries.find_duplicate`) and the external-id check use, until commit or rollback. Sorted,
    so two transactions never wait on each other in a circle."""
    if not is_postgres(session):
        return
    keys: Iterable[str] = (k for k in (
        phone_norm and f'phone:{phone_norm}', email and f'email:{email}',
        company_norm and name and f'company:{company_norm}\x1f{name}',
        external_id and f'external:{external_id}') if k)
    for key in sorted(set(keys)):
        session.execute(sa.text('SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))'), {'k': key})


def try_leader_lock(connection: Connection) -> bool:
    """Take the timer leadership on this connection if nobody holds it (never waits)."""
    return bool(connection.execute(sa.text('SELECT pg_try_advisory_lock(1, :k)'), {'k': LEADER_KEY}).scalar())


def holds_leader_lock(connection: Connection) -> bool:
    """Whether this connection's backend still holds the leadership (a dropped connection does not)."""
    return bool(connection.execute(sa.text(
        'SELECT count(*) FROM pg_locks WHERE locktype = \'advisory\' AND classid = 1 AND objid = :k '
        'AND objsubid = 2 AND pid = pg_backend_pid() AND granted'), {'k': LEADER_KEY}).scalar())
