"""The REST API (`/api/v1`) and `/health`: the contract websites and tools code against.

The body is read and checked here (size first, then JSON, then fields) so every
failure is a clear 4xx with a message; capture itself is the same core path the
UI uses.

The API is its own plain FastAPI app, served in front of NiceGUI's middleware (`ApiLane`):
those layers exist for browser pages (a session cookie, a per-session storage object created
for every cookie-less request and kept, gzip, redirects) and cost an API call ~3× a bare
route's time while leaving one storage object behind per call. The hosted web form
(ui/webform.py) is served by the same app for the same reasons. The lane is also where every
request's client address is resolved (behind trusted proxies only) and every answer gets its
security headers.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from nicegui import run
from pydantic import BaseModel, Field, create_model
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.accounts.proxies import Network, client_address, is_trusted, parse_address
from core.accounts.ratelimit import RateLimiter
from core.capture.api_access import KeyInfo
from core.capture.clean import TAGS
from core.capture.intake import CaptureResult
from core.custom_fields.values import FIELD, NO_FIELDS, CustomFields
from core.desk import READY_TIMEOUT, Desk
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.leads.fields import LEAD, Kind
from store.models import TagEntity

from .i18n import catalog

log = logging.getLogger('leaddesk.api')

# What the API app answers (the hosted web forms too, ui/webform.py); every other path (pages,
# NiceGUI's assets and socket) goes to NiceGUI.
LANE_PREFIXES = ('/api/', '/f/')
API_PATHS = frozenset({'/health', '/ready', '/openapi.json', '/docs', '/docs/oauth2-redirect', '/redoc'})

SECURITY_HEADERS = (
    (b'x-content-type-options', b'nosniff'),
    (b'referrer-policy', b'strict-origin-when-cross-origin'),
    (b'content-security-policy', b"frame-ancestors 'self'"),
)
"""Added to every HTTP answer that does not set its own: no MIME sniffing, no full URLs leaking to
other sites, and no framing by another site (clickjacking). Only `frame-ancestors`: NiceGUI's pages
need inline scripts, so a fuller policy would break them. The web form sets its own policy, which
names the sites its allow-list lets frame it (ui/webform.py)."""


def _lead_in() -> type[BaseModel]:
    """The API's lead, from the field declaration (core/leads/fields.py): every captured field, in capture
    order, as text. Only the required field states its limit in the schema (as it always has); the
    body is checked by capture itself, whose 422 names any field's limit (`field_message`)."""
    fields: dict[str, Any] = {}
    for key in LEAD.captured:
        spec = LEAD[key]
        if spec.required:
            fields[key] = (str, Field(max_length=spec.max_length))
        elif spec.description:
            fields[key] = (str | None, Field(default=None, description=spec.description))
        else:
            fields[key] = (str | None, None)
    return create_model('LeadIn', __doc__='A lead sent by another system. `name` and one of `phone` / '
                        '`email` are required.', **fields)


LeadIn = _lead_in()
"""Documents `POST /api/v1/leads` (/openapi.json), with `custom` (`lead_in_schema`)."""

CUSTOM_DOC = ('Custom field values by key (`run.py field list`): text, numbers, money as an amount '
              '(stored in cents), dates as YYYY-MM-DD, a select\'s option key (a list of keys for a '
              'multi-select), true/false. An unknown or retired key is a 422, as is a required one missing.')

TAGS_DOC = ('Tags to put on the lead, each by its key or its name in Chinese or English (Settings → Tags). '
            'An unknown or retired tag is a 422 naming it; a duplicate arrival adds the tags its lead lacks.')

_JSON_TYPES: dict[Kind, dict[str, Any]] = {
    Kind.NUMBER: {'type': 'number'}, Kind.MONEY: {'type': ['number', 'string']},
    Kind.DATE: {'type': 'string', 'format': 'date'}, Kind.YES_NO: {'type': 'boolean'},
    Kind.EMAIL: {'type': 'string', 'format': 'email'}, Kind.URL: {'type': 'string', 'format': 'uri'},
}


