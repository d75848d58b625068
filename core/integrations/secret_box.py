"""Encrypting the one secret LeadDesk keeps for talking to others (the SMTP password) at rest.

The key lives in `data_dir/smtp.key`, created on first use, readable by the owner only and never in
the database: a copied database or a backup of it alone does not reveal the password
(docs/OPERATIONS.md says to back the key file up separately). `LEADDESK_SMTP_PASSWORD` in the
environment wins over a stored password and is never written anywhere.

The cipher is `cryptography`'s Fernet (AES-128-CBC with HMAC-SHA256, encrypt-then-MAC, a timestamped
and versioned token): a solved problem, so a well-kept library rather than our own construction. A
wrong key or an altered token is refused, never decrypted to garbage.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = 'smtp.key'


class SecretUnreadable(Exception):
    """The stored token does not open with this key (key file replaced or lost, token altered)."""


def _key(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'wb') as f:  # owner only
            f.write(key)
    except FileExistsError:  # another process created it meanwhile: use theirs
        return path.read_bytes().strip()
    return key


def _fernet(data_dir: Path) -> Fernet:
    try:
        return Fernet(_key(data_dir))
    except ValueError:  # a key file that is not a Fernet key (replaced by hand, truncated)
        raise SecretUnreadable() from None


def seal(data_dir: Path, plaintext: str) -> str:
    return _fernet(data_dir).encrypt(plaintext.encode()).decode()


def open_sealed(data_dir: Path, token: str) -> str:
    try:
        return _fernet(data_dir).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable() from None
