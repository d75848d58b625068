"""How a delivery goes on the wire: generic JSON signed with HMAC-SHA256, or the message
formats of the group-chat robots Chinese teams use (企业微信 WeCom, 钉钉 DingTalk), text or
markdown. Pure functions: the deliverer (core/integrations/outbox.py) sends what `build_request` returns.

Generic JSON (`format = json`): the body is the event's payload plus `delivery_id`; headers
  X-LeadDesk-Event: lead.captured
  X-LeadDesk-Delivery: 17              (the same on every retry: receivers can drop repeats)
  X-LeadDesk-Timestamp: 1767225600     (unix seconds when this attempt was signed)
  X-LeadDesk-Signature: sha256=<hex>   (HMAC-SHA256 with the webhook's secret over
                                        "<timestamp>." + the raw body bytes)
so a receiver recomputes the HMAC over exactly the bytes it got and compares in constant time,
and refuses old timestamps (replays).

WeCom robot: POST {"msgtype": "markdown", "markdown": {"content": …}} or {"msgtype": "text",
"text": {"content": …}} to the robot's URL (its `key` is the secret). DingTalk robot:
{"msgtype": "markdown", "markdown": {"title": …, "text": …}} or text; with 加签 the URL gets
`&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256(secret, "<ms>\\n<secret>")>`. Both answer
200 with {"errcode": 0, …}; another errcode (rate limit, bad signature) is a failed attempt.

Values from outside (a lead's name from a public web form) are flattened to one line and the
characters chat markdown acts on are replaced by look-alikes, so a lead cannot add links,
colours or headings to the team's chat.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.digests import render
from core.digests.content import Digest
from store.audit_actions import WebhookEvent
from store.models import WebhookFormat

Translate = Callable[[str, str, Mapping[str, Any]], str]
"""(language, i18n key, parameters) → text. The UI's catalogue, handed over by ui.register."""


def untranslated(_language: str, key: str, params: Mapping[str, Any]) -> str:
    """Until the UI hands its catalogue over (a CLI run): the key and its values, still readable."""
    return key + (' ' + ', '.join(f'{k}={v}' for k, v in params.items()) if params else '')


ROBOT_FORMATS = (WebhookFormat.WECOM_MARKDOWN, WebhookFormat.WECOM_TEXT,
                 WebhookFormat.DINGTALK_MARKDOWN, WebhookFormat.DINGTALK_TEXT)
SIGNED_FORMATS = (WebhookFormat.JSON, WebhookFormat.DINGTALK_MARKDOWN, WebhookFormat.DINGTALK_TEXT)
"""Formats a secret applies to (WeCom robots have none: the key in the URL is the secret)."""


@dataclass(frozen=True, slots=True)
class OutRequest:
    url: str
    headers: dict[str, str]
    body: bytes


def sign_json(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b'.' + body, hashlib.sha256).hexdigest()
    return f'sha256={digest}'


def verify_json(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and the tests): recompute and compare in constant time."""
    try:
        expected = sign_json(secret, int(timestamp), body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, signature)


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    to_sign = f'{timestamp_ms}\n{secret}'.encode()
    sign = base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()).decode()
    joiner = '&' if urllib.parse.urlsplit(url).query else '?'
    return f'{url}{joiner}timestamp={timestamp_ms}&sign={urllib.parse.quote_plus(sign)}'


def record_url(public_url: str, payload: Mapping[str, Any]) -> str | None:
    """Where the event's deal (else lead) opens in LeadDesk, when the public address is set."""
    base = public_url.strip().rstrip('/')
    if not base:
        return None
    if payload.get('digest'):
        return f'{base}/digests'
    deal, lead = payload.get('opportunity') or {}, payload.get('lead') or {}
    if deal.get('id'):
        return f'{base}/opportunities/{int(deal["id"])}'
    if lead.get('id'):
        return f'{base}/leads/{int(lead["id"])}'
    return None


