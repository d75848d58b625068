"""Settings: admins manage users and keys; managers steer capacity and the demo stream."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from core.accounts.auth import hash_api_key
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


def snippet(user: User, marker: str) -> str:
    element = user.find(marker=marker).elements.pop()
    assert isinstance(element, ui.code)
    return element.content


async def test_embed_snippets_point_at_the_form(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    await user.should_see(marker='form-link-contact')
    assert '<iframe src="http://test/f/contact"' in snippet(user, 'form-iframe-contact')
    form = snippet(user, 'form-snippet-contact')
    assert '<form method="post" action="http://test/f/contact"' in form
    assert 'name="phone"' in form and 'name="website"' in form and '姓名' in form  # the form's language


async def test_manager_edits_what_a_form_asks_and_who_may_embed_it(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/settings')
    user.find(marker='form-edit-contact').click()
    await user.should_see(marker='form-save', retries=50)
    user.find(marker='form-set-language').elements.pop().set_value('en')
    for field in ('company', 'title', 'region', 'city', 'need', 'timeline', 'budget', 'phone'):
        user.find(marker=f'form-field-{field}').elements.pop().set_value(False)
    user.find(marker='form-up-email').click()  # email above phone, then above name
    await asyncio.sleep(0.1)
    user.find(marker='form-up-email').click()
    await asyncio.sleep(0.1)
    user.find(marker='form-set-consent').type('I agree to be contacted.')
    user.find(marker='form-set-redirect').type('javascript:alert(1)')
    user.find(marker='form-set-origins').type('https://www.acme.example\nnot a site')
    user.find(marker='form-save').click()
    await user.should_see('Enter a full http:// or https:// address', retries=50)
    await user.should_see('Enter sites as https://example.com', retries=50)
    [form] = team.desk.access.web_forms(team.admin)
    assert (form.language, form.allowed_origins) == ('zh-CN', [])  # nothing saved
    user.find(marker='form-set-redirect').clear()
    user.find(marker='form-set-origins').clear().type('https://WWW.acme.example/')
    user.find(marker='form-save').click()
    await user.should_see('Saved', retries=50)
    [form] = team.desk.access.web_forms(team.admin)
    assert (form.language, form.fields, form.allowed_origins, form.consent_text, form.redirect_url) == (
        'en', ['email', 'name', 'message'], ['https://www.acme.example'], 'I agree to be contacted.', None)
    page = await user.http_client.get('/f/contact')
    assert '<html lang="en">' in page.text and 'I agree to be contacted.' in page.text
    assert page.text.index('name="email"') < page.text.index('name="name"') < page.text.index('name="message"')


async def test_admin_renames_a_stage_and_adds_one(user: User, team: Team) -> None:
    first = team.desk.pipeline.stages()[0]
    await login(user, team.admin.email)
    await user.open('/settings')
    row = user.find(marker=f'stage-{first.id}').elements.pop()
    name_zh = next(e for e in row.descendants() if isinstance(e, ui.input) and e.value == first.name_zh)
    name_zh.set_value('需求确认（新）')
    user.find(marker=f'stage-save-{first.id}').click()
    await user.should_see('Saved', retries=50)
    assert team.desk.pipeline.stages()[0].name_zh == '需求确认（新）'
    user.find(marker='stage-add').click()
    for _ in range(60):
        if len(team.desk.pipeline.stages()) == 7:
            break
        await asyncio.sleep(0.05)
    assert [s.name_en for s in team.desk.pipeline.stages()].count('New stage') == 1


async def test_archiving_the_only_won_stage_is_refused(user: User, team: Team) -> None:
    won = next(s for s in team.desk.pipeline.stages() if s.kind == 'won')
    await login(user, team.admin.email)
    await user.open('/settings')
    row = user.find(marker=f'stage-{won.id}').elements.pop()
    next(e for e in row.descendants() if isinstance(e, ui.switch)).set_value(True)
    user.find(marker=f'stage-save-{won.id}').click()
    await user.should_see('Keep at least one open, one won and one lost stage', retries=50)
    assert any(s.id == won.id for s in team.desk.pipeline.stages())


async def test_manager_does_not_see_the_stage_editor(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/settings')
    await user.should_not_see(marker='stage-add')


async def test_admin_adds_a_lost_reason_that_the_pipeline_offers(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker='lost-reason-add').click()
    for _ in range(60):
        if any(en == 'New reason' for _k, en, _zh in team.desk.pipeline.lost_reasons()):
            break
        await asyncio.sleep(0.05)
    assert [zh for _k, en, zh in team.desk.pipeline.lost_reasons() if en == 'New reason'] == ['新原因']
