"""What the server prints on the terminal while it starts: short progress lines, then where to open it
and, for a demo, who to log in as (the accounts are declared once, in core/ops/demo_accounts.py)."""

from __future__ import annotations

import sys

from core.ops.demo_accounts import DEMO_PASSWORD, demo_logins

_ANY_OR_LOOPBACK = {'127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'}


def progress(message: str) -> None:
    """One progress line on stderr, in the same voice as scripts/ensure-env.sh."""
    print(f'leaddesk: {message}', file=sys.stderr, flush=True)


def app_url(host: str, port: int) -> str:
    """The address to open in a browser on this machine (all interfaces and loopback: localhost)."""
    shown = 'localhost' if host in _ANY_OR_LOOPBACK else host
    if ':' in shown:
        shown = f'[{shown}]'
    return f'http://{shown}:{port}'


def ready_lines(host: str, port: int, *, demo: bool, needs_setup: bool) -> list[str]:
    """The lines printed once the app answers."""
    lines = [f'LeadDesk is ready: {app_url(host, port)}']
    if host == '0.0.0.0':
        lines.append('  (listening on every network interface)')
    if demo:
        lines.append(f'demo logins, password {DEMO_PASSWORD}:')
        lines += [f'  {role:<10} {email}' for email, role, _secret in demo_logins()]
    elif needs_setup:
        lines.append('open it to create the first admin')
    lines.append('press Ctrl+C to stop')
    return lines
