"""A record's custom values written by an action: the definitions of one record type read in the
action's transaction, an edit's changed values checked (a cleared one is None), and the changes
merged into the stored object with the changed keys named for the audit (`custom.<key>`).

Why shared: an opportunity's page, a customer's page and the convert dialog write the same JSON
column the same way a lead's edit does (core/leads/actions.py `update_lead`, which reads its
definitions through the capture configuration instead)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session

from core.errors import ValidationFailed
from store import queries

from .values import FIELD, CustomFields, definition


def load(session: Session, entity: str) -> CustomFields:
    """One record type's definitions as stored now."""
    return CustomFields(definition(row) for row in queries.custom_fields(session, entity))


def check_changes(fields: CustomFields, raw: Any, *, region: str) -> dict[str, Any]:
    """An edit's values as stored, None for a cleared one; ValidationFailed names each bad one as
    `custom.<key>` (unknown, retired, the wrong type, or a field required on capture cleared)."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed({FIELD: 'not_object'})
    stored = fields.check(raw, region=region)
    errors = {f'{FIELD}.{key}': 'required' for key in raw if key not in stored and key in fields.active.required}
    if errors:
        raise ValidationFailed(errors)
    return {key: stored.get(key) for key in raw}


def check_new(fields: CustomFields, raw: Any, *, region: str, needed: Iterable[str] = ()) -> dict[str, Any]:
    """A new record's values (a dialog's): checked, empty ones left out, `needed` keys required
    (besides the fields required on capture)."""
    values = fields.check(raw, region=region, require=True)
    errors = {f'{FIELD}.{key}': 'required' for key in needed if key not in values}
    if errors:
        raise ValidationFailed(errors)
    return values


def merge(stored: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The new object (a fresh dict: the JSON column sees the change) and the changed keys as
    `custom.<key>`; a None change removes the key, so a retired field's value stays unless named."""
    values = dict(stored or {})
    changed = []
    for key, value in changes.items():
        if values.get(key) != value:
            changed.append(f'{FIELD}.{key}')
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
    return values, changed
