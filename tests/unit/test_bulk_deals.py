"""Bulk edit of opportunities (core/pipeline/bulk_deals.py through core/leads/bulk.py): fields, tags,
the owner, a stage move and Lost, each with its preview (how many change, which are skipped and
why), one audit line per deal with the batch, and the one undo — a move's undo a move back with the
stage clock as it was and the checklist exit taken back, every projection (stage stays, the
report's roll-up) still what a rebuild from the raw rows gives. Won stays one deal at a time."""

from __future__ import annotations

from datetime import date

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.leads.bulk import BulkAction, BulkKind, Selection, Skip
from core.leads.bulk_matching import MatchingList
from store.models import (
    AuditEntry,
    BulkBatch,
    ChecklistTick,
    Opportunity,
    Role,
    StageChange,
    StepExit,
    TagEntity,
    UserRef,
)
from tests import factories
from tests.unit.db import get, rows
from tests.unit.test_conversion import make_opportunity
from tests.unit.test_playbooks import _items, move, stage
from tests.unit.test_projections import assert_rebuild_agrees
from tests.unit.test_tags import define, held

DEALS = TagEntity.OPPORTUNITY


def pick(ids: list[int]) -> Selection:
    return Selection(ids=tuple(ids), entity=DEALS)


def deal(desk: Desk, o_id: int) -> Opportunity:
    return get(desk, Opportunity, o_id)


def batch_lines(desk: Desk, batch_id: int) -> list[AuditEntry]:
    return [e for e in rows(desk, AuditEntry) if e.reason_params.get('batch') == batch_id]


@pytest.fixture
def team(desk: Desk) -> tuple[UserRef, UserRef, UserRef]:
    return (factories.user(desk, Role.MANAGER, name='Manager Wang'), factories.user(desk, Role.REP, name='Rep Li'),
            factories.user(desk, Role.REP, name='Rep Zhao'))


def test_move_to_an_open_stage_previews_skips_and_undoes_consistently(desk: Desk, clock: FakeClock,
                                                                      team: tuple[UserRef, ...]) -> None:
    _manager, rep, other = team
    ids = [make_opportunity(desk, clock, rep) for _ in range(3)] + [make_opportunity(desk, clock, other)]
    move(desk, rep, ids[2], 'Lost', lost_reason='price')  # closed: reopened one at a time
    solution = stage(desk, 'Solution')
    started = deal(desk, ids[0]).stage_changed_at
    action = BulkAction(BulkKind.MOVE_STAGE, stage_id=solution.id)
    preview = desk.bulk.preview(rep, pick(ids), action)  # the other rep's deal: not the rep's to move
    assert (preview.selected, preview.change, preview.skipped) == (4, 2, {Skip.CLOSED: 1, Skip.NOT_ALLOWED: 1})
    clock.advance(minutes=5)
    done = desk.bulk.apply(rep, pick(ids), action)
    assert (done.changed, done.skipped) == (2, {Skip.CLOSED: 1, Skip.NOT_ALLOWED: 1})
    assert done.batch_id is not None and get(desk, BulkBatch, done.batch_id).entity == DEALS
    assert [deal(desk, i).stage_id for i in ids[:2]] == [solution.id, solution.id]
    lines = batch_lines(desk, done.batch_id)
    assert sorted((e.lead_id, e.reason_key) for e in lines) == sorted(
        (deal(desk, i).lead_id, 'reason.bulk.move_stage') for i in ids[:2])
    exits = rows(desk, StepExit, StepExit.opportunity_id.in_(ids[:2]))  # type: ignore[union-attr]
    assert len(exits) == 2  # the checklist of the stage left, as a card's move records it
    first = _items(desk, f'stage:{solution.id}')[0]  # work done in the new stage since
    desk.pipeline.log_activity(rep, ids[1], kind='meeting', ticks=[first.id or 0])
    clock.advance(minutes=5)
    undone = desk.bulk.undo(rep, done.batch_id)
    assert (undone.restored, undone.stale) == (1, 1)  # the deal worked on since (its version moved on) stays
    needs = stage(desk, 'Needs confirmed')
    assert deal(desk, ids[0]).stage_id == needs.id and deal(desk, ids[0]).stage_changed_at == started
    assert deal(desk, ids[1]).stage_id == solution.id
    history = sorted(rows(desk, StageChange, StageChange.opportunity_id == ids[0]), key=lambda h: h.id or 0)
    moves = [(h.from_stage_id, h.to_stage_id) for h in history]
    assert moves[-2:] == [(needs.id, solution.id), (solution.id, needs.id)]
    assert rows(desk, StepExit, StepExit.opportunity_id == ids[0]) == []  # the exit the batch's move recorded
    assert len(rows(desk, StepExit, StepExit.opportunity_id == ids[1])) == 1
    assert rows(desk, ChecklistTick, ChecklistTick.item_id == first.id)[0].done  # kept
    [undo_line] = [e for e in batch_lines(desk, done.batch_id) if e.reason_key.startswith('reason.bulk.undone')]
    assert undo_line.lead_id == deal(desk, ids[0]).lead_id and undo_line.reason_params['record_id'] == ids[0]
    assert_rebuild_agrees(desk)


