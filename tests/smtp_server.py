"""A real SMTP server on loopback for the email tests (aiosmtpd in its own thread): it keeps what it
receives, can refuse (temporarily or for good) and can require a login."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f'no text/{subtype} part'
        return str(body.get_content())


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse: str | None = None
    """An SMTP answer to give to DATA instead of accepting ('451 …' temporary, '550 …' permanent)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return '250 OK'


class SmtpServer:
    def __init__(self, *, login: tuple[str, str] | None = None) -> None:
        self.handler = Handler()
        kwargs: dict[str, Any] = {}
        if login is not None:
            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
                return AuthResult(success=ok, handled=False)
            kwargs = {'authenticator': authenticate, 'auth_require_tls': False, 'auth_required': True}
        with socket.socket() as probe:  # (aiosmtpd's start-up check connects to the port: it must be known)
            probe.bind(('127.0.0.1', 0))
            self.port = int(probe.getsockname()[1])
        self.controller = Controller(self.handler, hostname='127.0.0.1', port=self.port, **kwargs)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received
