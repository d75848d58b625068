"""The hosted web form, `/f/<key>`: a plain HTML page and its POST, served on the API's lane.

Why not a NiceGUI page: a page gives every anonymous visitor a websocket, a client object and a
storage file, and runs a capture at a tenth of the API's rate. A web-to-lead form is a GET and a
POST (works with JavaScript off), so here it is one: no session cookie, nothing left behind, the
capture through the API's group commit (core/capture/api_access.py `capture_via_form`).

A POST answers, in this order: 404 no such (or a closed) form · 403 posted from a site the form's
allow-list does not name · 413 body over the API's limit · 415 not a form body · a filled honeypot
is thanked and dropped · 429 over the per-address or per-form limit · 422 the form again with an
error under each bad field and the typed values kept · 303 to the form's redirect URL, or the
thank-you page. Refused and trapped submissions write nothing and notify nobody.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from nicegui import run

from core.accounts.ratelimit import RateLimiter
from core.capture.webforms import (
    CHOICES_SEPARATOR,
    CONSENT,
    CUSTOM_PREFIX,
    HONEYPOT,
    frame_ancestors,
    origin_allowed,
    origin_of,
    shown_custom,
)
from core.desk import Desk
from core.errors import ValidationFailed
from store.models import WebForm

from .api import capture_threads, read_body
from .i18n import from_accept_language
from .webform_page import form_page, message_page, thanks_page

log = logging.getLogger('leaddesk.webform')

MAX_FIELDS = 100
"""Form fields parsed from one body at most (a form has ~15)."""


def policy(form: WebForm | None) -> str:
    """The form answers' Content-Security-Policy: nothing loads, nothing runs (the page has no
    script), it posts only to itself (and to its redirect's site, which Chromium checks on the
    303), and only the form's allowed sites may frame it."""
    targets = ["'self'"]
    if form is not None and form.redirect_url:
        parts = urlsplit(form.redirect_url)
        targets.append(f'{parts.scheme}://{parts.netloc}')
    ancestors = frame_ancestors(form.allowed_origins if form else ())
    return f"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action {' '.join(targets)}; " \
           f'{ancestors}'


def html(body: str, status: int, form: WebForm | None, **headers: str) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={
        'Content-Security-Policy': policy(form), 'Cache-Control': 'no-store', **headers})


async def parse_fields(request: Request, body: bytes) -> dict[str, str] | None:
    """The submitted fields (first value of each name; a custom field's repeated values — the
    boxes ticked of a multi select — joined by `CHOICES_SEPARATOR`), from a urlencoded or
    multipart body; None: another kind of body, or one that does not parse (files are refused)."""
    kind = request.headers.get('content-type', '').split(';')[0].strip().lower()
    if kind in ('application/x-www-form-urlencoded', ''):
        try:
            pairs = parse_qsl(body.decode('utf-8', 'replace'), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            return None
    elif kind == 'multipart/form-data':
        async def replay() -> dict[str, object]:
            return {'type': 'http.request', 'body': body, 'more_body': False}
        try:
            parsed = await Request(request.scope, replay).form(max_files=0, max_fields=MAX_FIELDS)
        except Exception:
            return None
        pairs = [(k, v) for k, v in parsed.multi_items() if isinstance(v, str)]
    else:
        return None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields and name.startswith(CUSTOM_PREFIX):
            fields[name] += CHOICES_SEPARATOR + value
        else:
            fields.setdefault(name, value)
    return fields


def own_hosts(request: Request, public_url: str) -> set[str]:
    """Where this app is reached (`host[:port]`): the request's Host and LEADDESK_PUBLIC_URL's."""
    hosts = {request.headers.get('host', '')}
    if public_url:
        hosts.add(urlsplit(public_url).netloc)
    return {h.lower() for h in hosts if h}


def register(desk: Desk, per_ip: RateLimiter, per_form: RateLimiter, target: FastAPI) -> None:
    """Add `GET`/`POST /f/{form_key}` to `target` (the API app, ahead of NiceGUI's middleware).
    `per_ip` counts submissions per client address (the lane resolved it behind trusted proxies),
    `per_form` per form from all addresses."""
    router = APIRouter()
    settings = desk.ctx.settings

    def missing(request: Request) -> HTMLResponse:
        language = from_accept_language(request.headers.get('accept-language'))
        return html(message_page(language, 'form.not_found', 'form-missing'), 404, None)

    @router.get('/f/{form_key}', include_in_schema=False)
    async def show(form_key: str, request: Request) -> Response:
        form = await run.io_bound(desk.access.web_form, form_key)
        if form is None:
            return missing(request)
        custom = shown_custom(form.fields, await run.io_bound(desk.access.form_custom_fields, form))
        return html(form_page(form, request.url.path, custom=custom), 200, form)

    @router.post('/f/{form_key}', include_in_schema=False)
    async def submit(form_key: str, request: Request) -> Response:
        body = await read_body(request, settings.max_body_bytes)
        fields = None if body is None else await parse_fields(request, body)
        try:
            return await asyncio.get_running_loop().run_in_executor(
                capture_threads(settings.api_threads), answer, form_key, request, body is None, fields)
        except Exception:
            log.exception('web form %s: submission failed', form_key[:40])
            return html(message_page('zh-CN', 'err.internal', 'form-error'), 500, None)

    def answer(form_key: str, request: Request, too_large: bool, fields: dict[str, str] | None) -> Response:
        """The rest of a submission on a capture thread (one hand-off: the form's row, then the capture)."""
        form = desk.access.web_form(form_key)
        if form is None:
            return missing(request)
        origin = origin_of(request.headers.get('origin'), request.headers.get('referer'))
        if not origin_allowed(origin, own_hosts(request, settings.public_url), form.allowed_origins):
            return html(message_page(form.language, 'form.origin_refused', 'form-refused', form.name), 403, form)
        custom = shown_custom(form.fields, desk.access.form_custom_fields(form))
        if too_large:
            return html(form_page(form, request.url.path, alert='err.too_large', custom=custom), 413, form)
        if fields is None:
            return html(form_page(form, request.url.path, alert='form.bad_body', custom=custom), 415, form)
        if fields.get(HONEYPOT, '').strip():
            return done(form)  # the bot learns nothing
        ip = request.client.host if request.client else 'unknown'
        if not per_ip.allow(f'form:{ip}') or not per_form.allow(f'form-key:{form.id}'):
            return html(form_page(form, request.url.path, values=fields, alert='err.rate_limited', custom=custom),
                        429, form,
                        **{'Retry-After': '60'})
        try:
            desk.access.capture_via_form(form, fields)
        except ValidationFailed as e:
            return html(form_page(form, request.url.path, values=fields, errors=placed(form, e.errors), custom=custom),
                        422, form)
        return done(form)

    def done(form: WebForm) -> Response:
        if form.redirect_url:
            return RedirectResponse(form.redirect_url, status_code=303, headers={'Cache-Control': 'no-store'})
        return html(thanks_page(form), 200, form)

    target.include_router(router)


def placed(form: WebForm, errors: Mapping[str, str]) -> dict[str, str]:
    """Capture's errors under fields the form shows: "phone or email" goes under whichever of the
    two the form asks for; an error for a field it does not show (none should) under the name."""
    out: dict[str, str] = {}
    for field, code in errors.items():
        shown = field
        if field not in form.fields and field != CONSENT:
            shown = next((f for f in ('phone', 'email') if f in form.fields), 'name') \
                if field in ('phone', 'email') else 'name'
        out.setdefault(shown, code)
    return out
