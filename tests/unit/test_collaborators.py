"""Collaborators (issue 22, core/accounts/collaborators.py): what sharing a lead, a deal or a customer gives a
colleague — the reach resolved with the shared records on top of every scope below ALL, a customer's
collaboration reaching its deals and its contacts' leads, the inbox and search showing shared
records — and adding / removing them (audited, the added user told). Mirrored on PostgreSQL (tests/pg)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.accounts.reach import DataScope
from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from store.audit_actions import AuditAction
from store.models import (
    Access,
    AuditEntry,
    Collaborator,
    Contact,
    Lead,
    Notification,
    Opportunity,
    Reach,
    RecordKind,
    Role,
    UserRef,
)
from tests.factories import PASSWORD, admin, lead_data, user

from .db import get, rows
from .test_conversion import make_opportunity


def signed_in(desk: Desk, ref: UserRef) -> UserRef:
    """The ref a session gives: carrying the reach resolved now."""
    return desk.team.login(ref.email, PASSWORD)[0]


def reached(desk: Desk, ref: UserRef) -> Reach:
    reach = signed_in(desk, ref).reach
    assert reach is not None
    return reach


def own_lead(desk: Desk, rep: UserRef, **fields: object) -> int:
    return desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual', actor=rep,
                                   keep_for_actor=True).lead_id


def won_account(desk: Desk, clock: FakeClock, rep: UserRef) -> tuple[int, int]:
    """A won deal of `rep`: (its account, the deal)."""
    deal = make_opportunity(desk, clock, rep)
    o = get(desk, Opportunity, deal)
    won_stage = next(s for s in desk.pipeline.stages() if s.kind == 'won')
    desk.pipeline.move_opportunity(rep, deal, to_stage_id=won_stage.id or 0, version=o.version)
    return o.account_id, deal


def test_a_rep_limited_to_own_records_reaches_what_is_shared_with_them(desk: Desk) -> None:
    lina, kevin = user(desk), user(desk)
    lead = own_lead(desk, lina)
    assert not reached(desk, kevin).shares(RecordKind.LEAD, lead)
    desk.collaborators.add(lina, RecordKind.LEAD, lead, user_id=kevin.id, access=Access.READ)
    reach = reached(desk, kevin)
    assert reach.owner_ids == {kevin.id}  # ownership is not widened: only the record
    assert reach.sees(RecordKind.LEAD, lead, lina.id) and not reach.edits_shared(RecordKind.LEAD, lead)
    assert not reach.covers(lina.id)


@pytest.mark.parametrize('scope', [DataScope.OWN, DataScope.OWN_AND_COLLABORATING, DataScope.DEPARTMENT,
                                   DataScope.DEPARTMENT_TREE])
def test_shared_records_are_added_on_top_of_every_scope_below_all(desk: Desk, scope: DataScope) -> None:
    boss = admin(desk)
    top = next(line.id for line in desk.departments.tree(boss) if line.is_root)
    east, north = desk.departments.add(boss, 'East', parent_id=top), desk.departments.add(boss, 'North', parent_id=top)
    manager, stranger = user(desk, Role.MANAGER), user(desk)
    desk.departments.place_user(boss, manager.id, east)
    desk.departments.place_user(boss, stranger.id, north)
    desk.departments.set_scopes(boss, {Role.MANAGER: scope})
    lead = own_lead(desk, stranger)
    desk.collaborators.add(stranger, RecordKind.LEAD, lead, user_id=manager.id, access=Access.EDIT)
    reach = reached(desk, manager)
    assert reach.shares(RecordKind.LEAD, lead) and reach.edits_shared(RecordKind.LEAD, lead)
    assert not reach.covers(stranger.id)


def test_everyone_needs_no_shared_records(desk: Desk) -> None:
    rep, manager = user(desk), user(desk, Role.MANAGER)
    lead = own_lead(desk, rep)
    desk.collaborators.add(rep, RecordKind.LEAD, lead, user_id=manager.id, access=Access.READ)
    assert reached(desk, manager) == Reach(everyone=True)


def test_a_customer_shares_its_deals_and_its_contacts_leads(desk: Desk, clock: FakeClock) -> None:
    lina, kevin = user(desk), user(desk)
    account_id, deal = won_account(desk, clock, lina)
    other_lead = own_lead(desk, lina)
    with desk.ctx.write() as session:  # a second contact who came in as another lead of lina's
        session.add(Contact(account_id=account_id, name='Buyer two', lead_id=other_lead))
    unrelated = own_lead(desk, lina)
    desk.collaborators.add(lina, RecordKind.CUSTOMER, account_id, user_id=kevin.id, access=Access.EDIT)
    reach = reached(desk, kevin)
    deal_lead = get(desk, Opportunity, deal).lead_id
    assert reach.shared[RecordKind.CUSTOMER] == {account_id}
    assert reach.shared[RecordKind.OPPORTUNITY] == {deal}
    assert reach.shared[RecordKind.LEAD] == {deal_lead, other_lead}
    assert reach.edits_shared(RecordKind.OPPORTUNITY, deal)
    assert not reach.shares(RecordKind.LEAD, unrelated)
    kevin_now = signed_in(desk, kevin)
    assert desk.customers.customer(kevin_now, account_id).account.id == account_id
    assert desk.pipeline.opportunity_view(kevin_now, deal).can_edit
    desk.pipeline.log_activity(kevin_now, deal, kind='call', note='Met their buyer')
    assert [r.id for r in desk.customers.customers(kevin_now)[0]] == [account_id]  # the customer list
    assert [c.id for col in desk.pipeline.board(kevin_now) for c in col.cards] == [deal]  # and the board
    assert desk.customers.customers(signed_in(desk, user(desk)))[0] == []


def test_a_read_collaborator_sees_and_logs_but_does_not_edit(desk: Desk) -> None:
    lina, kevin = user(desk), user(desk)
    lead = own_lead(desk, lina)
    desk.collaborators.add(lina, RecordKind.LEAD, lead, user_id=kevin.id, access=Access.READ)
    kevin_now = signed_in(desk, kevin)
    view = desk.leads.lead_view(kevin_now, lead)
    assert not view.can_edit and view.owner_name == lina.name
    desk.leads.log_activity(kevin_now, lead, kind='call', note='Helped with pricing')
    with pytest.raises(NotAllowed):
        desk.leads.update_lead(kevin_now, lead, version=get(desk, Lead, lead).version, changes={'title': 'X'})
    assert get(desk, Lead, lead).owner_id == lina.id  # ownership (and credit) stays with the owner


def test_the_inbox_and_search_show_shared_leads(desk: Desk) -> None:
    lina, kevin = user(desk), user(desk)
    shared = own_lead(desk, lina, name='Shared Pudong Trading')
    hidden = own_lead(desk, lina, name='Hidden Pudong Works')
    mine = own_lead(desk, kevin, name='Kevin Pudong Own')
    desk.collaborators.add(lina, RecordKind.LEAD, shared, user_id=kevin.id, access=Access.READ)
    kevin_now = signed_in(desk, kevin)
    ids = {r.id for r in desk.leads.inbox(kevin_now)[0]}
    assert ids == {shared, mine}
    searched = {r.id for r in desk.leads.inbox(kevin_now, search='Pudong')[0]}
    assert searched == {shared, mine}
    found = desk.search.search(kevin_now, 'Pudong')
    hits = {h.id: h for h in found.leads}
    assert shared in hits and mine in hits and not hits[shared].in_pool
    assert hidden not in hits


def test_adding_is_audited_and_tells_the_added_user(desk: Desk) -> None:
    lina, kevin = user(desk), user(desk)
    lead = own_lead(desk, lina)
    desk.collaborators.add(lina, RecordKind.LEAD, lead, user_id=kevin.id, access=Access.READ)
    added = rows(desk, AuditEntry, AuditEntry.action == AuditAction.COLLABORATOR_ADDED)
    assert [(a.lead_id, a.actor_id, a.subject_user_id) for a in added] == [(lead, lina.id, kevin.id)]
    told = rows(desk, Notification, Notification.user_id == kevin.id)
    assert [(n.key, n.lead_id) for n in told] == [('notify.shared_with_you', lead)]
    desk.collaborators.add(lina, RecordKind.LEAD, lead, user_id=kevin.id, access=Access.EDIT)  # a change of access
    assert [c.access for c in rows(desk, Collaborator)] == [Access.EDIT]
    panel = desk.collaborators.panel(signed_in(desk, kevin), RecordKind.LEAD, lead)
    assert panel.shared_with_you == Access.EDIT and not panel.can_manage
    desk.collaborators.remove(lina, RecordKind.LEAD, lead, user_id=kevin.id)
    assert rows(desk, Collaborator) == []
    assert len(rows(desk, AuditEntry, AuditEntry.action == AuditAction.COLLABORATOR_REMOVED)) == 1
    assert not reached(desk, kevin).shares(RecordKind.LEAD, lead)


def test_bad_additions_are_refused_and_change_nothing(desk: Desk) -> None:
    lina, kevin, gone = user(desk), user(desk), user(desk)
    desk.team.update_user(admin(desk), gone.id, {'is_active': False})
    lead = own_lead(desk, lina)
    for user_id, access, field in ((lina.id, 'read', 'user'), (gone.id, 'read', 'user'), (kevin.id, 'owner', 'access'),
                                   (999_999, 'read', 'user')):
        with pytest.raises(ValidationFailed) as refused:
            desk.collaborators.add(lina, RecordKind.LEAD, lead, user_id=user_id, access=access)
        assert field in refused.value.errors
    with pytest.raises(NotAllowed):  # a collaborator does not share further
        desk.collaborators.add(kevin, RecordKind.LEAD, lead, user_id=kevin.id, access='read')
    assert rows(desk, Collaborator) == []


def test_a_follow_up_reminder_reaches_the_collaborators(desk: Desk, clock: FakeClock) -> None:
    lina, kevin = user(desk), user(desk)
    lead = own_lead(desk, lina)
    desk.collaborators.add(lina, RecordKind.LEAD, lead, user_id=kevin.id, access=Access.READ)
    desk.leads.log_activity(lina, lead, kind='call', next_follow_up_at=clock.now() + timedelta(hours=1))
    clock.advance(hours=2)
    desk.run_timer(admin(desk))
    keys = {(n.user_id, n.key) for n in rows(desk, Notification)}
    assert (lina.id, 'notify.follow_up_due') in keys and (kevin.id, 'notify.follow_up_due') in keys


GRADE_A = {'budget': '500k', 'authority': 'CTO', 'need': 'CRM', 'timeline': 'Q2'}
"""A first response due in one working day (tests/unit/test_automation.py)."""


def shared_with_three(desk: Desk, lina: UserRef, lead: int) -> tuple[UserRef, UserRef, UserRef]:
    """Kevin (still on the lead), Ann (taken off it) and Bo (deactivated): only Kevin is told."""
    kevin, ann, bo = user(desk), user(desk), user(desk)
    for who in (kevin, ann, bo):
        desk.collaborators.add(lina, RecordKind.LEAD, lead, user_id=who.id, access=Access.READ)
    desk.collaborators.remove(lina, RecordKind.LEAD, lead, user_id=ann.id)
    desk.team.update_user(admin(desk), bo.id, {'is_active': False})
    return kevin, ann, bo


def told(desk: Desk, key: str, lead: int) -> set[int]:
    return {n.user_id for n in rows(desk, Notification) if n.key == key and n.lead_id == lead}


def test_an_sla_breach_reaches_the_collaborators_still_on_the_lead(desk: Desk, clock: FakeClock) -> None:
    lina = user(desk)
    lead = own_lead(desk, lina, **GRADE_A)
    kevin, ann, bo = shared_with_three(desk, lina, lead)
    clock.advance(days=1, hours=1)
    desk.run_timer(admin(desk))
    breached = told(desk, 'notify.sla_breached', lead)
    assert {lina.id, kevin.id} <= breached and not {ann.id, bo.id} & breached
    [entry] = [a for a in rows(desk, AuditEntry) if a.action == AuditAction.SLA_BREACHED]
    assert entry.subject_user_id == lina.id  # the owner's breach: the collaborators are only told


def test_a_protection_warning_reaches_the_collaborators_still_on_the_lead(desk: Desk, clock: FakeClock) -> None:
    lina = user(desk)
    lead = own_lead(desk, lina)
    desk.leads.log_activity(lina, lead, kind='call')  # the first response: no SLA clock in the way
    kevin, _, _ = shared_with_three(desk, lina, lead)
    end = get(desk, Lead, lead).protected_until
    assert end is not None
    clock.advance(seconds=(end - clock.now()).total_seconds() - 3600)  # an hour before it ends
    desk.run_timer(admin(desk))
    assert told(desk, 'notify.protection_ending', lead) == {lina.id, kevin.id}
