"""Alembic environment: the target is SQLModel's metadata from store.models."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store.migrate import sqlite_transactional_ddl

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return os.environ.get('LEADDESK_DATABASE_URL') or config.get_main_option('sqlalchemy.url') or ''


def run_migrations_online() -> None:
    connection = config.attributes.get('connection')
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    # The alembic command line: one transaction for the whole run, DDL included on SQLite too
    # (store.migrate.upgrade, which the app runs, passes its own connection already in one).
    engine = sa.create_engine(_url())
    with engine.connect() as conn, _transactional_ddl(conn):
        context.configure(connection=conn, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()


def _transactional_ddl(conn: sa.Connection) -> AbstractContextManager[None]:
    return sqlite_transactional_ddl(conn) if conn.dialect.name == 'sqlite' else nullcontext()


run_migrations_online()
