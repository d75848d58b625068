"""Qualifying a lead and converting it to an opportunity (issue 4 "Convert"; PRODUCT.md lead lifecycle 8):
BANT gate, who may convert, field carry-over, account reuse, idempotency and read-only converted leads.

The helpers here (`qualified_lead`, `make_opportunity`) are shared by test_pipeline.py and test_customers.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import InvalidState, NotAllowed, ValidationFailed
from store.models import Account, AuditEntry, Contact, Lead, LeadStatus, Opportunity, Role, StageChange, UserRef
from tests.factories import lead_data, user

from .db import get, race, rows

BANT = {'need': 'CRM for 20 seats', 'budget': '¥100k', 'authority': 'CTO Wang', 'timeline': 'Q2'}
CLOSE = date(2026, 6, 30)


# ----- helpers -----------------------------------------------------------------------------------

def own_lead(desk: Desk, rep: UserRef, **fields: Any) -> int:
    """A rep's own manual entry (kept by the rep, not run through the rules)."""
    return desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual', actor=rep,
                                   keep_for_actor=True).lead_id


def contacted_lead(desk: Desk, clock: FakeClock, rep: UserRef, **fields: Any) -> int:
    lead_id = own_lead(desk, rep, **fields)
    clock.advance(minutes=5)
    desk.leads.log_activity(rep, lead_id, kind='call')
    return lead_id


def set_bant(desk: Desk, rep: UserRef, lead_id: int, bant: dict[str, str]) -> None:
    desk.leads.update_lead(rep, lead_id, version=get(desk, Lead, lead_id).version, changes=bant)


def qualified_lead(desk: Desk, clock: FakeClock, rep: UserRef, *, bant: dict[str, str] | None = None,
                   **fields: Any) -> int:
    lead_id = contacted_lead(desk, clock, rep, **fields)
    set_bant(desk, rep, lead_id, BANT if bant is None else bant)
    desk.leads.qualify_lead(rep, lead_id)
    return lead_id


def make_opportunity(desk: Desk, clock: FakeClock, rep: UserRef, *, amount: Any = '10000',
                     expected_close: date = CLOSE, **fields: Any) -> int:
    lead_id = qualified_lead(desk, clock, rep, **fields)
    return desk.pipeline.convert_lead(rep, lead_id, amount=amount, expected_close=expected_close)




# ----- qualify -----------------------------------------------------------------------------------

