"""The inbox filtered by a custom field (core/leads/actions.py `custom_tests`, store/queries/leads.py
`custom_condition`): a single select equals an option, a multi select holds it, a yes/no field is true
or false; a bad filter is refused by name before any SQL. Mirrored on PostgreSQL (tests/pg)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from core.desk import Desk
from core.errors import ValidationFailed
from store import queries
from store.models import Lead, Role
from tests.factories import admin, lead_data, user

from .db import get

OPTIONS = ({'key': 'a', 'label_zh': '甲', 'label_en': 'A'}, {'key': 'b', 'label_zh': '乙', 'label_en': 'B'})


def define(desk: Desk, key: str, type: str) -> None:
    desk.custom_fields.define_field(admin(desk), entity='lead', key=key, type=type, label_zh=key, label_en=key,
                                    options=OPTIONS if 'select' in type else ())


def capture(desk: Desk, **custom: Any) -> int:
    return desk.leads.capture_lead(lead_data(name=f'L {sorted(custom.items())}', custom=custom), channel='manual',
                                   default_source='manual').lead_id


@pytest.fixture
def leads(desk: Desk) -> dict[str, int]:
    define(desk, 'product', 'single_select')
    define(desk, 'tags', 'multi_select')
    define(desk, 'vip', 'yes_no')
    define(desk, 'note', 'text')
    user(desk)  # a rep, so the captures are assigned (open), not pooled
    return {'a': capture(desk, product='a', tags=['a', 'b'], vip=True),
            'b': capture(desk, product='b', tags=['b'], vip=False),
            'none': capture(desk, note='a')}


def names(desk: Desk, **custom: Any) -> set[int]:
    boss = user(desk, Role.MANAGER)
    rows, total = desk.leads.inbox(boss, custom=custom, page_size=100)
    assert total == len(rows)
    return {r.id for r in rows}


def test_a_single_select_filter_keeps_the_leads_with_that_option(desk: Desk, leads: dict[str, int]) -> None:
    assert names(desk, product='a') == {leads['a']}
    assert names(desk, product='b') == {leads['b']}


def test_a_multi_select_filter_keeps_the_leads_holding_the_option(desk: Desk, leads: dict[str, int]) -> None:
    assert names(desk, tags='b') == {leads['a'], leads['b']}
    assert names(desk, tags='a') == {leads['a']}


def test_a_yes_no_filter_keeps_true_or_false_and_filters_combine(desk: Desk, leads: dict[str, int]) -> None:
    assert names(desk, vip=True) == {leads['a']}
    assert names(desk, vip='no') == {leads['b']}  # a form's text too; a lead without a value is neither
    assert names(desk, tags='b', vip=False) == {leads['b']}
    assert names(desk, product='a', vip=False) == set()


def test_the_rows_carry_the_custom_values(desk: Desk, leads: dict[str, int]) -> None:
    boss = user(desk, Role.MANAGER)
    rows, _ = desk.leads.inbox(boss, custom={'product': 'a'})
    assert rows[0].custom == {'product': 'a', 'tags': ['a', 'b'], 'vip': True}


@pytest.mark.parametrize(('custom', 'errors'), [
    ({'nope': 'a'}, {'custom.nope': 'unknown_field'}),
    ({'product': 'c'}, {'custom.product': 'invalid_option'}),
    ({'product': "a' OR '1'='1"}, {'custom.product': 'invalid_option'}),
    ({'tags': ['a']}, {'custom.tags': 'invalid_option'}),
    ({'vip': 'maybe'}, {'custom.vip': 'not_yes_no'}),
    ({'note': 'a'}, {'custom.note': 'not_filterable'}),
    ({"product') OR 1=1 --": 'a'}, {"custom.product') OR 1=1 --": 'unknown_field'}),
])
def test_a_bad_filter_is_refused_by_name(desk: Desk, leads: dict[str, int], custom: dict[str, Any],
                                         errors: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as info:
        names(desk, **custom)
    assert info.value.errors == errors


def test_a_retired_field_cannot_filter(desk: Desk, leads: dict[str, int]) -> None:
    desk.custom_fields.retire_field(admin(desk), entity='lead', key='product')
    with pytest.raises(ValidationFailed) as info:
        names(desk, product='a')
    assert info.value.errors == {'custom.product': 'retired_field'}


def test_a_value_with_quotes_and_sql_is_compared_as_a_plain_value(desk: Desk, leads: dict[str, int]) -> None:
    """Below core's check, the store binds the value: an odd stored text matches itself only."""
    odd = "a' OR '1'='1\" --"
    lead = get(desk, Lead, leads['none'])
    with Session(desk.ctx.engine) as session:
        lead.custom = {'product': odd, 'tags': [odd]}
        session.add(lead)
        session.commit()
    with Session(desk.ctx.engine) as session:
        for test in (queries.CustomTestKind.EQUALS, queries.CustomTestKind.CONTAINS):
            key = 'product' if test == queries.CustomTestKind.EQUALS else 'tags'
            f = queries.InboxFilter(custom=(queries.CustomTest(key, test, odd),))
            rows, total = queries.inbox_page(session, f, offset=0, limit=10)
            assert [r.id for r in rows] == [leads['none']] and total == 1
            f = queries.InboxFilter(custom=(queries.CustomTest('product', test, "x' OR '1'='1"),))
            assert queries.inbox_page(session, f, offset=0, limit=10) == ([], 0)
