"""Customers (客户): accounts that bought. Tiers from editable rules, dormant set by the timer,
and the routing of a returning customer's new lead to its owner."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from core import permissions
from core.context import Context, audit, retry_conflicts
from core.custom_fields import records
from core.custom_fields.filters import custom_tests
from core.custom_fields.sorting import CUSTOMERS, check_order
from core.custom_fields.values import NO_FIELDS
from core.customers import care_plan
from core.errors import NotAllowed, NotFound, StaleEdit, ValidationFailed, check_id
from store import queries
from store.audit_actions import AuditAction
from store.models import (
    Account,
    AppSetting,
    Contact,
    CustomEntity,
    Opportunity,
    TagEntity,
    Tier,
    User,
    UserRef,
)

TIER_KEY = 'tier_rules'


@dataclass(frozen=True)
class TierRules:
    vip_min_cents: int = 50_000_000
    """Lifetime value from which a customer is VIP (default ¥500,000)."""
    dormant_days: int = 180
    """No activity and no deal for this long: dormant."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> TierRules:
        data = dict(data or {})
        if set(data) - {'vip_min_cents', 'dormant_days'}:
            raise ValueError('unknown setting')
        try:
            rules = cls(**{k: int(v) for k, v in data.items()})
        except (TypeError, ValueError):
            raise ValueError('not a number') from None
        if rules.vip_min_cents < 0 or not 1 <= rules.dormant_days <= 3650:
            raise ValueError('out of range')
        return rules


def load_tier_rules(session: Session) -> TierRules:
    raw = queries.setting(session, TIER_KEY)
    try:
        return TierRules.from_dict(json.loads(raw)) if raw else TierRules()
    except ValueError:
        return TierRules()


def tier_for(account: Account, rules: TierRules) -> str:
    if not account.is_customer:
        return Tier.POTENTIAL
    return Tier.VIP if account.lifetime_value_cents >= rules.vip_min_cents else Tier.REGULAR


def touch(session: Session, account: Account, now: datetime) -> None:
    """Activity wakes a dormant customer up (its care rhythm counts from this contact)."""
    account.last_activity_at = now
    if account.tier == Tier.DORMANT:
        account.tier = tier_for(account, load_tier_rules(session))
        care_plan.replan(session, account, now, restart=True)


def record_win(session: Session, o: Opportunity, now: datetime) -> None:
    """A won deal makes (or keeps) the account a customer, adds to its lifetime value, re-tiers it."""
    account = session.get(Account, o.account_id, with_for_update=True, populate_existing=True)  # counters add up
    if account is None:
        return
    account.is_customer = True
    account.won_count += 1
    account.lifetime_value_cents += o.amount_cents
    account.owner_id = account.owner_id or o.owner_id
    account.last_activity_at = now
    account.tier = tier_for(account, load_tier_rules(session))
    account.version += 1
    session.add(account)
    care_plan.replan(session, account, now, restart=True)  # the next revisit counts from the win


def undo_win(session: Session, o: Opportunity, now: datetime) -> None:
    """A won deal moved out of Won: its amount and count leave the account again."""
    account = session.get(Account, o.account_id, with_for_update=True, populate_existing=True)  # counters add up
    if account is None:
        return
    account.won_count = max(0, account.won_count - 1)
    account.lifetime_value_cents = max(0, account.lifetime_value_cents - o.amount_cents)
    account.is_customer = account.won_count > 0
    account.tier = tier_for(account, load_tier_rules(session))
    account.version += 1
    session.add(account)
    care_plan.replan(session, account, now)  # the tier's interval may have changed


@dataclass(frozen=True, slots=True)
class CustomerRow:
    id: int
    name: str
    tier: str
    owner_name: str | None
    lifetime_value_cents: int
    won_count: int
    last_activity_at: datetime | None
    tags: tuple[int, ...] = ()
    """The customer's tag ids (chips)."""
    sort_value: object = None
    """Sorted by a custom field: the customer's value of it (the list shows what the order is by)."""


@dataclass(frozen=True, slots=True)
class CustomerView:
    account: Account
    owner_name: str | None
    contacts: list[Contact]
    opportunities: list[Opportunity]
    can_edit: bool = False
    """The owner, or whoever may assign (managers, admins): may edit the customer's custom fields."""


