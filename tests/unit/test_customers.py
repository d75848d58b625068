"""core/customers/accounts.py and returning-customer routing in core/capture/intake.py (issue 4 "Customers";
PRODUCT.md Customers): tiers from editable rules, dormant set by the timer and woken by activity,
the customer list and page, and a returning customer's new lead going to the customer's owner."""

from __future__ import annotations

from typing import Any

import pytest

from core.clock import FakeClock
from core.customers.accounts import TierRules, tier_for
from core.desk import Desk
from core.errors import NotAllowed, NotFound, ValidationFailed
from store.models import Account, AuditEntry, Contact, Lead, LeadStatus, Opportunity, Role, Tier, UserRef
from tests.factories import lead_data, user

from .db import get, rows
from .test_conversion import make_opportunity

# ----- helpers -----------------------------------------------------------------------------------

def won(desk: Desk, clock: FakeClock, rep: UserRef, **fields: Any) -> int:
    """A won deal; returns its account id."""
    opportunity_id = make_opportunity(desk, clock, rep, **fields)
    return win(desk, rep, opportunity_id)


def win(desk: Desk, actor: UserRef, opportunity_id: int) -> int:
    o = get(desk, Opportunity, opportunity_id)
    won_stage = next(s for s in desk.pipeline.stages() if s.kind == 'won')
    desk.pipeline.move_opportunity(actor, opportunity_id, to_stage_id=won_stage.id or 0, version=o.version)
    return o.account_id


def account(desk: Desk, account_id: int) -> Account:
    return get(desk, Account, account_id)


def capture(desk: Desk, actor: UserRef | None = None, *, keep: bool = False, **fields: Any) -> Lead:
    result = desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual', actor=actor,
                                     keep_for_actor=keep)
    return get(desk, Lead, result.lead_id)


def add_contact(desk: Desk, account_id: int, **fields: Any) -> None:
    with desk.ctx.write() as session:
        session.add(Contact(account_id=account_id, name='Second buyer', **fields))


# ----- tier rules --------------------------------------------------------------------------------

def test_default_tier_rules(desk: Desk) -> None:
    assert desk.customers.tier_rules() == TierRules(vip_min_cents=50_000_000, dormant_days=180)


