"""Whose id an external_id is: each API key is its own scope, the web form and imports have theirs, so
two senders' equal ids never collide and one sender's id names one lead."""

from __future__ import annotations

import hashlib
from enum import StrEnum


class ExternalScope(StrEnum):
    """Whose ids an `external_id` is, beyond API keys (each key is its own scope: `api_scope`)."""

    IMPORT = 'import'
    """The desk's own channels: imports (a CRM's ids), and manual entry or the demo should one carry an
    id. Also where the ids of leads from before scopes went when no API key's record named them."""


EXTERNAL_KEY_MAX = 200
"""`Lead.external_key`'s length (the column that held the bare id before scopes: renamed, not rebuilt)."""


def api_scope(api_key_id: int) -> str:
    """The scope of the ids one API key sends: its own, so another key's equal id is another lead."""
    return f'key:{api_key_id}'


def external_key(scope: str, external_id: str) -> str:
    """`external_id` within `scope`: what `Lead.external_key` holds and is unique on. `\\x1f` joins them
    (clean text never holds it, nor does a scope), so no two (scope, id) pairs share a key; an id too
    long to fit 200 characters with its scope is named by its SHA-256 instead."""
    key = f'{scope}\x1f{external_id}'
    if len(key) <= EXTERNAL_KEY_MAX:
        return key
    return f'{scope}\x1f#{hashlib.sha256(external_id.encode()).hexdigest()}'


