"""desk.team: first run, login throttling, sessions, user permissions."""

from __future__ import annotations

import pytest

from core.accounts.views import INBOX_DEFAULT
from core.clock import FakeClock
from core.desk import Desk
from core.errors import LockedOut, LoginFailed, NotAllowed, ValidationFailed
from store import config_version
from store.engine import read_session
from store.models import LoginThrottle, Role, User
from tests.factories import PASSWORD, admin, user

from .db import get, rows

WRONG = 'wrong-password-1'


def throttle(desk: Desk, email: str) -> LoginThrottle | None:
    """The count and lock kept for an address (None: no wrong password counted)."""
    with read_session(desk.ctx.engine) as session:
        return session.get(LoginThrottle, email)


def fail_logins(desk: Desk, email: str, times: int) -> list[type[Exception]]:
    raised: list[type[Exception]] = []
    for _ in range(times):
        with pytest.raises((LoginFailed, LockedOut)) as info:
            desk.team.login(email, WRONG)
        raised.append(type(info.value))
    return raised


# ----- first run ---------------------------------------------------------------------------------

def test_first_admin_is_created_on_empty_database(desk: Desk) -> None:
    assert desk.team.needs_setup()
    ref = desk.team.create_first_admin(email='Boss@Example.com', name='Boss', password=PASSWORD)
    stored = get(desk, User, ref.id)
    assert (stored.email, stored.role, ref.role) == ('boss@example.com', 'admin', 'admin')
    assert not desk.team.needs_setup()


def test_first_admin_can_be_created_only_once(desk: Desk) -> None:
    desk.team.create_first_admin(email='a@example.com', name='A', password=PASSWORD)
    with pytest.raises(NotAllowed):
        desk.team.create_first_admin(email='b@example.com', name='B', password=PASSWORD)
    assert [u.email for u in rows(desk, User)] == ['a@example.com']


def test_first_admin_validates_email_and_password(desk: Desk) -> None:
    with pytest.raises(ValidationFailed) as info:
        desk.team.create_first_admin(email='nope', name='', password='short')
    assert info.value.errors == {'email': 'invalid_email', 'password': 'too_short', 'name': 'required'}
    assert desk.team.needs_setup()


def test_password_is_stored_as_argon2_hash(desk: Desk) -> None:
    boss = admin(desk)
    rep = user(desk)
    for ref in (boss, rep):
        stored = get(desk, User, ref.id).password_hash
        assert stored.startswith('$argon2')
        assert PASSWORD not in stored


def test_duplicate_email_is_taken(desk: Desk) -> None:
    boss = admin(desk)
    with pytest.raises(ValidationFailed) as info:
        desk.team.create_user(boss, email='ADMIN@example.com', name='X', password=PASSWORD, role=Role.REP)
    assert info.value.errors == {'email': 'taken'}


