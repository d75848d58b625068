"""Browser sessions kept on the server.

A browser that signs in holds one random token in an HttpOnly cookie; the server keeps the
token's SHA-256, the user, the user's `session_version` at login and when the session started,
was last seen and ended. Pages look the token up once per request (one indexed read), so two
requests of one browser can never race over per-browser state, and ending a session is one
UPDATE that every page, socket and process can see.

Login is two steps because only an HTTP response can set an HttpOnly cookie, while the password
is checked in the login page's websocket handler: `new_ticket` (inside the login transaction)
records a row holding a short-lived one-time ticket, and `SessionService.start` — run by the
HTTP route the page then navigates to — swaps the ticket for a fresh token. Every login is a
new row with a new id and a new token (no fixation).

Ending sessions publishes `events.sessions_ended(ids)` after the commit: the UI closes every
open page of those sessions at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from core.accounts.reach import with_reach
from core.accounts.view_as import as_viewed
from core.context import Context
from core.leads.normalize import clean_text
from store import sessions as store
from store.models import BrowserSession, SessionEnd, User, UserRef

TICKET_SECONDS = 60
"""How long the login ticket waits for the browser to exchange it for the cookie."""
TOUCH_SECONDS = 300
"""`last_seen_at` is written at most this often per session (not on every page load)."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A valid browser session as a page sees it."""

    id: int
    user: UserRef


def hash_token(raw: str) -> str:
    """SHA-256: the tokens are 256 random bits, so a fast hash is enough (as for API keys)."""
    return hashlib.sha256(raw.encode('utf-8', 'surrogatepass')).hexdigest()


def new_ticket(session: Session, user: User, *, now: datetime, user_agent: str = '') -> str:
    """Record a login that still needs its cookie, inside the caller's (login) transaction; the
    returned ticket is good once, for TICKET_SECONDS (`SessionService.start`)."""
    ticket = secrets.token_urlsafe(32)
    session.add(BrowserSession(token_hash=hash_token(ticket), user_id=user.id or 0, user_version=user.session_version,
                               created_at=now, last_seen_at=now,
                               user_agent=(clean_text(user_agent, max_length=200) or '')[:200]))
    return ticket


def end_sessions(session: Session, user_id: int, *, now: datetime, reason: SessionEnd,
                 keep: int | None = None) -> list[int]:
    """End every open session (and waiting login ticket) of `user_id` but `keep`, inside the
    caller's transaction — a password change ends the user's other sessions in the same commit
    that stores the new hash. Returns the ended ids: publish `events.sessions_ended(ids)` after
    the commit so their open pages close."""
    ended: list[int] = []
    for row in store.open_of_user(session, user_id):
        if row.id == keep:
            continue
        row.ended_at, row.ended_reason = now, reason
        session.add(row)
        ended.append(row.id or 0)
    return ended


def _is_open(row: BrowserSession, user: User, now: datetime, idle: timedelta, longest: timedelta) -> bool:
    if row.ended_at is not None or row.started_at is None or not user.is_active:
        return False
    if user.session_version != row.user_version:
        return False
    return row.started_at > now - longest and (row.last_seen_at or row.started_at) > now - idle


class SessionService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def idle_limit(self) -> timedelta:
        return timedelta(days=self.ctx.settings.session_idle_days)

    @property
    def absolute_limit(self) -> timedelta:
        return timedelta(days=self.ctx.settings.session_days)

    def start(self, ticket: str, user_agent: str | None = None) -> tuple[str, UserRef] | None:
        """Exchange a login ticket for the session's token (the cookie's value) and its user, once
        and within TICKET_SECONDS; None for an unknown, used or late ticket."""
        if not ticket:
            return None
        now = self.ctx.now()
        token = secrets.token_urlsafe(32)
        with self.ctx.write() as session:
            found = store.by_token(session, hash_token(ticket))
            if found is None:
                return None
            row, user = found
            created = row.created_at or now
            if row.started_at is not None or row.ended_at is not None or created < now - timedelta(
                    seconds=TICKET_SECONDS) or not user.is_active or user.session_version != row.user_version:
                return None
            row.token_hash = hash_token(token)  # the ticket is spent: its hash is gone
            row.started_at = row.last_seen_at = now
            if user_agent:
                row.user_agent = (clean_text(user_agent, max_length=200) or '')[:200]
            session.add(row)
            ref = with_reach(session, user)
        return token, ref

    def resolve(self, token: str | None) -> SignedIn | None:
        """The session behind a cookie, or None once ended, expired, logged out everywhere or its
        user deactivated. One indexed read; a write only every TOUCH_SECONDS."""
        if not token:
            return None
        now = self.ctx.now()
        with self.ctx.read() as session:
            found = store.by_token(session, hash_token(token))
            if found is None:
                return None
            row, user = found
            if not _is_open(row, user, now, self.idle_limit, self.absolute_limit):
                return None
            signed_in = SignedIn(id=row.id or 0, user=as_viewed(session, row, user) or with_reach(session, user))
            stale = (row.last_seen_at or now) < now - timedelta(seconds=TOUCH_SECONDS)
        if stale:
            with self.ctx.write() as session:
                store.touch(session, signed_in.id, now)
        return signed_in

    def session_user(self, session_id: int) -> UserRef | None:
        """The user of a still-open session (a page's socket connecting, the team changing)."""
        now = self.ctx.now()
        with self.ctx.read() as session:
            found = store.by_id(session, session_id)
            if found is None or not _is_open(*found, now, self.idle_limit, self.absolute_limit):
                return None
            return as_viewed(session, *found) or with_reach(session, found[1])

    def logout(self, token: str | None) -> int | None:
        """End the session behind this cookie (the logout route); its id, or None if none was open."""
        if not token:
            return None
        now = self.ctx.now()
        with self.ctx.write() as session:
            found = store.by_token(session, hash_token(token))
            if found is None or found[0].ended_at is not None:
                return None
            row = found[0]
            row.ended_at, row.ended_reason = now, SessionEnd.LOGOUT
            session.add(row)
            ended = row.id or 0
        self.ctx.events.publish(self.ctx.events.sessions_ended, [ended])
        return ended

    def sweep(self) -> list[int]:
        """End the sessions past the idle or absolute limit and the tickets never exchanged (the
        timer); pages still open on them close. A read first: most ticks end nothing."""
        now = self.ctx.now()
        limits = {'idle_before': now - self.idle_limit, 'started_before': now - self.absolute_limit,
                  'ticket_before': now - timedelta(seconds=TICKET_SECONDS)}
        with self.ctx.read() as session:
            if not store.stale(session, **limits):
                return []
        with self.ctx.write() as session:
            rows = store.stale(session, **limits)
            for row in rows:
                row.ended_at, row.ended_reason = now, SessionEnd.EXPIRED
                session.add(row)
            ended = [row.id or 0 for row in rows]
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)
        return ended