class CustomerService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def customers(self, actor: UserRef, *, page: int = 1, page_size: int = 50,
                  **filters: Any) -> tuple[list[CustomerRow], int]:
        """A page of `customer_filter`'s customers."""
        with self.ctx.read() as session:
            f = self.customer_filter(session, actor, **filters)
            rows, total = queries.customers_page(session, f, offset=(max(1, page) - 1) * page_size, limit=page_size)
            held = queries.record_tag_ids(session, TagEntity.CUSTOMER, (a.id or 0 for a, _ in rows))
            return [CustomerRow(id=a.id or 0, name=a.name, tier=a.tier, owner_name=owner,
                                lifetime_value_cents=a.lifetime_value_cents, won_count=a.won_count,
                                last_activity_at=a.last_activity_at, tags=tuple(held.get(a.id or 0, ())),
                                sort_value=(a.custom or {}).get(f.order.key) if f.order.is_custom else None)
                    for a, owner in rows], total

    @staticmethod
    def customer_filter(session: Session, actor: UserRef, *, tier: str | None = None, search: str | None = None,
                        custom: Mapping[str, Any] | None = None, tags: Sequence[int] = (),
                        sort: str | None = None, sort_key: str = '',
                        sort_desc: bool = False) -> queries.CustomerFilter:
        """The customers the actor may see, filtered and sorted: the list's page and its "all N
        matching" bulk selection read the same. `custom`: {key: option key or true/false} (selects and
        yes/no, checked by core/custom_fields/filters.py as the inbox's); `tags`: a customer holding any
        of these passes; `sort` (a `CustomerSort` value), `sort_key` (a custom sort's field) and
        `sort_desc` (core/custom_fields/sorting.py `CUSTOMERS` checks them)."""
        fields = records.load(session, CustomEntity.CUSTOMER) if custom or sort == queries.CustomerSort.CUSTOM \
            else NO_FIELDS
        return queries.CustomerFilter(
            reach=permissions.list_reach(actor), tier=tier or None,
            search=(search or '').strip()[:100] or None, custom=custom_tests(fields, custom) if custom else (),
            tags=tuple(t for t in tags if isinstance(t, int) and 0 < t < 2**31),
            order=check_order(CUSTOMERS, fields, sort, key=sort_key, descending=sort_desc))

    def customer(self, actor: UserRef, account_id: int) -> CustomerView:
        with self.ctx.read() as session:
            account = session.get(Account, check_id(account_id))
            if account is None or account.is_deleted:
                raise NotFound()
            if not permissions.can_view_customer(actor, account):
                raise NotAllowed()
            owner = session.get(User, account.owner_id) if account.owner_id else None
            return CustomerView(account=account, owner_name=owner.name if owner else None,
                                contacts=list(queries.account_contacts(session, account_id)),
                                opportunities=list(queries.account_opportunities(session, account_id)),
                                can_edit=permissions.can_edit_customer(actor, account))

    def custom_fields(self) -> records.CustomFields:
        """The customers' custom fields now (the page's section, dialog and filters)."""
        with self.ctx.read() as session:
            return records.load(session, CustomEntity.CUSTOMER)

    @retry_conflicts
    def update_customer(self, actor: UserRef, account_id: int, *, version: int, changes: Mapping[str, Any]) -> int:
        """Save a customer's edited custom values (`changes['custom']`, as a lead's edit takes them)
        if nobody saved in between; the audit names each changed key as `custom.<key>`. Returns
        the new version. The owner and whoever sees every customer may edit."""
        changes = dict(changes)
        raw = changes.pop('custom', None)
        if changes or raw is None:
            raise ValidationFailed(dict.fromkeys(sorted(changes) or ['custom'], 'invalid'))
        now = self.ctx.now()
        with self.ctx.write() as session:
            account = owned_account(session, actor, account_id)
            if account.version != version:
                raise StaleEdit()
            fields = records.load(session, CustomEntity.CUSTOMER)
            values, changed = records.merge(account.custom,
                                            records.check_changes(fields, raw, region=self.ctx.settings.default_region))
            if not changed:
                return account.version
            account.custom = values
            account.version += 1
            session.add(account)
            audit(session, AuditAction.CUSTOMER_EDITED, now=now, actor_id=actor.id, reason_key='reason.customer_edited',
                  account=account.name, fields=', '.join(changed))
            return account.version

    def tier_rules(self) -> TierRules:
        with self.ctx.read() as session:
            return load_tier_rules(session)

    def set_tier_rules(self, actor: UserRef, values: Mapping[str, Any]) -> TierRules:
        if not permissions.can_assign(actor):
            raise NotAllowed()
        try:
            rules = TierRules.from_dict(values)
        except ValueError as e:
            raise ValidationFailed({'tier_rules': 'invalid'}, detail=str(e)) from None
        now = self.ctx.now()
        with self.ctx.write() as session:
            session.merge(AppSetting(key=TIER_KEY, value=json.dumps(asdict(rules))))
            retiered = 0
            for account in queries.all_customers(session):  # new thresholds apply to everyone now
                tier = account.tier if account.tier == Tier.DORMANT else tier_for(account, rules)
                if tier != account.tier:
                    account.tier = tier
                    account.version += 1
                    session.add(account)
                    care_plan.replan(session, account, now)
                    retiered += 1
            audit(session, AuditAction.TIER_RULES_CHANGED, now=now, actor_id=actor.id,
                  reason_key='reason.tier_rules_changed', retiered=retiered)
        return rules


def owned_account(session: Session, actor: UserRef, account_id: int) -> Account:
    """The customer row locked for a change its owner (or a manager) makes; NotFound, NotAllowed."""
    account = session.get(Account, check_id(account_id), with_for_update=True, populate_existing=True)
    if account is None or account.is_deleted:
        raise NotFound()
    if not permissions.can_edit_customer(actor, account):
        raise NotAllowed()
    return account


def dormant_due(session: Session, now: datetime, until: datetime, limit: int) -> list[tuple[Account, datetime]]:
    """The timer's selection: customers idle beyond the rules' days by `until` (the tick: `now`),
    each with when it turns dormant. Shared by the tick and its preview."""
    days = load_tier_rules(session).dormant_days
    return [(account, max(now, (account.last_activity_at or now) + timedelta(days=days)))
            for account in queries.dormant_candidates(session, until - timedelta(days=days), limit)]


def mark_dormant(session: Session, now: datetime, limit: int) -> list[int]:
    """The timer's step: customers idle beyond the rules' days become dormant (audited)."""
    rules = load_tier_rules(session)
    done = []
    for account, _ in dormant_due(session, now, now, limit):
        account.tier = Tier.DORMANT
        account.version += 1
        session.add(account)
        care_plan.replan(session, account, now)  # a one-off wake-up task, due at once
        audit(session, AuditAction.DORMANT, now=now, reason_key='reason.dormant', account=account.name,
              days=rules.dormant_days)
        done.append(account.id or 0)
    return done
