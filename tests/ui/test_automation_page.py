"""Automation settings: managers edit the policy, the preview shows what the timer will do,
admins run the timer by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from nicegui import ui
from nicegui.testing import User

from core.automation.policy import Policy
from tests import factories
from tests.ui.conftest import Team, login


def field(user: User, marker: str) -> ui.element:
    return user.find(marker=marker).elements.pop()


async def until(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def preview_rows(user: User) -> list[dict]:
    table = field(user, 'timer-preview')
    assert isinstance(table, ui.table)
    return table.rows


async def open_page(user: User, email: str) -> None:
    await login(user, email)
    await user.open('/automation')
    await user.should_see(marker='policy-save', retries=50)


async def test_manager_changes_claim_limit_and_sla_hours(user: User, team: Team) -> None:
    await open_page(user, team.manager.email)
    assert field(user, 'policy-claim-limit').value == Policy().claim_limit
    field(user, 'policy-claim-limit').set_value(4)
    field(user, 'policy-sla-A').set_value(8)
    user.find(marker='policy-save').click()
    assert await until(lambda: team.desk.policy().claim_limit == 4)
    policy = team.desk.policy()
    assert policy.sla_hours == {'A': 8.0, 'B': 72.0, 'C': 168.0}
    assert policy.calendar == Policy().calendar


async def test_calendar_is_saved_from_the_form(user: User, team: Team) -> None:
    await open_page(user, team.manager.email)
    field(user, 'policy-weekdays').set_value([0, 1, 2, 3, 4, 5])
    field(user, 'policy-start').set_value('08:30')
    field(user, 'policy-holidays').set_value('2026-10-01\n2026-10-02\n')
    field(user, 'policy-extra-workdays').set_value('2026-09-27')
    user.find(marker='policy-save').click()
    assert await until(lambda: team.desk.policy().calendar.start.isoformat() == '08:30:00')
    calendar = team.desk.policy().calendar.to_dict()
    assert calendar['weekdays'] == [0, 1, 2, 3, 4, 5]
    assert calendar['holidays'] == ['2026-10-01', '2026-10-02']
    assert calendar['extra_workdays'] == ['2026-09-27']


async def test_out_of_range_value_is_refused_and_nothing_stored(user: User, team: Team) -> None:
    await open_page(user, team.manager.email)
    field(user, 'policy-claim-limit').set_value(20000)
    field(user, 'policy-sla-A').set_value(8)
    user.find(marker='policy-save').click()
    error = field(user, 'policy-error')
    assert await until(lambda: 'claim_limit' in error.text)
    assert '10000' in error.text
    assert field(user, 'policy-claim-limit').error  # shown next to the field too
    assert user.notify.messages
    assert team.desk.policy() == Policy()
    assert field(user, 'policy-claim-limit').value == 20000  # what was typed stays for correction
    assert field(user, 'policy-sla-A').value == 8


async def test_bad_holiday_is_refused(user: User, team: Team) -> None:
    await open_page(user, team.manager.email)
    field(user, 'policy-holidays').set_value('2026-13-40')
    user.find(marker='policy-save').click()
    error = field(user, 'policy-error')
    assert await until(lambda: 'holidays' in error.text)
    assert field(user, 'policy-holidays').error
    assert team.desk.policy() == Policy()


async def test_restore_defaults(user: User, team: Team) -> None:
    team.desk.set_policy(team.manager, {'claim_limit': 3, 'sla_hours': {'A': 2, 'B': 3, 'C': 4}})
    await open_page(user, team.manager.email)
    assert field(user, 'policy-claim-limit').value == 3
    user.find(marker='policy-defaults').click()
    assert await until(lambda: team.desk.policy() == Policy())
    assert await until(lambda: field(user, 'policy-claim-limit').value == Policy().claim_limit)
    assert field(user, 'policy-sla-A').value == Policy().sla_hours['A']


async def test_rep_is_not_allowed(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/automation')
    await user.should_see(marker='not-allowed')
    await user.should_not_see(marker='policy-save')
    await user.should_not_see(marker='timer-preview')


async def test_only_admins_see_run_timer(user: User, team: Team) -> None:
    await open_page(user, team.manager.email)
    await user.should_not_see(marker='run-timer')


async def test_admin_runs_the_timer_and_gets_a_report(user: User, team: Team) -> None:
    await open_page(user, team.admin.email)
    user.find(marker='run-timer').click()
    assert await until(lambda: len(user.notify.messages) == 1)
    nothing_due = user.notify.messages[0]
    # Captured at the test clock's date, months ago: its first response is long overdue.
    result = team.desk.leads.capture_lead(factories.lead_data(name='Overdue Lead'), channel='manual',
                                          default_source='manual')
    assert result.owner_id is not None
    user.find(marker='run-timer').click()
    assert await until(lambda: len(user.notify.messages) == 2)
    assert user.notify.messages[1] != nothing_due
    view = team.desk.leads.lead_view(team.admin, result.lead_id)
    assert {'sla_breached', 'assigned'} <= {entry.action for entry, _actor in view.audit}
    assert view.lead.owner_id != result.owner_id  # reassigned after the grace period


async def test_preview_lists_a_lead_whose_sla_breaches_within_a_day(user: User, team: Team) -> None:
    # Every hour of every day is working time, so a one-hour SLA ends within a day whenever this runs.
    always = {'weekdays': list(range(7)), 'start': '00:00', 'end': '23:59'}
    team.desk.set_policy(team.manager, {'sla_hours': {'A': 1, 'B': 1, 'C': 1}, 'calendar': always})
    now = datetime.now(UTC)
    result = team.desk.leads.capture_lead(factories.lead_data(name='Soon Due'), channel='manual',
                                          default_source='manual', now=now)
    lead = team.desk.leads.lead_view(team.admin, result.lead_id).lead
    assert lead.owner_id is not None and lead.sla_due_at is not None
    assert now < lead.sla_due_at.replace(tzinfo=UTC) <= now + timedelta(hours=24)
    await open_page(user, team.manager.email)
    assert await until(lambda: any(r['lead'] == 'Soon Due' for r in preview_rows(user)))
    row = next(r for r in preview_rows(user) if r['lead'] == 'Soon Due' and r['action'] == 'sla_breach')
    assert row['lead_id'] == result.lead_id
    assert row['owner'] == result.owner_name
    assert row['at']


async def test_preview_refreshes(user: User, team: Team) -> None:
    await open_page(user, team.manager.email)
    await asyncio.sleep(0.2)
    assert preview_rows(user) == []
    team.desk.leads.capture_lead(factories.lead_data(name='Later Lead'), channel='manual', default_source='manual')
    user.find(marker='timer-preview-refresh').click()
    assert await until(lambda: any(r['lead'] == 'Later Lead' for r in preview_rows(user)))


def test_every_action_the_preview_lists_has_a_label_in_both_languages() -> None:
    """The preview shows every timer step (core/automation/due.py), the 'no rep' outcome and the upload
    housekeeping: each has its own words, in English and Chinese."""
    from core.automation.timer import STEPS
    from ui.i18n import catalog
    from ui.pages.automation import action_label

    actions = (*STEPS, 'sla_no_rep', 'expired_uploads')
    labels = {action_label(a) for a in actions}
    assert len(labels) == len(actions) and not labels & set(actions)
    keys = {'preview.sla_no_rep', *(f'preview.{a}' for a in actions if a != 'care'), 'care.step'}
    for language in ('en', 'zh-CN'):
        assert keys <= catalog(language).keys(), language
