"""A PostgreSQL server for tests: its URL (`LEADDESK_TEST_PG_URL`) and a database created for a run
and dropped after it. Shared by tests/pg and the two-process browser test."""

from __future__ import annotations

import os
import secrets

import psycopg
import pytest
import sqlalchemy as sa

DEFAULT_URL = 'postgresql+psycopg://postgres@127.0.0.1:5432/postgres'


def server_url() -> str:
    return os.environ.get('LEADDESK_TEST_PG_URL') or DEFAULT_URL


def _conninfo(url: str, database: str | None = None) -> str:
    """libpq form of a SQLAlchemy URL (psycopg connects without SQLAlchemy for CREATE/DROP DATABASE)."""
    parsed = sa.engine.make_url(url).set(drivername='postgresql')
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def database_url(name: str) -> str:
    return sa.engine.make_url(server_url()).set(database=name).render_as_string(hide_password=False)


class Server:
    """This run's database on the server: created at the start, dropped at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f'leaddesk_test_{os.getpid()}_{secrets.token_hex(3)}'
        try:
            self._admin = psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as e:
            raise pytest.UsageError(
                f'tests/pg needs a PostgreSQL server at {url} (LEADDESK_TEST_PG_URL): {e}. '
                './test.sh starts one (scripts/ensure-postgres.sh).') from e
        self._drop_abandoned()
        self._admin.execute(f'CREATE DATABASE "{self.name}"')

    def _drop_abandoned(self) -> None:
        """Databases of earlier runs on this machine that were killed before their clean-up."""
        if sa.engine.make_url(self.url).host not in (None, '', '127.0.0.1', 'localhost', '::1'):
            return
        for (name,) in self._admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'leaddesk\\_test\\_%'").fetchall():
            pid = name.split('_')[2]
            if pid.isdigit() and not os.path.exists(f'/proc/{pid}'):
                self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.close()
