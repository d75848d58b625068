"""Editing a lead's fields, built-in and custom: the lead page's sections save through here, one
transaction each, a stale edit refused, the changed keys audited, the lead re-scored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import permissions
from core.capture.clean import validate
from core.capture.scoring import rescore
from core.context import Context, audit, retry_conflicts
from core.custom_fields import records
from core.custom_fields.requirements import kept_by_lead
from core.custom_fields.values import FIELD as CUSTOM
from core.custom_fields.values import CustomFields
from core.errors import NotAllowed, NotFound, StaleEdit, ValidationFailed
from core.leads.fields import LEAD
from core.tags.records import lead_rule_tags
from store.audit_actions import AuditAction
from store.models import Lead, UserRef

EDITABLE_FIELDS = LEAD.editable
"""The lead page's form, in order (core/leads/fields.py)."""


class Editing:
    """Part of LeadService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    def _custom_changes(self, raw: Any) -> dict[str, Any]:
        """Edited custom values as stored, None for a cleared one; ValidationFailed names each bad
        one as `custom.<key>` (a required field cleared: `required`)."""
        fields = self.custom_fields()
        if not isinstance(raw, Mapping):
            raise ValidationFailed({CUSTOM: 'not_object'})
        stored = fields.check(raw, region=self.ctx.settings.default_region)
        errors = {f'{CUSTOM}.{key}': 'required' for key in raw
                  if key not in stored and key in fields.active.required}
        if errors:
            raise ValidationFailed(errors)
        return {key: stored.get(key) for key in raw}

    def custom_fields(self) -> CustomFields:
        """The leads' custom fields now (the capture configuration's copy while its token holds)."""
        with self.ctx.read() as session:
            return self.ctx.capture_config.load(session).custom

    def _editable(self, session: Any, actor: UserRef, lead_id: int, version: int | None) -> Lead:
        # Row-locked, so the version check and the write are one step on PostgreSQL too.
        lead = session.get(Lead, lead_id, with_for_update=True, populate_existing=True)
        if lead is None or lead.is_deleted:
            raise NotFound()
        if not permissions.can_view_lead(actor, lead) or not permissions.can_edit_lead(actor, lead):
            raise NotAllowed()
        if version is not None and lead.version != version:
            raise StaleEdit()
        return lead

    @retry_conflicts
    def update_lead(self, actor: UserRef, lead_id: int, *, version: int, changes: Mapping[str, Any]) -> int:
        """Save edited fields if nobody saved in between; returns the new version.

        `changes['custom']`: some custom values by key (checked by core/custom_fields; an empty one
        clears it, a required one may not be cleared); the keys not named keep their values, so a
        retired field's value stays. The audit names each changed key as `custom.<key>`."""
        changes = dict(changes)
        custom_changes = changes.pop(CUSTOM, None)
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValidationFailed(dict.fromkeys(sorted(unknown), 'invalid'))
        custom = self._custom_changes(custom_changes) if custom_changes is not None else {}
        now = self.ctx.now()
        with self.ctx.write() as session:
            lead = self._editable(session, actor, lead_id, version)
            if kept := kept_by_lead(self.ctx.capture_config.load(session).custom, lead.status, custom):
                raise ValidationFailed(kept)
            merged = {f: getattr(lead, f) for f in EDITABLE_FIELDS} | changes
            clean = validate(merged | {'source': lead.source}, default_source=lead.source,
                                          region=self.ctx.settings.default_region)
            values, custom_changed = records.merge(lead.custom, custom)
            changed = [f for f in EDITABLE_FIELDS if getattr(clean, f) != getattr(lead, f)] + custom_changed
            if not changed:
                return lead.version
            lead.custom = values  # a new object: the JSON column sees the change
            for f in changed:
                if f in EDITABLE_FIELDS:
                    setattr(lead, f, getattr(clean, f))
            lead.phone_norm, lead.company_norm = clean.phone_norm, clean.company_norm
            rescore(lead, self.ctx.capture_config.load(session).scoring, lead_rule_tags(session, lead.id))
            lead.version += 1
            lead.updated_at = now
            session.add(lead)
            audit(session, AuditAction.EDITED, now=now, lead_id=lead_id, actor_id=actor.id, reason_key='reason.edited',
                  fields=', '.join(changed))
            new_version, owner_id = lead.version, lead.owner_id
        self.ctx.events.publish(self.ctx.events.lead_changed, lead_id, owner_id)
        return new_version
