"""Monthly goals: set per rep and for the team by managers (bad input named, nothing half-saved,
each change audited), read back with their actuals — the report figures' own numbers from the daily
roll-up — and their pace on the team calendar; quarters roll up from months."""

from __future__ import annotations

from datetime import date

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.goals.pacing import PaceStatus
from store.audit_actions import AuditAction
from store.models import AuditEntry, GoalMetric, Role
from tests.factories import PASSWORD, admin, user
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


def test_a_department_goal_rolls_up_its_subtree_and_managers_set_their_own_only(desk: Desk) -> None:
    """Company > Sales > (East, West): Sales' goal counts Wu (placed in Sales), Li (East) and Zhao
    (West); a manager placed in East sets and sees East's goal only — not Sales', not West's."""
    boss = admin(desk)
    top = next(line.id for line in desk.departments.tree(boss) if line.is_root)
    sales = desk.departments.add(boss, 'Sales', parent_id=top)
    east = desk.departments.add(boss, 'East', parent_id=sales)
    west = desk.departments.add(boss, 'West', parent_id=sales)
    li, zhao, wu, lone = user(desk, name='Li'), user(desk, name='Zhao'), user(desk, name='Wu'), user(desk, name='Lone')
    east_manager = user(desk, Role.MANAGER, name='Eve')
    for who, dept in ((li, east), (zhao, west), (wu, sales), (east_manager, east)):
        desk.departments.place_user(boss, who.id, dept)
    for who, n in ((li, 1), (zhao, 2), (wu, 3), (lone, 4)):  # Lone: unplaced, the company's only
        for i in range(n):
            add_lead(desk, who, at('03-02', 1 + i), status='contacted')
    desk.goals.set_goals(boss, MARCH, [{**goal(None, GoalMetric.CONTACTED, 20), 'department_id': sales},
                                       {**goal(None, GoalMetric.CONTACTED, 4), 'department_id': west},
                                       goal(None, GoalMetric.CONTACTED, 50)])
    board = {r.key: r for r in desk.goals.board(boss).rows}
    assert [k for k in board][:4] == ['team', f'd{sales}', f'd{east}', f'd{west}']
    assert (board[f'd{sales}'].name, board[f'd{sales}'].depth) == ('Sales', 0) and board[f'd{east}'].depth == 1

    def contacted(key: str) -> tuple[int, int | None]:
        p = board[key].paces[GoalMetric.CONTACTED]
        return p.actual, p.goal

    assert contacted(f'd{sales}') == (6, 20) and contacted(f'd{west}') == (2, 4)
    assert contacted('team') == (10, 50) and contacted(f'd{east}') == (1, None)

    manager = desk.team.login(east_manager.email, PASSWORD)[0]  # the ref a session gives: reach resolved
    desk.goals.set_goals(manager, MARCH, [{**goal(None, GoalMetric.CONTACTED, 3), 'department_id': east}])
    mine = [r for r in desk.goals.board(manager).rows if r.department_id is not None]
    assert [(r.name, r.paces[GoalMetric.CONTACTED].actual, r.paces[GoalMetric.CONTACTED].goal) for r in mine] == [
        ('East', 1, 3)]
    for dept in (sales, west, top):
        with pytest.raises(NotAllowed):
            desk.goals.set_goals(manager, MARCH, [{**goal(None, GoalMetric.CONTACTED, 9), 'department_id': dept}])
    # the team's quarter is the team's goal only, not the departments'
    assert desk.goals.period(boss, [MARCH])[(None, GoalMetric.CONTACTED)] == (50, 10)
    line = [e for e in rows(desk, AuditEntry) if e.action == AuditAction.GOAL_SET][-1]
    assert line.reason_params['department_id'] == east and line.actor_id == east_manager.id


def test_the_attainment_panel_sums_the_months_and_drills_to_the_records(desk: Desk, clock: FakeClock) -> None:
    """February and March for Li: goals 5 + 7 contacted, 4 contacted leads (one in February); a won
    deal of ¥5,000 against ¥4,000. Each figure's click lists exactly the records it counts."""
    manager, li, zhao = user(desk, Role.MANAGER), user(desk, name='Li'), user(desk, name='Zhao')
    for month, target in ((date(2026, 2, 1), 5), (MARCH, 7)):
        desk.goals.set_goals(manager, month, [goal(li.id, GoalMetric.CONTACTED, target)])
    desk.goals.set_goals(manager, MARCH, [goal(li.id, GoalMetric.WON_CENTS, 400_000)])
    add_lead(desk, li, at('02-20'), status='contacted')
    for hour in (1, 2):
        add_lead(desk, li, at('03-02', hour), status='contacted')
    add_lead(desk, li, at('03-02', 3))  # not contacted: not counted, not listed
    add_lead(desk, zhao, at('03-02', 4), status='contacted')  # Zhao has no goal: no row
    won = add_lead(desk, li, at('03-02', 5), status='converted')
    add_deal(desk, won, li, created=at('03-02', 6), moves=[('Won', at('03-03'))], amount_cents=500_000,
             expected_close=date(2026, 3, 31))
    clock.advance(days=40)  # April: both months have passed wholly
    table = desk.goal_reports.attainment(manager, date(2026, 2, 10), date(2026, 3, 20))
    rows = {(r['key'], r['metric']): r for r in table.to_dict('records')}
    assert set(rows) == {(str(li.id), 'contacted'), (str(li.id), 'won_cents')}
    contacted = rows[(str(li.id), 'contacted')]
    assert (contacted['who'], contacted['goal'], contacted['actual'], contacted['expected']) == ('Li', 12, 4, 12)
    assert contacted['attainment'] == pytest.approx(0.3333, abs=1e-4) and contacted['status'] == 'behind'
    assert rows[(str(li.id), 'won_cents')]['actual'] == 500_000 and rows[(str(li.id), 'won_cents')]['status'] == 'met'

    leads = desk.goal_reports.records(manager, date(2026, 2, 10), date(2026, 3, 20), str(li.id), 'contacted')
    assert len(leads) == 4 and {r['owner'] for r in leads} == {'Li'}
    deals = desk.goal_reports.records(manager, date(2026, 3, 1), date(2026, 3, 1), str(li.id), 'won_cents')
    assert [d['amount_cents'] for d in deals] == [500_000]
    with pytest.raises(NotFound):  # a rep reads only their own row
        desk.goal_reports.records(zhao, MARCH, MARCH, str(li.id), 'contacted')
    csv = desk.goal_reports.export(manager, MARCH, MARCH, 'csv').decode('utf-8-sig')
    assert 'who,metric,goal,stretch,actual,attainment' in csv and 'Li,contacted,7,,3,' in csv
