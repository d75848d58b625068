"""Encrypting the one secret LeadDesk keeps for talking to others (the SMTP password) at rest.

The key is 32 random bytes in `data_dir/smtp.key`, created on first use, readable by the owner only
and never in the database: a copied database or a backup of it alone does not reveal the password
(docs/OPERATIONS.md says to back the key file up separately). `LEADDESK_SMTP_PASSWORD` in the
environment wins over a stored password and is never written anywhere.

The construction uses the standard library only (no third-party cipher is among the app's
dependencies): a keystream of HMAC-SHA256(enc_key, nonce ‖ counter) blocks XORed with the
plaintext, then HMAC-SHA256(mac_key, version ‖ nonce ‖ ciphertext) over it (encrypt-then-MAC), both
keys derived from the file's key. HMAC-SHA256 is a PRF, so this is a PRF in counter mode with a
random 128-bit nonce: confidentiality and integrity for short secrets. A wrong key or a changed
token is refused, never decrypted to garbage.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from pathlib import Path

VERSION = b'v1'
NONCE_BYTES = 16
TAG_BYTES = 32
KEY_FILE = 'smtp.key'


class SecretUnreadable(Exception):
    """The stored token does not open with this key (key file replaced or lost, token altered)."""


def _key(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if path.exists():
        return base64.b64decode(path.read_text().strip())
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as f:  # owner only
            f.write(base64.b64encode(key).decode())
    except FileExistsError:  # another process created it meanwhile: use theirs
        return base64.b64decode(path.read_text().strip())
    return key


def _subkeys(key: bytes) -> tuple[bytes, bytes]:
    return hmac.digest(key, b'leaddesk enc', 'sha256'), hmac.digest(key, b'leaddesk mac', 'sha256')


def _stream(enc_key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.digest(enc_key, nonce + i.to_bytes(8, 'big'), 'sha256') for i in range((length + 31) // 32))
    return b''.join(blocks)[:length]


def seal(data_dir: Path, plaintext: str) -> str:
    enc_key, mac_key = _subkeys(_key(data_dir))
    nonce = secrets.token_bytes(NONCE_BYTES)
    raw = plaintext.encode()
    cipher = bytes(a ^ b for a, b in zip(raw, _stream(enc_key, nonce, len(raw)), strict=True))
    tag = hmac.digest(mac_key, VERSION + nonce + cipher, 'sha256')
    return VERSION.decode() + '.' + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def open_sealed(data_dir: Path, token: str) -> str:
    version, _, body = token.partition('.')
    try:
        blob = base64.urlsafe_b64decode(body.encode())
    except ValueError:
        raise SecretUnreadable() from None
    if version.encode() != VERSION or len(blob) < NONCE_BYTES + TAG_BYTES:
        raise SecretUnreadable()
    nonce, cipher, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
    enc_key, mac_key = _subkeys(_key(data_dir))
    if not hmac.compare_digest(tag, hmac.digest(mac_key, VERSION + nonce + cipher, 'sha256')):
        raise SecretUnreadable()
    return bytes(a ^ b for a, b in zip(cipher, _stream(enc_key, nonce, len(cipher)), strict=True)).decode()

