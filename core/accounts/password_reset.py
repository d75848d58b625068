"""Password reset by email: someone who forgot their password asks for a link at the login page; the
link reaches the account's own address through the email outbox and sets a new password once.

Offered only when SMTP is set up *and* the public address is configured (`LEADDESK_PUBLIC_URL`): the
link is built from that, never from the request's Host header, which whoever asks controls (a link
to their own site would hand them the token). The answer to the asker is the same whether or not the
address has an account. Only the token's SHA-256 is kept; it works once, for an hour, and a newer
request within two minutes of the last one sends nothing more (a form pressed twice, or someone
flooding an inbox).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from core.accounts import auth
from core.accounts.signin import replace_password
from core.context import Context, audit
from core.errors import ValidationFailed
from core.integrations.smtp import DEFAULT_LANGUAGE, configured
from core.leads.normalize import normalize_email
from store import email_outbox, queries
from store.audit_actions import AuditAction
from store.models import EmailKind, PasswordResetToken, User

LIFETIME = timedelta(hours=1)
RESEND_AFTER = timedelta(minutes=2)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PasswordResetService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def available(self) -> bool:
        """Whether the login page offers "forgot password" (SMTP set up and a public address known)."""
        if not self.ctx.settings.public_url:
            return False
        with self.ctx.read() as session:
            return configured(session)

    def request(self, email: str) -> None:
        """Queue a reset link to the account with this address, if there is an active one; says
        nothing either way (the page tells everyone the same)."""
        if not self.available():
            return
        address = normalize_email(email)
        token = secrets.token_urlsafe(32)
        now = self.ctx.now()
        with self.ctx.write() as session:
            user = queries.user_by_email(session, address) if address else None
            if user is None or not user.is_active or user.id is None:
                return
            latest = session.execute(sa.select(sa.func.max(col(PasswordResetToken.expires_at)))
                                     .where(col(PasswordResetToken.user_id) == user.id)).scalar()
            if latest is not None and latest - LIFETIME > now - RESEND_AFTER:
                return
            session.add(PasswordResetToken(token_hash=_digest(token), user_id=user.id, expires_at=now + LIFETIME))
            email_outbox.insert(session, to_address=user.email, language=user.language or DEFAULT_LANGUAGE,
                                kind=EmailKind.PASSWORD_RESET, user_id=user.id, now=now,
                                params={'token': token, 'name': user.name})
            audit(session, AuditAction.PASSWORD_RESET_MAILED, now=now, subject_user_id=user.id,
                  reason_key='reason.password_reset_mailed', user=user.name)

    def reset(self, token: str, password: str) -> str:
        """Set a new password with an emailed token: every session of the user ends, the address's
        lock is lifted, the token is used up. Returns the account's address (the login form fills
        it in). `token` unknown, used or expired → ValidationFailed({'token': 'expired_link'})."""
        hashed = auth.new_password_hash(password)
        now = self.ctx.now()
        with self.ctx.write() as session:
            row = session.get(PasswordResetToken, _digest(token or ''))
            user = session.get(User, row.user_id) if row is not None else None
            if row is None or user is None or row.used_at is not None or row.expires_at <= now or not user.is_active:
                raise ValidationFailed({'token': 'expired_link'})
            row.used_at = now
            session.add(row)
            ended = replace_password(session, user, hashed, must_change=False, now=now)
            audit(session, AuditAction.PASSWORD_RESET_BY_LINK, now=now, actor_id=user.id, subject_user_id=user.id,
                  reason_key='reason.password_reset_by_link', user=user.name)
            address = user.email
        if ended:
            self.ctx.events.publish(self.ctx.events.sessions_ended, ended)
        return address
