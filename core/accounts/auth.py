"""Passwords, login throttling and API-key hashing.

Timing: every password attempt that is not locked out runs exactly one argon2 verification, against
the account's hash or, for an address no account has, against `dummy_hash()` (same parameters), so
the answer takes about as long either way."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import ValidationFailed

_hasher = PasswordHasher()

FREE_ATTEMPTS = 5
"""Wrong passwords in a row at one address before it is slowed down."""
BASE_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 15 * 60
FORGET_FAILURES_AFTER = timedelta(days=1)
"""A day without a wrong password at an address starts its count again."""
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
"""Far above any passphrase; stops a megabyte "password" from being hashed on every request."""
TEMPORARY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
"""No 0/o, 1/l/i: a temporary password is read aloud or copied by hand."""

_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str | None) -> str | None:
    """Why a new password is refused (an `err.field.<code>` code), or None. The one rule for the
    first admin, created users, the console and every change."""
    if len(password or '') < MIN_PASSWORD_LENGTH:
        return 'too_short'
    if len(password or '') > MAX_PASSWORD_LENGTH:
        return 'too_long'
    return None


def new_password_hash(password: str, field: str = 'password') -> str:
    """The hash to store for a new password, or ValidationFailed({field: why}) when the rule refuses it:
    every place that sets a password checks the same rule before paying for the hash."""
    problem = password_problem(password)
    if problem is not None:
        raise ValidationFailed({field: problem})
    return hash_password(password)


def new_temporary_password() -> str:
    """What an admin's reset gives the user (shown once): 12 random characters, ~59 bits."""
    chars = ''.join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(12))
    return '-'.join(chars[i:i + 4] for i in range(0, 12, 4))


def dummy_hash() -> str:
    """A hash of a random secret, made once per process with the same parameters as real ones:
    an unknown address is verified against it so it costs what a known one costs (hashing afresh
    each time would cost twice as much and tell the two apart)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(24))
    return _dummy_hash


def throttle_key(email: str, normalized: str | None) -> str:
    """The address failures are counted under: the normalised email, or for text that is not an
    email the trimmed, lower-cased text (it is counted too, like any address no account has)."""
    return (normalized or (email or '').strip().lower())[:254]


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
