"""A token that changes whenever the capture path's configuration changes: the scoring rules, the
assignment rules, any app setting (the automation policy lives there), the custom field definitions, the tags
or the department tree.

Why: every capture read the rules and the policy afresh (three queries, ~1 ms of a ~10 ms
capture). core/capture/config.py's `ConfigCache` (one per desk's `Context`) keeps what it built
from them together with this token, and reads only the token (one primary-key row) per capture; a
changed token means read them again.

The token is bumped by core's unit of work (core/projections.py) at the end of the transaction
that changed one of `WATCHED` (before its commit), so it is right across processes (another server
on the same PostgreSQL sees the new token as soon as the change commits) and never ahead of a
rolled-back change for long (a rolled-back token is simply never seen again: every bump is a fresh
random value, so an old token cannot come back and make a stale copy look current). Writes to
these tables that bypass the unit of work must call `bump`. No row
(a database written before this existed, or emptied by a test) means: do not cache.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import SQLModel

from .models import AppSetting, AssignmentRule, CustomField, Department, ScoringRule, Tag

KEY = 'config_version'
WATCHED = (AppSetting, AssignmentRule, ScoringRule, CustomField, Tag, Department)
"""Departments too: a rule targeting one reads its subtree and name (core/capture/config.py)."""
POOL_SUMMARY_KEY = 'pool_summary_until'
"""The timer's pool-summary mark (core/automation/timer.py), written every tick."""
VIEW_PREFIX = 'view:'
"""Settings rows under this prefix hold one user's view choices (core/accounts/views.py)."""


def is_bookkeeping(key: str) -> bool:
    """A settings row that is not configuration: the token itself, the pool-summary mark, a user's
    view choices. Writing one must not make captures reload their rules."""
    return key in (KEY, POOL_SUMMARY_KEY) or key.startswith(VIEW_PREFIX)

_SETTINGS = SQLModel.metadata.tables[AppSetting.__tablename__]  # = `.__table__` (undeclared in SQLModel)
_READ = sa.select(_SETTINGS.c.value).where(_SETTINGS.c.key == KEY)
"""Built once (building a statement costs more than running this one)."""


def current(session: OrmSession) -> str | None:
    """The token as this transaction sees it; None: no token, nothing may be cached."""
    # (a change made earlier in the same transaction bumps it only at that transaction's end: no
    # action changes the configuration and captures in one transaction)
    return session.execute(_READ).scalar()


def bump(connection: sa.Connection) -> None:
    """A new token, in the caller's transaction (an upsert: two transactions bumping at once on
    PostgreSQL wait for each other on the key's row instead of one failing on the primary key)."""
    insert = postgresql.insert if connection.dialect.name == 'postgresql' else sqlite.insert
    statement = insert(_SETTINGS).values(key=KEY, value=uuid.uuid4().hex)
    connection.execute(statement.on_conflict_do_update(index_elements=['key'],
                                                       set_={'value': statement.excluded.value}))


def take_mark(connection: sa.Connection, key: str, default: str) -> str:
    """A bookkeeping mark's value, its row locked until the caller's transaction ends (created at
    `default` if missing). Two transactions taking the same mark at once — two timer processes'
    ticks — wait for each other instead of both reading the old value or one failing on the key."""
    insert = postgresql.insert if connection.dialect.name == 'postgresql' else sqlite.insert
    connection.execute(insert(_SETTINGS).values(key=key, value=default).on_conflict_do_nothing(index_elements=['key']))
    return connection.execute(sa.select(_SETTINGS.c.value).where(_SETTINGS.c.key == key).with_for_update()).scalar_one()


def set_mark(connection: sa.Connection, key: str, value: str) -> None:
    connection.execute(sa.update(_SETTINGS).where(_SETTINGS.c.key == key).values(value=value))
