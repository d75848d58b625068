"""Which process runs an import job (host:pid), and whether it still runs: start-up marks jobs whose
runner is gone as interrupted."""

from __future__ import annotations

import os
import socket


def this_runner() -> str:
    return f'{socket.gethostname()}:{os.getpid()}'


def runner_alive(runner: str | None) -> bool:
    """Whether the process named `host:pid` still runs (another host: assume it does)."""
    if not runner or ':' not in runner:
        return False
    host, _, pid = runner.rpartition(':')
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


