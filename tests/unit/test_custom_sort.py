"""Filterable custom fields and the inbox's sorts: the flag adds an expression index on the field's
JSON key (and clearing or retiring the field drops it; start-up recreates what is missing), the
filter and the sort use that very expression (EXPLAIN shows the index), every sort pages stably and
puts leads without the value last both ways, and a sort the definitions cannot serve is refused by
name. Mirrored on PostgreSQL (tests/pg)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from core.desk import Desk
from core.errors import ValidationFailed
from store import queries
from store.custom_indexes import ensure_custom_indexes, existing, index_name
from store.models import CustomField, Lead, Role, UserRef
from tests.factories import admin, lead_data, user

OPTIONS = ({'key': 'a', 'label_zh': '甲', 'label_en': 'A'}, {'key': 'b', 'label_zh': '乙', 'label_en': 'B'})


def define(desk: Desk, key: str, type: str, *, filterable: bool = True) -> None:
    desk.custom_fields.define_field(admin(desk), entity='lead', key=key, type=type, label_zh=key, label_en=key,
                                    options=OPTIONS if 'select' in type else (), filterable=filterable)


def custom_indexes(desk: Desk) -> set[str]:
    with desk.ctx.engine.connect() as c:
        return existing(c, 'leads')


def plan(desk: Desk, f: queries.InboxFilter, *, off: tuple[str, ...] = ('seqscan',)) -> str:
    """The plan of the inbox page's own query for `f` (its WHERE and ORDER BY), as text. On
    PostgreSQL with the planner's `off` methods disabled: on a few rows a table scan and a sort
    always win, and the question is only whether the index's expression is the query's."""
    dialect = desk.ctx.engine.dialect.name
    f = queries.InboxFilter(**{**{k: getattr(f, k) for k in f.__dataclass_fields__}, 'dialect': dialect})
    query = select(Lead.id).where(*queries._inbox_where(f)).order_by(*queries._inbox_order(f)).limit(25)
    compiled = query.compile(dialect=desk.ctx.engine.dialect, compile_kwargs={'render_postcompile': True})
    with desk.ctx.engine.connect() as c:
        if dialect == 'postgresql':
            for knob in off:
                c.exec_driver_sql(f'SET enable_{knob} = off')
            rows = c.exec_driver_sql(f'EXPLAIN {compiled}', compiled.params).all()
        else:
            params = tuple(compiled.params[k] for k in compiled.positiontup or ())
            rows = c.exec_driver_sql(f'EXPLAIN QUERY PLAN {compiled}', params).all()
    return '\n'.join(str(r[-1]) for r in rows)


def test_the_flag_adds_the_index_and_clearing_or_retiring_drops_it(desk: Desk) -> None:
    define(desk, 'product', 'single_select')
    define(desk, 'size', 'number', filterable=False)
    assert custom_indexes(desk) == {'ix_leads_cf_product'}
    desk.custom_fields.relabel_field(admin(desk), entity='lead', key='size', label_zh='门店数', filterable=True)
    assert custom_indexes(desk) == {'ix_leads_cf_product', 'ix_leads_cf_size'}
    desk.custom_fields.relabel_field(admin(desk), entity='lead', key='size', label_zh='门店数', filterable=False)
    assert custom_indexes(desk) == {'ix_leads_cf_product'}
    desk.custom_fields.retire_field(admin(desk), entity='lead', key='product')
    assert custom_indexes(desk) == set()
    desk.custom_fields.restore_field(admin(desk), entity='lead', key='product')
    assert custom_indexes(desk) == {'ix_leads_cf_product'}
    assert [d.is_filterable for d in desk.custom_fields.fields(admin(desk))] == [True, False]


def test_a_type_no_index_serves_cannot_be_filterable(desk: Desk) -> None:
    with pytest.raises(ValidationFailed) as e:
        define(desk, 'tags', 'multi_select')
    assert e.value.errors == {'filterable': 'not_indexable'}
    define(desk, 'notes', 'long_text', filterable=False)
    with pytest.raises(ValidationFailed):
        desk.custom_fields.relabel_field(admin(desk), entity='lead', key='notes', label_zh='x', filterable=True)
    assert custom_indexes(desk) == set()


def test_start_up_converges_on_the_definitions(desk: Desk) -> None:
    """A restored backup or a copied database: whatever indexes it lacks or has left over, the
    single `ensure_custom_indexes` (run by `Desk.prepare` and `migrate-to`) makes them match."""
    define(desk, 'product', 'single_select')
    with desk.ctx.engine.begin() as c:
        c.exec_driver_sql('DROP INDEX ix_leads_cf_product')
        c.execute(sa.update(CustomField).where(col(CustomField.key) == 'product').values(is_filterable=True))
    assert custom_indexes(desk) == set()
    desk.prepare()
    assert custom_indexes(desk) == {'ix_leads_cf_product'}
    with desk.ctx.engine.begin() as c:
        c.execute(sa.update(CustomField).values(is_filterable=False))
        assert ensure_custom_indexes(c) == ([], ['ix_leads_cf_product'])
    assert custom_indexes(desk) == set()


def test_the_filter_and_the_sort_use_the_index(desk: Desk) -> None:
    define(desk, 'product', 'single_select')
    define(desk, 'size', 'number')
    user(desk)
    for i in range(6):
        desk.leads.capture_lead(lead_data(custom={'product': 'ab'[i % 2], 'size': i}), channel='manual',
                                default_source='manual')
    test = queries.CustomTest('product', queries.CustomTestKind.EQUALS, 'a')
    assert 'ix_leads_cf_product' in plan(desk, queries.InboxFilter(custom=(test,)))
    # A team view's sort walks the index in the direction where NULLs come last by the index's own
    # order: SQLite keeps NULLs first (walked backwards: descending), PostgreSQL last (ascending);
    # the other direction sorts the matching rows (docs/DESIGN.md, custom fields: what a filter costs)
    sqlite = desk.ctx.engine.dialect.name == 'sqlite'
    by_size = queries.InboxOrder(by=queries.InboxSort.CUSTOM, key='size', numeric=True, descending=sqlite)
    assert 'ix_leads_cf_size' in plan(desk, queries.InboxFilter(order=by_size), off=('seqscan', 'bitmapscan', 'sort'))
    assert index_name('leads', 'size') == 'ix_leads_cf_size'


def _leads(desk: Desk) -> tuple[UserRef, UserRef]:
    define(desk, 'product', 'single_select')
    define(desk, 'size', 'number')
    define(desk, 'due', 'date')
    rep = user(desk)
    now = desk.ctx.now()
    spec: list[tuple[str, int, dict[str, Any], int | None]] = [  # name, score, custom, follow-up in days
        ('Cao', 30, {'product': 'b', 'size': 10, 'due': '2027-01-05'}, 3),
        ('An', 10, {'size': 9}, None),
        ('Bo', 20, {'product': 'a', 'size': 100, 'due': '2026-12-31'}, 1),
        ('Du', 20, {}, 2),
    ]
    with desk.ctx.write() as s:
        for i, (name, score, custom, days) in enumerate(spec):
            s.add(Lead(name=name, score=score, custom=custom, owner_id=rep.id, status='assigned', grade='B',
                       created_at=now - timedelta(days=10 - i),
                       next_follow_up_at=now + timedelta(days=days) if days is not None else None))
    return rep, user(desk, Role.MANAGER)


def order(desk: Desk, who: UserRef, **sort: Any) -> list[str]:
    rows, _ = desk.leads.inbox(who, page_size=100, **sort)
    paged = [r.name for page in (1, 2) for r in desk.leads.inbox(who, page=page, page_size=2, **sort)[0]]
    names = [r.name for r in rows]
    assert paged == names  # offset paging neither repeats nor skips
    return names


@pytest.mark.parametrize('who', ['rep', 'manager'])
def test_each_sort_orders_the_inbox_with_missing_values_last(desk: Desk, who: str) -> None:
    rep, manager = _leads(desk)
    reader = rep if who == 'rep' else manager
    assert order(desk, reader, sort='newest') == ['Du', 'Bo', 'An', 'Cao']
    assert order(desk, reader, sort='oldest') == ['Cao', 'An', 'Bo', 'Du']
    assert order(desk, reader, sort='score', sort_desc=True) == ['Cao', 'Du', 'Bo', 'An']  # ties: newest id first
    assert order(desk, reader, sort='score') == ['An', 'Bo', 'Du', 'Cao']
    assert order(desk, reader, sort='name') == ['An', 'Bo', 'Cao', 'Du']
    assert order(desk, reader, sort='name', sort_desc=True) == ['Du', 'Cao', 'Bo', 'An']
    assert order(desk, reader, sort='follow_up') == ['Bo', 'Du', 'Cao', 'An']
    assert order(desk, reader, sort='follow_up', sort_desc=True) == ['Cao', 'Du', 'Bo', 'An']
    assert order(desk, reader, sort='custom', sort_key='size') == ['An', 'Cao', 'Bo', 'Du']  # 9 < 10 < 100
    assert order(desk, reader, sort='custom', sort_key='size', sort_desc=True) == ['Bo', 'Cao', 'An', 'Du']
    assert order(desk, reader, sort='custom', sort_key='product') == ['Bo', 'Cao', 'An', 'Du']
    assert order(desk, reader, sort='custom', sort_key='product', sort_desc=True) == ['Cao', 'Bo', 'Du', 'An']
    assert order(desk, reader, sort='custom', sort_key='due', sort_desc=True) == ['Cao', 'Bo', 'Du', 'An']
    assert order(desk, reader, sort='default') == order(desk, reader)


def test_a_sort_the_definitions_cannot_serve_is_refused_by_name(desk: Desk) -> None:
    define(desk, 'product', 'single_select')
    define(desk, 'vip', 'yes_no')
    define(desk, 'plain', 'text', filterable=False)
    boss = user(desk, Role.MANAGER)
    cases = {('custom', 'nope'): 'unknown_field', ('custom', 'vip'): 'not_sortable',
             ('custom', 'plain'): 'not_sortable', ('sideways', ''): 'invalid_sort'}
    desk.custom_fields.retire_field(admin(desk), entity='lead', key='product')
    cases[('custom', 'product')] = 'retired_field'
    for (sort, key), code in cases.items():
        with pytest.raises(ValidationFailed) as e:
            desk.leads.inbox(boss, sort=sort, sort_key=key)
        assert e.value.errors == {'sort': code}, (sort, key)
