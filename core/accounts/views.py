"""Per-user view choices (which inbox columns show), kept as small `AppSetting` rows under
`view:<name>:<user id>`: no table of their own, and not configuration (core/projections.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from core.context import Context
from core.custom_fields.values import KEY
from core.errors import ValidationFailed
from store.config_version import VIEW_PREFIX
from store.models import AppSetting, UserRef

INBOX_COLUMNS = ('grade', 'name', 'company', 'phone', 'source', 'status', 'owner', 'score', 'next', 'sla',
                 'created')
"""Every column the inbox can show, in its order."""
CUSTOM_COLUMN = 'custom.'
"""A custom field's column is `custom.<key>`: offered by the chooser, never shown by default; it
follows the built-in ones in the order chosen. A key no longer defined is kept here and left out by
the inbox, so restoring a retired field brings its column back."""
INBOX_DEFAULT = ('grade', 'name', 'company', 'phone', 'status', 'owner', 'next', 'sla')
"""Shown until a user chooses: what fits a 1280 px screen (source, score and created-at on request)."""


def _key(name: str, user_id: int) -> str:
    return f'{VIEW_PREFIX}{name}:{user_id}'


def _custom_column(name: str) -> bool:
    return name.startswith(CUSTOM_COLUMN) and KEY.fullmatch(name[len(CUSTOM_COLUMN):]) is not None


def _ordered(chosen: list[str]) -> list[str]:
    """The built-in columns in the inbox's order, then the custom ones in the order given."""
    custom = [c for c in dict.fromkeys(chosen) if _custom_column(c)]
    return [c for c in INBOX_COLUMNS if c in chosen] + custom


class ViewChoices:
    """Mixed into the team service: `desk.team.inbox_columns(user)`."""

    ctx: Context

    def inbox_columns(self, actor: UserRef) -> list[str]:
        """The inbox columns `actor` chose, in the inbox's order; the default until they choose."""
        with self.ctx.read() as session:
            row = session.get(AppSetting, _key('inbox', actor.id))
        if row is None:
            return list(INBOX_DEFAULT)
        try:
            stored = json.loads(row.value)
            chosen = [c for c in stored if isinstance(c, str)]
        except (ValueError, TypeError):
            return list(INBOX_DEFAULT)
        return _ordered(chosen) or list(INBOX_DEFAULT)

    def set_inbox_columns(self, actor: UserRef, columns: Iterable[str]) -> list[str]:
        """Remember which inbox columns `actor` sees (at least one, known names only)."""
        chosen = list(columns)
        if not chosen or not all(c in INBOX_COLUMNS or _custom_column(c) for c in chosen):
            raise ValidationFailed({'columns': 'invalid'})
        ordered = _ordered(chosen)
        with self.ctx.write() as session:
            session.merge(AppSetting(key=_key('inbox', actor.id), value=json.dumps(ordered)))
        return ordered
