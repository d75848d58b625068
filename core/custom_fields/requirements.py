"""When a custom field must be filled beyond capture: a lead's field "required at qualification"
(qualifying refuses while it is empty) and an opportunity's "required from stage X on" (a deal may
not enter that stage or a later one while it is empty). Pure rules over the definitions, the
stored values and the stages; the actions (core/leads/qualifying.py, core/pipeline/deals.py) call
them inside their transaction and raise `FieldsNeeded`.

Stage order: open stages by `position`; Won comes after every open stage, so a field required from
an open stage is needed to win too. Lost is no step forward: losing a deal never waits for a field
(a field required from the Lost stage itself is needed to lose, nothing else)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.errors import DomainError
from store.models import LeadStatus, Stage, StageKind

from .values import FIELD, CustomFields, Definition


class FieldsNeeded(DomainError):
    """Custom fields the step needs are empty: nothing was changed. `errors` names each field as
    `custom.<key>` (`required`, as a form marks it); the message names them in the reader's
    language (and the stage, for a move)."""

    code = 'fields_needed'

    def __init__(self, fields: Sequence[Definition], *, stage: Stage | None = None) -> None:
        super().__init__('fields_needed_stage' if stage is not None else 'fields_needed_qualify',
                         fields_zh='、'.join(d.label_zh for d in fields),
                         fields_en=', '.join(d.label_en or d.label_zh for d in fields),
                         stage_zh=stage.name_zh if stage else '', stage_en=stage.name_en if stage else '')
        self.errors = {f'{FIELD}.{d.key}': 'required' for d in fields}
        self.keys = tuple(d.key for d in fields)


def _empty(value: Any) -> bool:
    return value is None or value in ('', [])


def unfilled(fields: Iterable[Definition], values: Mapping[str, Any] | None) -> list[Definition]:
    """Those of `fields` without a value in `values`."""
    values = values or {}
    return [d for d in fields if _empty(values.get(d.key))]


def to_qualify(fields: CustomFields) -> list[Definition]:
    """The active lead fields qualifying needs: required at qualification, or already at capture."""
    return [d for d in fields.definitions if not d.is_retired and (d.is_required_to_qualify or d.is_required)]


def reaches(required: Stage, target: Stage) -> bool:
    """Whether a deal in `target` is at or past `required` (see the module docstring)."""
    if StageKind.LOST in (target.kind, required.kind):
        return target.id == required.id
    if required.kind == StageKind.WON:
        return target.kind == StageKind.WON
    return target.kind == StageKind.WON or target.position >= required.position


def for_stage(fields: CustomFields, stages: Iterable[Stage], target: Stage) -> list[Definition]:
    """The active opportunity fields a deal needs in `target` (`stages`: every stage, archived ones
    too, so a field set from an archived stage keeps its place in the order)."""
    by_id = {s.id: s for s in stages}
    needed = []
    for d in fields.definitions:
        required = by_id.get(d.required_stage_id) if d.required_stage_id is not None else None
        if not d.is_retired and required is not None and reaches(required, target):
            needed.append(d)
    return needed


def kept(fields: CustomFields, needed: Iterable[Definition], cleared: Iterable[str]) -> dict[str, str]:
    """An edit's errors for clearing a field the record needs where it is now (a qualified lead's,
    a deal's at or past its stage): `custom.<key>`: `required`."""
    keys = {d.key for d in needed}
    return {f'{FIELD}.{k}': 'required' for k in cleared if k in keys and k in fields.active}


QUALIFIED = (LeadStatus.QUALIFIED, LeadStatus.CONVERTED)
"""Lead statuses past qualification: a field qualifying needed may not be cleared there."""


def kept_by_lead(fields: CustomFields, status: str, changes: Mapping[str, Any]) -> dict[str, str]:
    """An edit's errors for clearing, on a qualified (or converted) lead, a field qualifying needs."""
    if status not in QUALIFIED:
        return {}
    return kept(fields, to_qualify(fields), [k for k, v in changes.items() if v is None])
