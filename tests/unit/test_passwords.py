"""desk.team passwords: changing one's own, an admin's reset, the console, and a login throttle that
tells a guesser nothing about which addresses exist."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher

from core.accounts import auth
from core.clock import FakeClock
from core.desk import Desk
from core.errors import DomainError, LockedOut, LoginFailed, NotAllowed, NotFound, ValidationFailed
from store.audit_actions import AuditAction
from store.engine import read_session
from store.models import AuditEntry, LoginThrottle, Role, User
from tests.factories import PASSWORD, admin, user

from .db import get, race, rows

NEW = 'a-new-secret-42'
WRONG = 'wrong-password-1'



def signed_in(desk: Desk, email: str, password: str = PASSWORD) -> str:
    """Log in and exchange the ticket as `/session/start` does: the cookie's token."""
    _, ticket = desk.team.login(email, password)
    started = desk.sessions.start(ticket)
    assert started is not None
    return started[0]

def throttle(desk: Desk, email: str) -> LoginThrottle | None:
    with read_session(desk.ctx.engine) as session:
        return session.get(LoginThrottle, email)


def outcome(call: Any) -> tuple[str, dict[str, Any]]:
    """What the login page would show: the error's code and parameters."""
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code, info.value.params


def password_audit(desk: Desk, action: AuditAction) -> list[AuditEntry]:
    return rows(desk, AuditEntry, AuditEntry.action == action)


class CountingHasher(PasswordHasher):
    """argon2's own hasher, counting its calls (a spy on the library; nothing of ours is replaced)."""

    def __init__(self) -> None:
        super().__init__()
        self.verified = 0
        self.hashed = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashed += 1
        return super().hash(password, salt=salt)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    spy = CountingHasher()
    monkeypatch.setattr(auth, '_hasher', spy)
    return spy


# ----- change your own ---------------------------------------------------------------------------

def test_change_password_lets_the_new_one_in_and_the_old_one_out(desk: Desk) -> None:
    rep = user(desk)
    desk.team.change_password(rep, PASSWORD, NEW)
    assert desk.team.login(rep.email, NEW)[0].id == rep.id
    assert outcome(lambda: desk.team.login(rep.email, PASSWORD)) == ('login_failed', {})


def test_change_password_refuses_a_wrong_current_password(desk: Desk) -> None:
    rep = user(desk)
    with pytest.raises(ValidationFailed) as info:
        desk.team.change_password(rep, WRONG, NEW)
    assert info.value.errors == {'current_password': 'wrong_password'}
    assert desk.team.login(rep.email, PASSWORD)[0].id == rep.id


def test_wrong_current_passwords_count_like_wrong_logins(desk: Desk) -> None:
    rep = user(desk)
    for _ in range(4):
        with pytest.raises(ValidationFailed):
            desk.team.change_password(rep, WRONG, NEW)
    assert throttle(desk, rep.email).failures == 4
    with pytest.raises(LockedOut):
        desk.team.change_password(rep, WRONG, NEW)
    with pytest.raises(LockedOut):  # the right one too, while locked: the form is no way around the lock
        desk.team.change_password(rep, PASSWORD, NEW)
    assert outcome(lambda: desk.team.login(rep.email, PASSWORD))[0] == 'locked_out'


@pytest.mark.parametrize(('new', 'code'), [('short', 'too_short'), ('x' * 1025, 'too_long'),
                                            (PASSWORD, 'same_password')])
def test_change_password_refuses_a_weak_or_unchanged_new_one(desk: Desk, new: str, code: str) -> None:
    rep = user(desk)
    before = get(desk, User, rep.id)
    with pytest.raises(ValidationFailed) as info:
        desk.team.change_password(rep, PASSWORD, new)
    assert info.value.errors == {'new_password': code}
    after = get(desk, User, rep.id)
    assert (after.password_hash, after.session_version) == (before.password_hash, before.session_version)


def test_change_password_ends_the_other_sessions_and_keeps_the_acting_one(desk: Desk) -> None:
    rep = user(desk)
    here, elsewhere = signed_in(desk, rep.email), signed_in(desk, rep.email)
    kept = desk.sessions.resolve(here)
    assert kept is not None
    ended = desk.team.change_password(rep, PASSWORD, NEW, keep=kept.id)
    assert desk.sessions.resolve(elsewhere) is None and len(ended) == 1
    assert desk.sessions.resolve(here) is not None


