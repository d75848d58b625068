"""Locks PostgreSQL needs where SQLite's single writer used to be enough.

In one SQLite process every write transaction runs under `Context.write`'s lock, so a
read-then-write (is there a twin? who has room?) never interleaves with another. With
PostgreSQL and several processes, two transactions can read the same state at once:

- `lock_identities`: a transaction-level advisory lock per dedupe key (store/identity.py:
  normalised phone, email, company + name; and the external id), taken before the twin lookup,
  so two simultaneous captures of the same person give one lead and one touch, never two leads.
- `lock_identity_keys`: the same for an import batch's arrivals, all at once, in the same order.
- `lock_leads` / `lock_users`: row locks in id order, in the one order every writer follows.
- `try_leader_lock` / `holds_leader_lock`: the session-level advisory lock the timer's leader holds
  on a dedicated connection for as long as it lives (core/automation/cluster.py).

Every function is a no-op on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from .identity import Arrival, lock_keys
from .models import Lead, User

LEADER_KEY = 0x4C44_5449  # 'LDTI': the timer's leadership, one key per database
"""The advisory-lock key of the timer leader (two-int form: classid 1, objid this)."""


def is_postgres(session_or_connection: Session | Connection) -> bool:
    bind = session_or_connection.get_bind() if isinstance(session_or_connection, Session) \
        else session_or_connection
    return bind.dialect.name == 'postgresql'


def lock_identities(session: Session, arrival: Arrival, external_key: str | None = None) -> None:
    """Serialise transactions that look up or create a lead with any of the arrival's identity keys
    (store/identity.py `lock_keys`: what the twin lookup compares, and the external id within its
    sender's scope), until commit or rollback. Sorted, so two transactions never wait on each other
    in a circle."""
    if not is_postgres(session):
        return
    lock_identity_keys(session, lock_keys(arrival, external_key))


def lock_identity_keys(session: Session, keys: Iterable[str]) -> None:
    """`lock_identities` for many arrivals at once (an import batch): every key, in one sorted order
    shared with single captures — so a batch and a capture of one of its people wait for each other
    and never in a circle. One round trip (psycopg pipelines the executemany); SQLite: no-op."""
    if not is_postgres(session):
        return
    ordered = [{'k': key} for key in sorted(set(keys))]
    if len(ordered) == 1:
        session.execute(_IDENTITY_LOCK, ordered[0])
    elif ordered:
        session.connection().exec_driver_sql(
            'SELECT pg_advisory_xact_lock(hashtextextended(%(k)s, 0))', ordered)


_IDENTITY_LOCK = sa.text('SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))')


def lock_users(session: Session, user_ids: Iterable[int | None]) -> None:
    """Row-lock these users (PostgreSQL) in id order, fresh values loaded into the session, before a
    transaction changes their open-lead counters or picks among them.

    The one lock order every writer follows — identity keys, then leads, then users (ascending id),
    then the report roll-up's rows (in key order) — is what keeps two writers from waiting on each
    other in a circle (the timer's reassignment against a manager's assignment deadlocked before).
    `FOR NO KEY UPDATE`: it conflicts with every other writer of a user row, but not with the
    key-share locks that inserting rows referencing the user (audit lines, notifications,
    activities) takes. SQLite (one writer): no-op, no query."""
    if not is_postgres(session):
        return
    ids = sorted({i for i in user_ids if i})
    if ids:
        session.execute(sa.select(User).where(col(User.id).in_(ids)).order_by(col(User.id))
                        .with_for_update(key_share=True).execution_options(populate_existing=True)).all()


def lock_leads(session: Session, lead_ids: Iterable[int | None]) -> None:
    """Row-lock these leads (PostgreSQL) in id order, fresh values loaded into the session (see
    `lock_users` for the order). SQLite: no-op, no query."""
    if not is_postgres(session):
        return
    ids = sorted({i for i in lead_ids if i})
    if ids:
        session.execute(sa.select(Lead).where(col(Lead.id).in_(ids)).order_by(col(Lead.id))
                        .with_for_update().execution_options(populate_existing=True)).all()


def try_leader_lock(connection: Connection) -> bool:
    """Take the timer leadership on this connection if nobody holds it (never waits)."""
    return bool(connection.execute(sa.text('SELECT pg_try_advisory_lock(1, :k)'), {'k': LEADER_KEY}).scalar())


def holds_leader_lock(connection: Connection) -> bool:
    """Whether this connection's backend still holds the leadership (a dropped connection does not)."""
    return bool(connection.execute(sa.text(
        'SELECT count(*) FROM pg_locks WHERE locktype = \'advisory\' AND classid = 1 AND objid = :k '
        'AND objsubid = 2 AND pid = pg_backend_pid() AND granted'), {'k': LEADER_KEY}).scalar())
