"""A real HTTP receiver on loopback for the webhook tests: records every request, can fail the
first N with 500 (or answer a robot's error code), and can be down for a while and come back on
the same port."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    fail_first: int = 0
    """Answer 500 to this many requests before accepting."""
    answer: dict[str, Any] = field(default_factory=lambda: {'errcode': 0, 'errmsg': 'ok'})
    port: int = 0
    endless: bool = False
    """Answer 200 with a body that never ends (chunks until the client hangs up): a client that reads
    the whole answer never finishes; `sent` counts the bytes that went out."""
    sent: int = 0
    requests: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}/hook'

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                parts = urllib.parse.urlsplit(self.path)
                with receiver._lock:
                    receiver.requests.append(Received(parts.path, dict(urllib.parse.parse_qsl(parts.query)),
                                                      {k.lower(): v for k, v in self.headers.items()}, body))
                    failing = receiver.fail_first > 0
                    if failing:
                        receiver.fail_first -= 1
                if receiver.endless and not failing:
                    self._endless()
                    return
                status, data = (500, b'{"error":"boom"}') if failing else (200, json.dumps(receiver.answer).encode())
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _endless(self) -> None:
                self.send_response(200)
                self.send_header('Content-Type', 'text/plain')
                self.send_header('Transfer-Encoding', 'chunked')
                self.end_headers()
                chunk = b'x' * 65536
                try:
                    while True:
                        self.wfile.write(b'%x\r\n%s\r\n' % (len(chunk), chunk))
                        receiver.sent += len(chunk)
                        if receiver.sent > 1 << 30:  # (a guard for the test itself: 1 GiB)
                            return
                except OSError:
                    return

            def log_message(self, *_args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True, name='test-receiver').start()
        return self

    def stop(self) -> None:
        """Down: connections to its port are refused until `start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.requests)


def reserve_port() -> int:
    """A loopback port nobody listens on (a receiver that is down from the start)."""
    receiver = Receiver().start()
    port = receiver.port
    receiver.stop()
    return port
