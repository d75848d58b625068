"""Alembic owns the schema: the migrations build exactly the models, and start-up
upgrades an existing database in place without losing rows."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from core.clock import FakeClock
from core.desk import Desk
from store import search_index
from store.engine import make_engine, read_session
from store.migrate import alembic_config, is_current, upgrade
from store.models import Lead, Role
from tests import factories


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f'sqlite:///{tmp_path / "m.db"}')
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={'compare_type': True,
                                                            'include_name': search_index.modelled}),
                                SQLModel.metadata)
    assert diff == []


def test_restart_keeps_data_and_schema_current(tmp_path: Path) -> None:
    path = tmp_path / 'keep.db'
    desk = factories.make_desk(path)
    desk.leads.capture_lead(factories.lead_data(name='Kept'), channel='manual', default_source='manual')
    desk.ctx.engine.dispose()
    again = factories.make_desk(path)  # prepare() runs the upgrade again on the existing file
    assert is_current(again.ctx.engine)
    with read_session(again.ctx.engine) as s:
        assert [lead.name for lead in s.exec(select(Lead))] == ['Kept']


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f'sqlite:///{tmp_path / "p.db"}')
    with engine.connect() as c:
        assert c.exec_driver_sql('PRAGMA journal_mode').scalar() == 'wal'
        assert c.exec_driver_sql('PRAGMA foreign_keys').scalar() == 1
        assert c.exec_driver_sql('PRAGMA busy_timeout').scalar() == 30000


def _fill(table: sa.Table, **values: object) -> dict[str, object]:
    """A row for `table` as an old revision defined it: the given values, the rest of the NOT NULL
    columns with a plain value of their type."""
    row: dict[str, object] = {}
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        kind = column.type.python_type if not isinstance(column.type, sa.JSON) else list
        row[column.name] = {int: 0, bool: False, str: 'x', list: []}.get(kind, 'x')
    return row | values


def test_0021_scopes_existing_external_ids_by_the_key_that_sent_them(tmp_path: Path) -> None:
    """Before 0021 an external id was unique across all leads. The upgrade gives each existing id the
    scope of the API key whose idempotency record names its lead (the creating key first), else the
    import scope — and renames the unique column rather than rebuilding `leads`."""
    engine = make_engine(f'sqlite:///{tmp_path / "old.db"}')
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, '0019')
    with engine.begin() as c:
        meta = sa.MetaData()
        meta.reflect(c, only=['leads', 'api_keys', 'idempotency_records'])
        leads, keys, records = meta.tables['leads'], meta.tables['api_keys'], meta.tables['idempotency_records']
        for key_id in (1, 2):
            c.execute(keys.insert(), _fill(keys, id=key_id, name=f'k{key_id}', prefix=f'p{key_id}',
                                           key_hash=f'h{key_id}'))
        long_id = 'long-' + 'x' * 195
        for lead_id, ext in ((1, 'made-by-1'), (2, 'joined-by-2'), (3, 'imported'), (4, None), (5, long_id)):
            c.execute(leads.insert(), _fill(leads, id=lead_id, name=f'L{lead_id}', external_id=ext))
        c.execute(records.insert(), [
            _fill(records, api_key_id=2, key='external:made-by-1', lead_id=1, created=False),  # a later join by key 2
            _fill(records, api_key_id=1, key='external:made-by-1', lead_id=1, created=True),
            _fill(records, api_key_id=2, key='external:joined-by-2', lead_id=2, created=False),
            _fill(records, api_key_id=1, key='req-7', lead_id=3, created=True),  # not an external-id record
            _fill(records, api_key_id=1, key=f'external:{long_id}'[:200], lead_id=5, created=True),
        ])
    upgrade(engine)
    assert is_current(engine)
    with engine.connect() as c:
        got = c.exec_driver_sql('SELECT id, external_id, external_key FROM leads ORDER BY id').all()
    assert got[:4] == [(1, 'made-by-1', 'key:1\x1fmade-by-1'), (2, 'joined-by-2', 'key:2\x1fjoined-by-2'),
                       (3, 'imported', 'import\x1fimported'), (4, None, None)]
    assert got[4][1] == long_id and got[4][2].startswith('key:1\x1f#') and len(got[4][2]) <= 200
    # the scoped ids work as the capture path computes them
    desk = factories.make_desk(tmp_path / 'old.db')
    with read_session(desk.ctx.engine) as s:
        from core.capture.external_ids import api_scope, external_key
        from store import queries
        assert queries.lead_by_external_key(s, external_key(api_scope(1), 'made-by-1')).id == 1  # type: ignore[union-attr]
        assert queries.lead_by_external_key(s, external_key(api_scope(2), 'made-by-1')) is None


def test_0021_does_not_rebuild_leads(tmp_path: Path) -> None:
    """The unique index follows the renamed column: the table keeps its root page (a rebuild would
    copy it to a new one), and the autoindex now covers `external_key`."""
    engine = make_engine(f'sqlite:///{tmp_path / "r.db"}')
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, '0019')
    with engine.connect() as c:
        root_before = c.exec_driver_sql("SELECT rootpage FROM sqlite_master WHERE name = 'leads'").scalar()
    upgrade(engine)
    with engine.connect() as c:
        root_after = c.exec_driver_sql("SELECT rootpage FROM sqlite_master WHERE name = 'leads'").scalar()
        unique = [r for r in c.exec_driver_sql("PRAGMA index_list('leads')").all() if r[2]]
        covered = [c.exec_driver_sql(f"PRAGMA index_info('{r[1]}')").all()[0][2] for r in unique]
    assert root_after == root_before
    assert covered == ['external_key']


def test_migrations_call_no_application_code() -> None:
    """A revision does what it did when written: it imports Alembic, SQLAlchemy, SQLModel and the
    standard library, and of the app only `store.types` (the column types autogenerate renders, whose
    DDL is their fixed `impl`) — never a model, a query or a projection that may change later."""
    import ast
    import sys

    from store.migrate import MIGRATIONS

    allowed = {'alembic', 'sqlalchemy', 'sqlmodel', '__future__', *sys.stdlib_module_names}
    found = []
    for path in sorted((MIGRATIONS / 'versions').glob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ''] if isinstance(node, ast.ImportFrom) else [])
            found += [f'{path.name}: {name}' for name in names
                      if name != 'store.types' and name.split('.')[0] not in allowed]
    assert found == []


def test_0019_rebuilds_the_roll_up_the_app_keeps(desk: Desk, clock: FakeClock) -> None:
    """0019 carries its own copy of the roll-up's rebuild: on random leads, deals and audit lines
    written and rewritten through the app, undoing 0019 and running it again gives back every row."""
    import random

    from tests.unit.test_report_rollup import NOW, churn, fill, kept_rows

    clock._now = NOW
    reps = [factories.user(desk, Role.REP, name=f'Rep {i}') for i in range(3)]
    rng = random.Random(19)
    fill(desk, rng, reps, 120)
    churn(desk, rng, reps, 60)
    kept = kept_rows(desk)
    assert {row[0] for row in kept} >= {'cohort', 'closed', 'sla', 'automation'}
    config = alembic_config()
    with desk.ctx.engine.connect() as connection, connection.begin():
        config.attributes['connection'] = connection
        command.downgrade(config, '0018')
        connection.exec_driver_sql('DELETE FROM report_days')  # (all of it: 0019 must build it whole)
    upgrade(desk.ctx.engine)
    # the cohort's `grade` rows came later (0047 leaves them to start-up's rebuild): 0019 keeps the rest
    assert kept_rows(desk) == {row for row in kept if row[3] != 'grade'}


def test_0024_names_the_seeded_chinese_contact_form_in_chinese(tmp_path: Path) -> None:
    """Before 0024 the seeded form was called "Website contact form" while it spoke Chinese."""
    engine = make_engine(f'sqlite:///{tmp_path / "old.db"}')
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, '0023')
    with engine.begin() as c:
        forms = sa.Table('web_forms', sa.MetaData(), autoload_with=c)
        for key, name, language in (('contact', 'Website contact form', 'zh-CN'), ('en', 'Website contact form', 'en'),
                                    ('mine', '展会', 'zh-CN')):
            c.execute(forms.insert(), _fill(forms, key=key, name=name, language=language, fields=[],
                                            allowed_origins=[]))
    upgrade(engine)
    with engine.connect() as c:
        got = c.exec_driver_sql('SELECT key, name FROM web_forms ORDER BY id').all()
    assert got == [('contact', '网站联系表单'), ('en', 'Website contact form'), ('mine', '展会')]


def test_0028_indexes_the_existing_records_as_the_app_does(desk: Desk, clock: FakeClock) -> None:
    """0028 carries its own copy of the search documents' build: undone and run again on leads,
    custom values, a deal and a customer written through the app, it gives the app's documents back,
    and the FTS5 index finds them."""
    import sqlalchemy as sa

    from store import search_index
    from store.models import SearchDoc
    from tests.unit.test_conversion import make_opportunity
    from tests.unit.test_playbooks import move

    a = factories.admin(desk)
    desk.custom_fields.define_field(a, entity='lead', key='agent', type='text', label_zh='代理', label_en='Agent')
    desk.custom_fields.define_field(a, entity='lead', key='old', type='text', label_zh='旧', label_en='Old')
    rep = factories.user(desk, Role.REP)
    desk.leads.capture_lead(factories.lead_data(name='王芳', company='深圳华为', custom={'agent': '渠道张三',
                                                                                  'old': '退役值'}),
                            channel='manual', default_source='manual')
    desk.custom_fields.retire_field(a, entity='lead', key='old')
    deal = make_opportunity(desk, clock, rep, company='苏州星河电子')
    move(desk, rep, deal, 'Won', won_amount='5000', close_date=clock.now().date())

    def docs() -> set[tuple]:
        with desk.ctx.engine.connect() as c:
            return {tuple(r) for r in c.execute(sa.select(SearchDoc.__table__))}  # type: ignore[attr-defined]

    kept = docs()
    assert {d[1] for d in kept} == {'lead', 'opportunity', 'customer'}
    config = alembic_config()
    with desk.ctx.engine.connect() as connection, connection.begin():
        config.attributes['connection'] = connection
        command.downgrade(config, '0027')
    upgrade(desk.ctx.engine)
    assert docs() == kept
    with desk.ctx.engine.begin() as c:
        search_index.rebuild(c)
    assert docs() == kept
    boss = factories.user(desk, Role.MANAGER)
    assert len(desk.search.search(boss, '渠道张三').leads) == 1
    assert desk.search.search(boss, '退役值').empty
    assert len(desk.search.search(boss, '星河电子').customers) == 1
