"""Console verbs that run.py hands over to (the interface side: core never reads a terminal).

    run.py user set-password EMAIL [--temporary]

Exit codes: 0 set; 1 refused (too short or too long, the two entries differ, nothing given);
2 usage; 3 no user has that email."""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from core.desk import Desk
from core.errors import NotFound, ValidationFailed

OK, REFUSED, USAGE, NO_SUCH_USER = 0, 1, 2, 3


def read_new_password(email: str, stdin: TextIO) -> str | None:
    """Asked twice without echo on a terminal; from a pipe, the first line (for scripts:
    `printf '%s\\n' "$PW" | run.py user set-password EMAIL`). None: the two entries differ."""
    if not stdin.isatty():
        return stdin.readline().rstrip('\r\n')
    first = getpass.getpass(f'New password for {email} (8+ characters): ')
    return first if getpass.getpass('Again: ') == first else None


def set_password(desk: Desk, args: list[str], *, temporary: bool = False, stdin: TextIO | None = None) -> int:
    """`user set-password EMAIL`: the console owns every account, so no current password is asked.
    The user's sessions end; `--temporary` makes them choose a new one at next login."""
    if len(args) != 1:
        print('usage: run.py user set-password EMAIL [--temporary]', file=sys.stderr)
        return USAGE
    email = args[0]
    if desk.team.find_user(email) is None:  # before asking: a mistyped address should not cost a password
        print(f'No user has the email {email!r}.', file=sys.stderr)
        return NO_SUCH_USER
    try:
        password = read_new_password(email, stdin or sys.stdin)
    except (EOFError, KeyboardInterrupt):
        print('\nNot changed.', file=sys.stderr)
        return REFUSED
    if password is None:
        print('Not changed: the two entries differ.', file=sys.stderr)
        return REFUSED
    if not password:
        print('Not changed: no password given.', file=sys.stderr)
        return REFUSED
    try:
        user = desk.team.set_password_from_console(email, password, must_change=temporary)
    except NotFound:
        print(f'No user has the email {email!r}.', file=sys.stderr)
        return NO_SUCH_USER
    except ValidationFailed as e:
        print('Not changed: ' + ', '.join(f'{field} {code}' for field, code in e.errors.items()), file=sys.stderr)
        return REFUSED
    print(f'Password of {user.email} set; their sessions have ended.'
          + (' They must choose a new one at next login.' if temporary else ''))
    return OK
