"""core/pipeline/deals.py (issue 4 "Stages", "The board", "Opportunity page"; PRODUCT.md Opportunities):
default stages, money parsing, the board's columns and filters, moves with won/lost semantics and
conflict detection, rotting, and the opportunity's own activities and reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from core.clock import FakeClock
from core.desk import Desk
from core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from core.pipeline import board as pipeline
from core.pipeline.board import idle_days, weighted_cents
from core.pipeline.deals import MoveConflict, StaleOpportunity
from core.pipeline.money import parse_money
from store.models import (
    Account,
    Activity,
    AuditEntry,
    LostReason,
    Notification,
    Opportunity,
    Role,
    Stage,
    StageChange,
    StageKind,
    UserRef,
)
from tests.factories import user

from .db import get, rows
from .test_conversion import CLOSE, make_opportunity, race

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# ----- helpers -----------------------------------------------------------------------------------

def stage(desk: Desk, name_en: str) -> Stage:
    return next(s for s in desk.pipeline.stages() if s.name_en == name_en)


def opp(desk: Desk, opportunity_id: int) -> Opportunity:
    return get(desk, Opportunity, opportunity_id)


def move(desk: Desk, actor: UserRef, opportunity_id: int, to: str, **kw: Any) -> int:
    """Move to the stage named `to` from the card's current version."""
    return desk.pipeline.move_opportunity(actor, opportunity_id, to_stage_id=stage(desk, to).id or 0,
                                          version=opp(desk, opportunity_id).version, **kw)


def column(desk: Desk, actor: UserRef, name_en: str, **filters: Any) -> pipeline.Column:
    return next(c for c in desk.pipeline.board(actor, **filters) if c.stage.name_en == name_en)


def card_ids(desk: Desk, actor: UserRef, **filters: Any) -> set[int]:
    return {card.id for c in desk.pipeline.board(actor, **filters) for card in c.cards}


# ----- default stages and lost reasons -----------------------------------------------------------

def test_default_stages_in_order_with_probabilities(desk: Desk) -> None:
    assert [(s.name_en, s.name_zh, s.probability) for s in desk.pipeline.stages()] == [
        ('Needs confirmed', '需求确认', 10), ('Solution', '方案沟通', 30), ('Quotation', '商务报价', 60),
        ('Negotiation', '合同谈判', 80), ('Won', '赢单', 100), ('Lost', '输单', 0)]


def test_default_stage_kinds_and_rot_days(desk: Desk) -> None:
    assert [(s.kind, s.rot_days) for s in desk.pipeline.stages()] == [
        ('open', 14), ('open', 14), ('open', 14), ('open', 14), ('won', 0), ('lost', 0)]


def test_default_lost_reasons(desk: Desk) -> None:
    assert [key for key, _, _ in desk.pipeline.lost_reasons()] == [
        'no_budget', 'competitor', 'price', 'need_changed', 'no_decision_maker', 'no_response', 'other']


def test_lost_reasons_have_both_languages(desk: Desk) -> None:
    assert ('price', 'Price', '价格原因') in desk.pipeline.lost_reasons()


def test_defaults_are_seeded_once(desk: Desk) -> None:
    desk.prepare()
    desk.prepare()
    assert (len(rows(desk, Stage)), len(rows(desk, LostReason))) == (6, 7)


def test_archived_stages_are_not_reseeded(desk: Desk) -> None:
    with desk.ctx.write() as session:
        session.execute(sa.update(Stage).values(is_archived=True))
    desk.prepare()
    assert len(rows(desk, Stage)) == 6


def test_deactivated_lost_reasons_are_not_reseeded(desk: Desk) -> None:
    with desk.ctx.write() as session:
        session.execute(sa.update(LostReason).values(is_active=False))
    desk.prepare()
    assert len(rows(desk, LostReason)) == 7


# ----- money -------------------------------------------------------------------------------------

@pytest.mark.parametrize(('text', 'cents'), [
    ('12,500.50', 1_250_050), ('¥8000', 800_000), ('￥8,000', 800_000), (12500, 1_250_000), (' 0 ', 0),
    ('99.99', 9999), ('1e3', 100_000), ('9999999999999.99', 999_999_999_999_999),
])
def test_parse_money_gives_cents(text: Any, cents: int) -> None:
    assert parse_money(text) == cents