def lead_in_schema(fields: CustomFields | None = None) -> dict[str, Any]:
    """`LeadIn`'s JSON schema with the `custom` object: each active custom field (`fields`, the
    ones defined now) as a property of its type, its English label as the description. None: the
    fields are not known here (the route's static schema; `build` documents the defined ones)."""
    schema = LeadIn.model_json_schema()
    properties: dict[str, Any] = {}
    for spec in (fields or NO_FIELDS).active.specs:
        prop = dict(_JSON_TYPES.get(spec.kind, {'type': 'string'}))
        if spec.kind == Kind.CHOICE:
            prop['enum'] = list(spec.options)
        elif spec.kind == Kind.MULTI_CHOICE:
            prop = {'type': 'array', 'items': {'type': 'string', 'enum': list(spec.options)}}
        elif spec.max_length and prop.get('type') == 'string':
            prop['maxLength'] = spec.max_length
        properties[spec.key] = prop | {'description': spec.description or spec.key}
    custom: dict[str, Any] = {'type': 'object', 'title': 'Custom', 'description': CUSTOM_DOC,
                              'properties': properties, 'additionalProperties': fields is None}
    if fields is not None and fields.active.required:
        custom['required'] = list(fields.active.required)
    schema['properties'][FIELD] = custom
    schema['properties'][TAGS] = {'type': 'array', 'items': {'type': 'string'}, 'title': 'Tags',
                                  'description': TAGS_DOC}
    return schema


class LeadOut(BaseModel):
    id: int
    status: str
    score: int
    grade: str
    owner_id: int | None
    owner_name: str | None
    duplicate_of: int | None


MAX_JSON_DEPTH = 16
"""How deep a request's JSON may nest (a lead is one flat object: depth 1). Deeper answers 400
`too_deep`: Python's parser gives up near 1,000 levels with a RecursionError (it was a 500), and
nothing we accept is anywhere near this deep. A wide body costs nothing extra: its size is capped
first (`max_body_bytes`), and 64 KiB of `[0,0,…]` parses in ~3 ms."""


class _Filled(dict[str, Any]):
    """Format parameters that show a missing one as `?` rather than leave `{name}` in a message."""

    def __missing__(self, key: str) -> str:
        return '?'


def text(key: str, language: str = 'en', **params: Any) -> str:
    """The catalogue's sentence for `key`, its `{placeholders}` filled (the key itself if missing)."""
    return catalog(language).get(key, key).format_map(_Filled(params))


def field_message(field: str, code: str, language: str = 'en') -> str:
    """What a 422 says about one field: a too-long capture field names its limit."""
    if code == 'too_long' and field in LEAD.limits:
        return text('err.field.too_long_limit', language, limit=LEAD.limits[field])
    return text(f'err.field.{code}', language)


def _message(field: str, code: str, detail: str) -> str:
    """A 422's message for one field; a tag the capture could not find is named in it."""
    if field == TAGS and code in ('unknown_tag', 'retired_tag') and detail:
        return text(f'tags.{code.removesuffix("_tag")}_named', tag=detail)
    return field_message(field, code)


