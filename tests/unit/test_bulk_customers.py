"""Bulk edit of customers (core/customers/bulk.py through core/leads/bulk.py): tags, the owner and a
custom field, each with its preview, one audit line per customer with the batch, and the one undo
(customers changed since are skipped); a rep changes only own customers and hands none over."""

from __future__ import annotations

import pytest

from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.leads.bulk import BulkAction, BulkKind, Selection, Skip
from store.models import Account, AuditEntry, BulkBatch, Role, TagEntity, UserRef
from tests import factories
from tests.unit.db import get, rows
from tests.unit.test_tags import define, held

CUSTOMERS = TagEntity.CUSTOMER


def customers(desk: Desk, owner: UserRef | None, n: int) -> list[int]:
    with desk.ctx.write() as session:
        accounts = [Account(name=f'Customer {owner.id if owner else 0}-{i}', is_customer=True,
                            owner_id=owner.id if owner else None) for i in range(n)]
        session.add_all(accounts)
        session.flush()
        return [a.id or 0 for a in accounts]


def pick(ids: list[int]) -> Selection:
    return Selection(ids=tuple(ids), entity=CUSTOMERS)


@pytest.fixture
def team(desk: Desk) -> tuple[UserRef, UserRef, UserRef]:
    return factories.user(desk, Role.MANAGER), factories.user(desk, Role.REP), factories.user(desk, Role.REP)


def batch_lines(desk: Desk, batch_id: int) -> list[AuditEntry]:
    return [e for e in rows(desk, AuditEntry) if e.reason_params.get('batch') == batch_id]


def test_tag_customers_preview_apply_and_undo_the_exact_sets(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    vip, fair = define(desk, '重点', 'VIP'), define(desk, '展会', 'Fair')
    ids = customers(desk, rep, 3)
    desk.record_tags.add_tag(manager, CUSTOMERS, ids[0], vip.id)
    desk.record_tags.add_tag(manager, CUSTOMERS, ids[1], fair.id)
    action = BulkAction(BulkKind.TAG_ADD, tag_id=vip.id)
    preview = desk.bulk.preview(manager, pick(ids), action)
    assert (preview.selected, preview.change, preview.skipped) == (3, 2, {Skip.UNCHANGED: 1})
    done = desk.bulk.apply(manager, pick(ids), action)
    assert done.changed == 2 and done.batch_id is not None
    assert get(desk, BulkBatch, done.batch_id).entity == CUSTOMERS
    assert [held(desk, CUSTOMERS, i) for i in ids] == [[vip.id], sorted([vip.id, fair.id]), [vip.id]]
    assert held(desk, TagEntity.LEAD, ids[2]) == []  # the customer's id, not a lead's
    lines = batch_lines(desk, done.batch_id)
    assert sorted(e.reason_params['record_id'] for e in lines) == ids[1:]
    assert {(e.action, e.reason_key) for e in lines} == {('tag_added', 'reason.bulk.tag_add')}
    undone = desk.bulk.undo(manager, done.batch_id)
    assert (undone.restored, undone.stale) == (2, 0)
    assert [held(desk, CUSTOMERS, i) for i in ids] == [[vip.id], [fair.id], []]
    assert [b.entity for b in desk.bulk.recent(manager)] == [CUSTOMERS]


def test_remove_a_tag_and_undo_skips_a_customer_changed_since(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    vip = define(desk, '重点', 'VIP')
    fair = define(desk, '展会', 'Fair')
    ids = customers(desk, rep, 3)
    for account_id in ids:
        desk.record_tags.add_tag(manager, CUSTOMERS, account_id, vip.id)
    done = desk.bulk.apply(manager, pick(ids), BulkAction(BulkKind.TAG_REMOVE, tag_id=vip.id))
    assert done.changed == 3 and done.batch_id is not None
    desk.record_tags.add_tag(rep, CUSTOMERS, ids[2], fair.id)  # tagged one by one since
    desk.custom_fields.define_field(factories.admin(desk), entity='customer', key='stores', type='number',
                                    label_zh='门店数', label_en='Stores')
    desk.customers.update_customer(rep, ids[0], version=get(desk, Account, ids[0]).version,  # edited since
                                   changes={'custom': {'stores': 3}})
    undone = desk.bulk.undo(manager, done.batch_id)
    assert (undone.restored, undone.stale) == (1, 2)
    assert [held(desk, CUSTOMERS, i) for i in ids] == [[], [vip.id], [fair.id]]


def test_set_the_owner_of_customers(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    ids = customers(desk, rep, 2) + customers(desk, other, 1)
    done = desk.bulk.apply(manager, pick(ids), BulkAction(BulkKind.REASSIGN, rep_id=other.id))
    assert (done.changed, done.skipped) == (2, {Skip.UNCHANGED: 1})
    assert [get(desk, Account, i).owner_id for i in ids] == [other.id] * 3
    assert done.batch_id is not None
    lines = batch_lines(desk, done.batch_id)
    assert {(e.action, e.subject_user_id, e.reason_params['previous_owner_id']) for e in lines} == {
        ('customer_edited', other.id, rep.id)}
    desk.bulk.undo(manager, done.batch_id)
    assert [get(desk, Account, i).owner_id for i in ids] == [rep.id, rep.id, other.id]
    with pytest.raises(ValidationFailed):  # no rules pick a customer's owner: a rep is named
        desk.bulk.preview(manager, pick(ids), BulkAction(BulkKind.REASSIGN))
    with pytest.raises(ValidationFailed):  # customers are not disqualified or pooled
        desk.bulk.preview(manager, pick(ids), BulkAction(BulkKind.POOL))


def test_set_a_customer_custom_field(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    desk.custom_fields.define_field(factories.admin(desk), entity='customer', key='stores', type='number',
                                    label_zh='门店数', label_en='Stores')
    ids = customers(desk, rep, 2)
    done = desk.bulk.apply(manager, pick(ids), BulkAction(BulkKind.SET_FIELD, field='custom.stores', value='12'))
    assert done.changed == 2 and done.batch_id is not None
    assert [get(desk, Account, i).custom for i in ids] == [{'stores': 12}] * 2
    bad = desk.bulk.preview(manager, pick(ids), BulkAction(BulkKind.SET_FIELD, field='custom.stores', value='many'))
    assert bad.skipped == {Skip.INVALID: 2}
    with pytest.raises(ValidationFailed):
        desk.bulk.preview(manager, pick(ids), BulkAction(BulkKind.SET_FIELD, field='custom.nope', value='1'))
    desk.bulk.undo(manager, done.batch_id)
    assert [get(desk, Account, i).custom for i in ids] == [{}, {}]


def test_a_rep_changes_only_own_customers_and_hands_none_over(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    vip = define(desk, '重点', 'VIP')
    mine, theirs = customers(desk, rep, 1), customers(desk, other, 1)
    done = desk.bulk.apply(rep, pick(mine + theirs), BulkAction(BulkKind.TAG_ADD, tag_id=vip.id))
    assert (done.changed, done.skipped) == (1, {Skip.NOT_ALLOWED: 1})
    assert (held(desk, CUSTOMERS, mine[0]), held(desk, CUSTOMERS, theirs[0])) == ([vip.id], [])
    with pytest.raises(NotAllowed):
        desk.bulk.preview(rep, pick(mine), BulkAction(BulkKind.REASSIGN, rep_id=rep.id))
    with pytest.raises(ValidationFailed):  # "all matching" is the inbox's, for leads
        desk.bulk.preview(manager, Selection(filters={}, entity=CUSTOMERS), BulkAction(BulkKind.TAG_ADD, tag_id=vip.id))
