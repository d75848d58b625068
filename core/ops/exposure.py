"""Start-up checks for running exposed: demo accounts whose passwords are printed on the
login page and in the README must not be reachable from other machines unnoticed."""

from __future__ import annotations

from core.accounts import auth
from core.context import Context
from core.ops.demo_accounts import DEMO_PASSWORD, demo_logins
from store import queries

LOOPBACK = frozenset({'127.0.0.1', 'localhost', '::1'})


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith('127.')


def open_demo_accounts(ctx: Context) -> list[str]:
    """Emails of active demo accounts that still accept the published demo password."""
    found = []
    with ctx.read() as session:
        for email, _role, _secret in demo_logins():
            user = queries.user_by_email(session, email)
            if user is not None and user.is_active and auth.verify_password(user.password_hash, DEMO_PASSWORD):
                found.append(email)
    return found


def exposure_warning(ctx: Context, host: str) -> str | None:
    """The warning to log at start-up, or None when the address is loopback or no demo account is open."""
    if is_loopback(host):
        return None
    accounts = open_demo_accounts(ctx)
    if not accounts:
        return None
    return (f'{len(accounts)} demo account(s) with the published password ({", ".join(accounts)}) are reachable '
            f'on {host}: change their passwords or deactivate them, or serve on 127.0.0.1 only')
