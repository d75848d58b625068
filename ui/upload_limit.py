"""The size limit on upload bodies, enforced by the server as the body arrives.

NiceGUI's upload route (`POST /_nicegui/client/<client>/upload/<element>`, nicegui/elements/upload.py)
parses the whole multipart body (`request.form()`, spooled to temporary files) before any handler
runs, and `ui.upload(max_file_size=…)` is only a property of the browser's uploader: a request sent
straight to the route — skipping the browser's check — was taken at any size (a 60 MB file became a
draft import). This layer sits in front of every upload route: a declared `Content-Length` over the
limit is answered 413 at once, unread; a body without one (chunked) is taken in and counted as it
arrives (into an unnamed temporary file past its first megabyte) and refused with a 413 the moment
it passes the limit, so the route never runs: no file, no job.

The import itself counts again while it writes the file (core/imports/jobs.py `Incoming`): the body's
limit carries a little slack for the multipart framing, the file's does not."""

from __future__ import annotations

import json
import re
import tempfile
from typing import IO

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPLOAD_PATH = re.compile(r'/_nicegui/client/[^/]+/upload/[^/]+$')
FRAMING_SLACK = 64 * 1024
CHUNK = 64 * 1024
"""Multipart boundaries, part headers and the file name around the file itself."""


class UploadLimit:
    """ASGI middleware: 413 for an upload body over `max_bytes` (+ framing), whatever the client says."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.limit = app, max_bytes + FRAMING_SLACK
        self.max_mb = max_bytes // (1024 * 1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or scope.get('method') != 'POST' or not UPLOAD_PATH.search(scope['path']):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get('headers') or []).get(b'content-length')
        if declared is not None:
            # the HTTP parser (h11) delivers no byte past a declared length: checking it is enough
            if not declared.isdigit() or int(declared) > self.limit:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        # chunked: taken in first (a megabyte in memory, the rest in an unnamed temporary file), counted,
        # and handed on only when it ended within the limit — the route never sees a byte too many
        with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as spool:
            size = 0
            while True:
                message = await receive()
                if message['type'] != 'http.request':
                    return  # the client went away
                size += len(message.get('body', b''))
                if size > self.limit:
                    await self._refuse(send)
                    return
                spool.write(message.get('body', b''))
                if not message.get('more_body', False):
                    break
            spool.seek(0)
            await self.app(scope, _replay(spool, size, receive), send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({'error': 'too_large', 'limit_mb': self.max_mb}).encode()
        await send({'type': 'http.response.start', 'status': 413,
                    'headers': [(b'content-type', b'application/json'), (b'content-length', str(len(body)).encode()),
                                (b'connection', b'close')]})
        await send({'type': 'http.response.body', 'body': body})


def _replay(spool: IO[bytes], size: int, receive: Receive) -> Receive:
    """The spooled body as the route reads it, then the connection's own messages (a disconnect)."""
    ended = False

    async def replayed() -> Message:
        nonlocal ended
        if ended:
            return await receive()
        chunk = spool.read(CHUNK)
        ended = spool.tell() >= size
        return {'type': 'http.request', 'body': chunk, 'more_body': not ended}

    return replayed


def limit_uploads(app: FastAPI, max_bytes: int) -> None:
    """Wrap the stack Starlette builds (after `api.serve_in_front`, which replaces the builder):
    the limit is the outermost layer, ahead of NiceGUI's sessions and routes."""
    inner = app.build_middleware_stack

    def build_stack() -> ASGIApp:
        return UploadLimit(inner(), max_bytes)

    app.build_middleware_stack = build_stack  # type: ignore[method-assign]
    app.middleware_stack = None
