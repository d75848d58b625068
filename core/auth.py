"""Passwords, login throttling and API-key hashing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

FREE_ATTEMPTS = 5
"""Wrong passwords in a row before the account is slowed down."""
BASE_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def lock_after_failure(failures: int, now: datetime) -> datetime | None:
    """From the fifth failure on, each further one doubles the wait (30 s, 60 s, … 15 min)."""
    if failures < FREE_ATTEMPTS:
        return None
    seconds = min(MAX_LOCK_SECONDS, BASE_LOCK_SECONDS * 2 ** (failures - FREE_ATTEMPTS))
    return now + timedelta(seconds=seconds)


def new_api_key() -> str:
    """A key shown once; only its SHA-256 is stored (it is random, so no slow hash is needed)."""
    return 'ld_' + secrets.token_urlsafe(32)


def hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode('utf-8', 'surrogatepass')).hexdigest()