def test_manager_sets_tier_rules(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    returned = desk.customers.set_tier_rules(manager, {'vip_min_cents': '2000000', 'dormant_days': 90})
    assert returned == desk.customers.tier_rules() == TierRules(vip_min_cents=2_000_000, dormant_days=90)


def test_partial_tier_rules_keep_other_defaults(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    desk.customers.set_tier_rules(manager, {'dormant_days': 30})
    assert desk.customers.tier_rules() == TierRules(vip_min_cents=50_000_000, dormant_days=30)


def test_tier_rules_change_is_audited(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    desk.customers.set_tier_rules(manager, {'dormant_days': 30})
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'tier_rules_changed')
    assert (entry.actor_id, entry.reason_key) == (manager.id, 'reason.tier_rules_changed')


@pytest.mark.parametrize('role', [Role.REP, Role.MARKETING])
def test_only_team_leads_set_tier_rules(desk: Desk, role: str) -> None:
    actor = user(desk, role)
    with pytest.raises(NotAllowed):
        desk.customers.set_tier_rules(actor, {'dormant_days': 30})
    assert desk.customers.tier_rules() == TierRules()


def test_admin_sets_tier_rules(desk: Desk) -> None:
    from tests.factories import admin

    desk.customers.set_tier_rules(admin(desk), {'vip_min_cents': 0})
    assert desk.customers.tier_rules().vip_min_cents == 0


@pytest.mark.parametrize('values', [
    {'vip_min_cents': -1}, {'dormant_days': 0}, {'dormant_days': 3651}, {'dormant_days': 'abc'},
    {'vip_min_cents': None}, {'dormant_days': [1]}, {'bogus': 1},
])
def test_invalid_tier_rules_are_refused(desk: Desk, values: dict[str, Any]) -> None:
    manager = user(desk, Role.MANAGER)
    with pytest.raises(ValidationFailed) as e:
        desk.customers.set_tier_rules(manager, values)
    assert e.value.errors == {'tier_rules': 'invalid'}
    assert desk.customers.tier_rules() == TierRules()


@pytest.mark.parametrize('days', [1, 3650])
def test_dormant_days_bounds_are_accepted(desk: Desk, days: int) -> None:
    manager = user(desk, Role.MANAGER)
    assert desk.customers.set_tier_rules(manager, {'dormant_days': days}).dormant_days == days


def test_non_customer_account_is_potential() -> None:
    assert tier_for(Account(name='a', lifetime_value_cents=10**12), TierRules()) == Tier.POTENTIAL


@pytest.mark.parametrize(('ltv', 'tier'), [(999, Tier.REGULAR), (1000, Tier.VIP), (1001, Tier.VIP)])
def test_customer_tier_by_lifetime_value(ltv: int, tier: str) -> None:
    customer = Account(name='a', is_customer=True, lifetime_value_cents=ltv)
    assert tier_for(customer, TierRules(vip_min_cents=1000)) == tier


# ----- dormant -----------------------------------------------------------------------------------

def test_customer_idle_beyond_dormant_days_becomes_dormant(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    clock.advance(days=181)
    report = desk.automation.tick()
    assert (report.done['dormant'], account(desk, account_id).tier) == ([account_id], Tier.DORMANT)


def test_customer_within_dormant_days_stays(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep)
    clock.advance(days=179)
    desk.automation.tick()
    assert account(desk, account_id).tier == Tier.REGULAR


def test_dormant_is_audited_as_system(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep, company='腾达科技')
    clock.advance(days=181)
    desk.automation.tick()
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'dormant')
    assert (entry.actor_id, entry.reason_key, entry.reason_params) == (
        None, 'reason.dormant', {'account': account(desk, account_id).name, 'days': 180})


def test_dormant_is_marked_once(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    won(desk, clock, rep)
    clock.advance(days=181)
    desk.automation.tick()
    clock.advance(days=1)
    assert desk.automation.tick().done['dormant'] == []
    assert len(rows(desk, AuditEntry, AuditEntry.action == 'dormant')) == 1


def test_dormant_days_follow_rules(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    desk.customers.set_tier_rules(manager, {'dormant_days': 30})
    account_id = won(desk, clock, rep)
    clock.advance(days=31)
    desk.automation.tick()
    assert account(desk, account_id).tier == Tier.DORMANT


def test_non_customer_account_never_goes_dormant(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    clock.advance(days=400)
    desk.automation.tick()
    assert account(desk, get(desk, Opportunity, opportunity_id).account_id).tier == Tier.POTENTIAL


def test_recent_activity_keeps_customer_awake(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    account_id = win(desk, rep, opportunity_id)
    clock.advance(days=100)
    desk.pipeline.log_activity(rep, opportunity_id, kind='visit')
    clock.advance(days=100)
    desk.automation.tick()
    assert account(desk, account_id).tier == Tier.REGULAR


def test_activity_wakes_dormant_customer_to_regular(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    account_id = win(desk, rep, opportunity_id)
    clock.advance(days=181)
    desk.automation.tick()
    desk.pipeline.log_activity(rep, opportunity_id, kind='call')
    a = account(desk, account_id)
    assert (a.tier, a.last_activity_at) == (Tier.REGULAR, clock.now())


def test_activity_wakes_dormant_vip_to_vip(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    desk.customers.set_tier_rules(manager, {'vip_min_cents': 1_000_000})
    opportunity_id = make_opportunity(desk, clock, rep, amount='10000')
    account_id = win(desk, rep, opportunity_id)
    clock.advance(days=181)
    desk.automation.tick()
    assert account(desk, account_id).tier == Tier.DORMANT
    desk.pipeline.log_activity(rep, opportunity_id, kind='call')
    assert account(desk, account_id).tier == Tier.VIP


def test_new_win_wakes_dormant_customer(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    first = make_opportunity(desk, clock, rep, company='腾达科技有限公司')
    second = make_opportunity(desk, clock, rep, company='腾达科技')
    account_id = win(desk, rep, first)
    clock.advance(days=181)
    desk.automation.tick()
    win(desk, rep, second)
    a = account(desk, account_id)
    assert (a.tier, a.won_count) == (Tier.REGULAR, 2)


# ----- the customer list and page ----------------------------------------------------------------

def test_customer_list_shows_won_accounts_only(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep, company='腾达科技')
    make_opportunity(desk, clock, rep, company='华为技术')
    found, total = desk.customers.customers(rep)
    assert ([(c.id, c.tier, c.won_count, c.lifetime_value_cents) for c in found], total) == (
        [(account_id, Tier.REGULAR, 1, 1_000_000)], 1)


def test_rep_lists_own_customers_only(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    mine = won(desk, clock, rep)
    won(desk, clock, other)
    assert [c.id for c in desk.customers.customers(rep)[0]] == [mine]


def test_manager_lists_all_customers_by_lifetime_value(desk: Desk, clock: FakeClock) -> None:
    a, b, manager = user(desk), user(desk), user(desk, Role.MANAGER)
    small = won(desk, clock, a, amount='100')
    big = won(desk, clock, b, amount='900')
    assert [c.id for c in desk.customers.customers(manager)[0]] == [big, small]


def test_customer_list_filters_by_tier_and_search(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    desk.customers.set_tier_rules(manager, {'vip_min_cents': 1_000_000})
    vip = won(desk, clock, rep, company='腾达科技', amount='10000')
    won(desk, clock, rep, company='华为技术', amount='1')
    assert [c.id for c in desk.customers.customers(manager, tier=Tier.VIP)[0]] == [vip]
    assert [c.id for c in desk.customers.customers(manager, search='腾达')[0]] == [vip]


def test_customer_page_shows_contacts_and_deals(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, name='Zhang San', company='腾达科技')
    account_id = win(desk, rep, opportunity_id)
    view = desk.customers.customer(rep, account_id)
    assert ([c.name for c in view.contacts], [o.id for o in view.opportunities], view.owner_name) == (
        ['Zhang San'], [opportunity_id], rep.name)


def test_other_rep_cannot_open_customer(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    account_id = won(desk, clock, rep)
    with pytest.raises(NotAllowed):
        desk.customers.customer(other, account_id)


def test_unknown_customer_is_not_found(desk: Desk) -> None:
    with pytest.raises(NotFound):
        desk.customers.customer(user(desk, Role.MANAGER), 9999)


# ----- returning customers -----------------------------------------------------------------------

def test_new_lead_from_customer_company_is_marked_with_account(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    user(desk)  # someone the rules could pick instead
    account_id = won(desk, clock, rep, company='腾达科技有限公司')
    lead = capture(desk, company='腾达科技')
    assert lead.account_id == account_id


def test_new_lead_from_customer_goes_to_customer_owner(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    user(desk)
    won(desk, clock, rep, company='腾达科技有限公司')
    lead = capture(desk, company='腾达科技')
    assert (lead.owner_id, lead.status, lead.assignment_reason['key']) == (  # type: ignore[index]
        rep.id, LeadStatus.ASSIGNED, 'reason.assigned.customer_owner')


def test_customer_owner_assignment_is_audited(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    won(desk, clock, rep, company='腾达科技有限公司')
    lead = capture(desk, company='腾达科技')
    [entry] = rows(desk, AuditEntry, AuditEntry.lead_id == lead.id, AuditEntry.action == 'assigned')
    assert (entry.actor_id, entry.subject_user_id, entry.reason_key) == (
        None, rep.id, 'reason.assigned.customer_owner')
    assert (entry.reason_params['rep'], entry.reason_params['customer']) == (rep.name, '腾达科技有限公司')


def test_new_lead_with_customer_contact_phone_goes_to_owner(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    user(desk)
    account_id = won(desk, clock, rep, company='腾达科技')
    add_contact(desk, account_id, phone='13977778888', phone_norm='+8613977778888')
    lead = capture(desk, phone='139 7777 8888')
    assert (lead.account_id, lead.owner_id) == (account_id, rep.id)


def test_new_lead_with_customer_contact_email_goes_to_owner(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    user(desk)
    account_id = won(desk, clock, rep, company='腾达科技')
    add_contact(desk, account_id, email='buyer@tengda.cn')
    lead = capture(desk, email='Buyer@Tengda.cn', phone=None)
    assert (lead.account_id, lead.owner_id) == (account_id, rep.id)


def test_account_that_never_bought_does_not_route(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    make_opportunity(desk, clock, rep, company='腾达科技')
    lead = capture(desk, company='腾达科技')
    assert lead.account_id is None
    assert lead.assignment_reason['key'] != 'reason.assigned.customer_owner'  # type: ignore[index]


def test_unrelated_lead_is_not_marked(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    won(desk, clock, rep, company='腾达科技')
    assert capture(desk, company='华为技术').account_id is None


def test_inactive_customer_owner_leaves_lead_to_rules(desk: Desk, clock: FakeClock) -> None:
    from tests.factories import admin

    rep = user(desk)
    other = user(desk)
    account_id = won(desk, clock, rep, company='腾达科技')
    desk.team.update_user(admin(desk), rep.id, {'is_active': False})
    lead = capture(desk, company='腾达科技')
    assert (lead.account_id, lead.owner_id) == (account_id, other.id)


def test_other_reps_own_entry_stays_with_them_but_is_marked(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    account_id = won(desk, clock, rep, company='腾达科技')
    lead = capture(desk, other, keep=True, company='腾达科技')
    assert (lead.account_id, lead.owner_id, lead.assignment_reason['key']) == (  # type: ignore[index]
        account_id, other.id, 'reason.assigned.self')


def test_customer_owner_own_entry_for_customer_is_kept(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    account_id = won(desk, clock, rep, company='腾达科技')
    lead = capture(desk, rep, keep=True, company='腾达科技')
    assert (lead.account_id, lead.owner_id) == (account_id, rep.id)
