"""Customer care on the pages: a due revisit in the rep's "My day", recorded on the customer page
(validated, the trend drawn), gone from "My day"; the managers' care plan; the repurchase badge
and the reports' care panels."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import CareTask, Revisit
from tests.ui.conftest import Team, login
from tests.ui.test_convert import converted, until
from tests.ui.test_customers_page import won_deal


def revisits(team: Team) -> list[Revisit]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(Revisit)).all())


def open_tasks(team: Team) -> list[CareTask]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(CareTask).where(CareTask.open_account_id.is_not(None))).all())  # type: ignore[union-attr]


def due_revisit(team: Team, company: str) -> int:
    """A customer of rep A whose regular revisit the timer has opened; its account id."""
    account_id, _ = won_deal(team, team.rep_a, company)
    team.desk.automation.tick(team.desk.ctx.now() + timedelta(days=90))
    assert [t.account_id for t in open_tasks(team)] == [account_id]
    return account_id


async def my_day(user: User) -> None:
    await user.open('/')
    await user.should_see(marker='inbox-agenda', retries=50)
    user.find(marker='inbox-agenda').elements.pop().set_value('my_day')


async def test_revisit_recorded_on_the_customer_page_leaves_my_day(user: User, team: Team) -> None:
    account_id = due_revisit(team, 'Care Corp')
    await login(user, team.rep_a.email)
    await my_day(user)
    await user.should_see(marker=f'due-revisit-{account_id}', retries=50)
    link = user.find(marker=f'due-revisit-link-{account_id}').elements.pop()
    assert isinstance(link, ui.link) and link.props['href'] == f'/customers/{account_id}'
    await user.open(f'/customers/{account_id}')
    await user.should_see(marker='care-open-task', retries=50)
    user.find(marker='revisit-satisfaction').elements.pop().set_value(4)
    user.find(marker='revisit-nps').elements.pop().set_value(9)
    user.find(marker='revisit-note').type('Wants a training day <b>soon</b>')
    user.find(marker='revisit-save').click()
    await user.should_see('Revisit recorded', retries=50)
    [r] = revisits(team)
    assert (r.account_id, r.satisfaction, r.nps, r.note, r.user_id) == (
        account_id, 4, 9, 'Wants a training day <b>soon</b>', team.rep_a.id)
    await user.should_see(marker='care-trend', retries=50)
    await user.should_see('Wants a training day <b>soon</b>')  # shown as text, not markup
    await user.should_see(marker='care-next-due')
    await user.should_not_see(marker='care-open-task')
    assert open_tasks(team) == []
    await my_day(user)
    await user.should_see(marker='my-day-revisits-none', retries=50)
    await user.should_not_see(marker=f'due-revisit-{account_id}')


async def test_a_revisit_without_scores_is_refused_under_the_fields(user: User, team: Team) -> None:
    account_id = due_revisit(team, 'Blank Ltd')
    await login(user, team.rep_a.email)
    await user.open(f'/customers/{account_id}')
    await user.should_see(marker='revisit-save', retries=50)
    user.find(marker='revisit-note').type('Called, no answer')
    user.find(marker='revisit-save').click()
    satisfaction = user.find(marker='revisit-satisfaction').elements.pop()
    await until(lambda: satisfaction.error == 'Required')  # type: ignore[attr-defined]
    assert user.find(marker='revisit-nps').elements.pop().error == 'Required'  # type: ignore[attr-defined]
    assert revisits(team) == [] and len(open_tasks(team)) == 1


async def test_a_rep_sees_only_own_due_revisits(user: User, team: Team) -> None:
    mine = due_revisit(team, 'Mine Care')
    theirs, _ = won_deal(team, team.rep_b, 'Theirs Care')
    team.desk.automation.tick(team.desk.ctx.now() + timedelta(days=91))
    await login(user, team.rep_a.email)
    await my_day(user)
    await user.should_see(marker=f'due-revisit-{mine}', retries=50)
    await user.should_not_see(marker=f'due-revisit-{theirs}')
    await user.should_not_see('Theirs Care')


async def test_manager_edits_the_care_plan_with_field_errors(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/customers')
    await user.should_see(marker='care-plan-form', retries=50)
    vip = user.find(marker='care-vip-days').elements.pop()
    vip.set_value(-3)
    user.find(marker='care-plan-save').click()
    await until(lambda: vip.error == 'Out of range')  # type: ignore[attr-defined]
    assert team.desk.care.plan().vip_days == 30
    vip.set_value(14)
    user.find(marker='care-regular-days').elements.pop().set_value(45)
    user.find(marker='care-plan-save').click()
    await until(lambda: team.desk.care.plan().vip_days == 14)
    assert (team.desk.care.plan().regular_days, vip.error) == (45, None)  # type: ignore[attr-defined]


async def test_reps_get_no_care_plan_form(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/customers')
    await user.should_see(marker='customers', retries=50)
    await user.should_not_see(marker='care-plan-form')


async def test_repurchase_badge_and_repeat_revenue(user: User, team: Team) -> None:
    won_deal(team, team.rep_a, 'Again Co', amount='10000')
    _, second = won_deal(team, team.rep_a, 'Again Co', amount='3000')
    _, first_only = converted(team, team.rep_a, company='Fresh Co')
    await login(user, team.manager.email)
    await user.open(f'/opportunities/{second}')
    await user.should_see(marker='opp-repeat', retries=50)
    await user.open(f'/opportunities/{first_only}')
    await user.should_see(marker='opp-stage', retries=50)
    await user.should_not_see(marker='opp-repeat')
    await user.open('/reports')
    await user.should_see(marker='panel-repeat', retries=50)
    user.find(marker='report-start').elements.pop().set_value('2026-01-01')  # the deals were won on the
    user.find(marker='report-end').elements.pop().set_value('2026-12-31')  # test desk's fixed clock
    await user.should_see('Repeat: ¥3,000 · 1 won', retries=100)
    await user.should_see('New: ¥10,000 · 1 won')


async def test_the_care_tables_export_from_the_reports_page(user: User, team: Team) -> None:
    import csv
    import io

    account_id = due_revisit(team, 'Export Corp')
    team.desk.care.record_revisit(team.rep_a, account_id, satisfaction=5, nps=10, note='')
    await login(user, team.manager.email)
    await user.open('/reports')
    await user.should_see(marker='table-care-tier', retries=100)
    user.find(marker='report-start').elements.pop().set_value('2026-01-01')  # the revisit is dated by the
    user.find(marker='report-end').elements.pop().set_value('2026-12-31')  # test desk's fixed clock
    await user.should_see('NPS 100', retries=100)
    user.find(marker='export-care-nps-csv').click()
    response = await user.download.next(timeout=10)
    assert response.content.startswith(b'\xef\xbb\xbf')  # Excel reads the Chinese right
    rows = list(csv.DictReader(io.StringIO(response.content.decode('utf-8-sig'))))
    assert [(r['key'], r['answers'], r['promoters'], r['nps']) for r in rows] == [('regular', '1', '1', '100.0')]
