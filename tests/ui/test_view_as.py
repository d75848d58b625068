"""An admin's "view as" (read-only) in the app: Settings ▸ Users ▸ View as, then every page reads as
the user viewed (a department manager's customers only) under a banner naming them; the banner's
button ends it, and both ends are in the audit trail. (Writes refused in core while viewing:
tests/unit/test_scoped_reads.py.)"""

from __future__ import annotations

import asyncio

from nicegui.testing import User
from sqlmodel import col, select

from store.audit_actions import AuditAction
from store.engine import read_session
from store.models import AuditEntry, BrowserSession, Role
from tests import factories
from tests.ui.conftest import Team, login
from tests.ui.test_authz_matrix import until_shown
from tests.ui.test_customers_page import won_deal


async def test_admin_views_as_a_department_manager_read_only(user: User, team: Team) -> None:
    desk = team.desk
    boss = factories.user(desk, Role.MANAGER, name='Dept Manager Qian')
    east = desk.departments.add(None, 'East')
    for who in (boss, team.rep_a):
        desk.departments.place_user(None, who.id, east)
    desk.departments.set_scopes(team.admin, {Role.MANAGER: 'department_tree'})
    won_deal(team, team.rep_a, 'Alpha Deal')
    won_deal(team, team.rep_b, 'Bravo Deal')

    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker=f'view-as-{boss.id}').click()
    await user.should_see(marker='view-as-banner', retries=300)  # a wait (a loaded box), not a speed check
    await user.open('/customers')
    await user.should_see(marker='view-as-banner')
    await user.should_see('Dept Manager Qian')
    text = await until_shown(user, ('Alpha Deal',))  # table rows are props, not element text
    assert 'Alpha Deal' in text and 'Bravo Deal' not in text

    user.find(marker='view-as-end').click()
    for _ in range(300):  # the end runs off the event loop, then the page navigates: wait for both
        with read_session(desk.ctx.engine) as s:
            if not s.exec(select(BrowserSession).where(col(BrowserSession.viewing_as_id).is_not(None))).first():
                break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    await user.open('/customers')
    assert 'Bravo Deal' in await until_shown(user, ('Bravo Deal',))
    await user.should_not_see(marker='view-as-banner')
    with read_session(desk.ctx.engine) as s:
        lines = [(a.action, a.actor_id, a.subject_user_id) for a in s.exec(
            select(AuditEntry).where(AuditEntry.subject_user_id == boss.id).order_by(AuditEntry.id)).all()
            if a.action in (AuditAction.VIEW_AS_STARTED, AuditAction.VIEW_AS_ENDED)]
    assert lines == [(AuditAction.VIEW_AS_STARTED, team.admin.id, boss.id),
                     (AuditAction.VIEW_AS_ENDED, team.admin.id, boss.id)]
