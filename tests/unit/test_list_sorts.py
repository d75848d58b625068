"""The pool's, the board's and the customer list's sorts (core/custom_fields/sorting.py, one `SortSpec`
per list, and store/queries/sorting.py): each built-in order and a filterable custom field of the
list's record kind both ways, records without the value last either way, offset pages that neither
repeat nor skip (the id breaks ties), a sort the definitions cannot serve refused by name, the customer
sort walking the field's expression index as the inbox's does for leads, and "select all N matching"
on the pool and the customer list taking exactly what the list shows. Mirrored on PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from core.automation.pool import PoolQuery
from core.desk import Desk
from core.errors import ValidationFailed
from core.leads.bulk import BulkAction, BulkKind, Selection
from core.leads.bulk_matching import MatchingList
from store import queries
from store.custom_indexes import existing
from store.models import Account, Lead, LeadStatus, Opportunity, Role, TagEntity, UserRef
from tests.factories import admin, user
from tests.unit.test_custom_sort import OPTIONS
from tests.unit.test_tags import define as define_tag
from tests.unit.test_tags import held


def define(desk: Desk, entity: str, key: str, type: str, *, filterable: bool = True) -> None:
    desk.custom_fields.define_field(admin(desk), entity=entity, key=key, type=type, label_zh=key, label_en=key,
                                    options=OPTIONS if 'select' in type else (), filterable=filterable)


SPEC: list[tuple[str, int, dict[str, Any]]] = [  # name, number (score, amount, value), custom
    ('Cao', 30, {'product': 'b', 'size': 10, 'due': '2027-01-05'}),
    ('An', 10, {'size': 9}),
    ('Bo', 20, {'product': 'a', 'size': 100, 'due': '2026-12-31'}),
    ('Du', 20, {}),
]
"""The same four records on every list: sizes 9 < 10 < 100 (as numbers, not text), Du without any."""


def _pool(desk: Desk) -> UserRef:
    define(desk, 'lead', 'product', 'single_select')
    define(desk, 'lead', 'size', 'number')
    define(desk, 'lead', 'due', 'date')
    now = desk.ctx.now()
    with desk.ctx.write() as s:
        for i, (name, score, custom) in enumerate(SPEC):
            s.add(Lead(name=name, score=score, custom=custom, status=LeadStatus.POOL, grade='B',
                       created_at=now - timedelta(days=10), pooled_at=now - timedelta(days=10 - i)))
    return user(desk, Role.MANAGER)


def pool_order(desk: Desk, who: UserRef, **query: Any) -> list[str]:
    rows, total = desk.pool.pool(who, page_size=100, query=PoolQuery(**query))
    paged = [r.name for page in (1, 2) for r in desk.pool.pool(who, page=page, page_size=2,
                                                               query=PoolQuery(**query))[0]]
    names = [r.name for r in rows]
    assert paged == names and total == len(names)  # offset paging neither repeats nor skips
    return names


def test_the_pool_sorts_by_its_orders_and_a_lead_field_both_ways(desk: Desk) -> None:
    boss = _pool(desk)
    assert pool_order(desk, boss) == ['Du', 'Bo', 'An', 'Cao']  # recycled, newest first
    assert pool_order(desk, boss, sort='oldest') == ['Cao', 'An', 'Bo', 'Du']
    assert pool_order(desk, boss, sort='score') == ['Cao', 'Du', 'Bo', 'An']  # ties: newest id first
    assert pool_order(desk, boss, sort='custom', sort_key='size') == ['An', 'Cao', 'Bo', 'Du']  # 9 < 10 < 100
    assert pool_order(desk, boss, sort='custom', sort_key='size', sort_desc=True) == ['Bo', 'Cao', 'An', 'Du']
    assert pool_order(desk, boss, sort='custom', sort_key='product') == ['Bo', 'Cao', 'An', 'Du']
    assert pool_order(desk, boss, sort='custom', sort_key='due', sort_desc=True) == ['Cao', 'Bo', 'Du', 'An']
    rows, _ = desk.pool.pool(boss, query=PoolQuery(sort='custom', sort_key='size'))
    assert [r.sort_value for r in rows] == [9, 10, 100, None]  # the row carries what the order is by
    assert all(r.sort_value is None for r in desk.pool.pool(boss)[0])


def _customers(desk: Desk) -> UserRef:
    define(desk, 'customer', 'product', 'single_select')
    define(desk, 'customer', 'size', 'number')
    define(desk, 'customer', 'due', 'date')
    rep = user(desk)
    now = desk.ctx.now()
    with desk.ctx.write() as s:
        for i, (name, value, custom) in enumerate(SPEC):
            s.add(Account(name=name, is_customer=True, owner_id=rep.id, tier='regular', custom=custom,
                          lifetime_value_cents=value * 100,
                          last_activity_at=now - timedelta(days=i) if name != 'An' else None))
    return rep


def customer_order(desk: Desk, who: UserRef, **sort: Any) -> list[str]:
    rows, _ = desk.customers.customers(who, page_size=100, **sort)
    paged = [r.name for page in (1, 2) for r in desk.customers.customers(who, page=page, page_size=2, **sort)[0]]
    names = [r.name for r in rows]
    assert paged == names
    return names


@pytest.mark.parametrize('who', ['rep', 'manager'])
def test_the_customer_list_sorts_by_its_orders_and_a_customer_field_both_ways(desk: Desk, who: str) -> None:
    rep = _customers(desk)
    reader = rep if who == 'rep' else user(desk, Role.MANAGER)
    assert customer_order(desk, reader) == ['Cao', 'Du', 'Bo', 'An']  # lifetime value, highest first
    assert customer_order(desk, reader, sort='value') == ['An', 'Bo', 'Du', 'Cao']
    assert customer_order(desk, reader, sort='name') == ['An', 'Bo', 'Cao', 'Du']
    assert customer_order(desk, reader, sort='name', sort_desc=True) == ['Du', 'Cao', 'Bo', 'An']
    assert customer_order(desk, reader, sort='last_activity', sort_desc=True) == ['Cao', 'Bo', 'Du', 'An']
    assert customer_order(desk, reader, sort='last_activity') == ['Du', 'Bo', 'Cao', 'An']  # none: last
    assert customer_order(desk, reader, sort='custom', sort_key='size') == ['An', 'Cao', 'Bo', 'Du']
    assert customer_order(desk, reader, sort='custom', sort_key='size', sort_desc=True) == ['Bo', 'Cao', 'An', 'Du']
    assert customer_order(desk, reader, sort='custom', sort_key='product', sort_desc=True) == ['Cao', 'Bo', 'Du', 'An']
    rows, _ = desk.customers.customers(reader, sort='custom', sort_key='due')
    assert [(r.name, r.sort_value) for r in rows][:2] == [('Bo', '2026-12-31'), ('Cao', '2027-01-05')]


def _board(desk: Desk) -> tuple[UserRef, int]:
    define(desk, 'opportunity', 'product', 'single_select')
    define(desk, 'opportunity', 'size', 'number')
    rep = user(desk)
    stage = next(s for s in desk.pipeline.stages() if s.kind == 'open')
    with desk.ctx.write() as s:
        account = Account(name='Acme')
        s.add(account)
        for i, (name, amount, custom) in enumerate(SPEC):
            lead = Lead(name=name, owner_id=rep.id, status='converted')
            s.add(lead)
            s.flush()
            s.add(Opportunity(lead_id=lead.id or 0, account_id=account.id or 0, stage_id=stage.id or 0, name=name,
                              owner_id=rep.id, amount_cents=amount * 100, custom=custom, created_at=desk.ctx.now(),
                              expected_close=date(2027, 1, 1) + timedelta(days=-i)))
    return rep, stage.id or 0


def card_order(desk: Desk, who: UserRef, stage_id: int, **sort: Any) -> list[str]:
    column = next(c for c in desk.pipeline.board(who, **sort) if c.stage.id == stage_id)
    assert column.count == 4  # the totals do not depend on the order
    return [card.name for card in column.cards]


def test_the_board_sorts_the_cards_inside_each_column(desk: Desk) -> None:
    rep, stage_id = _board(desk)
    assert card_order(desk, rep, stage_id) == ['Du', 'Bo', 'An', 'Cao']  # soonest expected close
    assert card_order(desk, rep, stage_id, sort='amount', sort_desc=True) == ['Cao', 'Du', 'Bo', 'An']
    assert card_order(desk, rep, stage_id, sort='amount') == ['An', 'Bo', 'Du', 'Cao']
    assert card_order(desk, rep, stage_id, sort='name', sort_desc=True) == ['Du', 'Cao', 'Bo', 'An']
    assert card_order(desk, rep, stage_id, sort='custom', sort_key='size') == ['An', 'Cao', 'Bo', 'Du']
    assert card_order(desk, rep, stage_id, sort='custom', sort_key='size', sort_desc=True) == ['Bo', 'Cao', 'An',
                                                                                                'Du']
    column = next(c for c in desk.pipeline.board(rep, sort='custom', sort_key='product') if c.stage.id == stage_id)
    assert [(c.name, c.sort_value) for c in column.cards] == [('Bo', 'a'), ('Cao', 'b'), ('An', None), ('Du', None)]


def test_each_list_refuses_a_sort_its_definitions_cannot_serve(desk: Desk) -> None:
    define(desk, 'lead', 'lead_only', 'number')  # a lead field: no sort of customers or deals
    define(desk, 'customer', 'plain', 'text', filterable=False)
    define(desk, 'opportunity', 'vip', 'yes_no')
    define(desk, 'customer', 'gone', 'number')
    desk.custom_fields.retire_field(admin(desk), entity='customer', key='gone')
    boss = user(desk, Role.MANAGER)
    cases = [
        (lambda **k: desk.customers.customers(boss, **k), 'lead_only', 'unknown_field'),
        (lambda **k: desk.customers.customers(boss, **k), 'plain', 'not_sortable'),
        (lambda **k: desk.customers.customers(boss, **k), 'gone', 'retired_field'),
        (lambda **k: desk.pipeline.board(boss, **k), 'vip', 'not_sortable'),
        (lambda **k: desk.pipeline.board(boss, **k), 'lead_only', 'unknown_field'),
        (lambda **k: desk.pool.pool(boss, query=PoolQuery(**k)), 'plain', 'unknown_field'),
    ]
    for read, key, code in cases:
        with pytest.raises(ValidationFailed) as e:
            read(sort='custom', sort_key=key)
        assert e.value.errors == {'sort': code}, key
    for read in (lambda: desk.customers.customers(boss, sort='sideways'), lambda: desk.pipeline.board(boss, sort='x'),
                 lambda: desk.pool.pool(boss, query=PoolQuery(sort='newest'))):
        with pytest.raises(ValidationFailed) as e:
            read()
        assert e.value.errors == {'sort': 'invalid_sort'}


def test_the_customer_sort_uses_the_fields_expression_index(desk: Desk) -> None:
    """As tests/unit/test_custom_sort.py shows for leads: the ORDER BY is the index's own expression,
    walked in the direction where records without the value come last by the index's order."""
    _customers(desk)
    with desk.ctx.engine.connect() as c:
        assert {'ix_accounts_cf_size', 'ix_accounts_cf_product'} <= existing(c, 'accounts')
    dialect = desk.ctx.engine.dialect.name
    sqlite = dialect == 'sqlite'
    by_size = queries.ListOrder(queries.CustomerSort.CUSTOM, key='size', numeric=True, descending=sqlite)
    f = queries.CustomerFilter(order=by_size)
    query = select(Account.id).where(*queries._customer_where(f, dialect)) \
        .order_by(*queries._customer_order(f.order, dialect)).limit(25)
    compiled = query.compile(dialect=desk.ctx.engine.dialect, compile_kwargs={'render_postcompile': True})
    with desk.ctx.engine.connect() as c:
        if dialect == 'postgresql':
            for knob in ('seqscan', 'bitmapscan', 'sort'):
                c.exec_driver_sql(f'SET enable_{knob} = off')
            plan = c.exec_driver_sql(f'EXPLAIN {compiled}', compiled.params).all()
        else:
            params = tuple(compiled.params[k] for k in compiled.positiontup or ())
            plan = c.exec_driver_sql(f'EXPLAIN QUERY PLAN {compiled}', params).all()
    assert 'ix_accounts_cf_size' in '\n'.join(str(r[-1]) for r in plan)


