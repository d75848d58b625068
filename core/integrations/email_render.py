"""An outbox email as the recipient reads it: subject, plain text and simple HTML in the recipient's
language, rendered when it is sent (from the kind, the notification key and params the row keeps),
with the headers every message carries.

The texts come from the UI's catalog through the `Translate` the UI hands the mailer at start-up
(as it does the webhook robots), so every email string lives in both languages next to the page's.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any
from urllib.parse import quote

from core.digests.content import Digest
from core.digests.render import markdown, title
from core.integrations.formats import Translate
from core.integrations.smtp import SmtpView
from store.models import EmailKind, EmailMessage


def _link(public_url: str, message: EmailMessage) -> str | None:
    """Where the message points to in LeadDesk (None: no public address configured, or nothing to open)."""
    base = public_url.rstrip('/')
    if not base:
        return None
    if message.kind == EmailKind.PASSWORD_RESET:
        return f'{base}/reset?token={quote(str(message.params.get("token", "")))}'
    if message.kind == EmailKind.DIGEST:
        return f'{base}/digests'
    if message.lead_id:
        return f'{base}/leads/{message.lead_id}'
    link = message.params.get('link')
    return f'{base}{link}' if isinstance(link, str) and link.startswith('/') else f'{base}/notifications'


def _parts(message: EmailMessage, t: Translate, base: str = '') -> tuple[str, str, str | None]:
    """(subject, the message's main line, a closing line)."""
    lang, params = message.language, dict(message.params)
    if message.kind == EmailKind.TEST:
        return (t(lang, 'email.test.subject', {}), t(lang, 'email.test.body', {'address': message.to_address}),
                None)
    if message.kind == EmailKind.PASSWORD_RESET:
        return (t(lang, 'email.reset.subject', {}), t(lang, 'email.reset.body', {'name': params.get('name', '')}),
                t(lang, 'email.reset.ignore', {}))
    if message.kind == EmailKind.DIGEST:
        digest = Digest.from_json(params['digest'])
        return title(digest, lang, t), markdown(digest, lang, t, base=base, name=params.get('name', '')), None
    line = t(lang, message.key, params)
    return t(lang, 'email.notification.subject', {'text': line}), line, t(lang, 'email.notification.footer', {})


def render(message: EmailMessage, smtp: SmtpView, *, translate: Translate, public_url: str,
           now: datetime) -> MimeMessage:
    """The MIME message: text/plain and text/html alternatives, UTF-8, with From, To, Subject, Date,
    Message-ID, Content-Language, Auto-Submitted and `X-LeadDesk-Message` (the row's id: a receiving
    script can drop a repeat, as delivery is at least once)."""
    subject, line, closing = _parts(message, translate, public_url)
    link = _link(public_url, message)
    open_label = translate(message.language, 'email.open', {})
    text = [line]
    if link:
        text += ['', f'{open_label}: {link}']
    if closing:
        text += ['', closing]
    body_html = [f'<p>{html.escape(part)}</p>' for part in line.split('\n')]
    if link:
        body_html.append(f'<p><a href="{html.escape(link, quote=True)}">{html.escape(open_label)}</a></p>')
    if closing:
        body_html.append(f'<p style="color:#666;font-size:13px">{html.escape(closing)}</p>')
    mime = MimeMessage()
    mime['Subject'] = subject[:200]
    mime['From'] = formataddr((smtp.sender_name, smtp.sender_address))
    mime['To'] = message.to_address
    mime['Date'] = format_datetime(now)
    mime['Message-ID'] = make_msgid('leaddesk', domain=smtp.sender_address.rpartition('@')[2] or None)
    mime['Auto-Submitted'] = 'auto-generated'
    mime['X-LeadDesk-Message'] = str(message.id or 0)
    mime.set_content('\n'.join(text) + '\n')
    mime.add_alternative(f'<!doctype html><html lang="{html.escape(message.language)}"><body '
                         f'style="font-family:sans-serif">{"".join(body_html)}</body></html>', subtype='html')
    mime['Content-Language'] = message.language  # (after the content: setting it clears Content-* headers)
    return mime


def params_for_key(params: Mapping[str, Any]) -> dict[str, Any]:
    """A notification's params as an email row keeps them (JSON-safe copies)."""
    return {k: v for k, v in params.items() if isinstance(v, str | int | float | bool) or v is None}
