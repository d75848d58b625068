"""Settings: admins manage users and keys; managers steer capacity and the demo stream."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from core.auth import hash_api_key
from store.engine import read_session
from store.models import ApiKey
from store.models import User as UserRow
from tests.ui.conftest import Team, login


def user_row(team: Team, email: str) -> UserRow | None:
    with read_session(team.desk.ctx.engine) as s:
        return s.exec(select(UserRow).where(UserRow.email == email)).first()


async def test_admin_creates_a_rep(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker='new-user').click()
    user.find(marker='user-name').type('Rep Sun')
    user.find(marker='user-email').type('Sun@Example.com')
    user.find(marker='user-password').type('sunny-days-1')
    user.find(marker='user-save').click()
    for _ in range(60):
        if user_row(team, 'sun@example.com') is not None:
            break
        await asyncio.sleep(0.05)
    created = user_row(team, 'sun@example.com')
    assert created is not None and created.role == 'rep' and created.password_hash.startswith('$argon2')


async def test_duplicate_email_is_refused_next_to_the_field(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker='new-user').click()
    user.find(marker='user-name').type('Again')
    user.find(marker='user-email').type(team.rep_a.email)
    user.find(marker='user-password').type('long-enough-1')
    user.find(marker='user-save').click()
    await user.should_see('Already in use', retries=50)


async def test_admin_deactivates_a_user(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker=f'active-{team.rep_b.id}').elements.pop().set_value(False)
    for _ in range(50):
        row = user_row(team, team.rep_b.email)
        if row is not None and not row.is_active:
            break
        await asyncio.sleep(0.05)
    row = user_row(team, team.rep_b.email)
    assert row is not None and not row.is_active


async def test_manager_sets_capacity_and_leave(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/settings')
    user.find(marker=f'capacity-{team.rep_a.id}').elements.pop().set_value(42)
    user.find(marker=f'leave-{team.rep_a.id}').elements.pop().set_value(True)
    for _ in range(60):
        row = user_row(team, team.rep_a.email)
        if row is not None and row.capacity == 42 and row.is_on_leave:
            break
        await asyncio.sleep(0.05)
    row = user_row(team, team.rep_a.email)
    assert row is not None and (row.capacity, row.is_on_leave) == (42, True)
    await user.should_not_see(marker='new-user')
    await user.should_not_see(marker='key-create')


async def test_api_key_is_shown_once_and_stored_hashed(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker='key-name').type('Website')
    user.find(marker='key-create').click()
    await user.should_see(marker='new-key', retries=50)
    shown = user.find(marker='new-key').elements.pop()
    assert isinstance(shown, ui.code)
    raw = shown.content.strip()
    with read_session(team.desk.ctx.engine) as s:
        [key] = s.exec(select(ApiKey))
    assert key.name == 'Website' and key.key_hash == hash_api_key(raw) and raw not in key.key_hash


async def test_embed_snippet_points_at_the_form(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    await user.should_see(marker='form-link-contact')
