"""The lead page's way to a deal: qualify (BANT) and convert to an opportunity in one step."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from nicegui import ui
from nicegui.testing import User
from sqlmodel import func, select

from store.engine import read_session
from store.models import Account, Contact, Lead, Opportunity, UserRef
from tests import factories
from tests.ui.conftest import Team, login

BANT = {'need': 'CRM for 20 reps', 'budget': '50万', 'authority': 'CTO Wu', 'timeline': 'this quarter'}


def contacted_lead(team: Team, rep: UserRef | None = None, **fields: Any) -> int:
    """A lead the rep owns and has called (status contacted)."""
    rep = rep or team.rep_a
    data = factories.lead_data(**fields)
    lead_id = team.desk.leads.capture_lead(data, channel='manual', default_source='manual', actor=rep,
                                           keep_for_actor=True).lead_id
    team.desk.leads.log_activity(rep, lead_id, kind='call', outcome='First call')
    return lead_id


def qualified_lead(team: Team, rep: UserRef | None = None, **fields: Any) -> int:
    rep = rep or team.rep_a
    lead_id = contacted_lead(team, rep, **(BANT | fields))
    team.desk.leads.qualify_lead(rep, lead_id)
    return lead_id


def converted(team: Team, rep: UserRef | None = None, amount: str = '12500', **fields: Any) -> tuple[int, int]:
    """(lead_id, opportunity_id) of a converted lead."""
    rep = rep or team.rep_a
    lead_id = qualified_lead(team, rep, **fields)
    opportunity_id = team.desk.pipeline.convert_lead(rep, lead_id, amount=amount, expected_close=date(2030, 6, 30))
    return lead_id, opportunity_id


def lead(team: Team, lead_id: int) -> Lead:
    with read_session(team.desk.ctx.engine) as s:
        found = s.get(Lead, lead_id)
        assert found is not None
        return found


def count(team: Team, table: type) -> int:
    with read_session(team.desk.ctx.engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def opportunities(team: Team, lead_id: int) -> list[Opportunity]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(Opportunity).where(Opportunity.lead_id == lead_id)))


async def proceed_past_checklist(user: User) -> None:
    """The default playbook's items are open: the page asks once before moving on (issue 11)."""
    await user.should_see(marker='playbook-open-proceed', retries=60)
    user.find(marker='playbook-open-proceed').click()


async def until(check: Any, tries: int = 80) -> None:
    for _ in range(tries):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


async def test_qualify_flags_missing_bant_then_qualifies(user: User, team: Team) -> None:
    lead_id = contacted_lead(team, name='Half Known', budget='20万')
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='qualify').click()
    await user.should_see('Required', retries=50)
    flagged = {name for name in ('need', 'budget', 'authority', 'timeline')
               if user.find(marker=f'field-{name}').elements.pop().error}
    assert flagged == {'need', 'authority', 'timeline'}
    assert lead(team, lead_id).status == 'contacted'
    user.find(marker='field-need').type('Ticketing')
    user.find(marker='field-authority').type('Owner Ma')
    user.find(marker='field-timeline').type('May')
    user.find(marker='qualify').click()
    await proceed_past_checklist(user)
    await until(lambda: lead(team, lead_id).status == 'qualified')
    saved = lead(team, lead_id)
    assert (saved.need, saved.authority, saved.timeline) == ('Ticketing', 'Owner Ma', 'May')
    await user.should_see(marker='convert', retries=50)


async def test_qualify_is_offered_only_to_a_contacted_lead(user: User, team: Team) -> None:
    lead_id = qualified_lead(team, name='Ready')
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='convert')
    await user.should_not_see(marker='qualify')


