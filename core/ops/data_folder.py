"""The data folder holds the database, the session secret, browser sessions, uploads (customers'
personal data) and backups: only the account running LeadDesk may read it.

New files get mode 0600 and folders 0700 from the process's umask (set by the composition root,
`run.py`, before anything is written), plus explicit modes where a file is made on purpose
(`secret.key`, uploads). A folder or file left too open by an older version, a copy or an unpacked
backup is tightened at start and logged, so the operator knows; what this account does not own,
or a shared sticky folder such as /tmp, is only reported."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from core.settings import Settings

log = logging.getLogger('leaddesk.data')

UMASK = 0o077
"""Owner only: files 0600, folders 0700."""
SUBFOLDERS = ('sessions', 'imports')
"""Where LeadDesk writes below the data folder (looked at one level deep)."""


def restrict_new_files() -> None:
    """For this process and its children: whatever they create is the owner's alone."""
    os.umask(UMASK)


def secure(settings: Settings) -> list[str]:
    """Create the data folder (0700) and tighten what is too open in it; returns what it changed
    or could not change, one line each (also logged as warnings)."""
    root = Path(settings.data_dir)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    notes: list[str] = []
    targets = [root] + [root / name for name in SUBFOLDERS]
    files: list[Path] = []
    for folder in targets:
        if folder.is_dir() and not folder.is_symlink():
            files += [p for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
    database = settings.resolved_database_url()
    if database.startswith('sqlite:///'):
        db = Path(database.removeprefix('sqlite:///'))
        files += [Path(f'{db}{suffix}') for suffix in ('', '-wal', '-shm')]
    for path in [t for t in targets if t.is_dir()] + sorted(set(files)):
        note = _tighten(path)
        if note:
            notes.append(note)
            log.warning('data folder: %s', note)
    return notes


def _tighten(path: Path) -> str | None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return None
    mode = stat.S_IMODE(info.st_mode)
    wanted = 0o700 if stat.S_ISDIR(info.st_mode) else 0o600
    if not mode & 0o077:
        return None
    if info.st_uid != os.getuid() or mode & stat.S_ISVTX:
        return f'{path} is {mode:o} and not ours to change (owner {info.st_uid}): restrict it to {wanted:o}'
    path.chmod(mode & wanted if not stat.S_ISDIR(info.st_mode) else wanted)
    return f'{path} was {mode:o}, now {stat.S_IMODE(path.stat().st_mode):o}'