def test_select_all_matching_on_the_pool_takes_what_the_pool_shows(desk: Desk) -> None:
    boss = _pool(desk)
    vip = define_tag(desk, '重点', 'VIP').id
    with desk.ctx.write() as s:  # a lead outside the pool: never part of "all matching"
        owned = Lead(name='Owned', score=50, status='assigned', owner_id=boss.id)
        s.add(owned)
        s.flush()
        owned_id = owned.id or 0
    everything = desk.pool.pool(boss, page_size=100)[0]
    selection = Selection(filters={'search': None, 'grade': 'B', 'sort': 'custom', 'sort_key': 'size'},
                          matching=MatchingList.POOL)
    action = BulkAction(kind=BulkKind.TAG_ADD, tag_id=vip)
    assert desk.bulk.preview(boss, selection, action).selected == 4
    assert desk.bulk.apply(boss, selection, action).changed == 4
    assert [held(desk, TagEntity.LEAD, r.id) for r in everything] == [[vip]] * 4
    assert held(desk, TagEntity.LEAD, owned_id) == []
    narrow = Selection(filters={'search': 'Bo'}, matching=MatchingList.POOL)
    assert desk.bulk.preview(boss, narrow, action).selected == 1
    for bad in (Selection(filters={'nope': 1}, matching=MatchingList.POOL),
                Selection(filters={}, matching=MatchingList.POOL, entity=TagEntity.CUSTOMER)):
        with pytest.raises(ValidationFailed):
            desk.bulk.preview(boss, bad, action)


