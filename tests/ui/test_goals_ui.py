"""Goals on the team page through NiceGUI's simulated user: a manager sets a rep's monthly goals in
the editor (the amount in yuan, stored in cents; a stretch below the goal is refused under its
field) and reads the rep's actual against the goal and the month's pace."""

from __future__ import annotations

import asyncio

from nicegui import app
from nicegui.testing import User

from core.desk import Desk
from store.models import GoalMetric
from tests.ui.conftest import Team, login


async def test_a_manager_sets_a_reps_goals_and_sees_the_pace(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/team')
    await user.should_see(marker='goals-card', retries=100)
    await user.should_see(marker='goals-pace')
    user.find(marker='goals-edit').click()
    await user.should_see(marker='goals-who', retries=50)
    user.find(marker='goals-who').elements.pop().value = str(team.rep_a.id)  # type: ignore[attr-defined]  # GoalRow.key
    user.find(marker='goals-target-contacted').type('12')
    user.find(marker='goals-target-won_cents').type('50000')
    user.find(marker='goals-stretch-won_cents').type('100')
    user.find(marker='goals-save').click()
    await user.should_see('Must not be below the minimum', retries=50)  # the stretch under the goal
    user.find(marker='goals-stretch-won_cents').clear().type('80000')
    user.find(marker='goals-save').click()
    desk: Desk = app.state.desk  # the app's (its clock's month, not the test desk's fake one)
    board = None
    for _ in range(100):
        board = desk.goals.board(team.manager)
        li = next(r for r in board.rows if r.user_id == team.rep_a.id)
        if li.paces[GoalMetric.WON_CENTS].goal:
            break
        await asyncio.sleep(0.05)
    assert board is not None
    li = next(r for r in board.rows if r.user_id == team.rep_a.id)
    assert li.paces[GoalMetric.CONTACTED].goal == 12
    assert (li.paces[GoalMetric.WON_CENTS].goal, li.paces[GoalMetric.WON_CENTS].stretch) == (5_000_000, 8_000_000)
    await user.should_see(marker=f'goals-{team.rep_a.id}-contacted', retries=50)
    await user.should_see('¥50,000', retries=50)
    user.find(marker='goals-edit').click()  # the editor shows the saved goals back as typed
    await user.should_see(marker='goals-who', retries=50)
    user.find(marker='goals-who').elements.pop().value = str(team.rep_a.id)  # type: ignore[attr-defined]  # GoalRow.key
    assert user.find(marker='goals-target-won_cents').elements.pop().value == '50000'  # type: ignore[attr-defined]
    assert user.find(marker='goals-stretch-won_cents').elements.pop().value == '80000'  # type: ignore[attr-defined]
    assert user.find(marker='goals-target-contacted').elements.pop().value == '12'  # type: ignore[attr-defined]


async def test_a_rep_cannot_open_the_team_page(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/team')
    await user.should_see(marker='not-allowed', retries=50)
    await user.should_not_see(marker='goals-card')