def test_qualify_with_all_four_bant_fields_makes_lead_qualified(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    assert get(desk, Lead, lead_id).status == LeadStatus.QUALIFIED


def test_qualify_is_audited(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    entries = rows(desk, AuditEntry, AuditEntry.lead_id == lead_id, AuditEntry.reason_key == 'reason.qualified')
    assert [(e.action, e.actor_id) for e in entries] == [('status', rep.id)]


def test_qualify_without_bant_lists_every_missing_field(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = contacted_lead(desk, clock, rep)
    with pytest.raises(ValidationFailed) as e:
        desk.leads.qualify_lead(rep, lead_id)
    assert e.value.errors == dict.fromkeys(('need', 'budget', 'authority', 'timeline'), 'required')


def test_qualify_with_partial_bant_lists_only_missing_fields(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = contacted_lead(desk, clock, rep)
    set_bant(desk, rep, lead_id, {'need': 'CRM', 'budget': '¥50k'})
    with pytest.raises(ValidationFailed) as e:
        desk.leads.qualify_lead(rep, lead_id)
    assert set(e.value.errors) == {'authority', 'timeline'}


def test_qualify_refused_keeps_lead_contacted(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = contacted_lead(desk, clock, rep)
    with pytest.raises(ValidationFailed):
        desk.leads.qualify_lead(rep, lead_id)
    assert get(desk, Lead, lead_id).status == LeadStatus.CONTACTED


def test_qualify_from_assigned_is_invalid_state(desk: Desk) -> None:
    rep = user(desk)
    lead_id = own_lead(desk, rep, **BANT)
    with pytest.raises(InvalidState) as e:
        desk.leads.qualify_lead(rep, lead_id)
    assert e.value.code == 'not_contacted'
    assert get(desk, Lead, lead_id).status == LeadStatus.ASSIGNED


def test_qualify_twice_is_invalid_state(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    with pytest.raises(InvalidState):
        desk.leads.qualify_lead(rep, lead_id)


def test_other_rep_cannot_qualify(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    lead_id = contacted_lead(desk, clock, rep, **BANT)
    with pytest.raises(NotAllowed):
        desk.leads.qualify_lead(other, lead_id)


# ----- who may convert ---------------------------------------------------------------------------

def test_owner_converts_qualified_lead(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    opportunity_id = desk.pipeline.convert_lead(rep, lead_id, amount='10000', expected_close=CLOSE)
    o = get(desk, Opportunity, opportunity_id)
    assert (o.lead_id, o.owner_id, o.amount_cents, o.expected_close) == (lead_id, rep.id, 1_000_000, CLOSE)


def test_manager_converts_reps_lead_and_rep_stays_owner(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    lead_id = qualified_lead(desk, clock, rep)
    opportunity_id = desk.pipeline.convert_lead(manager, lead_id, amount='10000', expected_close=CLOSE)
    assert get(desk, Opportunity, opportunity_id).owner_id == rep.id


def test_other_rep_cannot_convert(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    with pytest.raises(NotAllowed):
        desk.pipeline.convert_lead(other, lead_id, amount='10000', expected_close=CLOSE)
    assert rows(desk, Opportunity) == []
    assert get(desk, Lead, lead_id).status == LeadStatus.QUALIFIED


def test_marketing_cannot_convert(desk: Desk, clock: FakeClock) -> None:
    rep, marketing = user(desk), user(desk, Role.MARKETING)
    lead_id = qualified_lead(desk, clock, rep)
    with pytest.raises(NotAllowed):
        desk.pipeline.convert_lead(marketing, lead_id, amount='10000', expected_close=CLOSE)
    assert rows(desk, Opportunity) == []


@pytest.mark.parametrize('stage', ['assigned', 'contacted'])
def test_only_qualified_leads_convert(desk: Desk, clock: FakeClock, stage: str) -> None:
    rep = user(desk)
    lead_id = own_lead(desk, rep, **BANT) if stage == 'assigned' else contacted_lead(desk, clock, rep, **BANT)
    with pytest.raises(InvalidState) as e:
        desk.pipeline.convert_lead(rep, lead_id, amount='10000', expected_close=CLOSE)
    assert e.value.code == 'not_qualified'
    assert rows(desk, Opportunity) == []


def test_disqualified_lead_does_not_convert(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    desk.leads.disqualify_lead(rep, lead_id, reason='no budget after all')
    with pytest.raises(InvalidState):
        desk.pipeline.convert_lead(rep, lead_id, amount='10000', expected_close=CLOSE)


@pytest.mark.parametrize('amount', ['abc', '-1', '', None, 'NaN'])
def test_convert_rejects_invalid_amount(desk: Desk, clock: FakeClock, amount: Any) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    with pytest.raises(ValidationFailed) as e:
        desk.pipeline.convert_lead(rep, lead_id, amount=amount, expected_close=CLOSE)
    assert e.value.errors == {'amount': 'invalid'}
    assert rows(desk, Opportunity) == []


def test_convert_requires_expected_close(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    with pytest.raises(ValidationFailed) as e:
        desk.pipeline.convert_lead(rep, lead_id, amount='10000', expected_close=None)
    assert e.value.errors == {'expected_close': 'required'}


def test_convert_unknown_lead_is_not_found(desk: Desk) -> None:
    from core.errors import NotFound

    rep = user(desk)
    with pytest.raises(NotFound):
        desk.pipeline.convert_lead(rep, 999_999, amount='1', expected_close=CLOSE)


# ----- what conversion carries -------------------------------------------------------------------

def test_conversion_carries_bant_to_opportunity(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    o = get(desk, Opportunity, opportunity_id)
    assert (o.need, o.budget, o.timeline, o.decision_maker) == (
        BANT['need'], BANT['budget'], BANT['timeline'], BANT['authority'])


def test_explicit_decision_maker_and_name_win_over_lead(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    opportunity_id = desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE,
                                                decision_maker='  CEO Li ', name='Big deal')
    o = get(desk, Opportunity, opportunity_id)
    assert (o.decision_maker, o.name) == ('CEO Li', 'Big deal')


def test_opportunity_is_named_after_company(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, company='深圳腾达科技有限公司')
    assert get(desk, Opportunity, opportunity_id).name == '深圳腾达科技有限公司'


def test_opportunity_without_company_is_named_after_lead(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, name='Zhang San')
    assert get(desk, Opportunity, opportunity_id).name == 'Zhang San'


def test_conversion_creates_contact_from_lead_fields(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep, name='Zhang San', title='CTO', phone='139 5550 1234',
                             email='Zhang@Example.com', wechat='zs_wx', company='腾达科技')
    opportunity_id = desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE)
    o = get(desk, Opportunity, opportunity_id)
    [contact] = rows(desk, Contact)
    assert o.contact_id == contact.id
    assert (contact.account_id, contact.lead_id, contact.name, contact.title, contact.phone, contact.phone_norm,
            contact.email, contact.wechat) == (o.account_id, lead_id, 'Zhang San', 'CTO', '139 5550 1234',
                                               '+8613955501234', 'zhang@example.com', 'zs_wx')


def test_conversion_creates_account_for_company(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, company='深圳腾达科技有限公司')
    [account] = rows(desk, Account)
    assert get(desk, Opportunity, opportunity_id).account_id == account.id
    assert (account.name, account.name_norm, account.owner_id, account.is_customer, account.tier) == (
        '深圳腾达科技有限公司', '深圳腾达科技', rep.id, False, 'potential')


def test_conversion_starts_in_first_stage_with_stage_change(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    first = desk.pipeline.stages()[0]
    assert get(desk, Opportunity, opportunity_id).stage_id == first.id
    [change] = rows(desk, StageChange, StageChange.opportunity_id == opportunity_id)
    assert (change.from_stage_id, change.to_stage_id, change.actor_id, change.created_at) == (
        None, first.id, rep.id, clock.now())


def test_conversion_is_audited(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE)
    entries = rows(desk, AuditEntry, AuditEntry.lead_id == lead_id, AuditEntry.action == 'converted')
    assert [(e.actor_id, e.reason_key) for e in entries] == [(rep.id, 'reason.converted')]


def test_lead_activities_show_on_the_opportunity(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    view = desk.pipeline.opportunity_view(rep, opportunity_id)
    assert [a.kind for a, _ in view.activities] == ['call']


# ----- the lead after conversion -----------------------------------------------------------------

def test_converted_lead_is_converted_and_linked_to_account(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    opportunity_id = desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE)
    lead = get(desk, Lead, lead_id)
    assert (lead.status, lead.account_id) == (LeadStatus.CONVERTED, get(desk, Opportunity, opportunity_id).account_id)


def test_converted_lead_has_no_clocks(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    assert get(desk, Lead, lead_id).protected_until is not None  # running before
    desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE)
    lead = get(desk, Lead, lead_id)
    assert (lead.sla_due_at, lead.sla_grace_at, lead.protected_until, lead.protection_max_at) == (
        None, None, None, None)


def test_converted_lead_cannot_be_edited(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE)
    with pytest.raises(NotAllowed):
        desk.leads.update_lead(rep, lead_id, version=get(desk, Lead, lead_id).version, changes={'need': 'x'})


def test_converted_lead_takes_no_activities(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE)
    with pytest.raises(NotAllowed):
        desk.leads.log_activity(rep, lead_id, kind='call')


def test_converted_lead_cannot_be_disqualified(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE)
    with pytest.raises(NotAllowed):
        desk.leads.disqualify_lead(rep, lead_id, reason='changed my mind')
    assert get(desk, Lead, lead_id).status == LeadStatus.CONVERTED


def test_converted_lead_is_not_recycled_by_timer(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE)
    clock.advance(days=60)
    desk.automation.tick()
    lead = get(desk, Lead, lead_id)
    assert (lead.status, lead.owner_id) == (LeadStatus.CONVERTED, rep.id)


# ----- account reuse -----------------------------------------------------------------------------

def test_same_normalised_company_reuses_account(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    first = make_opportunity(desk, clock, rep, company='腾达科技有限公司')
    second = make_opportunity(desk, clock, rep, company='腾达科技')
    assert get(desk, Opportunity, first).account_id == get(desk, Opportunity, second).account_id
    assert len(rows(desk, Account)) == 1


def test_reused_account_gets_second_contact(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    make_opportunity(desk, clock, rep, company='Acme Co., Ltd.')
    make_opportunity(desk, clock, rep, company='ACME')
    [account] = rows(desk, Account)
    assert len(rows(desk, Contact, Contact.account_id == account.id)) == 2


def test_different_companies_get_different_accounts(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    make_opportunity(desk, clock, rep, company='腾达科技')
    make_opportunity(desk, clock, rep, company='华为技术')
    assert sorted(a.name_norm or '' for a in rows(desk, Account)) == sorted(['腾达科技', '华为技术'])


def test_leads_without_company_get_own_accounts(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    make_opportunity(desk, clock, rep, name='Zhang San')
    make_opportunity(desk, clock, rep, name='Li Si')
    assert sorted(a.name for a in rows(desk, Account)) == ['Li Si', 'Zhang San']


# ----- idempotency -------------------------------------------------------------------------------

def test_second_convert_returns_same_opportunity(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    first = desk.pipeline.convert_lead(rep, lead_id, amount='10000', expected_close=CLOSE)
    second = desk.pipeline.convert_lead(rep, lead_id, amount='99999', expected_close=date(2026, 12, 31))
    assert second == first


def test_second_convert_creates_no_rows(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    desk.pipeline.convert_lead(rep, lead_id, amount='10000', expected_close=CLOSE)
    desk.pipeline.convert_lead(rep, lead_id, amount='99999', expected_close=CLOSE)
    assert (len(rows(desk, Opportunity)), len(rows(desk, Contact)), len(rows(desk, Account)),
            len(rows(desk, StageChange))) == (1, 1, 1, 1)


def test_second_convert_keeps_first_amount(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    opportunity_id = desk.pipeline.convert_lead(rep, lead_id, amount='10000', expected_close=CLOSE)
    desk.pipeline.convert_lead(rep, lead_id, amount='99999', expected_close=CLOSE)
    assert get(desk, Opportunity, opportunity_id).amount_cents == 1_000_000


def test_second_convert_by_other_rep_is_not_allowed(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    lead_id = qualified_lead(desk, clock, rep)
    desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE)
    with pytest.raises(NotAllowed):
        desk.pipeline.convert_lead(other, lead_id, amount='1', expected_close=CLOSE)


def test_two_threads_converting_at_once_make_one_opportunity(desk: Desk, clock: FakeClock) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    lead_id = qualified_lead(desk, clock, rep)
    results = race(lambda: desk.pipeline.convert_lead(rep, lead_id, amount='1', expected_close=CLOSE),
                   lambda: desk.pipeline.convert_lead(manager, lead_id, amount='2', expected_close=CLOSE))
    [opportunity] = rows(desk, Opportunity)
    assert results == [opportunity.id, opportunity.id]
    assert len(rows(desk, Contact)) == 1