def test_select_all_matching_on_the_customer_list_takes_what_it_shows(desk: Desk) -> None:
    rep = _customers(desk)
    vip = define_tag(desk, '重点', 'VIP').id
    other = user(desk)
    with desk.ctx.write() as s:  # another rep's customer: not on this rep's list
        theirs = Account(name='Theirs', is_customer=True, owner_id=other.id, tier='regular')
        s.add(theirs)
        s.flush()
        theirs_id = theirs.id or 0
    action = BulkAction(kind=BulkKind.TAG_ADD, tag_id=vip)
    selection = Selection(filters={'tier': 'regular', 'sort': 'custom', 'sort_key': 'size'},
                          entity=TagEntity.CUSTOMER, matching=MatchingList.CUSTOMERS)
    assert desk.bulk.preview(rep, selection, action).selected == 4
    assert desk.bulk.apply(rep, selection, action).changed == 4
    assert [held(desk, TagEntity.CUSTOMER, r.id) for r in desk.customers.customers(rep)[0]] == [[vip]] * 4
    assert held(desk, TagEntity.CUSTOMER, theirs_id) == []
    with pytest.raises(ValidationFailed):  # customers' filters name leads' list: refused
        desk.bulk.preview(rep, Selection(filters={}, entity=TagEntity.CUSTOMER, matching=MatchingList.INBOX), action)