def test_mark_lost_with_a_reason_and_undo_reopens_at_the_previous_stage(desk: Desk, clock: FakeClock,
                                                                        team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    ids = [make_opportunity(desk, clock, rep), make_opportunity(desk, clock, other)]
    move(desk, other, ids[1], 'Solution')
    with pytest.raises(ValidationFailed) as missing:
        desk.bulk.preview(manager, pick(ids), BulkAction(BulkKind.LOSE))
    assert missing.value.errors == {'lost_reason': 'required'}
    done = desk.bulk.apply(manager, pick(ids), BulkAction(BulkKind.LOSE, reason='price', value='  too dear '))
    assert done.changed == 2 and done.batch_id is not None
    lost = stage(desk, 'Lost')
    assert [(deal(desk, i).stage_id, deal(desk, i).lost_reason, deal(desk, i).lost_note) for i in ids] == [
        (lost.id, 'price', 'too dear')] * 2
    assert all(deal(desk, i).closed_at is not None for i in ids)
    again = desk.bulk.preview(manager, pick(ids), BulkAction(BulkKind.LOSE, reason='price'))
    assert again.skipped == {Skip.UNCHANGED: 2}
    undone = desk.bulk.undo(manager, done.batch_id)
    assert (undone.restored, undone.stale) == (2, 0)
    assert [deal(desk, i).stage_id for i in ids] == [stage(desk, 'Needs confirmed').id, stage(desk, 'Solution').id]
    assert [(deal(desk, i).lost_reason, deal(desk, i).closed_at) for i in ids] == [(None, None)] * 2
    assert_rebuild_agrees(desk)


def test_won_stays_one_at_a_time_and_lost_is_not_a_move(desk: Desk, clock: FakeClock,
                                                        team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = [make_opportunity(desk, clock, rep)]
    for name, code in (('Won', 'won_one_by_one'), ('Lost', 'invalid')):
        with pytest.raises(ValidationFailed) as refused:
            desk.bulk.apply(manager, pick(ids), BulkAction(BulkKind.MOVE_STAGE, stage_id=stage(desk, name).id))
        assert refused.value.errors == {'stage': code}
    with pytest.raises(ValidationFailed):  # a lead batch takes no stage moves
        desk.bulk.preview(manager, Selection(ids=(1,)), BulkAction(BulkKind.LOSE, reason='price'))
    assert deal(desk, ids[0]).stage_id == stage(desk, 'Needs confirmed').id


def test_required_checklist_items_and_stage_fields_skip_a_deal_as_the_card_would(
        desk: Desk, clock: FakeClock, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = [make_opportunity(desk, clock, rep) for _ in range(2)]
    needs = stage(desk, 'Needs confirmed')
    item = _items(desk, f'stage:{needs.id}')[0]
    desk.playbooks.save_item(manager, item.id, step_key=f'stage:{needs.id}', text_en=item.text_en,
                             text_zh=item.text_zh, is_required=True)
    desk.pipeline.log_activity(rep, ids[1], kind='meeting', ticks=[item.id or 0])
    action = BulkAction(BulkKind.MOVE_STAGE, stage_id=stage(desk, 'Solution').id)
    assert desk.bulk.preview(rep, pick(ids), action).skipped == {Skip.CHECKLIST: 1}
    admin = factories.admin(desk)
    desk.custom_fields.define_field(admin, entity='opportunity', key='budget_ok', type='yes_no',
                                    label_zh='预算确认', label_en='Budget confirmed',
                                    requirement='stage', required_stage_id=stage(desk, 'Solution').id)
    preview = desk.bulk.preview(rep, pick(ids), action)
    assert (preview.change, preview.skipped) == (0, {Skip.FIELDS_NEEDED: 2})  # checked first, as a card's move
    version = deal(desk, ids[1]).version
    desk.pipeline.update_opportunity(rep, ids[1], version=version, changes={'custom': {'budget_ok': True}})
    preview = desk.bulk.preview(rep, pick(ids), action)
    assert (preview.change, preview.skipped) == (1, {Skip.FIELDS_NEEDED: 1})


def test_set_fields_tags_and_owner(desk: Desk, clock: FakeClock, team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    ids = [make_opportunity(desk, clock, rep) for _ in range(3)]
    done = desk.bulk.apply(rep, pick(ids), BulkAction(BulkKind.SET_FIELD, field='amount', value='¥12,500'))
    assert done.changed == 3 and [deal(desk, i).amount_cents for i in ids] == [1_250_000] * 3
    bad = desk.bulk.preview(rep, pick(ids), BulkAction(BulkKind.SET_FIELD, field='expected_close', value='soon'))
    assert bad.skipped == {Skip.INVALID: 3}
    when = desk.bulk.apply(rep, pick(ids[:1]), BulkAction(BulkKind.SET_FIELD, field='expected_close',
                                                          value='2027-01-31'))
    assert deal(desk, ids[0]).expected_close == date(2027, 1, 31)
    assert desk.bulk.undo(rep, when.batch_id or 0).restored == 1
    assert deal(desk, ids[0]).expected_close != date(2027, 1, 31)
    admin = factories.admin(desk)
    desk.custom_fields.define_field(admin, entity='opportunity', key='channel', type='text', label_zh='渠道',
                                    label_en='Channel')
    desk.bulk.apply(rep, pick(ids), BulkAction(BulkKind.SET_FIELD, field='custom.channel', value='代理'))
    assert [deal(desk, i).custom.get('channel') for i in ids] == ['代理'] * 3
    vip = define(desk, '重点', 'VIP')
    tagged = desk.bulk.apply(rep, pick(ids), BulkAction(BulkKind.TAG_ADD, tag_id=vip.id))
    assert [held(desk, DEALS, i) for i in ids] == [[vip.id]] * 3
    assert desk.bulk.undo(rep, tagged.batch_id or 0).restored == 3
    assert [held(desk, DEALS, i) for i in ids] == [[], [], []]
    with pytest.raises(NotAllowed):  # handing deals over is a manager's
        desk.bulk.apply(rep, pick(ids), BulkAction(BulkKind.REASSIGN, rep_id=other.id))
    handed = desk.bulk.apply(manager, pick(ids), BulkAction(BulkKind.REASSIGN, rep_id=other.id))
    assert [deal(desk, i).owner_id for i in ids] == [other.id] * 3
    assert {e.reason_key for e in batch_lines(desk, handed.batch_id or 0)} == {'reason.bulk.deal_owner'}
    assert desk.bulk.undo(manager, handed.batch_id or 0).restored == 3
    assert [deal(desk, i).owner_id for i in ids] == [rep.id] * 3


def test_all_matching_the_board_filter(desk: Desk, clock: FakeClock, team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    small = [make_opportunity(desk, clock, rep, amount='500') for _ in range(2)]
    big = make_opportunity(desk, clock, other, amount='90000')
    mine = Selection(filters={'max_amount': '1000'}, entity=DEALS, matching=MatchingList.BOARD)
    assert desk.bulk.lead_ids(manager, mine) == small
    every = Selection(filters={}, entity=DEALS, matching=MatchingList.BOARD)
    assert desk.bulk.lead_ids(other, every) == [big]  # a rep: own deals only
    with pytest.raises(ValidationFailed):
        # the filters of one list for another's records
        desk.bulk.preview(manager, Selection(filters={}, entity=TagEntity.CUSTOMER), BulkAction(BulkKind.TAG_ADD))
