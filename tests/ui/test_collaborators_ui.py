"""Collaborators in the UI (issue 22): the owner adds a colleague on the lead page (read or edit) and
removes them again; the collaborator finds the lead in their inbox, sees "shared with you", may log
an activity but (with read access) not edit; the opportunity and customer pages carry the panel too."""

from __future__ import annotations

import asyncio

from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import Access, AuditEntry, Collaborator, RecordKind
from tests import factories
from tests.ui.conftest import Team, login
from tests.ui.test_custom_fields_ui import element, until
from tests.ui.test_customers_page import won_deal
from tests.ui.test_inbox_page import _app_desk, table_names, wait_rows


def lina_lead(team: Team, name: str = 'Shared Harbour Co') -> int:
    return team.desk.leads.capture_lead(factories.lead_data(name=name), channel='manual', default_source='manual',
                                        actor=team.rep_a, keep_for_actor=True).lead_id


def collaborators(team: Team) -> list[tuple[str, int, int, str]]:
    with read_session(team.desk.ctx.engine) as s:
        return [(c.kind, c.record_id, c.user_id, c.access) for c in s.exec(select(Collaborator)).all()]


async def test_the_owner_adds_a_colleague_with_edit_access_and_removes_them(user: User, team: Team) -> None:
    lead_id = lina_lead(team)
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see('No collaborators yet')
    element(user, 'collaborator-user').set_value(team.rep_b.id)
    element(user, 'collaborator-access').set_value('edit')
    user.find(marker='collaborator-add').click()
    await user.should_see(marker=f'collaborator-{team.rep_b.id}', retries=60)
    assert collaborators(team) == [('lead', lead_id, team.rep_b.id, 'edit')]
    user.find(marker=f'collaborator-remove-{team.rep_b.id}').click()
    await user.should_see('No collaborators yet', retries=60)
    assert collaborators(team) == []
    with read_session(team.desk.ctx.engine) as s:
        actions = [a.action for a in s.exec(select(AuditEntry).where(AuditEntry.lead_id == lead_id)).all()]
    assert 'collaborator_added' in actions and 'collaborator_removed' in actions


async def test_adding_without_a_colleague_says_so_and_adds_nothing(user: User, team: Team) -> None:
    lead_id = lina_lead(team)
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    user.find(marker='collaborator-add').click()
    picker = element(user, 'collaborator-user')
    assert await until(lambda: picker.error is not None)
    assert collaborators(team) == []


async def test_a_read_collaborator_sees_the_lead_and_may_log_but_not_edit(user: User, team: Team) -> None:
    lead_id = lina_lead(team)
    team.desk.collaborators.add(team.rep_a, RecordKind.LEAD, lead_id, user_id=team.rep_b.id, access=Access.READ)
    await login(user, team.rep_b.email)
    await user.open('/')
    await user.should_see('Shared Harbour Co')
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='shared-with-you')
    await user.should_see('Shared with you · read')
    await user.should_see(marker='log-activity')
    await user.should_not_see(marker='collaborator-add')  # sharing further is the owner's decision
    await user.should_not_see(marker='tag-add')  # read access: fields and tags stay as they are
    await user.should_not_see(marker='disqualify')


async def test_a_stranger_is_refused_the_lead(user: User, team: Team) -> None:
    lead_id = lina_lead(team)
    await login(user, team.rep_b.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='not-allowed')


async def test_a_customer_shared_with_a_rep_brings_its_deal_and_page(user: User, team: Team) -> None:
    account_id, deal_id = won_deal(team, team.rep_a, 'Shared Customer Co')
    team.desk.collaborators.add(team.manager, RecordKind.CUSTOMER, account_id, user_id=team.rep_b.id,
                                access=Access.EDIT)
    await login(user, team.rep_b.email)
    await user.open(f'/customers/{account_id}')
    await user.should_see('Shared with you · edit')
    await user.should_see(marker=f'collaborator-{team.rep_b.id}')
    await user.open(f'/opportunities/{deal_id}')  # the customer's deal comes with it
    await user.should_see('Shared with you · edit')
    await user.should_see(marker='log-activity')


async def gone_from_rows(user: User, name: str) -> list[str]:
    for _ in range(200):  # a wait, not a speed check
        names = table_names(user)
        if name not in names:
            return names
        await asyncio.sleep(0.05)
    return table_names(user)


async def test_an_open_inbox_follows_what_is_shared_with_its_reader(user: User, team: Team) -> None:
    """Rep B's inbox is open when rep A shares a lead: it shows up, follows rep A's edits to it, and
    goes when rep A takes rep B off it — all without a reload (the events come through the app's desk)."""
    lead_id = lina_lead(team)
    await login(user, team.rep_b.email)
    await asyncio.sleep(0.2)
    assert 'Shared Harbour Co' not in table_names(user)
    desk = _app_desk()
    desk.collaborators.add(team.rep_a, RecordKind.LEAD, lead_id, user_id=team.rep_b.id, access=Access.READ)
    assert 'Shared Harbour Co' in await wait_rows(user, {'Shared Harbour Co'}, timeout=10)
    version = desk.leads.lead_view(team.rep_a, lead_id).lead.version
    desk.leads.update_lead(team.rep_a, lead_id, version=version, changes={'name': 'Harbour Renamed Co'})
    assert 'Harbour Renamed Co' in await wait_rows(user, {'Harbour Renamed Co'}, timeout=10)
    desk.collaborators.remove(team.rep_a, RecordKind.LEAD, lead_id, user_id=team.rep_b.id)
    assert 'Harbour Renamed Co' not in await gone_from_rows(user, 'Harbour Renamed Co')
