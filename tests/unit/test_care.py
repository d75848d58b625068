"""Customer care (issue 11 "Customer care (客户回访)"): care plans per tier turn into revisit tasks on
the timer (once, never early, never twice; dormant customers get a one-off wake-up), revisits are
validated and plan the next one, NPS by tier and by owner, overdue customers, and repurchases
(new vs repeat revenue)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from core.clock import FakeClock
from core.customers.care_plan import CarePlan
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.reports.report_filter import ReportFilter
from store.models import (
    Account,
    AuditEntry,
    CareSchedule,
    CareTask,
    Notification,
    Opportunity,
    Revisit,
    Role,
    Tier,
    UserRef,
)
from tests.factories import user

from .db import get, race, rows
from .test_conversion import make_opportunity
from .test_customers import win, won

# ----- helpers -----------------------------------------------------------------------------------

def open_tasks(desk: Desk, account_id: int | None = None) -> list[CareTask]:
    where = [CareTask.open_account_id.is_not(None)]  # type: ignore[union-attr]
    if account_id is not None:
        where.append(CareTask.account_id == account_id)
    return rows(desk, CareTask, *where)


def tick_at(desk: Desk, clock: FakeClock, start: Any, days: float) -> dict[str, list[int]]:
    """One tick at `start + days` (a jump: no ticks in between)."""
    clock.advance(seconds=(start + timedelta(days=days) - clock.now()).total_seconds())
    return desk.automation.tick().done


def only_revisits(desk: Desk, manager: UserRef, **days: int) -> None:
    """Leave only the tiers a test is about switched on (0 = off)."""
    desk.care.set_plan(manager, {'vip_days': 0, 'regular_days': 0, 'potential_days': 0, **days})


# ----- the plan ----------------------------------------------------------------------------------

def test_default_plan_is_vip_30_regular_90_potential_60(desk: Desk) -> None:
    plan = desk.care.plan()
    assert (plan.days(Tier.VIP), plan.days(Tier.REGULAR), plan.days(Tier.POTENTIAL), plan.days(Tier.DORMANT)) == (
        30, 90, 60, None)


@pytest.mark.parametrize(('values', 'errors'), [
    ({'vip_days': -1}, {'vip_days': 'out_of_range'}),
    ({'regular_days': 3651}, {'regular_days': 'out_of_range'}),
    ({'potential_days': 'soon'}, {'potential_days': 'invalid'}),
    ({'vip_days': 2.5}, {'vip_days': 'invalid'}),
    ({'vip_days': True}, {'vip_days': 'invalid'}),
    ({'vip_days': ''}, {'vip_days': 'required'}),
    ({'vip_days': None, 'regular_days': -5}, {'vip_days': 'required', 'regular_days': 'out_of_range'}),
    ({'dormant_days': 3}, {'dormant_days': 'invalid'}),
])
def test_invalid_intervals_are_refused_per_field(desk: Desk, values: dict[str, Any], errors: dict[str, str]) -> None:
    manager = user(desk, Role.MANAGER)
    with pytest.raises(ValidationFailed) as e:
        desk.care.set_plan(manager, values)
    assert e.value.errors == errors
    assert desk.care.plan() == CarePlan()


def test_reps_may_not_change_the_plan(desk: Desk) -> None:
    with pytest.raises(NotAllowed):
        desk.care.set_plan(user(desk), {'vip_days': 7})
    assert desk.care.plan() == CarePlan()


def test_plan_change_is_audited(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    desk.care.set_plan(manager, {'vip_days': '14'})
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'care_plan_changed')
    assert (entry.actor_id, entry.reason_key, entry.reason_params['vip']) == (manager.id, 'care.reason.plan_changed',
                                                                              14)


# ----- the timer ---------------------------------------------------------------------------------

def test_regular_customer_gets_exactly_one_task_at_90_days(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    start = clock.now()
    assert tick_at(desk, clock, start, 89.9)['care'] == []  # none early
    assert open_tasks(desk) == []
    assert tick_at(desk, clock, start, 90)['care'] == [account_id]
    assert tick_at(desk, clock, start, 90)['care'] == []  # the same instant again: nothing
    assert tick_at(desk, clock, start, 200)['care'] == []  # still open: never a second one
    [task] = open_tasks(desk)
    assert (task.account_id, task.owner_id, task.kind, task.tier, task.due_at) == (
        account_id, rep.id, 'revisit', Tier.REGULAR, start + timedelta(days=90))


def test_two_ticks_at_once_open_one_task(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    clock.advance(days=91)
    results = race(desk.automation.tick, desk.automation.tick)
    assert sorted(len(r.done['care']) for r in results) == [0, 1]  # type: ignore[union-attr]
    assert [t.account_id for t in open_tasks(desk)] == [account_id]


def test_the_database_refuses_a_second_open_task(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    tick_at(desk, clock, clock.now(), 90)
    with pytest.raises(IntegrityError), desk.ctx.write() as session:
        session.add(CareTask(account_id=account_id, tier='regular', open_account_id=account_id))
    assert len(open_tasks(desk)) == 1


def test_due_task_is_audited_and_the_owner_notified(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep, company='腾达科技')
    heard: list[tuple[int, int | None]] = []
    desk.events.care_changed.subscribe(lambda a, o: heard.append((a, o)))
    tick_at(desk, clock, clock.now(), 90)
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'care_due')
    assert (entry.actor_id, entry.subject_user_id, entry.reason_key, entry.reason_params) == (
        None, rep.id, 'care.reason.due', {'account': '腾达科技', 'tier': 'regular', 'days': 90})
    [note] = rows(desk, Notification, Notification.key == 'care.notify.due')
    assert (note.user_id, note.params) == (rep.id, {'account': '腾达科技'})
    assert heard == [(account_id, rep.id)]


def test_timer_preview_lists_the_care_task_a_tick_will_open(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk, name='Rep Care')
    account_id = won(desk, clock, rep, company='腾达科技')
    start = clock.now()
    assert [p for p in desk.automation.preview(start + timedelta(days=88), 24) if p.action == 'care'] == []
    [planned] = [p for p in desk.automation.preview(start + timedelta(days=89.5), 24) if p.action == 'care']
    assert (planned.account_id, planned.lead_name, planned.owner_name, planned.at) == (
        account_id, '腾达科技', 'Rep Care', start + timedelta(days=90))
    assert tick_at(desk, clock, start, 90)['care'] == [account_id]  # the tick does what the preview said
    assert [p for p in desk.automation.preview(start + timedelta(days=91), 24) if p.action == 'care'] == []


def test_vip_is_revisited_every_30_days(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    desk.customers.set_tier_rules(manager, {'vip_min_cents': 100})
    account_id = won(desk, clock, rep)
    start = clock.now()
    assert tick_at(desk, clock, start, 29)['care'] == []
    assert tick_at(desk, clock, start, 30)['care'] == [account_id]


def test_a_prospect_account_follows_the_potential_plan(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = get(desk, Opportunity, make_opportunity(desk, clock, rep)).account_id
    start = clock.now()
    assert tick_at(desk, clock, start, 59)['care'] == []
    assert tick_at(desk, clock, start, 60)['care'] == [account_id]
    assert open_tasks(desk)[0].tier == Tier.POTENTIAL


def test_tier_change_moves_the_due_date(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    account_id = won(desk, clock, rep)  # regular: due at 90 days
    start = clock.now()
    clock.advance(days=10)
    desk.customers.set_tier_rules(manager, {'vip_min_cents': 100})  # now VIP: 30 days from the win
    assert get(desk, Account, account_id).tier == Tier.VIP
    assert tick_at(desk, clock, start, 29)['care'] == []
    assert tick_at(desk, clock, start, 30)['care'] == [account_id]


def test_new_intervals_apply_to_planned_revisits(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    account_id = won(desk, clock, rep)
    start = clock.now()
    desk.care.set_plan(manager, {'regular_days': 7})
    assert tick_at(desk, clock, start, 6)['care'] == []
    assert tick_at(desk, clock, start, 7)['care'] == [account_id]


def test_a_switched_off_tier_gets_no_tasks(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    won(desk, clock, rep)
    desk.care.set_plan(manager, {'regular_days': 0})
    assert tick_at(desk, clock, clock.now(), 170)['care'] == []


def test_dormant_customer_gets_a_one_off_wake_up_task(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    account_id = won(desk, clock, rep)
    only_revisits(desk, manager)  # no rhythm: only the wake-up can open a task
    start = clock.now()
    done = tick_at(desk, clock, start, 181)  # dormant after 180 idle days, woken in the same tick
    assert (done['dormant'], done['care']) == ([account_id], [account_id])
    [task] = open_tasks(desk)
    assert (task.kind, task.tier) == ('wake_up', Tier.DORMANT)
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'care_due')
    assert entry.reason_key == 'care.reason.wake_up'
    assert rows(desk, Notification, Notification.key == 'care.notify.wake_up')[0].user_id == rep.id
    assert tick_at(desk, clock, start, 220)['care'] == []  # open: not again
    desk.care.record_revisit(rep, account_id, satisfaction=4)
    assert get(desk, Account, account_id).tier == Tier.REGULAR  # the revisit woke the customer
    assert tick_at(desk, clock, start, 400)['care'] == []  # one-off: no second wake-up
    assert open_tasks(desk) == []


def test_undone_win_falls_back_to_the_potential_plan(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    account_id = win(desk, rep, opportunity_id)
    lost = next(s for s in desk.pipeline.stages() if s.kind == 'lost')
    desk.pipeline.move_opportunity(user(desk, Role.MANAGER), opportunity_id, to_stage_id=lost.id or 0,
                                   version=get(desk, Opportunity, opportunity_id).version, lost_reason='price')
    schedule = get(desk, CareSchedule, account_id)
    assert schedule.due_at == schedule.since_at + timedelta(days=60)  # type: ignore[operator]


# ----- revisits ----------------------------------------------------------------------------------

def test_revisit_closes_the_task_and_plans_the_next(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    start = clock.now()
    tick_at(desk, clock, start, 90)
    clock.advance(days=5)
    revisit_id = desk.care.record_revisit(rep, account_id, satisfaction='4', nps=9, note='  Happy with support ')
    revisit = get(desk, Revisit, revisit_id)
    assert (revisit.satisfaction, revisit.nps, revisit.note, revisit.tier, revisit.owner_id, revisit.user_id) == (
        4, 9, 'Happy with support', Tier.REGULAR, rep.id, rep.id)
    [task] = rows(desk, CareTask)
    assert (task.open_account_id, task.closed_at, task.revisit_id) == (None, clock.now(), revisit_id)
    assert tick_at(desk, clock, start, 95 + 89)['care'] == []
    assert tick_at(desk, clock, start, 95 + 90)['care'] == [account_id]
    assert len(rows(desk, CareTask)) == 2


def test_an_early_revisit_restarts_the_rhythm(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    start = clock.now()
    clock.advance(days=60)
    desk.care.record_revisit(rep, account_id, nps=10)
    assert tick_at(desk, clock, start, 90)['care'] == []
    assert tick_at(desk, clock, start, 150)['care'] == [account_id]


def test_revisit_is_audited(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep, company='华为技术')
    desk.care.record_revisit(rep, account_id, nps=7)
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'revisit')
    assert (entry.actor_id, entry.reason_key, entry.reason_params) == (
        rep.id, 'care.reason.revisited', {'account': '华为技术', 'satisfaction': '-', 'nps': 7})


@pytest.mark.parametrize(('values', 'errors'), [
    ({}, {'satisfaction': 'required', 'nps': 'required'}),
    ({'satisfaction': '', 'nps': '  '}, {'satisfaction': 'required', 'nps': 'required'}),
    ({'satisfaction': 0}, {'satisfaction': 'out_of_range'}),
    ({'satisfaction': 6}, {'satisfaction': 'out_of_range'}),
    ({'satisfaction': 'great'}, {'satisfaction': 'invalid'}),
    ({'satisfaction': 3.5}, {'satisfaction': 'invalid'}),
    ({'satisfaction': True}, {'satisfaction': 'invalid'}),
    ({'nps': -1}, {'nps': 'out_of_range'}),
    ({'nps': 11}, {'nps': 'out_of_range'}),
    ({'nps': '10; DROP TABLE revisits'}, {'nps': 'invalid'}),
    ({'nps': 10 ** 30}, {'nps': 'out_of_range'}),
    ({'nps': 5, 'note': 'x' * 2001}, {'note': 'too_long'}),
])
def test_invalid_revisits_are_refused_and_write_nothing(desk: Desk, clock: FakeClock, values: dict[str, Any],
                                                        errors: dict[str, str]) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    with pytest.raises(ValidationFailed) as e:
        desk.care.record_revisit(rep, account_id, **values)
    assert e.value.errors == errors
    assert rows(desk, Revisit) == []


@pytest.mark.parametrize(('satisfaction', 'nps'), [(1, None), (5, None), (None, 0), (None, 10), (3, 6)])
def test_bounds_are_accepted(desk: Desk, clock: FakeClock, satisfaction: int | None, nps: int | None) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    revisit = get(desk, Revisit, desk.care.record_revisit(rep, account_id, satisfaction=satisfaction, nps=nps))
    assert (revisit.satisfaction, revisit.nps) == (satisfaction, nps)


def test_only_the_owner_or_a_manager_records_a_revisit(desk: Desk, clock: FakeClock) -> None:
    rep, other, manager = user(desk), user(desk), user(desk, Role.MANAGER)
    account_id = won(desk, clock, rep)
    with pytest.raises(NotAllowed):
        desk.care.record_revisit(other, account_id, nps=9)
    with pytest.raises(NotAllowed):
        desk.care.care_view(other, account_id)
    desk.care.record_revisit(manager, account_id, nps=9)
    assert [r.user_id for r in rows(desk, Revisit)] == [manager.id]


def test_care_view_shows_plan_due_date_and_trend(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    desk.care.record_revisit(rep, account_id, satisfaction=3, nps=6)
    clock.advance(days=1)
    desk.care.record_revisit(rep, account_id, satisfaction=5, nps=10, note='Renewed')
    view = desk.care.care_view(rep, account_id)
    assert (view.tier, view.interval_days, view.next_due_at, view.open_task_due_at, view.can_record) == (
        Tier.REGULAR, 90, clock.now() + timedelta(days=90), None, True)
    assert [(r.satisfaction, r.nps, r.note, r.by) for r in view.revisits] == [
        (3, 6, None, rep.name), (5, 10, 'Renewed', rep.name)]


def test_my_day_lists_own_due_revisits(desk: Desk, clock: FakeClock) -> None:
    rep, other, manager = user(desk), user(desk), user(desk, Role.MANAGER)
    mine = won(desk, clock, rep, company='Mine Co')
    theirs = won(desk, clock, other, company='Theirs Co')
    tick_at(desk, clock, clock.now(), 90)
    assert [(d.account_id, d.account_name, d.kind) for d in desk.care.due_revisits(rep)] == [
        (mine, 'Mine Co', 'revisit')]
    assert {d.account_id for d in desk.care.due_revisits(manager)} == {mine, theirs}
    desk.care.record_revisit(rep, mine, nps=8)
    assert desk.care.due_revisits(rep) == []


# ----- reports -----------------------------------------------------------------------------------

def whole_range(desk: Desk, clock: FakeClock, **fields: Any) -> ReportFilter:
    today = desk.reports.today()
    return ReportFilter(start=today - timedelta(days=30), end=today, **fields)


def test_nps_by_tier_and_by_owner_on_hand_made_data(desk: Desk, clock: FakeClock) -> None:
    a, b, manager = user(desk, name='Ann'), user(desk, name='Bo'), user(desk, Role.MANAGER)
    desk.customers.set_tier_rules(manager, {'vip_min_cents': 5_000_000})  # ¥50,000 and up is VIP
    vip = won(desk, clock, a, company='Big', amount='60000')
    regular = won(desk, clock, b, company='Small', amount='100')
    for score in (10, 9, 8, 7, 6, 0):
        desk.care.record_revisit(a, vip, nps=score, satisfaction=4)
    for score in (10, 10, 3):
        desk.care.record_revisit(b, regular, nps=score)
    desk.care.record_revisit(b, regular, satisfaction=2)  # satisfaction only: no NPS answer
    report = desk.care_reports.care_report(manager, whole_range(desk, clock))
    # VIP: 6 answers, promoters 10 and 9 (2), detractors 6 and 0 (2): (2 - 2) / 6 = 0
    # regular: 3 answers, promoters 2, detractors 1: (2 - 1) / 3 = 33.3
    # all: 9 answers, promoters 4, detractors 3: (4 - 3) / 9 = 11.1
    assert [(r.key, r.answers, r.promoters, r.passives, r.detractors, r.nps) for r in report.by_tier] == [
        ('regular', 3, 2, 0, 1, 33.3), ('vip', 6, 2, 2, 2, 0.0)]
    assert (report.total.answers, report.total.nps) == (9, 11.1)
    # satisfaction: Ann 6 × 4 = 4.0; Bo one answer of 2
    assert [(r.name, r.nps, r.satisfaction_answers, r.satisfaction) for r in report.by_owner] == [
        ('Bo', 33.3, 1, 2.0), ('Ann', 0.0, 6, 4.0)]
    mine = desk.care_reports.care_report(a, whole_range(desk, clock))  # a rep: own customers only
    assert [(r.name, r.answers) for r in mine.by_owner] == [('Ann', 6)]


def test_nps_over_no_answers_is_none(desk: Desk, clock: FakeClock) -> None:
    report = desk.care_reports.care_report(user(desk, Role.MANAGER), whole_range(desk, clock))
    assert (report.total.nps, report.by_tier, report.by_owner) == (None, [], [])


def test_overdue_customers_are_listed_longest_first(desk: Desk, clock: FakeClock) -> None:
    rep, other, manager = user(desk), user(desk), user(desk, Role.MANAGER)
    first = won(desk, clock, rep, company='First')
    clock.advance(days=10)
    second = won(desk, clock, other, company='Second')
    won(desk, clock, rep, company='Later')
    tick_at(desk, clock, clock.now(), 95)  # all three due; Later is revisited below, the others wait
    later = next(d for d in desk.care.due_revisits(manager) if d.account_name == 'Later')
    desk.care.record_revisit(rep, later.account_id, nps=9)
    report = desk.care_reports.care_report(manager, whole_range(desk, clock))
    assert [d.account_id for d in report.overdue] == [first, second]
    assert [d.account_id for d in desk.care_reports.care_report(rep, whole_range(desk, clock)).overdue] == [first]


# ----- repurchase --------------------------------------------------------------------------------

def test_second_win_for_a_customer_is_a_repurchase(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    first = make_opportunity(desk, clock, rep, company='腾达科技有限公司', amount='10000')
    second = make_opportunity(desk, clock, rep, company='腾达科技', amount='5000')
    other = make_opportunity(desk, clock, rep, company='华为技术', amount='2000')
    assert get(desk, Opportunity, first).account_id == get(desk, Opportunity, second).account_id
    for o in (first, second, other):
        clock.advance(minutes=1)
        win(desk, rep, o)
    cards = {c.id: c.is_repeat for column in desk.pipeline.board(manager) for c in column.cards}
    assert cards == {first: False, second: True, other: False}
    assert desk.pipeline.opportunity_view(rep, second).is_repeat
    revenue = desk.care_reports.care_report(manager, whole_range(desk, clock)).revenue
    assert (revenue.new_count, revenue.new_cents, revenue.repeat_count, revenue.repeat_cents) == (
        2, 1_200_000, 1, 500_000)
    assert revenue.repeat_share == 29.4  # 5,000 / 17,000


def test_an_open_deal_of_an_existing_customer_shows_as_repurchase(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    won(desk, clock, rep, company='腾达科技')
    again = make_opportunity(desk, clock, rep, company='腾达科技')
    assert desk.pipeline.opportunity_view(rep, again).is_repeat


def test_undoing_the_first_win_makes_the_second_new_again(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    first = make_opportunity(desk, clock, rep, company='腾达科技')
    second = make_opportunity(desk, clock, rep, company='腾达科技')
    win(desk, rep, first)
    clock.advance(minutes=1)
    win(desk, rep, second)
    lost = next(s for s in desk.pipeline.stages() if s.kind == 'lost')
    desk.pipeline.move_opportunity(manager, first, to_stage_id=lost.id or 0,
                                   version=get(desk, Opportunity, first).version, lost_reason='price')
    assert not desk.pipeline.opportunity_view(rep, second).is_repeat
    revenue = desk.care_reports.care_report(manager, whole_range(desk, clock)).revenue
    assert (revenue.new_count, revenue.repeat_count) == (1, 0)
