"""Sending the email outbox, outside every request: the email channel of the outbox loop
(core/integrations/outbox_loop.py: lease, backoff, giving up, telling the admins).

Each round claims the due messages (store/email_outbox.py), opens one SMTP connection (smtplib, in a
worker thread: the event loop never waits on a mail server) and sends them one by one. A refusal the
server calls temporary (4xx), a connection that fails and a login the server refuses are retried
with backoff (30 s, 1 min, 2 min … at most 30 min) until the message is two days old; a refusal it
calls permanent (5xx: no such mailbox, message rejected) fails the message at once. Either way the
message shows how it went on the settings page, and giving up is in the audit trail and told to the
admins. Delivery is at least once (a process that dies after the server's answer and before the
record sends again after the lease): `X-LeadDesk-Message` names the message.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage as MimeMessage

from core.context import Context
from core.integrations import secret_box
from core.integrations.email_render import render
from core.integrations.formats import Translate, untranslated
from core.integrations.outbox_loop import OutboxLoop
from core.integrations.smtp import SmtpConfig, TlsMode, smtp_config
from store import email_outbox
from store import outbox as outbox_store
from store.audit_actions import AuditAction
from store.models import DeliveryStatus, EmailKind, EmailMessage

KEEP_SENT = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Sent:
    ok: bool
    error: str | None = None
    permanent: bool = False
    """The server refused for good (5xx): no retry."""


def _refusal(e: smtplib.SMTPException) -> Sent:
    code = getattr(e, 'smtp_code', None)
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in e.recipients.values()]
        code = min(codes) if codes else None
    text = f'{type(e).__name__}: {e}'[:300]
    permanent = code is not None and code >= 500 and not isinstance(e, smtplib.SMTPAuthenticationError)
    return Sent(False, text, permanent)


def send_all(config: SmtpConfig, messages: Sequence[MimeMessage], timeout: float) -> list[Sent]:
    """Send over one connection (blocking: run in a thread). A connection or login failure fails
    every message of the round (each is retried on its own backoff)."""
    view = config.view
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if view.tls == TlsMode.SSL:
            client = smtplib.SMTP_SSL(view.host, view.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(view.host, view.port, timeout=timeout)
        with client:
            if view.tls == TlsMode.STARTTLS:
                client.starttls(context=context)
            if view.username:
                client.login(view.username, config.password)
            out: list[Sent] = []
            for mime in messages:
                try:
                    client.send_message(mime)
                    out.append(Sent(True))
                except smtplib.SMTPServerDisconnected as e:
                    out += [Sent(False, f'{type(e).__name__}: {e}'[:300])] * (len(messages) - len(out))
                    break
                except smtplib.SMTPException as e:
                    out.append(_refusal(e))
            return out
    except smtplib.SMTPException as e:  # the greeting, STARTTLS or the login refused
        return [_refusal(e)] * len(messages)
    except (OSError, ValueError) as e:  # refused, unreachable, timed out, TLS handshake
        return [Sent(False, f'{type(e).__name__}: {e}'[:300])] * len(messages)


class Mailer(OutboxLoop):
    label = 'email'

    def __init__(self, ctx: Context, *, base: float = 30.0, cap: float = 1800.0,
                 max_age: timedelta = timedelta(days=2), lease: timedelta = timedelta(minutes=5),
                 timeout: float = 20.0, poll_seconds: float = 1.0) -> None:
        super().__init__(ctx, base=base, cap=cap, max_age=max_age, lease=lease, poll_seconds=poll_seconds)
        self.timeout = timeout
        self.translate: Translate = untranslated

    def prune(self, now: datetime) -> None:
        with self.ctx.write() as session:
            outbox_store.prune_delivered(session, now - KEEP_SENT, email_outbox.TABLE)

    async def deliver_due(self) -> int:
        claimed, config, refused = await asyncio.to_thread(self._claim)
        if not claimed:
            return 0
        now = self.ctx.now()
        if config is None:
            results = [Sent(False, refused)] * len(claimed)
        else:
            try:
                mimes = [render(m, config.view, translate=self.translate, public_url=self.ctx.settings.public_url,
                                now=now) for m in claimed]
            except Exception as e:  # a message that cannot be rendered must not block the rest for ever
                results = [Sent(False, f'render: {type(e).__name__}: {e}'[:300], permanent=True)] * len(claimed)
            else:
                results = await asyncio.to_thread(send_all, config, mimes, self.timeout)
        await asyncio.to_thread(self._record, claimed, results)
        return len(claimed)

    def _claim(self) -> tuple[list[EmailMessage], SmtpConfig | None, str | None]:
        now = self.ctx.now()
        with self.ctx.read() as session:
            if not outbox_store.any_due(session, now, email_outbox.TABLE):  # the idle poll: one index probe
                return [], None, None
        with self.ctx.write() as session:
            claimed = email_outbox.claim_due(session, now, now + self.lease)
            if not claimed:
                return [], None, None
            try:
                config = smtp_config(session, self.ctx.settings)
            except secret_box.SecretUnreadable:
                return claimed, None, 'The stored SMTP password cannot be read (key file changed): enter it again'
            if not config.view.configured:
                return claimed, None, 'SMTP is not set up'
            return claimed, config, None

    def _record(self, claimed: Sequence[EmailMessage], results: Sequence[Sent]) -> None:
        now = self.ctx.now()
        given_up = 0
        with self.ctx.write() as session:
            for message, sent in zip(claimed, results, strict=True):
                values, next_at = self.attempt_values(attempts_before=message.attempts, created_at=message.created_at,
                                                      ok=sent.ok, error=sent.error, now=now)
                if sent.permanent and not sent.ok:
                    values.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
                    next_at = None
                outbox_store.record(session, message.id or 0, table=email_outbox.TABLE, **values)
                if next_at is None and message.kind == EmailKind.PASSWORD_RESET:
                    email_outbox.wipe_params(session, message.id or 0)
                if next_at is None and not sent.ok:
                    given_up += 1
        if given_up:
            self.tell_gave_up(AuditAction.EMAIL_GAVE_UP, 'email.reason.gave_up', 'email.notify.gave_up',
                              {'count': given_up})
