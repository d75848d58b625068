"""The SMTP settings (admins, on the settings page) and the email actions a user takes: saving them,
queueing a test message, reading how a message went.

The settings are one JSON app setting (`smtp`) without the password; the password is its own
setting, sealed with the data folder's key (core/integrations/secret_box.py), or comes from
`LEADDESK_SMTP_PASSWORD`, which wins. Email is "set up" when a host and a sender address are saved;
nothing is queued before that (notifications stay in the bell, reset links are not offered).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core import permissions
from core.context import Context, audit
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.integrations import secret_box
from core.leads.normalize import clean_text, normalize_email
from core.settings import Settings
from store import email_outbox, queries
from store.audit_actions import AuditAction
from store.models import AppSetting, DeliveryStatus, EmailKind, EmailMessage, User, UserRef

SETTINGS_KEY = 'smtp'
PASSWORD_KEY = 'smtp_password'
DEFAULT_LANGUAGE = 'zh-CN'


class TlsMode(StrEnum):
    NONE = 'none'
    """Plain SMTP (a relay on the same host or network)."""
    STARTTLS = 'starttls'
    """Connect in the clear, then upgrade (port 587); the certificate is verified."""
    SSL = 'ssl'
    """TLS from the first byte (port 465); the certificate is verified."""


DEFAULT_PORTS = {TlsMode.NONE: 25, TlsMode.STARTTLS: 587, TlsMode.SSL: 465}


@dataclass(frozen=True, slots=True)
class SmtpView:
    """The settings as the page shows them: never the password, only whether there is one."""

    host: str = ''
    port: int = DEFAULT_PORTS[TlsMode.STARTTLS]
    tls: TlsMode = TlsMode.STARTTLS
    username: str = ''
    sender_address: str = ''
    sender_name: str = 'LeadDesk'
    password_stored: bool = False
    password_from_env: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender_address)


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """What the mailer connects with (the password opened): never leaves core."""

    view: SmtpView
    password: str


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    to_address: str
    kind: str
    status: str
    attempts: int
    error: str | None
    created_at: datetime | None
    delivered_at: datetime | None


def smtp_view(session: Any, settings: Settings) -> SmtpView:
    raw = queries.setting(session, SETTINGS_KEY)
    stored = json.loads(raw) if raw else {}
    return SmtpView(host=stored.get('host', ''), port=int(stored.get('port') or DEFAULT_PORTS[TlsMode.STARTTLS]),
                    tls=TlsMode(stored.get('tls') or TlsMode.STARTTLS), username=stored.get('username', ''),
                    sender_address=stored.get('sender_address', ''),
                    sender_name=stored.get('sender_name', 'LeadDesk'),
                    password_stored=bool(queries.setting(session, PASSWORD_KEY)),
                    password_from_env=bool(settings.smtp_password))


def configured(session: Any) -> bool:
    """Whether email can be queued (a host and a sender are saved): one primary-key read, cheap enough
    for every notification."""
    raw = queries.setting(session, SETTINGS_KEY)
    stored = json.loads(raw) if raw else {}
    return bool(stored.get('host') and stored.get('sender_address'))


def smtp_config(session: Any, settings: Settings) -> SmtpConfig:
    """The settings with the password opened (the environment's wins); raises SecretUnreadable when
    the stored one does not open with the key file (replaced or lost: the admin enters it again)."""
    view = smtp_view(session, settings)
    if settings.smtp_password:
        return SmtpConfig(view, settings.smtp_password)
    sealed = queries.setting(session, PASSWORD_KEY)
    return SmtpConfig(view, secret_box.open_sealed(settings.data_dir, sealed) if sealed else '')


def _text(values: Mapping[str, Any], name: str, limit: int) -> str:
    return clean_text(str(values.get(name) or ''), max_length=limit + 1) or ''


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values cleaned; every bad field named at once. An empty host switches email off."""
    errors: dict[str, str] = {}
    host = _text(values, 'host', 253)
    if len(host) > 253 or any(c.isspace() or c in '/@' for c in host):
        errors['host'] = 'invalid'
    tls = values.get('tls') or TlsMode.STARTTLS
    if tls not in TlsMode.__members__.values():
        errors['tls'] = 'invalid'
        tls = TlsMode.STARTTLS
    raw_port = str(values.get('port') or '').strip()
    port = DEFAULT_PORTS[TlsMode(tls)]
    if raw_port:
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            errors['port'] = 'invalid'
        else:
            port = int(raw_port)
    username = _text(values, 'username', 254)
    if len(username) > 254:
        errors['username'] = 'too_long'
    sender = str(values.get('sender_address') or '').strip()
    address = normalize_email(sender) if sender else ''
    if sender and (address is None or len(sender) > 254):
        errors['sender_address'] = 'invalid'
    elif host and not sender:
        errors['sender_address'] = 'required'
    name = _text(values, 'sender_name', 100)
    if len(name) > 100:
        errors['sender_name'] = 'too_long'
    if len(str(values.get('password') or '')) > 500:
        errors['password'] = 'too_long'
    if errors:
        raise ValidationFailed(errors)
    return {'host': host, 'port': port, 'tls': str(tls), 'username': username, 'sender_address': sender,
            'sender_name': name or 'LeadDesk'}


def message_view(m: EmailMessage) -> MessageView:
    return MessageView(id=m.id or 0, to_address=m.to_address, kind=m.kind, status=m.status, attempts=m.attempts,
                       error=m.error, created_at=m.created_at, delivered_at=m.delivered_at)


class MailService:
    """The admins' email settings and test button; every action one transaction."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _check(self, actor: UserRef) -> None:
        if not permissions.can_manage_webhooks(actor):  # (talking to outside servers: admins only)
            raise NotAllowed()

    def settings(self, actor: UserRef) -> SmtpView:
        self._check(actor)
        with self.ctx.read() as session:
            return smtp_view(session, self.ctx.settings)

    def is_configured(self) -> bool:
        """Whether email is set up (the account page offers the email channel only then)."""
        with self.ctx.read() as session:
            return configured(session)

    def save(self, actor: UserRef, values: Mapping[str, Any]) -> SmtpView:
        """Save the settings; audited (whether a password is stored, never the password). `password`
        empty keeps the stored one; `clear_password` removes it."""
        self._check(actor)
        clean = validate(values)
        password = str(values.get('password') or '')
        sealed = secret_box.seal(self.ctx.settings.data_dir, password) if password else None  # (outside the lock)
        now = self.ctx.now()
        with self.ctx.write() as session:
            session.merge(AppSetting(key=SETTINGS_KEY, value=json.dumps(clean, ensure_ascii=False)))
            if sealed is not None:
                session.merge(AppSetting(key=PASSWORD_KEY, value=sealed))
            elif values.get('clear_password'):
                if (row := session.get(AppSetting, PASSWORD_KEY)) is not None:
                    session.delete(row)
            session.flush()
            view = smtp_view(session, self.ctx.settings)
            audit(session, AuditAction.SMTP_SETTINGS, now=now, actor_id=actor.id, reason_key='email.reason.saved',
                  host=clean['host'] or '-', password_stored=view.password_stored)
            return view

    def send_test(self, actor: UserRef) -> int:
        """Queue a test message to the admin's own address (the mailer sends it, never this call);
        returns its id for `message` to follow."""
        self._check(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            if not configured(session):
                raise ValidationFailed({'host': 'required'})
            user = session.get(User, actor.id)
            if user is None:
                raise NotFound()
            return email_outbox.insert(session, to_address=user.email, language=user.language or DEFAULT_LANGUAGE,
                                       kind=EmailKind.TEST, user_id=user.id, now=now)

    def message(self, actor: UserRef, message_id: int) -> MessageView:
        self._check(actor)
        with self.ctx.read() as session:
            found = session.get(EmailMessage, message_id)
            if found is None:
                raise NotFound()
            return message_view(found)

    def recent(self, actor: UserRef) -> list[MessageView]:
        """The newest messages and how they went (the settings page's log)."""
        self._check(actor)
        with self.ctx.read() as session:
            return [message_view(m) for m in email_outbox.recent(session)]


__all__ = ['DeliveryStatus', 'MailService', 'SmtpConfig', 'SmtpView', 'TlsMode']
