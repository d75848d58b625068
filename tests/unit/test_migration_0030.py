"""Migration 0030 (custom fields on opportunities and customers) up and down on a database holding
rows: the JSON columns arrive empty without touching a row's data, a lead field required at capture
stays so, and the way down takes back exactly what 0030 added."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from store.engine import make_engine
from store.migrate import alembic_config, is_current, upgrade


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {c['name'] for c in sa.inspect(engine).get_columns(table)}


def test_0030_adds_the_columns_keeps_the_rows_and_goes_back_down(tmp_path: Path) -> None:
    engine = make_engine(f'sqlite:///{tmp_path / "o.db"}')
    config = alembic_config()
    before = ScriptDirectory.from_config(config).get_revision('0030').down_revision
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, str(before))
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO accounts (id, name, is_customer, tier, lifetime_value_cents, won_count, "
                          "version, is_deleted) VALUES (1, '甲公司', 1, 'regular', 500, 1, 3, 0)")
        c.exec_driver_sql("INSERT INTO custom_fields (entity, key, label_zh, label_en, type, options, "
                          "is_required, is_retired, position) "
                          "VALUES ('lead', 'stores', '门店数', 'Stores', 'number', '[]', 1, 0, 0)")
    upgrade(engine)
    assert is_current(engine)
    with engine.connect() as c:
        account = c.exec_driver_sql('SELECT name, version, custom FROM accounts').one()
        field = c.exec_driver_sql('SELECT is_required, is_required_to_qualify, required_stage_id, help_zh, help_en '
                                  'FROM custom_fields').one()
    assert (account[0], account[1], json.loads(account[2])) == ('甲公司', 3, {})
    assert tuple(field) == (1, 0, None, '', '')
    assert 'custom' in _columns(engine, 'opportunities')

    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.downgrade(config, str(before))
    assert 'custom' not in _columns(engine, 'accounts') | _columns(engine, 'opportunities')
    assert not {'is_required_to_qualify', 'required_stage_id', 'help_zh', 'help_en'} & _columns(engine, 'custom_fields')
    with engine.connect() as c:
        assert c.exec_driver_sql('SELECT name FROM accounts').scalar() == '甲公司'
        assert c.exec_driver_sql('SELECT key, is_required FROM custom_fields').one() == ('stores', 1)
    upgrade(engine)  # and up again
    assert is_current(engine)