@pytest.mark.parametrize('text', ['-1', '-0.01', 'abc', '', '   ', None, 'NaN', 'Infinity', '-Infinity', 'sNaN',
                                  '1e13', '10000000000000', '1,2,3x', '¥'])
def test_parse_money_rejects(text: Any) -> None:
    with pytest.raises(ValueError):
        parse_money(text)


def test_parse_money_rejects_huge_exponent() -> None:
    with pytest.raises(ValueError):
        parse_money('1e999999')


def test_weighted_amount_is_amount_times_probability() -> None:
    assert weighted_cents(1_000_000, 30) == 300_000


# ----- the board ---------------------------------------------------------------------------------

def test_board_has_one_column_per_stage_in_order(desk: Desk) -> None:
    rep = user(desk)
    assert [c.stage.name_en for c in desk.pipeline.board(rep)] == [
        'Needs confirmed', 'Solution', 'Quotation', 'Negotiation', 'Won', 'Lost']


def test_board_column_totals(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    make_opportunity(desk, clock, rep, amount='10000')
    make_opportunity(desk, clock, rep, amount='2500.50')
    first = column(desk, rep, 'Needs confirmed')
    assert (first.count, first.amount_cents, first.weighted_cents) == (2, 1_250_050, 125_005)


def test_board_totals_cover_cards_beyond_the_column_limit(desk: Desk, clock: FakeClock,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, 'CARDS_PER_COLUMN', 2)
    rep = user(desk)
    for amount in ('100', '200', '300'):
        make_opportunity(desk, clock, rep, amount=amount)
    first = column(desk, rep, 'Needs confirmed')
    assert (len(first.cards), first.count, first.amount_cents, first.weighted_cents) == (2, 3, 60_000, 6_000)


def test_board_shows_soonest_close_first(desk: Desk, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, 'CARDS_PER_COLUMN', 2)
    rep = user(desk)
    late = make_opportunity(desk, clock, rep, expected_close=date(2026, 9, 1))
    soon = make_opportunity(desk, clock, rep, expected_close=date(2026, 4, 1))
    middle = make_opportunity(desk, clock, rep, expected_close=date(2026, 6, 1))
    assert [c.id for c in column(desk, rep, 'Needs confirmed').cards] == [soon, middle]
    assert late not in card_ids(desk, rep)


def test_board_weighted_uses_each_stage_probability(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, amount='10000')
    move(desk, rep, opportunity_id, 'Negotiation')
    negotiation = column(desk, rep, 'Negotiation')
    assert (negotiation.count, negotiation.weighted_cents) == (1, 800_000)
    assert column(desk, rep, 'Needs confirmed').count == 0


def test_board_card_fields(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk, name='Wang Wu')
    opportunity_id = make_opportunity(desk, clock, rep, company='腾达科技有限公司', amount='10000')
    [card] = column(desk, rep, 'Needs confirmed').cards
    assert (card.id, card.name, card.account_name, card.amount_cents, card.owner_id, card.owner_name,
            card.expected_close, card.days_in_stage, card.rotting_days, card.version) == (
        opportunity_id, '腾达科技有限公司', '腾达科技有限公司', 1_000_000, rep.id, 'Wang Wu', CLOSE, 0, None,
        opp(desk, opportunity_id).version)


def test_rep_board_shows_only_own_deals(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    mine = make_opportunity(desk, clock, rep)
    make_opportunity(desk, clock, other, amount='5')
    assert card_ids(desk, rep) == {mine}
    assert column(desk, rep, 'Needs confirmed').amount_cents == 1_000_000


def test_rep_cannot_see_other_reps_board_by_filter(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    make_opportunity(desk, clock, other)
    assert card_ids(desk, rep, owner_id=other.id) == set()


def test_manager_board_shows_all_deals(desk: Desk, clock: FakeClock) -> None:
    a, b, manager = user(desk), user(desk), user(desk, Role.MANAGER)
    ids = {make_opportunity(desk, clock, a), make_opportunity(desk, clock, b)}
    assert card_ids(desk, manager) == ids


def test_manager_filters_board_by_owner(desk: Desk, clock: FakeClock) -> None:
    a, b, manager = user(desk), user(desk), user(desk, Role.MANAGER)
    make_opportunity(desk, clock, a)
    theirs = make_opportunity(desk, clock, b)
    assert card_ids(desk, manager, owner_id=b.id) == {theirs}


def test_board_filters_by_expected_close_month(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    make_opportunity(desk, clock, rep, expected_close=date(2026, 5, 31))
    june = {make_opportunity(desk, clock, rep, expected_close=date(2026, 6, 1)),
            make_opportunity(desk, clock, rep, expected_close=date(2026, 6, 30))}
    make_opportunity(desk, clock, rep, expected_close=date(2026, 7, 1))
    assert card_ids(desk, rep, close_month=date(2026, 6, 15)) == june


def test_board_close_month_filter_in_december(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    december = make_opportunity(desk, clock, rep, expected_close=date(2026, 12, 31))
    make_opportunity(desk, clock, rep, expected_close=date(2027, 1, 1))
    assert card_ids(desk, rep, close_month=date(2026, 12, 1)) == {december}


def test_board_filters_by_amount_range(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    make_opportunity(desk, clock, rep, amount='999.99')
    inside = {make_opportunity(desk, clock, rep, amount='1000'), make_opportunity(desk, clock, rep, amount='5000')}
    make_opportunity(desk, clock, rep, amount='5000.01')
    assert card_ids(desk, rep, min_amount='1,000', max_amount='¥5000') == inside


def test_board_filter_totals_follow_filter(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    make_opportunity(desk, clock, rep, amount='100')
    make_opportunity(desk, clock, rep, amount='900')
    assert column(desk, rep, 'Needs confirmed', min_amount='500').amount_cents == 90_000


def test_board_rejects_invalid_amount_filter(desk: Desk) -> None:
    rep = user(desk)
    with pytest.raises(ValidationFailed):
        desk.pipeline.board(rep, min_amount='lots')


# ----- moves -------------------------------------------------------------------------------------

def test_move_changes_stage(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    move(desk, rep, opportunity_id, 'Solution')
    assert opp(desk, opportunity_id).stage_id == stage(desk, 'Solution').id


def test_move_records_stage_change(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    clock.advance(hours=2)
    move(desk, rep, opportunity_id, 'Quotation')
    change = rows(desk, StageChange, StageChange.opportunity_id == opportunity_id)[-1]
    assert (change.from_stage_id, change.to_stage_id, change.actor_id, change.created_at) == (
        stage(desk, 'Needs confirmed').id, stage(desk, 'Quotation').id, rep.id, clock.now())


def test_every_move_is_recorded(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    for name in ('Solution', 'Quotation', 'Solution'):
        move(desk, rep, opportunity_id, name)
    changes = rows(desk, StageChange, StageChange.opportunity_id == opportunity_id)
    names = {s.id: s.name_en for s in desk.pipeline.stages()}
    assert [(names.get(c.from_stage_id or 0), names[c.to_stage_id]) for c in changes] == [
        (None, 'Needs confirmed'), ('Needs confirmed', 'Solution'), ('Solution', 'Quotation'),
        ('Quotation', 'Solution')]


def test_move_increments_version_and_returns_it(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    before = opp(desk, opportunity_id).version
    returned = move(desk, rep, opportunity_id, 'Solution')
    assert (returned, opp(desk, opportunity_id).version) == (before + 1, before + 1)


def test_move_sets_stage_changed_at_and_mover(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    opportunity_id = make_opportunity(desk, clock, rep)
    clock.advance(days=1)
    move(desk, manager, opportunity_id, 'Solution')
    o = opp(desk, opportunity_id)
    assert (o.stage_changed_at, o.last_moved_by) == (clock.now(), manager.id)


def test_move_is_audited(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    move(desk, rep, opportunity_id, 'Solution')
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'stage')
    assert (entry.lead_id, entry.actor_id, entry.reason_key, entry.reason_params['stage_en']) == (
        opp(desk, opportunity_id).lead_id, rep.id, 'reason.stage_moved', 'Solution')


def test_move_to_same_stage_changes_nothing(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    version = opp(desk, opportunity_id).version
    assert move(desk, rep, opportunity_id, 'Needs confirmed') == version
    assert len(rows(desk, StageChange, StageChange.opportunity_id == opportunity_id)) == 1


def test_move_to_unknown_stage_is_refused(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    with pytest.raises(ValidationFailed) as e:
        desk.pipeline.move_opportunity(rep, opportunity_id, to_stage_id=9999, version=opp(desk, opportunity_id).version)
    assert e.value.errors == {'stage': 'invalid'}


def test_move_to_archived_stage_is_refused(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    solution = stage(desk, 'Solution')
    with desk.ctx.write() as session:
        session.execute(sa.update(Stage).where(Stage.id == solution.id).values(is_archived=True))
    with pytest.raises(ValidationFailed):
        desk.pipeline.move_opportunity(rep, opportunity_id, to_stage_id=solution.id or 0,
                                       version=opp(desk, opportunity_id).version)


def test_move_unknown_opportunity_is_not_found(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    with pytest.raises(NotFound):
        desk.pipeline.move_opportunity(manager, 9999, to_stage_id=stage(desk, 'Solution').id or 0, version=1)


# ----- conflicts ---------------------------------------------------------------------------------

def test_stale_move_raises_conflict_naming_mover_and_stage(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER, name='Boss Li')
    opportunity_id = make_opportunity(desk, clock, rep)
    loaded = opp(desk, opportunity_id).version
    move(desk, manager, opportunity_id, 'Solution')
    with pytest.raises(MoveConflict) as e:
        desk.pipeline.move_opportunity(rep, opportunity_id, to_stage_id=stage(desk, 'Quotation').id or 0,
                                       version=loaded)
    assert e.value.params == {'by': 'Boss Li', 'stage_en': 'Solution', 'stage_zh': '方案沟通'}


def test_stale_move_changes_nothing(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    opportunity_id = make_opportunity(desk, clock, rep)
    loaded = opp(desk, opportunity_id).version
    move(desk, manager, opportunity_id, 'Solution')
    before = opp(desk, opportunity_id)
    with pytest.raises(MoveConflict):
        desk.pipeline.move_opportunity(rep, opportunity_id, to_stage_id=stage(desk, 'Quotation').id or 0,
                                       version=loaded)
    after = opp(desk, opportunity_id)
    assert (after.stage_id, after.version, after.last_moved_by) == (before.stage_id, before.version, manager.id)
    assert len(rows(desk, StageChange, StageChange.opportunity_id == opportunity_id)) == 2


def test_two_people_moving_one_card_at_once_one_wins(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    opportunity_id = make_opportunity(desk, clock, rep)
    version = opp(desk, opportunity_id).version
    quotation, negotiation = stage(desk, 'Quotation').id or 0, stage(desk, 'Negotiation').id or 0
    results = race(
        lambda: desk.pipeline.move_opportunity(rep, opportunity_id, to_stage_id=quotation, version=version),
        lambda: desk.pipeline.move_opportunity(manager, opportunity_id, to_stage_id=negotiation, version=version))
    assert sorted(type(r).__name__ for r in results) == ['MoveConflict', 'int']
    landed = quotation if results[0] == version + 1 else negotiation
    assert opp(desk, opportunity_id).stage_id == landed
    assert len(rows(desk, StageChange, StageChange.opportunity_id == opportunity_id)) == 2


# ----- lost --------------------------------------------------------------------------------------

@pytest.mark.parametrize('reason', [None, '', 'bogus'])
def test_lost_requires_valid_reason(desk: Desk, clock: FakeClock, reason: str | None) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    with pytest.raises(ValidationFailed) as e:
        move(desk, rep, opportunity_id, 'Lost', lost_reason=reason)
    assert e.value.errors == {'lost_reason': 'required'}
    o = opp(desk, opportunity_id)
    assert (o.stage_id, o.lost_reason, o.closed_at) == (stage(desk, 'Needs confirmed').id, None, None)


def test_lost_with_deactivated_reason_is_refused(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    with desk.ctx.write() as session:
        session.execute(sa.update(LostReason).where(LostReason.key == 'price').values(is_active=False))
    with pytest.raises(ValidationFailed):
        move(desk, rep, opportunity_id, 'Lost', lost_reason='price')


def test_lost_stores_reason_note_and_close_time(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    clock.advance(days=3)
    move(desk, rep, opportunity_id, 'Lost', lost_reason='competitor', lost_note='  went with Salesforce ')
    o = opp(desk, opportunity_id)
    assert (o.stage_id, o.lost_reason, o.lost_note, o.closed_at) == (
        stage(desk, 'Lost').id, 'competitor', 'went with Salesforce', clock.now())


def test_lost_does_not_make_a_customer(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    move(desk, rep, opportunity_id, 'Lost', lost_reason='price')
    account = get(desk, Account, opp(desk, opportunity_id).account_id)
    assert (account.is_customer, account.won_count, account.lifetime_value_cents) == (False, 0, 0)


def test_reopening_lost_deal_clears_reason(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    opportunity_id = make_opportunity(desk, clock, rep)
    move(desk, rep, opportunity_id, 'Lost', lost_reason='other', lost_note='x')
    move(desk, manager, opportunity_id, 'Solution')
    o = opp(desk, opportunity_id)
    assert (o.lost_reason, o.lost_note, o.closed_at) == (None, None, None)


# ----- won ---------------------------------------------------------------------------------------

def test_won_sets_closed_at_amount_and_close_date(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, amount='10000')
    clock.advance(days=2)
    move(desk, rep, opportunity_id, 'Won', won_amount='12,000', close_date=date(2026, 3, 3))
    o = opp(desk, opportunity_id)
    assert (o.stage_id, o.closed_at, o.amount_cents, o.expected_close) == (
        stage(desk, 'Won').id, clock.now(), 1_200_000, date(2026, 3, 3))


def test_won_without_amount_keeps_amount_and_closes_today(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, amount='10000')
    move(desk, rep, opportunity_id, 'Won')
    o = opp(desk, opportunity_id)
    assert (o.amount_cents, o.expected_close) == (1_000_000, clock.now().date())


def test_won_with_invalid_amount_changes_nothing(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, amount='10000')
    with pytest.raises(ValidationFailed) as e:
        move(desk, rep, opportunity_id, 'Won', won_amount='-5')
    assert e.value.errors == {'amount': 'invalid'}
    o = opp(desk, opportunity_id)
    assert (o.stage_id, o.amount_cents, o.closed_at) == (stage(desk, 'Needs confirmed').id, 1_000_000, None)
    assert get(desk, Account, o.account_id).is_customer is False


def test_won_makes_account_a_customer(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, amount='10000')
    move(desk, rep, opportunity_id, 'Won')
    account = get(desk, Account, opp(desk, opportunity_id).account_id)
    assert (account.is_customer, account.won_count, account.lifetime_value_cents, account.owner_id) == (
        True, 1, 1_000_000, rep.id)


def test_won_below_vip_threshold_is_regular(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, amount='10000')
    move(desk, rep, opportunity_id, 'Won')
    assert get(desk, Account, opp(desk, opportunity_id).account_id).tier == 'regular'


def test_won_at_vip_threshold_is_vip(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    desk.customers.set_tier_rules(manager, {'vip_min_cents': 1_000_000})
    opportunity_id = make_opportunity(desk, clock, rep, amount='10000')
    move(desk, rep, opportunity_id, 'Won')
    assert get(desk, Account, opp(desk, opportunity_id).account_id).tier == 'vip'


def test_won_at_default_vip_threshold_is_vip(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, amount='500,000')
    move(desk, rep, opportunity_id, 'Won')
    assert get(desk, Account, opp(desk, opportunity_id).account_id).tier == 'vip'


def test_second_win_adds_to_lifetime_value_and_can_reach_vip(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    desk.customers.set_tier_rules(manager, {'vip_min_cents': 1_500_000})
    first = make_opportunity(desk, clock, rep, company='腾达科技有限公司', amount='10000')
    second = make_opportunity(desk, clock, rep, company='腾达科技', amount='5000')
    move(desk, rep, first, 'Won')
    assert get(desk, Account, opp(desk, first).account_id).tier == 'regular'
    move(desk, rep, second, 'Won')
    account = get(desk, Account, opp(desk, second).account_id)
    assert (account.won_count, account.lifetime_value_cents, account.tier) == (2, 1_500_000, 'vip')


def test_rewinning_a_reopened_deal_counts_it_once(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    opportunity_id = make_opportunity(desk, clock, rep, amount='10000')
    move(desk, rep, opportunity_id, 'Won')
    move(desk, manager, opportunity_id, 'Negotiation')
    move(desk, manager, opportunity_id, 'Won')
    account = get(desk, Account, opp(desk, opportunity_id).account_id)
    assert (account.won_count, account.lifetime_value_cents) == (1, 1_000_000)


# ----- who may move ------------------------------------------------------------------------------

def test_rep_cannot_move_other_reps_deal(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    with pytest.raises(NotAllowed):
        move(desk, other, opportunity_id, 'Solution')
    assert opp(desk, opportunity_id).stage_id == stage(desk, 'Needs confirmed').id


def test_marketing_cannot_move_deals(desk: Desk, clock: FakeClock) -> None:
    rep, marketing = user(desk), user(desk, Role.MARKETING)
    opportunity_id = make_opportunity(desk, clock, rep)
    with pytest.raises(NotAllowed):
        move(desk, marketing, opportunity_id, 'Solution')


def test_manager_moves_reps_deal(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    opportunity_id = make_opportunity(desk, clock, rep)
    move(desk, manager, opportunity_id, 'Quotation')
    assert opp(desk, opportunity_id).stage_id == stage(desk, 'Quotation').id


@pytest.mark.parametrize(('closed', 'kw'), [('Won', {}), ('Lost', {'lost_reason': 'price'})])
def test_rep_cannot_reopen_closed_deal(desk: Desk, clock: FakeClock, closed: str, kw: dict[str, str]) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    move(desk, rep, opportunity_id, closed, **kw)
    with pytest.raises(InvalidState) as e:
        move(desk, rep, opportunity_id, 'Negotiation')
    assert e.value.code == 'closed'
    assert opp(desk, opportunity_id).stage_id == stage(desk, closed).id


def test_rep_cannot_flip_won_to_lost(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    move(desk, rep, opportunity_id, 'Won')
    with pytest.raises(InvalidState):
        move(desk, rep, opportunity_id, 'Lost', lost_reason='price')


def test_manager_reopens_won_deal(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    opportunity_id = make_opportunity(desk, clock, rep)
    move(desk, rep, opportunity_id, 'Won')
    move(desk, manager, opportunity_id, 'Negotiation')
    o = opp(desk, opportunity_id)
    assert (o.stage_id, o.closed_at) == (stage(desk, 'Negotiation').id, None)


# ----- rotting -----------------------------------------------------------------------------------

def _stage(kind: str = StageKind.OPEN, rot_days: int = 14) -> Stage:
    return Stage(name_en='s', name_zh='s', kind=kind, rot_days=rot_days)


def _opportunity(**times: datetime | None) -> Opportunity:
    return Opportunity(lead_id=1, account_id=1, stage_id=1, name='o',
                       **{'created_at': T0, 'stage_changed_at': T0, 'last_activity_at': None} | times)


def test_idle_days_none_within_rot_days() -> None:
    assert idle_days(_stage(), _opportunity(), T0 + timedelta(days=14)) is None


def test_idle_days_counts_days_beyond_rot_days() -> None:
    assert idle_days(_stage(), _opportunity(), T0 + timedelta(days=15, hours=3)) == 15


def test_idle_days_none_when_rot_is_off() -> None:
    assert idle_days(_stage(rot_days=0), _opportunity(), T0 + timedelta(days=400)) is None


@pytest.mark.parametrize('kind', [StageKind.WON, StageKind.LOST])
def test_idle_days_none_for_closed_stages(kind: str) -> None:
    assert idle_days(_stage(kind=kind, rot_days=14), _opportunity(), T0 + timedelta(days=400)) is None


def test_idle_days_counts_from_latest_activity() -> None:
    o = _opportunity(last_activity_at=T0 + timedelta(days=10))
    assert idle_days(_stage(), o, T0 + timedelta(days=20)) is None


def test_idle_days_counts_from_latest_stage_change() -> None:
    o = _opportunity(stage_changed_at=T0 + timedelta(days=10))
    assert idle_days(_stage(), o, T0 + timedelta(days=30)) == 20


def test_board_card_shows_rotting_days(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    make_opportunity(desk, clock, rep)
    clock.advance(days=20)
    [card] = column(desk, rep, 'Needs confirmed').cards
    assert (card.rotting_days, card.days_in_stage) == (20, 20)


def test_activity_stops_card_rotting(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    clock.advance(days=20)
    desk.pipeline.log_activity(rep, opportunity_id, kind='call')
    [card] = column(desk, rep, 'Needs confirmed').cards
    assert (card.rotting_days, card.days_in_stage) == (None, 20)


def test_move_stops_card_rotting(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    clock.advance(days=20)
    move(desk, rep, opportunity_id, 'Solution')
    [card] = column(desk, rep, 'Solution').cards
    assert card.rotting_days is None


def test_won_card_never_rots(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    move(desk, rep, opportunity_id, 'Won')
    clock.advance(days=100)
    [card] = column(desk, rep, 'Won').cards
    assert card.rotting_days is None


# ----- activities and reminders ------------------------------------------------------------------

def test_activity_is_stored_on_opportunity_and_lead(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    activity_id = desk.pipeline.log_activity(rep, opportunity_id, kind='meeting', outcome='demo done', note='n')
    a = get(desk, Activity, activity_id)
    assert (a.opportunity_id, a.lead_id, a.user_id, a.kind, a.outcome, a.note) == (
        opportunity_id, opp(desk, opportunity_id).lead_id, rep.id, 'meeting', 'demo done', 'n')


def test_activity_updates_last_activity_of_opportunity_and_account(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    clock.advance(days=3)
    desk.pipeline.log_activity(rep, opportunity_id, kind='call')
    o = opp(desk, opportunity_id)
    assert (o.last_activity_at, get(desk, Account, o.account_id).last_activity_at) == (clock.now(), clock.now())


def test_activity_bumps_version(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    before = opp(desk, opportunity_id).version
    desk.pipeline.log_activity(rep, opportunity_id, kind='call')
    assert opp(desk, opportunity_id).version == before + 1


@pytest.mark.parametrize('kind', ['touch', 'fax', ''])
def test_activity_kind_must_be_known(desk: Desk, clock: FakeClock, kind: str) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    with pytest.raises(ValidationFailed):
        desk.pipeline.log_activity(rep, opportunity_id, kind=kind)


def test_activity_follow_up_must_be_in_future(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    with pytest.raises(ValidationFailed) as e:
        desk.pipeline.log_activity(rep, opportunity_id, kind='call', next_follow_up_at=clock.now())
    assert e.value.errors == {'next_follow_up_at': 'not_future'}


def test_other_rep_cannot_log_activity(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    with pytest.raises(NotAllowed):
        desk.pipeline.log_activity(other, opportunity_id, kind='call')
    assert rows(desk, Activity, Activity.opportunity_id == opportunity_id) == []


def test_next_follow_up_is_set_on_opportunity(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    due = clock.now() + timedelta(days=2)
    desk.pipeline.log_activity(rep, opportunity_id, kind='call', next_follow_up_at=due)
    o = opp(desk, opportunity_id)
    assert (o.next_follow_up_at, o.follow_up_due_at) == (due, due)


def test_timer_reminds_owner_of_due_follow_up(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    desk.pipeline.log_activity(rep, opportunity_id, kind='call', next_follow_up_at=clock.now() + timedelta(days=1))
    clock.advance(days=1, minutes=1)
    report = desk.automation.tick()
    assert report.done['remind_opportunity'] == [opportunity_id]
    assert [n.user_id for n in rows(desk, Notification, Notification.key == 'notify.follow_up_due')] == [rep.id]


def test_follow_up_reminder_is_sent_once(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    desk.pipeline.log_activity(rep, opportunity_id, kind='call', next_follow_up_at=clock.now() + timedelta(days=1))
    clock.advance(days=1, minutes=1)
    desk.automation.tick()
    clock.advance(hours=1)
    assert desk.automation.tick().done['remind_opportunity'] == []
    assert len(rows(desk, Notification, Notification.key == 'notify.follow_up_due')) == 1
    assert opp(desk, opportunity_id).follow_up_due_at is None


def test_no_reminder_before_follow_up_is_due(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    desk.pipeline.log_activity(rep, opportunity_id, kind='call', next_follow_up_at=clock.now() + timedelta(days=1))
    clock.advance(hours=23)
    assert desk.automation.tick().done['remind_opportunity'] == []


def test_closed_deal_is_not_reminded(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    desk.pipeline.log_activity(rep, opportunity_id, kind='call', next_follow_up_at=clock.now() + timedelta(days=1))
    move(desk, rep, opportunity_id, 'Lost', lost_reason='no_response')
    clock.advance(days=2)
    assert desk.automation.tick().done['remind_opportunity'] == []
    assert rows(desk, Notification, Notification.key == 'notify.follow_up_due') == []


# ----- the opportunity page ----------------------------------------------------------------------

def test_opportunity_view_shows_stage_history_newest_first(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    clock.advance(minutes=1)
    move(desk, rep, opportunity_id, 'Solution')
    view = desk.pipeline.opportunity_view(rep, opportunity_id)
    names = {s.id: s.name_en for s in desk.pipeline.stages()}
    assert [(names[c.to_stage_id], who) for c, who in view.history] == [
        ('Solution', rep.name), ('Needs confirmed', rep.name)]


def test_other_rep_cannot_view_opportunity(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    with pytest.raises(NotAllowed):
        desk.pipeline.opportunity_view(other, opportunity_id)


def test_manager_views_opportunity_and_may_edit(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    opportunity_id = make_opportunity(desk, clock, rep)
    assert desk.pipeline.opportunity_view(manager, opportunity_id).can_edit is True


def test_marketing_views_opportunity_read_only(desk: Desk, clock: FakeClock) -> None:
    rep, marketing = user(desk), user(desk, Role.MARKETING)
    opportunity_id = make_opportunity(desk, clock, rep)
    assert desk.pipeline.opportunity_view(marketing, opportunity_id).can_edit is False


def test_update_opportunity_saves_fields(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    desk.pipeline.update_opportunity(rep, opportunity_id, version=opp(desk, opportunity_id).version,
                                     changes={'amount': '20,000', 'name': ' Renamed ', 'need': 'More seats'})
    o = opp(desk, opportunity_id)
    assert (o.amount_cents, o.name, o.need) == (2_000_000, 'Renamed', 'More seats')


def test_update_opportunity_keeps_long_text_within_its_column(desk: Desk, clock: FakeClock) -> None:
    """Text longer than a field's column is cut to the declared limit, not refused by the database
    (PostgreSQL enforces VARCHAR(200); this test runs there too)."""
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    long = '预' * 450
    desk.pipeline.update_opportunity(rep, opportunity_id, version=opp(desk, opportunity_id).version,
                                     changes={'decision_maker': long, 'budget': long, 'timeline': long,
                                              'need': long})
    o = opp(desk, opportunity_id)
    assert (len(o.decision_maker or ''), len(o.budget or ''), len(o.timeline or ''), len(o.need or '')) == \
        (200, 200, 200, 450)


def test_update_opportunity_with_stale_version_changes_nothing(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    loaded = opp(desk, opportunity_id).version
    desk.pipeline.log_activity(rep, opportunity_id, kind='call')
    with pytest.raises(StaleOpportunity):
        desk.pipeline.update_opportunity(rep, opportunity_id, version=loaded, changes={'amount': '1'})
    assert opp(desk, opportunity_id).amount_cents == 1_000_000


def test_update_opportunity_rejects_unknown_fields(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    with pytest.raises(ValidationFailed) as e:
        desk.pipeline.update_opportunity(rep, opportunity_id, version=opp(desk, opportunity_id).version,
                                         changes={'stage_id': 1, 'owner_id': 2})
    assert e.value.errors == {'owner_id': 'invalid', 'stage_id': 'invalid'}


def test_stage_changes_are_queryable_for_funnel(desk: Desk, clock: FakeClock) -> None:
    """Every stage a deal entered is in stage_changes (what the funnel report counts)."""
    rep = user(desk)
    for _ in range(2):
        opportunity_id = make_opportunity(desk, clock, rep)
        move(desk, rep, opportunity_id, 'Solution')
    with desk.ctx.read() as session:
        entered = session.exec(select(StageChange.to_stage_id)).all()
    assert entered.count(stage(desk, 'Solution').id) == 2