def test_only_admin_creates_users(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    with pytest.raises(NotAllowed):
        desk.team.create_user(manager, email='new@example.com', name='New', password=PASSWORD, role=Role.REP)
    assert not rows(desk, User, User.email == 'new@example.com')


# ----- login -------------------------------------------------------------------------------------

def test_login_with_right_password_returns_user_and_a_ticket_for_the_cookie(desk: Desk) -> None:
    boss = admin(desk)
    ref, ticket = desk.team.login(' Admin@Example.COM ', PASSWORD)
    assert (ref.id, ref.role) == (boss.id, 'admin')
    started = desk.sessions.start(ticket)
    assert started is not None
    signed_in = desk.sessions.resolve(started[0])
    assert signed_in is not None and signed_in.user.id == boss.id


def test_login_unknown_email_fails(desk: Desk) -> None:
    admin(desk)
    with pytest.raises(LoginFailed):
        desk.team.login('ghost@example.com', PASSWORD)


def test_four_wrong_passwords_are_plain_failures(desk: Desk) -> None:
    boss = admin(desk)
    assert fail_logins(desk, boss.email, 4) == [LoginFailed] * 4
    assert throttle(desk, boss.email).failures == 4
    assert desk.team.login(boss.email, PASSWORD)[0].id == boss.id


def test_successful_login_resets_failure_count(desk: Desk) -> None:
    boss = admin(desk)
    fail_logins(desk, boss.email, 4)
    desk.team.login(boss.email, PASSWORD)
    assert throttle(desk, boss.email) is None
    assert fail_logins(desk, boss.email, 4) == [LoginFailed] * 4
    assert throttle(desk, boss.email).failures == 4


def test_fifth_wrong_password_locks_account(desk: Desk, clock: FakeClock) -> None:
    boss = admin(desk)
    assert fail_logins(desk, boss.email, 5)[-1] is LockedOut
    stored = throttle(desk, boss.email)
    assert stored.locked_until is not None and stored.locked_until > clock.now()


def test_right_password_while_locked_is_refused_with_wait(desk: Desk, clock: FakeClock) -> None:
    boss = admin(desk)
    fail_logins(desk, boss.email, 5)
    clock.advance(seconds=10)
    with pytest.raises(LockedOut) as info:
        desk.team.login(boss.email, PASSWORD)
    assert 0 < info.value.params['seconds'] <= 30
    assert throttle(desk, boss.email).failures == 5


def test_lock_ends_after_wait(desk: Desk, clock: FakeClock) -> None:
    boss = admin(desk)
    fail_logins(desk, boss.email, 5)
    clock.advance(seconds=31)
    ref, _ = desk.team.login(boss.email, PASSWORD)
    assert (ref.id, throttle(desk, boss.email)) == (boss.id, None)


def test_each_further_failure_doubles_the_wait(desk: Desk, clock: FakeClock) -> None:
    boss = admin(desk)
    fail_logins(desk, boss.email, 5)
    clock.advance(seconds=31)
    with pytest.raises(LockedOut) as info:
        desk.team.login(boss.email, WRONG)
    assert info.value.params['seconds'] == 60


def test_deactivated_user_cannot_log_in(desk: Desk) -> None:
    boss = admin(desk)
    rep = user(desk)
    desk.team.update_user(boss, rep.id, {'is_active': False})
    with pytest.raises(LoginFailed):
        desk.team.login(rep.email, PASSWORD)


def test_deactivated_user_session_ends(desk: Desk) -> None:
    boss = admin(desk)
    rep = user(desk)
    token = desk.sessions.start(desk.team.login(rep.email, PASSWORD)[1])[0]  # type: ignore[index]
    assert desk.sessions.resolve(token) is not None
    desk.team.update_user(boss, rep.id, {'is_active': False})
    assert desk.sessions.resolve(token) is None
    desk.team.update_user(boss, rep.id, {'is_active': True})
    assert desk.sessions.resolve(token) is None  # ended, not paused


def test_logout_everywhere_ends_old_sessions(desk: Desk) -> None:
    rep = user(desk)
    ref, ticket = desk.team.login(rep.email, PASSWORD)
    token = desk.sessions.start(ticket)[0]  # type: ignore[index]
    desk.team.logout_everywhere(ref)
    assert desk.sessions.resolve(token) is None


# ----- view choices: the inbox columns each user chose (remembered per user, not configuration) -----

def test_inbox_columns_default_until_chosen_then_per_user(desk: Desk) -> None:
    a, b = user(desk), user(desk, Role.MANAGER)
    assert desk.team.inbox_columns(a) == list(INBOX_DEFAULT)
    assert desk.team.set_inbox_columns(a, ['created', 'name']) == ['name', 'created']
    assert desk.team.inbox_columns(a) == ['name', 'created']
    assert desk.team.inbox_columns(b) == list(INBOX_DEFAULT)


def test_custom_columns_follow_the_built_in_ones_in_the_order_chosen(desk: Desk) -> None:
    a = user(desk)
    chosen = ['custom.vip', 'name', 'custom.product', 'grade']
    assert desk.team.set_inbox_columns(a, chosen) == ['grade', 'name', 'custom.vip', 'custom.product']
    assert desk.team.inbox_columns(a) == ['grade', 'name', 'custom.vip', 'custom.product']


@pytest.mark.parametrize('columns', [[], ['name', 'password'], ['name', 'custom.'], ['name', 'custom.Bad key']])
def test_inbox_columns_refuse_none_or_unknown(desk: Desk, columns: list[str]) -> None:
    with pytest.raises(ValidationFailed):
        desk.team.set_inbox_columns(user(desk), columns)


def test_a_column_choice_is_not_a_configuration_change(desk: Desk) -> None:
    """Capture re-reads rules and policy when the configuration token moves: a view choice must not move it."""
    rep = user(desk)
    with desk.ctx.read() as session:
        before = config_version.current(session)
    desk.team.set_inbox_columns(rep, ['name'])
    with desk.ctx.read() as session:
        assert config_version.current(session) == before
