"""The header through NiceGUI's simulated user: the day's pages are links, the set-up pages sit in
one "Manage" menu holding only what the role may open, and a rep has no such menu."""

from __future__ import annotations

from nicegui.testing import User

from tests.ui.conftest import Team, login


async def test_admin_reaches_set_up_pages_through_the_manage_menu(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.should_see(marker='nav-manage')
    for marker in ('nav-automation', 'nav-rules', 'nav-playbooks', 'nav-duplicates', 'nav-settings',
                   'nav-webhooks'):
        await user.should_see(marker=marker)
    user.find(marker='nav-webhooks').click()
    await user.should_see(marker='webhook-add', retries=50)


async def test_manager_menu_lacks_admin_pages_and_rep_has_no_menu(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.should_see(marker='nav-rules')
    await user.should_not_see(marker='nav-webhooks')
    user.find(marker='nav-rules').click()
    await user.should_see(marker='new-rule-name', retries=50)
    user.find(marker='logout').click()
    await user.should_see(marker='login-submit', retries=50)  # /logout answered: signed out
    await login(user, team.rep_a.email)
    await user.should_see('Pipeline')
    await user.should_not_see(marker='nav-manage')
    await user.should_not_see(marker='nav-rules')


async def test_phone_drawer_holds_the_same_pages_as_the_header(user: User, team: Team) -> None:
    """Below 600 px the header's links hide (CSS) and ☰ opens a drawer with every page the role may
    open, the set-up pages included; Log out moves into the account menu."""
    await login(user, team.manager.email)
    drawer = user.find(marker='nav-drawer').elements.pop()
    assert drawer.value is False  # closed until ☰
    user.find(marker='nav-menu').click()
    assert drawer.value is True
    for marker in ('drawer-nav-inbox', 'drawer-nav-pool', 'drawer-nav-pipeline', 'drawer-nav-team',
                   'drawer-nav-rules', 'drawer-nav-settings'):
        await user.should_see(marker=marker)
    await user.should_not_see(marker='drawer-nav-webhooks')
    await user.should_see(marker='menu-logout')
    user.find(marker='drawer-nav-pipeline').click()
    await user.should_see(marker='board', retries=50)


async def test_rep_drawer_has_no_set_up_pages(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    user.find(marker='nav-menu').click()
    await user.should_see(marker='drawer-nav-pipeline')
    for marker in ('drawer-nav-rules', 'drawer-nav-team', 'drawer-nav-settings', 'drawer-nav-automation'):
        await user.should_not_see(marker=marker)
