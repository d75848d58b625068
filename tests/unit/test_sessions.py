"""Browser sessions on the server (core/accounts/sessions.py): the login ticket, the cookie's token, ending
sessions one at a time or all of a user's, and expiry."""

from __future__ import annotations

import pytest

from core.accounts.sessions import TICKET_SECONDS, TOUCH_SECONDS, hash_token
from core.clock import FakeClock
from core.desk import Desk
from store.models import BrowserSession, SessionEnd, User
from tests.factories import PASSWORD, admin, user

from .db import get, rows


def sign_in(desk: Desk, email: str) -> str:
    """Log in and exchange the ticket, as the login page and `/session/start` do: the cookie's value."""
    _, ticket = desk.team.login(email, PASSWORD)
    started = desk.sessions.start(ticket, 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120')
    assert started is not None
    return started[0]


@pytest.fixture
def ended(desk: Desk) -> list[list[int]]:
    """Every `sessions_ended` the desk publishes."""
    seen: list[list[int]] = []
    desk.events.sessions_ended.subscribe(lambda ids: seen.append(list(ids)))
    return seen


def test_a_login_is_a_new_session_with_a_new_token(desk: Desk) -> None:
    rep = user(desk)
    first, second = sign_in(desk, rep.email), sign_in(desk, rep.email)
    assert first != second
    a, b = desk.sessions.resolve(first), desk.sessions.resolve(second)
    assert a is not None and b is not None and a.id != b.id and a.user.id == b.user.id == rep.id


def test_only_the_token_hash_is_stored(desk: Desk) -> None:
    rep = user(desk)
    token = sign_in(desk, rep.email)
    [row] = rows(desk, BrowserSession, BrowserSession.user_id == rep.id)
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert row.started_at is not None and row.ended_at is None and 'Chrome' in row.user_agent


def test_a_ticket_works_once(desk: Desk) -> None:
    rep = user(desk)
    _, ticket = desk.team.login(rep.email, PASSWORD)
    assert desk.sessions.resolve(ticket) is None  # a ticket is not a session
    assert desk.sessions.start(ticket) is not None
    assert desk.sessions.start(ticket) is None


def test_a_late_ticket_is_refused(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    _, ticket = desk.team.login(rep.email, PASSWORD)
    clock.advance(seconds=TICKET_SECONDS + 1)
    assert desk.sessions.start(ticket) is None


def test_unknown_or_empty_tokens_resolve_to_nobody(desk: Desk) -> None:
    user(desk)
    assert desk.sessions.resolve(None) is None
    assert desk.sessions.resolve('') is None
    assert desk.sessions.resolve('not-a-token') is None
    assert desk.sessions.start('forged') is None


def test_logout_ends_that_session_only(desk: Desk, ended: list[list[int]]) -> None:
    rep = user(desk)
    phone, laptop = sign_in(desk, rep.email), sign_in(desk, rep.email)
    ended_id = desk.sessions.logout(laptop)
    assert desk.sessions.resolve(laptop) is None
    assert desk.sessions.resolve(phone) is not None
    assert ended == [[ended_id]]
    assert get(desk, BrowserSession, ended_id).ended_reason == SessionEnd.LOGOUT
    assert desk.sessions.logout(laptop) is None  # twice: nothing more to end


def test_end_sessions_keeps_the_one_acting(desk: Desk, ended: list[list[int]]) -> None:
    """What a password change calls: every other session of the user ends, the acting one stays."""
    rep = user(desk)
    here, elsewhere, waiting = sign_in(desk, rep.email), sign_in(desk, rep.email), desk.team.login(rep.email,
                                                                                                    PASSWORD)[1]
    other = user(desk)
    theirs = sign_in(desk, other.email)
    keep = desk.sessions.resolve(here)
    assert keep is not None
    ids = desk.team.end_sessions(rep.id, keep=keep.id)
    assert len(ids) == 2 and ended == [ids]
    assert desk.sessions.resolve(here) is not None
    assert desk.sessions.resolve(elsewhere) is None
    assert desk.sessions.start(waiting) is None  # a login still waiting for its cookie ends too
    assert desk.sessions.resolve(theirs) is not None
    assert {r.ended_reason for r in rows(desk, BrowserSession, BrowserSession.user_id == rep.id)
            if r.ended_at} == {SessionEnd.PASSWORD}


def test_deactivation_and_log_out_everywhere_end_the_rows(desk: Desk, ended: list[list[int]]) -> None:
    boss = admin(desk)
    rep, other = user(desk), user(desk)
    rep_token, other_token = sign_in(desk, rep.email), sign_in(desk, other.email)
    desk.team.update_user(boss, rep.id, {'is_active': False})
    desk.team.logout_everywhere(other)
    assert desk.sessions.resolve(rep_token) is None and desk.sessions.resolve(other_token) is None
    reasons = {r.user_id: r.ended_reason for r in rows(desk, BrowserSession) if r.started_at}
    assert reasons[rep.id] == SessionEnd.DEACTIVATED and reasons[other.id] == SessionEnd.EVERYWHERE
    assert len(ended) == 2


def test_a_session_expires_when_idle(desk: Desk, clock: FakeClock, ended: list[list[int]]) -> None:
    rep = user(desk)
    token = sign_in(desk, rep.email)
    idle = desk.ctx.settings.session_idle_days
    clock.advance(days=idle - 1)
    assert desk.sessions.resolve(token) is not None  # seen: the idle limit counts from here
    clock.advance(days=idle - 1)
    assert desk.sessions.resolve(token) is not None
    clock.advance(days=idle + 0.01)
    assert desk.sessions.resolve(token) is None
    assert desk.sessions.sweep() == [desk_id(desk, token)]
    assert get(desk, BrowserSession, ended[0][0]).ended_reason == SessionEnd.EXPIRED


def test_a_session_ends_after_the_absolute_limit_however_active(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    token = sign_in(desk, rep.email)
    for _ in range(int(desk.ctx.settings.session_days)):
        assert desk.sessions.resolve(token) is not None
        clock.advance(days=1)
    clock.advance(minutes=1)
    assert desk.sessions.resolve(token) is None


def test_last_seen_is_written_every_few_minutes_not_every_page(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    token = sign_in(desk, rep.email)
    session_id = desk_id(desk, token)
    started = get(desk, BrowserSession, session_id).last_seen_at
    clock.advance(seconds=TOUCH_SECONDS - 1)
    desk.sessions.resolve(token)
    assert get(desk, BrowserSession, session_id).last_seen_at == started
    clock.advance(seconds=2)
    desk.sessions.resolve(token)
    assert get(desk, BrowserSession, session_id).last_seen_at == clock.now()


def test_the_sweep_ends_tickets_never_exchanged_and_leaves_live_sessions(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    token = sign_in(desk, rep.email)
    desk.team.login(rep.email, PASSWORD)  # a login whose browser never came for its cookie
    assert desk.sessions.sweep() == []
    clock.advance(seconds=TICKET_SECONDS + 1)
    assert len(desk.sessions.sweep()) == 1
    assert desk.sessions.resolve(token) is not None


def test_a_session_of_a_user_whose_version_moved_is_over(desk: Desk) -> None:
    """`session_version` stays a second lock: a bump made outside these functions still ends it."""
    rep = user(desk)
    token = sign_in(desk, rep.email)
    with desk.ctx.write() as session:
        row = session.get(User, rep.id)
        assert row is not None
        row.session_version += 1
        session.add(row)
    assert desk.sessions.resolve(token) is None


def desk_id(desk: Desk, token: str) -> int:
    [row] = rows(desk, BrowserSession, BrowserSession.token_hash == hash_token(token))
    return row.id or 0
