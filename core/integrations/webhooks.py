"""Admins' webhooks: where domain events go, in which format, signed with which secret; the
delivery log and the "send test" button. Events enter the outbox in the domain's own
transaction (store/outbox.py); core/integrations/outbox.py delivers them.
"""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import permissions
from core.context import Context, audit
from core.errors import NotAllowed, NotFound, ValidationFailed, check_id
from core.integrations import targets as webhook_targets
from core.leads.normalize import clean_text
from store import outbox as store
from store import queries
from store.audit_actions import AuditAction
from store.models import AppSetting, DeliveryStatus, UserRef, Webhook, WebhookDelivery, WebhookFormat

EVENT_TYPES = store.EVENT_TYPES
FORMATS: tuple[str, ...] = tuple(WebhookFormat)
LANGUAGES = ('zh-CN', 'en')
MAX_URL = 1000
ALLOW_PRIVATE = 'webhooks_allow_private'
"""The admins' setting (`app_settings`, '1' or '0'): webhooks may target private, loopback and
link-local addresses (a receiver inside the company network). Off by default (core/integrations/targets.py)."""


def allows_private(session: Any) -> bool:
    """Whether webhooks may target private networks, as this transaction sees the setting."""
    return queries.setting(session, ALLOW_PRIVATE) == '1'


@dataclass(frozen=True, slots=True)
class WebhookView:
    id: int
    name: str
    url: str
    format: str
    events: tuple[str, ...]
    language: str
    secret: str
    is_enabled: bool
    pending: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    webhook_id: int
    event: str
    status: str
    attempts: int
    response_status: int | None
    response_excerpt: str | None
    error: str | None
    created_at: datetime | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


def delivery_view(d: WebhookDelivery) -> DeliveryView:
    return DeliveryView(id=d.id or 0, webhook_id=d.webhook_id, event=d.event, status=d.status, attempts=d.attempts,
                        response_status=d.response_status, response_excerpt=d.response_excerpt, error=d.error,
                        created_at=d.created_at, last_attempt_at=d.last_attempt_at,
                        next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.PENDING else None,
                        delivered_at=d.delivered_at)


def _view(w: Webhook, counts: Mapping[tuple[int, str], int] | None = None) -> WebhookView:
    counts = counts or {}
    return WebhookView(id=w.id or 0, name=w.name, url=w.url, format=w.format, events=tuple(w.events or ()),
                       language=w.language, secret=w.secret, is_enabled=w.is_enabled,
                       pending=counts.get((w.id or 0, DeliveryStatus.PENDING), 0),
                       failed=counts.get((w.id or 0, DeliveryStatus.FAILED), 0))


def valid_url(value: str) -> bool:
    """http or https, a host, no spaces or control characters (what a robot's URL looks like)."""
    if not value or len(value) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in value):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return False
    return parts.scheme in ('http', 'https') and bool(parts.hostname)


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """Clean the form's values; raises ValidationFailed naming every bad field at once."""
    errors: dict[str, str] = {}
    name = clean_text(str(values.get('name') or ''), max_length=101) or ''
    if not name:
        errors['name'] = 'required'
    elif len(name) > 100:
        errors['name'] = 'too_long'
    url = str(values.get('url') or '').strip()
    if not url:
        errors['url'] = 'required'
    elif len(url) > MAX_URL:
        errors['url'] = 'too_long'
    elif not valid_url(url):
        errors['url'] = 'invalid'
    fmt = values.get('format') or WebhookFormat.JSON
    if fmt not in FORMATS:
        errors['format'] = 'invalid'
    raw_events = values.get('events') or ()
    events = [e for e in EVENT_TYPES if e in set(raw_events)] if isinstance(raw_events, list | tuple | set) else []
    if not raw_events:
        errors['events'] = 'required'
    elif len(events) != len(set(raw_events)):
        errors['events'] = 'invalid'
    secret = str(values.get('secret') or '').strip()
    if len(secret) > 200:
        errors['secret'] = 'too_long'
    language = values.get('language') or 'zh-CN'
    if language not in LANGUAGES:
        errors['language'] = 'invalid'
    if errors:
        raise ValidationFailed(errors)
    if fmt == WebhookFormat.JSON and not secret:
        secret = secrets.token_urlsafe(32)  # generic JSON is always signed
    if fmt in (WebhookFormat.WECOM_MARKDOWN, WebhookFormat.WECOM_TEXT):
        secret = ''  # WeCom robots sign nothing: the key in the URL is the secret
    return {'name': name, 'url': url, 'format': fmt, 'events': events, 'secret': secret, 'language': language,
            'is_enabled': bool(values.get('is_enabled', True))}


