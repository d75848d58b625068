"""The digest page for a manager through NiceGUI's simulated user: they pick a rep within their scope
and read that rep's history; a digest the schedule sends meanwhile shows up without a reload (the
`digest_sent` event after its commit)."""

from __future__ import annotations

from datetime import date

from nicegui import app
from nicegui.testing import User

from core.desk import Desk
from core.digests.content import DigestKind
from core.digests.schedule import Due
from tests.ui.conftest import Team, login


async def test_a_manager_reads_a_reps_digests_and_a_new_one_arrives_live(user: User, team: Team) -> None:
    desk: Desk = app.state.desk  # the app's desk: its events reach the open page
    await login(user, team.manager.email)
    await user.open('/digests')
    await user.should_see(marker='digest-whose', retries=100)
    user.find(marker='digest-whose').elements.pop().value = team.rep_a.id  # type: ignore[attr-defined]
    await user.should_see(marker='digest-none', retries=50)  # the rep has had none yet
    assert desk.automation.digests.send(Due(team.rep_a.id, DigestKind.DAILY, date(2026, 3, 2)), desk.ctx.now()) == 1
    await user.should_see('Daily digest 2026-03-02', retries=100)
    await user.should_not_see(marker='digest-none', retries=50)


async def test_a_rep_has_no_one_else_to_pick(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/digests')
    await user.should_see(marker='digest-history', retries=100)
    await user.should_not_see(marker='digest-whose')
