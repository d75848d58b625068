"""Qualifying and disqualifying a lead: the fields qualifying needs (core/leads/fields.py), the reason
a disqualification must give, each one transaction with its audit line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.automation.sla_clocks import clear_clocks
from core.context import Context, audit, retry_conflicts
from core.custom_fields import requirements
from core.custom_fields.requirements import FieldsNeeded
from core.errors import InvalidState, ValidationFailed
from core.leads.fields import LEAD
from core.playbooks import checklist
from store.audit_actions import AuditAction
from store.models import (
    Lead,
    LeadStatus,
    UserRef,
)


class Qualifying:
    """Part of LeadService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    if TYPE_CHECKING:  # given by LeadService (core/leads/actions.py)
        def _editable(self, session: Any, actor: UserRef, lead_id: int, version: int | None) -> Lead: ...

    @retry_conflicts
    def disqualify_lead(self, actor: UserRef, lead_id: int, *, reason: str, version: int | None = None) -> None:
        reason = (reason or '').replace('\x00', '').strip()[:500]
        if not reason:
            raise ValidationFailed({'reason': 'required'})
        now = self.ctx.now()
        with self.ctx.write() as session:
            lead = self._editable(session, actor, lead_id, version)
            lead.status = LeadStatus.DISQUALIFIED
            lead.disqualify_reason = reason
            lead.version += 1
            lead.updated_at = now
            session.add(lead)
            audit(session, AuditAction.STATUS, now=now, lead_id=lead_id, actor_id=actor.id,
                  reason_key='reason.disqualified', status=LeadStatus.DISQUALIFIED, reason=reason)
            owner_id = lead.owner_id
            clear_clocks(lead)  # closed: the timer has nothing left to do with it
        self.ctx.events.publish(self.ctx.events.lead_changed, lead_id, owner_id)

    @retry_conflicts
    def qualify_lead(self, actor: UserRef, lead_id: int, *, version: int | None = None,
                     warn_open: bool = False) -> None:
        """Contacted → qualified once need, budget, authority and timeline are all confirmed, the
        custom fields required at qualification are filled (`FieldsNeeded` names them), and no
        required item of the `contacted` playbook is open (`warn_open`: refuse with `ChecklistOpen`
        while any item is open, so the page can ask first)."""
        now = self.ctx.now()
        with self.ctx.write() as session:
            lead = self._editable(session, actor, lead_id, version)
            if lead.status != LeadStatus.CONTACTED:
                raise InvalidState('not_contacted')
            missing = {f: 'required' for f in LEAD.to_qualify if not getattr(lead, f)}
            if missing:
                raise ValidationFailed(missing)
            needed = requirements.unfilled(requirements.to_qualify(self.ctx.capture_config.load(session).custom),
                                           lead.custom)
            if needed:  # custom fields required at qualification (or at capture, left empty by a channel)
                raise FieldsNeeded(needed)
            checklist.leave_step(session, checklist.lead_step(lead), lead=lead, opportunity=None, actor_id=actor.id,
                                 now=now, warn_open=warn_open)
            lead.status = LeadStatus.QUALIFIED
            lead.version += 1
            lead.updated_at = now
            session.add(lead)
            audit(session, AuditAction.STATUS, now=now, lead_id=lead_id, actor_id=actor.id,
                  reason_key='reason.qualified',
                  status=LeadStatus.QUALIFIED)
            owner_id = lead.owner_id
        self.ctx.events.publish(self.ctx.events.lead_changed, lead_id, owner_id)