async def test_convert_creates_one_opportunity_account_and_contact(user: User, team: Team) -> None:
    lead_id = qualified_lead(team, name='Chen Jie', company='Huaxin Tech')
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='convert').click()
    await user.should_see(marker='convert-amount', retries=50)
    assert user.find(marker='convert-decision-maker').elements.pop().value == 'CTO Wu'
    assert user.find(marker='convert-name').elements.pop().value == 'Huaxin Tech'
    user.find(marker='convert-amount').type('12,500.50')
    user.find(marker='convert-close').type('2030-06-30')
    user.find(marker='convert-submit').click()
    await proceed_past_checklist(user)
    await until(lambda: len(opportunities(team, lead_id)) == 1)
    [o] = opportunities(team, lead_id)
    assert (o.name, o.amount_cents, o.expected_close) == ('Huaxin Tech', 1_250_050, date(2030, 6, 30))
    assert (o.decision_maker, o.need, o.budget, o.timeline) == ('CTO Wu', BANT['need'], BANT['budget'],
                                                                 BANT['timeline'])
    assert (count(team, Account), count(team, Contact)) == (1, 1)
    assert lead(team, lead_id).status == 'converted'
    await user.should_see(marker='opp-name-title', retries=50)  # landed on the new opportunity


async def test_convert_asks_for_amount_and_close_date(user: User, team: Team) -> None:
    lead_id = qualified_lead(team, name='Not Yet')
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='convert').click()
    user.find(marker='convert-submit').click()
    await user.should_see('Required', retries=50)
    assert user.find(marker='convert-amount').elements.pop().error
    assert user.find(marker='convert-close').elements.pop().error
    assert opportunities(team, lead_id) == []
    assert lead(team, lead_id).status == 'qualified'


async def test_converting_twice_creates_one_opportunity(user: User, team: Team) -> None:
    lead_id = qualified_lead(team, name='Double Click')
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='convert').click()
    user.find(marker='convert-amount').type('8000')
    user.find(marker='convert-close').type('2030-01-31')
    submit = user.find(marker='convert-submit')
    submit.click()
    submit.click()
    await proceed_past_checklist(user)
    await until(lambda: lead(team, lead_id).status == 'converted')
    await asyncio.sleep(0.3)
    assert len(opportunities(team, lead_id)) == 1
    assert (count(team, Opportunity), count(team, Contact)) == (1, 1)


async def test_converted_lead_is_read_only_and_links_to_its_opportunity(user: User, team: Team) -> None:
    lead_id, opportunity_id = converted(team, name='Done Deal')
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='opportunity-link')
    link = user.find(marker='opportunity-link').elements.pop()
    assert isinstance(link, ui.link) and link.props['href'] == f'/opportunities/{opportunity_id}'
    # the inputs stay hidden (no pencil, below) and are read-only besides
    company = [e for e in user.client.elements.values() if e.props.get('data-testid') == 'field-company']
    assert len(company) == 1 and 'readonly' in company[0].props
    for marker in ('edit-contact', 'edit-qualify', 'qualify', 'convert', 'log-activity', 'disqualify'):
        await user.should_not_see(marker=marker)
    user.find(marker='opportunity-link').click()
    await user.should_see(marker='opp-name-title', retries=50)


async def test_returning_customer_lead_shows_existing_customer_badge(user: User, team: Team) -> None:
    from tests.ui.test_pipeline_page import make_opportunity

    desk = team.desk
    opportunity_id = make_opportunity(desk, team.rep_a, company='回头客科技有限公司')
    won = next(s for s in desk.pipeline.stages() if s.kind == 'won')
    version = desk.pipeline.opportunity_view(team.rep_a, opportunity_id).opportunity.version
    desk.pipeline.move_opportunity(team.rep_a, opportunity_id, to_stage_id=won.id, version=version)
    again = desk.leads.capture_lead({'name': '新联系人', 'phone': '13600001111', 'company': '回头客科技'},
                                    channel='api', default_source='api')
    assert again.owner_id == team.rep_a.id
    await login(user, team.manager.email)
    await user.open(f'/leads/{again.lead_id}')
    await user.should_see(marker='existing-customer')