def test_change_password_is_audited_without_the_password(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    desk.team.change_password(rep, PASSWORD, NEW)
    [entry] = password_audit(desk, AuditAction.PASSWORD_CHANGED)
    assert (entry.actor_id, entry.subject_user_id, entry.created_at) == (rep.id, rep.id, clock.now())
    assert NEW not in repr(entry) and PASSWORD not in repr(entry)


def test_a_deactivated_user_cannot_change_a_password(desk: Desk) -> None:
    boss, rep = admin(desk), user(desk)
    desk.team.update_user(boss, rep.id, {'is_active': False})
    with pytest.raises(NotAllowed):
        desk.team.change_password(rep, PASSWORD, NEW)


# ----- an admin's reset --------------------------------------------------------------------------

def test_reset_gives_a_temporary_password_that_must_be_changed(desk: Desk) -> None:
    boss, rep = admin(desk), user(desk)
    old = signed_in(desk, rep.email)
    temporary = desk.team.reset_password(boss, rep.id)
    assert len(temporary) == 14 and auth.password_problem(temporary) is None
    assert desk.sessions.resolve(old) is None  # their sessions end at once
    assert outcome(lambda: desk.team.login(rep.email, PASSWORD)) == ('login_failed', {})
    token = signed_in(desk, rep.email, temporary)
    now = desk.sessions.resolve(token)
    assert now is not None and now.user.must_change_password
    desk.team.change_password(now.user, temporary, NEW, keep=now.id)
    after = desk.sessions.resolve(token)
    assert after is not None and not after.user.must_change_password
    assert not get(desk, User, rep.id).must_change_password


def test_reset_lifts_the_lock(desk: Desk) -> None:
    boss, rep = admin(desk), user(desk)
    for _ in range(5):
        with pytest.raises(DomainError):
            desk.team.login(rep.email, WRONG)
    temporary = desk.team.reset_password(boss, rep.id)
    assert desk.team.login(rep.email, temporary)[0].id == rep.id


def test_reset_is_audited_with_who_did_it(desk: Desk, clock: FakeClock) -> None:
    boss, rep = admin(desk), user(desk)
    temporary = desk.team.reset_password(boss, rep.id)
    [entry] = password_audit(desk, AuditAction.PASSWORD_RESET)
    assert (entry.actor_id, entry.subject_user_id, entry.created_at) == (boss.id, rep.id, clock.now())
    assert temporary not in repr(entry)


@pytest.mark.parametrize('role', [Role.MANAGER, Role.MARKETING, Role.REP])
def test_only_an_admin_resets_a_password(desk: Desk, role: Role) -> None:
    actor, rep = user(desk, role), user(desk)
    with pytest.raises(NotAllowed):
        desk.team.reset_password(actor, rep.id)
    assert desk.team.login(rep.email, PASSWORD)[0].id == rep.id


def test_an_admin_resets_not_their_own_password(desk: Desk) -> None:
    boss = admin(desk)
    with pytest.raises(NotAllowed) as info:
        desk.team.reset_password(boss, boss.id)
    assert info.value.code == 'reset_self'


def test_reset_of_an_unknown_user_is_not_found(desk: Desk) -> None:
    with pytest.raises(NotFound):
        desk.team.reset_password(admin(desk), 9999)


# ----- the console -------------------------------------------------------------------------------

def test_console_sets_a_password_ends_sessions_and_audits_with_no_actor(desk: Desk) -> None:
    rep = user(desk)
    old = signed_in(desk, rep.email)
    desk.team.set_password_from_console(rep.email.upper(), NEW)
    assert desk.sessions.resolve(old) is None
    ref, _ = desk.team.login(rep.email, NEW)
    assert not ref.must_change_password
    [entry] = password_audit(desk, AuditAction.PASSWORD_SET_CONSOLE)
    assert (entry.actor_id, entry.subject_user_id) == (None, rep.id) and NEW not in repr(entry)


def test_console_temporary_password_must_be_changed(desk: Desk) -> None:
    rep = user(desk)
    desk.team.set_password_from_console(rep.email, NEW, must_change=True)
    assert desk.team.login(rep.email, NEW)[0].must_change_password


def test_console_refuses_an_unknown_email_and_a_short_password(desk: Desk) -> None:
    rep = user(desk)
    with pytest.raises(NotFound):
        desk.team.set_password_from_console('ghost@example.com', NEW)
    with pytest.raises(ValidationFailed) as info:
        desk.team.set_password_from_console(rep.email, 'short')
    assert info.value.errors == {'password': 'too_short'}


# ----- guessing tells nothing about who exists ---------------------------------------------------

def _six_wrong(desk: Desk, email: str) -> list[tuple[str, dict[str, Any]]]:
    return [outcome(lambda: desk.team.login(email, WRONG)) for _ in range(6)]


def test_unknown_known_and_deactivated_addresses_get_identical_answers(desk: Desk, clock: FakeClock) -> None:
    boss, gone = admin(desk), user(desk)
    desk.team.update_user(boss, gone.id, {'is_active': False})
    answers = {}
    for email in (boss.email, 'ghost@example.com', gone.email):
        answers[email] = _six_wrong(desk, email)
        clock.advance(seconds=1)  # each address's lock is counted from its own failures
    expected = [('login_failed', {})] * 4 + [('locked_out', {'seconds': 30}), ('locked_out', {'seconds': 30})]
    assert answers == {boss.email: expected, 'ghost@example.com': expected, gone.email: expected}


def test_the_lock_doubles_for_an_unknown_address_as_for_a_known_one(desk: Desk, clock: FakeClock) -> None:
    boss = admin(desk)
    for email in (boss.email, 'ghost@example.com'):
        _six_wrong(desk, email)
        clock.advance(seconds=31)
    assert outcome(lambda: desk.team.login('ghost@example.com', WRONG)) == ('locked_out', {'seconds': 60})
    assert outcome(lambda: desk.team.login(boss.email, WRONG)) == ('locked_out', {'seconds': 60})


def test_a_deactivated_account_with_its_right_password_is_a_plain_failure(desk: Desk) -> None:
    boss, gone = admin(desk), user(desk)
    desk.team.update_user(boss, gone.id, {'is_active': False})
    assert outcome(lambda: desk.team.login(gone.email, PASSWORD)) == ('login_failed', {})
    assert throttle(desk, gone.email).failures == 1


def test_unknown_addresses_are_counted_by_their_normalised_form(desk: Desk) -> None:
    admin(desk)
    for email in ('Ghost@Example.com', ' ghost@example.COM ', 'ghost@example.com'):
        outcome(lambda e=email: desk.team.login(e, WRONG))
    assert throttle(desk, 'ghost@example.com').failures == 3


def test_every_attempt_verifies_one_argon2_hash_whoever_the_address(desk: Desk, hasher: CountingHasher) -> None:
    boss, gone = admin(desk), user(desk)
    desk.team.update_user(boss, gone.id, {'is_active': False})
    auth.dummy_hash()  # made once per process (not per attempt): its one hash is not counted below
    counts = {}
    for email in (boss.email, 'ghost@example.com', gone.email, 'not-an-email'):
        hasher.verified = hasher.hashed = 0
        outcome(lambda e=email: desk.team.login(e, WRONG))
        counts[email] = (hasher.verified, hasher.hashed)
    assert counts == {boss.email: (1, 0), 'ghost@example.com': (1, 0), gone.email: (1, 0), 'not-an-email': (1, 0)}


def test_a_locked_address_verifies_nothing_whoever_it_is(desk: Desk, hasher: CountingHasher) -> None:
    boss = admin(desk)
    for email in (boss.email, 'ghost@example.com'):
        _six_wrong(desk, email)
    hasher.verified = 0
    outcome(lambda: desk.team.login(boss.email, PASSWORD))
    outcome(lambda: desk.team.login('ghost@example.com', PASSWORD))
    assert hasher.verified == 0


def test_a_lock_of_an_existing_account_is_audited(desk: Desk) -> None:
    boss = admin(desk)
    _six_wrong(desk, boss.email)
    _six_wrong(desk, 'ghost@example.com')
    assert [(e.subject_user_id, e.reason_params) for e in password_audit(desk, AuditAction.LOGIN_LOCKED)] == \
        [(boss.id, {'failures': 5})]


def test_failures_a_day_old_are_forgotten(desk: Desk, clock: FakeClock) -> None:
    boss = admin(desk)
    for _ in range(4):
        outcome(lambda: desk.team.login(boss.email, WRONG))
    outcome(lambda: desk.team.login('ghost@example.com', WRONG))
    clock.advance(hours=25)
    assert outcome(lambda: desk.team.login(boss.email, WRONG)) == ('login_failed', {})
    assert throttle(desk, boss.email).failures == 1
    assert throttle(desk, 'ghost@example.com') is None  # pruned: made-up addresses do not pile up


def test_two_first_failures_at_once_both_count(desk: Desk) -> None:
    admin(desk)
    results = race(lambda: desk.team.login('ghost@example.com', WRONG),
                   lambda: desk.team.login('ghost@example.com', WRONG))
    assert [type(r) for r in results] == [LoginFailed, LoginFailed]
    assert throttle(desk, 'ghost@example.com').failures == 2
