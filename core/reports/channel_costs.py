"""What each lead source cost per month (entered by managers): the cost-per-lead and cost-per-deal
panels read it."""

from __future__ import annotations

from datetime import date
from typing import Any

from core import permissions
from core.context import Context, audit
from core.errors import NotAllowed, ValidationFailed
from core.pipeline.money import parse_money
from store import report_lists
from store.audit_actions import AuditAction
from store.models import ChannelCost, Source, UserRef


class ChannelCosts:
    """Part of ReportService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    def set_channel_cost(self, actor: UserRef, *, source: str, month: date, amount: Any) -> int:
        """Marketing (or an admin) enters what one source cost in one month; again replaces it. Audited."""
        if not permissions.can_enter_costs(actor):
            raise NotAllowed()
        errors: dict[str, str] = {}
        if source not in Source.__members__.values():
            errors['source'] = 'invalid_source'
        try:
            cents = parse_money(amount)
        except ValueError:
            errors['amount'] = 'invalid'
            cents = 0
        if errors:
            raise ValidationFailed(errors)
        first = month.replace(day=1)
        now = self.ctx.now()
        with self.ctx.write() as session:
            row = report_lists.channel_cost(session, source, first) or ChannelCost(source=source, month=first)
            row.cost_cents, row.updated_by, row.updated_at = cents, actor.id, now
            session.add(row)
            audit(session, AuditAction.CHANNEL_COST, now=now, actor_id=actor.id, reason_key='reason.channel_cost',
                  source=source, month=f'{first:%Y-%m}', amount=f'{cents // 100}.{cents % 100:02d}')
        return cents

    def channel_costs(self, actor: UserRef, first: date, last: date) -> list[ChannelCost]:
        if not permissions.sees_all_leads(actor):
            raise NotAllowed()
        with self.ctx.read() as session:
            return list(report_lists.channel_costs(session, first.replace(day=1), last))
