"""Migration 0030 (custom fields on opportunities and customers) up and down on a database holding
rows: the JSON columns arrive empty without touching a row's data, a lead field required at capture
stays so, and the way down takes back exactly what 0030 added. tests/pg runs `check_0030` on
PostgreSQL too."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from store.engine import make_engine
from store.migrate import alembic_config, is_current, upgrade


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {c['name'] for c in sa.inspect(engine).get_columns(table)}


def _migrate(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def check_0030(engine: sa.Engine) -> None:
    """Up from the revision before 0030 with rows in place, down again, and up once more."""
    before = str(ScriptDirectory.from_config(alembic_config()).get_revision('0030').down_revision)
    _migrate(engine, before)
    meta = sa.MetaData()
    meta.reflect(engine, only=['accounts', 'custom_fields'])
    accounts, fields = meta.tables['accounts'], meta.tables['custom_fields']
    with engine.begin() as c:
        c.execute(accounts.insert().values(id=1, name='甲公司', is_customer=True, tier='regular',
                                           lifetime_value_cents=500, won_count=1, version=3, is_deleted=False))
        c.execute(fields.insert().values(entity='lead', key='stores', label_zh='门店数', label_en='Stores',
                                         type='number', options=[], is_required=True, is_retired=False, position=0))
    upgrade(engine)
    assert is_current(engine)
    meta = sa.MetaData()
    meta.reflect(engine, only=['accounts', 'custom_fields'])
    accounts, fields = meta.tables['accounts'], meta.tables['custom_fields']
    with engine.connect() as c:
        account = c.execute(sa.select(accounts.c.name, accounts.c.version, accounts.c.custom)).one()
        field = c.execute(sa.select(fields.c.is_required, fields.c.is_required_to_qualify,
                                    fields.c.required_stage_id, fields.c.help_zh, fields.c.help_en)).one()
    assert tuple(account) == ('甲公司', 3, {})
    assert tuple(field) == (True, False, None, '', '')
    assert 'custom' in _columns(engine, 'opportunities')

    _migrate(engine, before, down=True)
    assert 'custom' not in _columns(engine, 'accounts') | _columns(engine, 'opportunities')
    assert not {'is_required_to_qualify', 'required_stage_id', 'help_zh', 'help_en'} & _columns(engine, 'custom_fields')
    with engine.connect() as c:
        assert c.execute(sa.text('SELECT name FROM accounts')).scalar() == '甲公司'
        assert tuple(c.execute(sa.text('SELECT key, is_required FROM custom_fields')).one()) == ('stores', True)
    upgrade(engine)  # and up again
    assert is_current(engine)


def test_0030_adds_the_columns_keeps_the_rows_and_goes_back_down(tmp_path: Path) -> None:
    engine = make_engine(f'sqlite:///{tmp_path / "o.db"}')
    check_0030(engine)
    engine.dispose()