def build_request(*, fmt: str, url: str, secret: str, language: str, event: str, delivery_id: int,
                  payload: Mapping[str, Any], now: float, translate: Translate, public_url: str = '') -> OutRequest:
    """The HTTP request for one attempt (`now`: wall-clock seconds, for the signatures). With the
    app's public address set, JSON bodies carry `url` and chat messages end with a link."""
    link = record_url(public_url, payload)
    headers = {'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'LeadDesk-Webhook/1',
               'X-LeadDesk-Event': event, 'X-LeadDesk-Delivery': str(delivery_id)}
    if fmt == WebhookFormat.JSON:
        body = _dumps({'delivery_id': delivery_id, **payload, **({'url': link} if link else {})})
        if secret:
            timestamp = int(now)
            headers['X-LeadDesk-Timestamp'] = str(timestamp)
            headers['X-LeadDesk-Signature'] = sign_json(secret, timestamp, body)
        return OutRequest(url, headers, body)
    markdown = fmt in (WebhookFormat.WECOM_MARKDOWN, WebhookFormat.DINGTALK_MARKDOWN)
    if event == WebhookEvent.DIGEST_SENT:
        title, text = digest_card(payload, language, translate, public_url, markdown=markdown)
    else:
        title, text = message(event, payload, language, translate, markdown=markdown)
    if link:
        opened = translate(language, 'webhook.msg.open', {})
        text += f'\n\n[{opened}]({link})' if markdown else f'\n{opened}: {link}'
    if fmt == WebhookFormat.WECOM_MARKDOWN:
        data: dict[str, Any] = {'msgtype': 'markdown', 'markdown': {'content': f'### {title}\n{text}'}}
    elif fmt == WebhookFormat.DINGTALK_MARKDOWN:
        data = {'msgtype': 'markdown', 'markdown': {'title': title, 'text': f'### {title}\n\n{text}'}}
    else:
        data = {'msgtype': 'text', 'text': {'content': f'{title}\n{text}'}}
    if fmt in (WebhookFormat.DINGTALK_MARKDOWN, WebhookFormat.DINGTALK_TEXT) and secret:
        url = dingtalk_signed_url(url, secret, int(now * 1000))
    return OutRequest(url, headers, _dumps(data))


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(',', ':'), default=str).encode()


def accepted(fmt: str, status: int, body: str) -> bool:
    """Whether the receiver took it: any 2xx; the robots also need errcode 0 in their answer."""
    if not 200 <= status < 300:
        return False
    if fmt not in ROBOT_FORMATS:
        return True
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get('errcode', 0) == 0


# ----- the chat message ---------------------------------------------------------------------------

_MARKDOWN_LOOKALIKES = str.maketrans({'[': '［', ']': '］', '<': '＜', '>': '＞', '*': '＊', '#': '＃',
                                      '`': 'ˋ', '|': '｜', '~': '～', '_': '＿'})


def _flat(value: Any, markdown: bool, limit: int = 120) -> str:
    text = ' '.join(str('' if value is None else value).split())[:limit]
    return text.translate(_MARKDOWN_LOOKALIKES) if markdown else text


def _money(cents: int) -> str:
    sign = '-' if cents < 0 else ''
    return f'{sign}¥{abs(cents) // 100:,}.{abs(cents) % 100:02d}'


def message(event: str, payload: Mapping[str, Any], language: str, translate: Translate, *,
            markdown: bool) -> tuple[str, str]:
    """(title, text) for a chat robot, in the webhook's language."""
    zh = language == 'zh-CN'
    lead = payload.get('lead') or {}
    deal = payload.get('opportunity') or {}
    params = dict((payload.get('reason') or {}).get('params') or {})
    owner = (lead.get('owner') or deal.get('owner') or {}).get('name')
    stage = deal.get('stage') or {}
    lost = deal.get('lost_reason') or {}
    source = lead.get('source')
    values = {
        'lead': lead.get('name') or '—',
        'company': lead.get('company') or '—',
        'source': translate(language, f'source.{source}', {}) if source else '—',
        'grade': lead.get('grade') or '—',
        'score': lead.get('score') if lead.get('score') is not None else '—',
        'owner': owner or translate(language, 'webhook.msg.nobody', {}),
        'actor': (payload.get('actor') or {}).get('name') or translate(language, 'webhook.msg.system', {}),
        'rep': (payload.get('subject') or {}).get('name') or '—',
        'deal': deal.get('name') or '—',
        'stage': (stage.get('name_zh') if zh else stage.get('name_en')) or '—',
        'amount': _money(int(deal.get('amount_cents') or 0)),
        'lost_reason': (lost.get('label_zh') if zh else lost.get('label_en')) or lost.get('key') or '—',
        'account': params.get('account') or '—',
        'file': params.get('file') or '—',
        'created': params.get('created', 0), 'joined': params.get('joined', 0), 'failed': params.get('failed', 0),
    }
    shown = {k: _flat(v, markdown) for k, v in values.items()}
    title = translate(language, f'webhook.title.{event}', {})
    text = translate(language, f'webhook.msg.{event}', shown)
    if lead and markdown:
        text += '\n\n> ' + translate(language, 'webhook.msg.facts', shown)
    return title, text


def digest_card(payload: Mapping[str, Any], language: str, translate: Translate, public_url: str, *,
                markdown: bool) -> tuple[str, str]:
    """(title, text) of a digest for a group robot: the digest's Markdown (core/digests/render.py) in
    the webhook's language, its records linked when the app's public address is set. The names in it
    are flattened as every robot message's are."""
    digest = Digest.from_json(dict(payload['digest']))
    title = render.title(digest, language, translate) + f' · {_flat(payload.get("name", ""), markdown)}'
    text = render.markdown(digest, language, translate, base=public_url)
    body = text.split('\n\n', 1)[1] if '\n\n' in text else ''
    return title, body if markdown else body.replace('**', '')
