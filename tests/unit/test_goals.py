"""Monthly goals: set per rep and for the team by managers (bad input named, nothing half-saved,
each change audited), read back with their actuals — the report figures' own numbers from the daily
roll-up — and their pace on the team calendar; quarters roll up from months."""

from __future__ import annotations

from datetime import date

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.goals.pacing import PaceStatus
from store.audit_actions import AuditAction
from store.models import AuditEntry, GoalMetric, Role
from tests.factories import user
from tests.unit.test_reports import add_deal, add_lead, at

from .db import rows

MARCH = date(2026, 3, 1)


def goal(user_id: int | None, metric: GoalMetric, target: int | str | None, stretch: int | str | None = None) -> dict:
    return {'user_id': user_id, 'metric': metric, 'target': target, 'stretch': stretch}


def test_the_board_reads_the_report_figures_against_the_goals(desk: Desk, clock: FakeClock) -> None:
    manager, li, zhao = user(desk, Role.MANAGER), user(desk, name='Li'), user(desk, name='Zhao')
    add_lead(desk, li, at('03-02', 1), status='contacted')
    add_lead(desk, li, at('03-02', 2), status='qualified')
    add_lead(desk, li, at('03-02', 3))  # not contacted yet
    add_lead(desk, zhao, at('02-20'), status='contacted')  # February's cohort
    won = add_lead(desk, li, at('03-02', 4), status='converted')
    add_deal(desk, won, li, created=at('03-02', 5), moves=[('Won', at('03-02', 6))], amount_cents=500_000,
             expected_close=date(2026, 3, 31))
    desk.goals.set_goals(manager, MARCH, [goal(li.id, GoalMetric.CONTACTED, 10),
                                          goal(li.id, GoalMetric.WON_CENTS, 400_000, 900_000),
                                          goal(None, GoalMetric.CONTACTED, 30)])
    board = desk.goals.board(manager)
    assert board.month == MARCH and board.pace.working_days == 22
    team, first, second = board.rows
    assert team.user_id is None and [first.name, second.name] == ['Li', 'Zhao']
    assert first.paces[GoalMetric.CONTACTED].actual == 3 and first.paces[GoalMetric.CONTACTED].goal == 10
    assert first.paces[GoalMetric.OPPORTUNITIES].actual == 1
    assert first.paces[GoalMetric.OPPORTUNITIES].status == PaceStatus.NO_GOAL
    assert first.paces[GoalMetric.WON_CENTS].actual == 500_000
    assert first.paces[GoalMetric.WON_CENTS].status == PaceStatus.MET
    assert second.paces[GoalMetric.CONTACTED].actual == 0  # his lead is February's
    assert team.paces[GoalMetric.CONTACTED].actual == 3 and team.paces[GoalMetric.CONTACTED].goal == 30
    clock.advance(days=16)  # Wednesday 18 March: the month is behind where it should be for the team
    assert desk.goals.board(manager).rows[0].paces[GoalMetric.CONTACTED].status == PaceStatus.BEHIND


def test_a_past_month_has_passed_wholly(desk: Desk, clock: FakeClock) -> None:
    manager = user(desk, Role.MANAGER)
    clock.advance(days=40)
    assert desk.goals.board(manager, MARCH).pace.share == 1
    assert desk.goals.board(manager, date(2026, 5, 1)).pace.share == 0


def test_bad_goals_are_named_and_nothing_is_saved(desk: Desk) -> None:
    manager, li = user(desk, Role.MANAGER), user(desk)
    with pytest.raises(ValidationFailed) as e:
        desk.goals.set_goals(manager, MARCH, [goal(li.id, GoalMetric.CONTACTED, 10),
                                              goal(li.id, GoalMetric.OPPORTUNITIES, 'ten'),
                                              goal(li.id, GoalMetric.WON_CENTS, 500, 400)])
    assert e.value.errors == {'1.target': 'not_number', '2.stretch': 'below_min'}
    assert desk.goals.board(manager).rows[1].paces[GoalMetric.CONTACTED].goal is None


def test_reps_cannot_set_goals_and_see_their_own_row(desk: Desk) -> None:
    manager, li, zhao = user(desk, Role.MANAGER), user(desk, name='Li'), user(desk, name='Zhao')
    with pytest.raises(NotAllowed):
        desk.goals.set_goals(li, MARCH, [goal(li.id, GoalMetric.CONTACTED, 99)])
    desk.goals.set_goals(manager, MARCH, [goal(li.id, GoalMetric.CONTACTED, 12)])
    assert [r.user_id for r in desk.goals.board(li).rows] == [li.id]
    assert [r.user_id for r in desk.goals.board(manager).rows] == [None, li.id, zhao.id]


def test_each_change_is_audited_and_clearing_removes_the_goal(desk: Desk) -> None:
    manager, li = user(desk, Role.MANAGER), user(desk)
    assert desk.goals.set_goals(manager, MARCH, [goal(li.id, GoalMetric.CONTACTED, 12)]) == 1
    assert desk.goals.set_goals(manager, MARCH, [goal(li.id, GoalMetric.CONTACTED, 12)]) == 0  # unchanged
    assert desk.goals.set_goals(manager, MARCH, [goal(li.id, GoalMetric.CONTACTED, '')]) == 1
    assert desk.goals.board(manager).rows[1].paces[GoalMetric.CONTACTED].goal is None
    lines = [e for e in rows(desk, AuditEntry) if e.action == AuditAction.GOAL_SET]
    assert [(e.subject_user_id, e.reason_params['target']) for e in lines] == [(li.id, 12), (li.id, None)]


def test_a_quarter_rolls_up_from_its_months(desk: Desk) -> None:
    manager, li = user(desk, Role.MANAGER), user(desk)
    for month, target in ((1, 5), (2, 6), (3, 7)):
        desk.goals.set_goals(manager, date(2026, month, 1), [goal(li.id, GoalMetric.CONTACTED, target)])
    add_lead(desk, li, at('01-10'), status='contacted')
    add_lead(desk, li, at('03-02', 1), status='contacted')
    months = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert desk.goals.period(manager, months)[(li.id, GoalMetric.CONTACTED)] == (18, 2)
