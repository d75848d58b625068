"""The managers' actions on the recycle rules (core/automation/recycle_rules.py) and what the lead
page shows of them: read, save as a whole (one transaction, audited), and which rule applies to a lead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import permissions
from core.automation.recycle_rules import RULES_KEY, ActiveRules, RecycleAction, ResolvedRule, active_rules, parse
from core.capture.config import lead_fields
from core.context import Context, audit
from core.errors import NotAllowed, NotFound
from core.tags.catalog import TagSet, info
from store import queries
from store.audit_actions import AuditAction
from store.models import AppSetting, Lead, UserRef
from store.queries import pools as pool_rows


@dataclass(frozen=True, slots=True)
class LeadRecycleRule:
    """The recycle rule that applies to one lead now, and what it does to its protection."""

    rule: ResolvedRule
    ends_at: datetime | None
    """When the protection ends with the rule (None: kept out of the pool)."""

    @property
    def keeps(self) -> bool:
        return self.rule.rule.action == RecycleAction.NEVER


class RecycleRulesService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _allow(self, actor: UserRef) -> None:
        if not permissions.can_assign(actor):  # who edits the automation policy edits these too
            raise NotAllowed()

    def rules(self, actor: UserRef) -> list[ResolvedRule]:
        """The rules in order, each marked broken when what it names is no longer in use."""
        self._allow(actor)
        with self.ctx.read() as session:
            return list(active_rules(session).resolved)

    def save(self, actor: UserRef, raw: Sequence[Mapping[str, Any]]) -> list[ResolvedRule]:
        """Replace the whole list (its order is the order given); ValidationFailed names each bad
        input as `rule<i>.<part>` and nothing is stored."""
        self._allow(actor)
        with self.ctx.write() as session:
            tags = TagSet(info(row) for row in queries.all_tags(session))
            rules = parse(list(raw), lead_fields(session), tags,
                          frozenset(p.id or 0 for p in pool_rows.all_pools(session)))
            session.merge(AppSetting(key=RULES_KEY, value=rules.to_json()))
            audit(session, AuditAction.POLICY_CHANGED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.recycle_rules_changed', rules=', '.join(r.name for r in rules.rules) or '-')
            session.flush()
            return list(active_rules(session).resolved)

    def for_lead(self, lead_id: int) -> LeadRecycleRule | None:
        """The rule that applies to this owned lead now, if any (the lead page's "kept by rule")."""
        with self.ctx.read() as session:
            lead = session.get(Lead, lead_id)
            if lead is None:
                raise NotFound()
            return rule_for_lead(session, lead)


def rule_for_lead(session: Any, lead: Lead) -> LeadRecycleRule | None:
    """The recycle rule that applies to a protected lead now (None: none, or no protection running)."""
    if lead.protected_until is None or lead.id is None:
        return None
    rules: ActiveRules = active_rules(session)
    index = queries.recycle_rule_of(session, lead.id, rules.tests)
    if index is None:
        return None
    resolved = rules.resolved[index]
    delay = resolved.rule.delay
    return LeadRecycleRule(resolved, None if delay is None else lead.protected_until + delay)