def _error(status: int, code: str, params: dict[str, Any] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({'detail': text(f'err.{code}', **(params or {})), 'code': code, **extra},
                        status_code=status)


def _size(limit: int) -> str:
    return f'{limit // 1024} KiB' if limit % 1024 == 0 else f'{limit} bytes'


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests deeper than `limit` (an object or array is one level), walked
    without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_json(body: bytes) -> tuple[Any, str | None]:
    """(value, None), or (None, the error code): `bad_json`, or `too_deep` past `MAX_JSON_DEPTH`."""
    try:
        value = json.loads(body)
    except RecursionError:
        return None, 'too_deep'
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, 'bad_json'
    if isinstance(value, dict | list) and too_deep(value):
        return None, 'too_deep'
    return value, None


def _out(result: CaptureResult) -> dict[str, Any]:
    return LeadOut(id=result.lead_id, status=result.status, score=result.score, grade=result.grade,
                   owner_id=result.owner_id, owner_name=result.owner_name,
                   duplicate_of=result.duplicate_of).model_dump()


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it exceeds `limit` (checked before and while reading)."""
    declared = request.headers.get('content-length')
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b''.join(chunks)


_capture_threads: ThreadPoolExecutor | None = None


def capture_threads(size: int) -> ThreadPoolExecutor:
    """The captures' own worker threads (one pool per process, made on first use). Not NiceGUI's
    `run.io_bound` pool (cores + 4 threads): a capture waiting for its group commit holds its
    thread, so with six threads at most six captures could share a commit and the pages' own
    reads would wait behind them."""
    global _capture_threads
    if _capture_threads is None:
        _capture_threads = ThreadPoolExecutor(max_workers=max(1, size), thread_name_prefix='api-capture')
    return _capture_threads


def register(desk: Desk, limiter: RateLimiter, target: FastAPI) -> None:
    """Add the routes to `target`: NiceGUI's app in production, a bare FastAPI app in bench/."""
    app = APIRouter()

    async def authorise(request: Request) -> KeyInfo | JSONResponse:
        key = await run.io_bound(desk.access.check_api_key, request.headers.get('x-api-key'))
        if key is None:
            return _error(401, 'api_key')
        if not limiter.allow(f'api:{key.id}'):
            return _error(429, 'rate_limited')
        return key

    @app.get('/health', tags=['ops'])
    async def health() -> dict[str, str]:
        """Liveness: the process answers (restart it if not). Touches nothing else."""
        return {'status': 'ok'}

    @app.get('/ready', tags=['ops'], responses={503: {'description': 'The database cannot be written now: '
                                                                      '`reason` is busy, read_only or unwritable'}})
    async def ready() -> JSONResponse:
        """Readiness: the database takes a write now (a heartbeat row, committed). 503 with a
        reason otherwise — send no traffic here until it answers 200 again."""
        reason = await run.io_bound(desk.unready)
        if reason is not None:
            return JSONResponse({'status': 'unready', 'reason': reason,
                                 'detail': text(f'ready.{reason}', seconds=READY_TIMEOUT)}, status_code=503)
        return JSONResponse({'status': 'ready'})

    @app.post('/api/v1/leads', tags=['leads'], status_code=201, response_model=LeadOut,
              responses={200: {'model': LeadOut, 'description': 'Joined an existing lead (duplicate_of set) or a '
                                                                'replayed answer'},
                         401: {'description': 'Missing or wrong X-API-Key'},
                         400: {'description': 'Not JSON (`bad_json`), or nested deeper than '
                                              f'{MAX_JSON_DEPTH} levels (`too_deep`)'},
                         413: {'description': 'Body over 64 KiB'},
                         422: {'description': 'Invalid fields, listed per field'},
                         429: {'description': 'Over the per-key rate limit'}},
              openapi_extra={'requestBody': {'required': True, 'content': {
                  'application/json': {'schema': lead_in_schema()}}}})
    async def create_lead(request: Request) -> JSONResponse:
        """Capture a lead: deduped, scored and assigned at once."""
        body = await read_body(request, desk.ctx.settings.max_body_bytes)
        return await asyncio.get_running_loop().run_in_executor(
            capture_threads(desk.ctx.settings.api_threads), capture, request.headers.get('x-api-key'), body,
            request.headers.get('idempotency-key') or None)

    def capture(raw_key: str | None, body: bytes | None, idempotency_key: str | None) -> JSONResponse:
        """The rest of a capture request on one worker thread (one hand-off instead of two: the key
        check and the capture), answering in the same order as every route: key, rate, size, JSON,
        fields. `body` None: it was over the size limit (not read further)."""
        key = desk.access.check_api_key(raw_key)
        if key is None:
            return _error(401, 'api_key')
        if not limiter.allow(f'api:{key.id}'):
            return _error(429, 'rate_limited')
        if body is None:
            return _error(413, 'too_large', {'limit': _size(desk.ctx.settings.max_body_bytes)})
        data, problem = parse_json(body)
        if problem is not None:
            return _error(400, problem, {'depth': MAX_JSON_DEPTH})
        if not isinstance(data, dict):
            return _error(422, 'validation', {'fields': '—'},
                          errors=[{'field': '', 'code': 'not_object', 'message': field_message('', 'not_object')}])
        try:
            result, replayed = desk.access.capture_via_api(key, data, idempotency_key)
        except ValidationFailed as e:
            errors = [{'field': f, 'code': c, 'message': _message(f, c, e.detail)} for f, c in e.errors.items()]
            return _error(422, 'validation', {'fields': ', '.join(e.errors)}, errors=errors)
        # A replay repeats the first answer, which created the lead.
        return JSONResponse(_out(result), status_code=201 if result.created or replayed else 200)

    @app.get('/api/v1/leads/{lead_id}', tags=['leads'],
             responses={401: {'description': 'Missing or wrong X-API-Key'},
                        403: {'description': 'The key may only capture'}, 404: {'description': 'No such lead'}})
    async def get_lead(lead_id: int, request: Request) -> JSONResponse:
        """A lead as JSON (keys with the `read` scope)."""
        key = await authorise(request)
        if isinstance(key, JSONResponse):
            return key
        try:
            lead = await run.io_bound(desk.access.lead_for_api, key, lead_id)
        except NotAllowed:
            return _error(403, 'not_allowed')
        except NotFound:
            return _error(404, 'not_found')
        data = lead.model_dump(exclude={'is_deleted', 'external_key'})  # (the key names the sender's scope)
        data[TAGS] = await run.io_bound(desk.record_tags.keys_of, TagEntity.LEAD, lead_id)
        return JSONResponse(json.loads(json.dumps(data, default=str)))

    target.include_router(app)


def build(desk: Desk, limiter: RateLimiter) -> FastAPI:
    """The API as a plain FastAPI app with its own documentation (`/docs`, `/openapi.json`)."""
    api = FastAPI(title='LeadDesk API', version='1', summary='Capture leads from websites, forms and tools.')
    register(desk, limiter, api)
    built = api.openapi

    def openapi() -> dict[str, Any]:
        """The documentation with the custom fields defined now (a definition changes it at once)."""
        schema = copy.deepcopy(built())
        body = schema['paths']['/api/v1/leads']['post']['requestBody']['content']['application/json']
        body['schema'] = lead_in_schema(desk.leads.custom_fields())
        return schema

    api.openapi = openapi  # type: ignore[method-assign]

    @api.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        """A bug answers JSON like every other error (the log has the trace), not a text page."""
        log.error('API %s %s failed', request.method, request.url.path, exc_info=exc)
        return _error(500, 'internal')

    return api


class ApiLane:
    """The app's outermost layer. Resolves the real client address (`X-Forwarded-For` from trusted
    proxies only, core/accounts/proxies.py) for every request and socket; sends API and web-form paths
    straight to the API app and everything else to NiceGUI's middleware stack; adds the security
    headers to every answer."""

    def __init__(self, api: ASGIApp, pages: ASGIApp, trusted: Sequence[Network] = ()) -> None:
        self.api, self.pages, self.trusted = api, pages, tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] not in ('http', 'websocket'):
            await self.pages(scope, receive, send)
            return
        if self.trusted:
            self.resolve_client(scope)
        if scope['type'] == 'websocket':
            await self.pages(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                headers = message.setdefault('headers', [])
                if not isinstance(headers, list):
                    headers = message['headers'] = list(headers)
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in SECURITY_HEADERS if name not in present)
            await send(message)

        path = scope['path']
        app = self.api if path.startswith(LANE_PREFIXES) or path in API_PATHS else self.pages
        await app(scope, receive, send_with_headers)

    def resolve_client(self, scope: Scope) -> None:
        """Behind a trusted proxy: the client it names, and the scheme it was reached by."""
        peer = scope.get('client')
        if not peer or not is_trusted(parse_address(peer[0]), self.trusted):
            return
        headers = scope.get('headers') or []
        forwarded = [value.decode('latin-1') for name, value in headers if name == b'x-forwarded-for']
        host = client_address(peer[0], forwarded, self.trusted)
        if host is not None:
            scope['client'] = (host, 0)
        proto = next((value.decode('latin-1').strip().lower() for name, value in headers
                      if name == b'x-forwarded-proto'), '')
        if proto in ('http', 'https'):
            scope['scheme'] = proto.replace('http', 'ws') if scope['type'] == 'websocket' else proto


def serve_in_front(pages_app: FastAPI, api: FastAPI, trusted: Sequence[Network] = ()) -> None:
    """Put `api` ahead of `pages_app`'s middleware (`trusted`: the reverse proxies whose
    `X-Forwarded-For` is believed). NiceGUI adds its layers inside `ui.run` (the
    session ones only as the server starts), so the lane wraps the stack Starlette builds at the
    first request rather than being one more middleware (it would end up innermost)."""
    def build_stack() -> ASGIApp:
        return ApiLane(api, type(pages_app).build_middleware_stack(pages_app), trusted)

    pages_app.build_middleware_stack = build_stack  # type: ignore[method-assign]
    pages_app.middleware_stack = None
    pages_app.state.api = api  # the routes it serves, for tests walking every route