class WebhookService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _check(self, actor: UserRef) -> None:
        if not permissions.can_manage_webhooks(actor):
            raise NotAllowed()

    def _changed(self) -> None:
        """This process reads the webhooks again at once; the others when the relayed event arrives."""
        store.forget(self.ctx.engine)
        self.ctx.events.publish(self.ctx.events.webhooks_changed)

    def webhooks(self, actor: UserRef) -> list[WebhookView]:
        self._check(actor)
        with self.ctx.read() as session:
            counts = store.counts(session)
            return [_view(w, counts) for w in store.webhooks(session)]

    def webhook(self, actor: UserRef, webhook_id: int) -> WebhookView:
        self._check(actor)
        with self.ctx.read() as session:
            return _view(self._get(session, webhook_id))

    def _get(self, session: Any, webhook_id: int) -> Webhook:
        w = session.get(Webhook, check_id(webhook_id))
        if w is None or w.is_deleted:
            raise NotFound()
        return w

    def allow_private(self, actor: UserRef) -> bool:
        self._check(actor)
        with self.ctx.read() as session:
            return allows_private(session)

    def set_allow_private(self, actor: UserRef, on: bool) -> None:
        """Let webhooks reach private, loopback and link-local addresses (or not); admins, audited.
        Takes effect at the next delivery (each one checks the setting as it connects)."""
        self._check(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            session.merge(AppSetting(key=ALLOW_PRIVATE, value='1' if on else '0'))
            audit(session, AuditAction.WEBHOOK_POLICY, now=now, actor_id=actor.id,
                  reason_key='webhook.reason.private_on' if on else 'webhook.reason.private_off')

    def save(self, actor: UserRef, webhook_id: int | None, values: Mapping[str, Any]) -> int:
        """Create (webhook_id None) or change a webhook; audited. Switching it off cancels what it
        had not sent yet (visible in its log). A URL whose host is, or resolves to, a private,
        loopback, link-local or cloud-metadata address is refused (`url`: the reason's code) unless
        the admins allow private targets (core/integrations/targets.py; delivery checks again)."""
        self._check(actor)
        clean = validate(values)
        with self.ctx.read() as session:
            allowed = allows_private(session)
        refused = webhook_targets.refusal(clean['url'], allow_private=allowed)  # (resolves: outside transactions)
        if refused is not None:
            raise ValidationFailed({'url': 'private_target'}, detail=refused)
        now = self.ctx.now()
        with self.ctx.write() as session:
            if webhook_id is None:
                w = Webhook(**clean, created_by=actor.id, created_at=now, updated_at=now)
            else:
                w = self._get(session, webhook_id)
                for k, v in clean.items():
                    setattr(w, k, v)
                w.updated_at = now
                if not w.is_enabled:
                    store.cancel_pending(session, w.id or 0)
            session.add(w)
            session.flush()
            audit(session, AuditAction.WEBHOOK_SAVED, now=now, actor_id=actor.id, reason_key='webhook.reason.saved',
                  name=w.name, webhook_id=w.id)
            saved = w.id or 0
        self._changed()
        return saved

    def set_enabled(self, actor: UserRef, webhook_id: int, on: bool) -> None:
        self._check(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            w = self._get(session, webhook_id)
            w.is_enabled, w.updated_at = on, now
            if not on:
                store.cancel_pending(session, webhook_id)
            session.add(w)
            audit(session, AuditAction.WEBHOOK_SAVED, now=now, actor_id=actor.id,
                  reason_key='webhook.reason.enabled' if on else 'webhook.reason.disabled', name=w.name,
                  webhook_id=webhook_id)
        self._changed()

    def delete(self, actor: UserRef, webhook_id: int) -> None:
        """Removed from the list (kept in the database with its log); nothing more is sent."""
        self._check(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            w = self._get(session, webhook_id)
            w.is_deleted, w.is_enabled, w.updated_at = True, False, now
            store.cancel_pending(session, webhook_id)
            session.add(w)
            audit(session, AuditAction.WEBHOOK_DELETED, now=now, actor_id=actor.id, reason_key='webhook.reason.deleted',
                  name=w.name, webhook_id=webhook_id)
        self._changed()

    def deliveries(self, actor: UserRef, webhook_id: int, limit: int = 50) -> list[DeliveryView]:
        self._check(actor)
        with self.ctx.read() as session:
            self._get(session, webhook_id)
            return [delivery_view(d) for d in store.deliveries(session, webhook_id, limit)]

    def queue_test(self, actor: UserRef, webhook_id: int) -> int:
        """A `test` delivery in the outbox (sent by the deliverer like any other, retried if the
        receiver fails); returns its id so the page can send it at once."""
        self._check(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            w = self._get(session, webhook_id)
            payload: dict[str, Any] = {
                'event': 'test', 'action': 'test', 'occurred_at': now.isoformat().replace('+00:00', 'Z'),
                'actor': {'id': actor.id, 'name': actor.name}, 'subject': None,
                'reason': {'key': None, 'params': {}}, 'lead': None, 'opportunity': None}
            return store.insert_delivery(session, w.id or 0, 'test', payload, now)

    def resend(self, actor: UserRef, delivery_ids: Sequence[int]) -> list[int]:
        """Failed or cancelled deliveries sent again: new outbox rows with the same facts (the old
        ones stay in the log as they ended)."""
        self._check(actor)
        now = self.ctx.now()
        made: list[int] = []
        with self.ctx.write() as session:
            for delivery_id in delivery_ids:
                old = session.get(WebhookDelivery, check_id(delivery_id))
                if old is None:
                    raise NotFound()
                w = self._get(session, old.webhook_id)
                if old.status not in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED) or not w.is_enabled:
                    continue
                made.append(store.insert_delivery(session, old.webhook_id, old.event, dict(old.payload), now))
        return made
