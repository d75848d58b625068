"""An opportunity's custom fields inside the deal's actions (core/pipeline/deals.py): the values a
new deal starts with (the convert dialog's), an edit's, and the stage rule ("required from stage X
on", core/custom_fields/requirements.py) checked on every move and on every edit that clears a
value. Each runs in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from core.custom_fields import records, requirements
from core.custom_fields.requirements import FieldsNeeded
from core.errors import ValidationFailed
from store import queries
from store.models import CustomEntity, Opportunity, Stage


def starting_values(session: Session, raw: Mapping[str, Any] | None, first: Stage, *, region: str) -> dict[str, Any]:
    """A new deal's values: checked, and those needed from the first stage on required
    (ValidationFailed naming each `custom.<key>`, so the dialog marks its inputs)."""
    fields = records.load(session, CustomEntity.OPPORTUNITY)
    if raw is None and not fields.definitions:
        return {}
    needed = requirements.for_stage(fields, queries.stages(session, include_archived=True), first)
    return records.check_new(fields, raw or {}, region=region, needed=[d.key for d in needed])


def check_move(session: Session, o: Opportunity, target: Stage) -> None:
    """FieldsNeeded when the deal lacks a field needed in `target`: nothing moves."""
    fields = records.load(session, CustomEntity.OPPORTUNITY)
    if not fields.definitions:
        return
    needed = requirements.for_stage(fields, queries.stages(session, include_archived=True), target)
    missing = requirements.unfilled(needed, o.custom)
    if missing:
        raise FieldsNeeded(missing, stage=target)


def edited_values(session: Session, o: Opportunity, raw: Any, *, region: str) -> tuple[dict[str, Any], list[str]]:
    """The deal's values after an edit and the changed keys (`custom.<key>`). A field needed where
    the deal stands may not be cleared (ValidationFailed `required`)."""
    fields = records.load(session, CustomEntity.OPPORTUNITY)
    changes = records.check_changes(fields, raw, region=region)
    stage = session.get(Stage, o.stage_id)
    if stage is not None:
        needed = requirements.for_stage(fields, queries.stages(session, include_archived=True), stage)
        errors = requirements.kept(fields, needed, [k for k, v in changes.items() if v is None])
        if errors:
            raise ValidationFailed(errors)
    return records.merge(o.custom, changes)
