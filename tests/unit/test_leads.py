"""desk.leads: inbox visibility, lead view, edits, activities, disqualify, manual assignment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import InvalidState, NotAllowed, StaleEdit, ValidationFailed
from store.models import Activity, AuditEntry, Lead, Role, UserRef
from tests.factories import admin, lead_data, user

from .db import get, rows


def new_lead(desk: Desk, owner: UserRef | None = None, **fields: Any) -> int:
    """A lead owned by `owner` (a rep's own entry), or run through the rules when None."""
    data = lead_data(**fields)
    return desk.leads.capture_lead(data, channel='manual', default_source='manual', actor=owner,
                                   keep_for_actor=owner is not None).lead_id


def inbox_ids(desk: Desk, actor: UserRef, **kw: Any) -> list[int]:
    found, total = desk.leads.inbox(actor, **kw)
    assert total == len(found)
    return [r.id for r in found]


# ----- inbox -------------------------------------------------------------------------------------

def test_rep_inbox_shows_only_own_leads(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    mine = [new_lead(desk, a), new_lead(desk, a)]
    new_lead(desk, b)
    assert sorted(inbox_ids(desk, a)) == sorted(mine)


def test_manager_inbox_shows_all_open_leads(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    a, b = user(desk), user(desk)
    ids = [new_lead(desk, a), new_lead(desk, b)]
    assert sorted(inbox_ids(desk, manager)) == sorted(ids)


def test_marketing_inbox_shows_all_leads(desk: Desk) -> None:
    marketing = user(desk, Role.MARKETING)
    a = user(desk)
    lead_id = new_lead(desk, a)
    assert inbox_ids(desk, marketing) == [lead_id]


def test_unassigned_filter_lists_only_pool_leads_for_manager(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    pooled = new_lead(desk)  # no rep exists yet
    rep = user(desk)
    owned = new_lead(desk, rep)
    assert inbox_ids(desk, manager, unassigned=True) == [pooled]
    assert sorted(inbox_ids(desk, manager, include_pool=True)) == sorted([pooled, owned])


def test_manager_inbox_leaves_pool_leads_out_by_default(desk: Desk) -> None:
    """Pool leads wait on /pool for a rep to claim: the follow-up list is the owned and new ones."""
    manager = user(desk, Role.MANAGER)
    new_lead(desk)  # no rep exists yet: pooled
    rep = user(desk)
    owned = new_lead(desk, rep)
    assert inbox_ids(desk, manager) == [owned]
    assert len(inbox_ids(desk, manager, status='pool')) == 1


def test_rep_inbox_does_not_list_pool_leads(desk: Desk) -> None:
    new_lead(desk)  # no rep exists yet: pooled
    rep = user(desk)
    own = new_lead(desk, rep)
    assert inbox_ids(desk, rep) == [own]


def test_rep_unassigned_filter_does_not_reveal_others_leads(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    new_lead(desk, b)
    assert inbox_ids(desk, a, unassigned=True) == []


@pytest.mark.parametrize(('term', 'expected'), [
    ('tengda', 'tengda'), ('TENGDA', 'tengda'), ('腾达科技', 'cn'), ('Bo', 'cn'), ('13955501234', 'phone'),
    ('Lǐ', 'name'),
])
def test_search_matches_name_phone_or_company(desk: Desk, term: str, expected: str) -> None:
    manager = user(desk, Role.MANAGER)
    user(desk)
    ids = {
        'tengda': new_lead(desk, name='Ann', company='Tengda Tech'),
        'cn': new_lead(desk, name='Bob', company='深圳腾达科技'),
        'phone': new_lead(desk, name='Cid', phone='139 5550 1234'),
        'name': new_lead(desk, name='Lǐ Wěi'),
    }
    assert inbox_ids(desk, manager, search=term) == [ids[expected]]


def test_search_treats_percent_and_underscore_literally(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    user(desk)
    percent = new_lead(desk, name='100% Pure')
    new_lead(desk, name='100 Pure')
    underscore = new_lead(desk, name='a_b')
    new_lead(desk, name='axb')
    assert inbox_ids(desk, manager, search='100%') == [percent]
    assert inbox_ids(desk, manager, search='a_b') == [underscore]
    assert inbox_ids(desk, manager, search='% p') == [percent]
    assert inbox_ids(desk, manager, search='%') == []  # one character: the start of a name only


def test_search_within_rep_scope_only(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    new_lead(desk, b, name='Shared Name')
    mine = new_lead(desk, a, name='Shared Name')
    assert inbox_ids(desk, a, search='shared') == [mine]


def test_inbox_sorts_by_grade_then_newest(desk: Desk, clock: FakeClock) -> None:
    manager = user(desk, Role.MANAGER)
    rep = user(desk, capacity=100)
    a_fields = {'budget': 'x', 'authority': 'x', 'need': 'x', 'timeline': 'x', 'email': 'a@b.com'}
    old_c = new_lead(desk, rep)
    clock.advance(minutes=1)
    old_a = new_lead(desk, rep, **a_fields | {'email': 'a1@b.com'})
    clock.advance(minutes=1)
    b = new_lead(desk, rep, budget='x', need='x', email='b@b.com')
    clock.advance(minutes=1)
    new_c = new_lead(desk, rep)
    clock.advance(minutes=1)
    new_a = new_lead(desk, rep, **a_fields | {'email': 'a2@b.com'})
    found, _ = desk.leads.inbox(manager)
    assert [(r.id, r.grade) for r in found] == [(new_a, 'A'), (old_a, 'A'), (b, 'B'), (new_c, 'C'), (old_c, 'C')]


def test_inbox_pages_and_reports_total(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    rep = user(desk)
    for _ in range(5):
        new_lead(desk, rep)
    page2, total = desk.leads.inbox(manager, page=2, page_size=2)
    assert (len(page2), total) == (2, 5)


def test_inbox_excludes_closed_leads(desk: Desk) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    desk.leads.disqualify_lead(rep, lead_id, reason='no budget')
    assert inbox_ids(desk, rep) == []
    assert inbox_ids(desk, rep, status='disqualified') == [lead_id]


# ----- lead view ---------------------------------------------------------------------------------

def test_lead_view_of_other_reps_lead_is_not_allowed(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    lead_id = new_lead(desk, b)
    with pytest.raises(NotAllowed):
        desk.leads.lead_view(a, lead_id)


def test_lead_view_for_owner_shows_history_and_rights(desk: Desk) -> None:
    rep = user(desk, name='Rep Own')
    lead_id = new_lead(desk, rep)
    view = desk.leads.lead_view(rep, lead_id)
    assert (view.lead.id, view.owner_name, view.can_edit, view.can_assign) == (lead_id, 'Rep Own', True, False)
    assert {e.action for e, _ in view.audit} == {'captured', 'assigned'}


def test_manager_lead_view_can_assign(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    lead_id = new_lead(desk, user(desk))
    view = desk.leads.lead_view(manager, lead_id)
    assert (view.can_edit, view.can_assign) == (True, True)


# ----- update_lead -------------------------------------------------------------------------------

def test_update_with_stale_version_raises_and_changes_nothing(desk: Desk) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep, company='Old Co')
    new_version = desk.leads.update_lead(rep, lead_id, version=1, changes={'title': 'CTO'})
    before = get(desk, Lead, lead_id)
    with pytest.raises(StaleEdit):
        desk.leads.update_lead(rep, lead_id, version=1, changes={'company': 'Overwritten'})
    after = get(desk, Lead, lead_id)
    assert after.model_dump() == before.model_dump()
    assert (after.company, after.version) == ('Old Co', new_version)
    assert len(rows(desk, AuditEntry, AuditEntry.lead_id == lead_id, AuditEntry.action == 'edited')) == 1


def test_update_with_current_version_saves_bumps_version_and_rescores(desk: Desk) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    before = get(desk, Lead, lead_id)
    version = desk.leads.update_lead(rep, lead_id, version=before.version,
                                     changes={'budget': '50万', 'company': '深圳腾达科技有限公司'})
    after = get(desk, Lead, lead_id)
    assert version == after.version == before.version + 1
    assert (after.budget, after.company_norm) == ('50万', '深圳腾达科技')
    assert after.score == before.score + 25
    assert {r['en'] for r in after.score_reasons} >= {'Budget stated', 'Company given'}


def test_update_normalises_new_phone_for_dedupe(desk: Desk) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    desk.leads.update_lead(rep, lead_id, version=1, changes={'phone': '137-0000-1111'})
    assert get(desk, Lead, lead_id).phone_norm == '+8613700001111'


def test_update_without_real_change_keeps_version(desk: Desk) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep, company='Acme')
    assert desk.leads.update_lead(rep, lead_id, version=1, changes={'company': ' Acme '}) == 1
    assert get(desk, Lead, lead_id).version == 1


def test_update_rejects_unknown_field(desk: Desk) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    with pytest.raises(ValidationFailed) as info:
        desk.leads.update_lead(rep, lead_id, version=1, changes={'owner_id': rep.id})
    assert info.value.errors == {'owner_id': 'invalid'}
    assert get(desk, Lead, lead_id).version == 1


def test_update_rejects_invalid_value_and_changes_nothing(desk: Desk) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep, email='ok@example.com')
    with pytest.raises(ValidationFailed) as info:
        desk.leads.update_lead(rep, lead_id, version=1, changes={'email': 'broken', 'title': 'CEO'})
    assert info.value.errors == {'email': 'invalid_email'}
    lead = get(desk, Lead, lead_id)
    assert (lead.email, lead.title, lead.version) == ('ok@example.com', None, 1)


def test_rep_cannot_update_other_reps_lead(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    lead_id = new_lead(desk, b)
    with pytest.raises(NotAllowed):
        desk.leads.update_lead(a, lead_id, version=1, changes={'title': 'x'})
    assert get(desk, Lead, lead_id).title is None


# ----- activities --------------------------------------------------------------------------------

def test_first_contact_by_owner_sets_contacted_and_first_contact_at(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    clock.advance(hours=2)
    activity_id = desk.leads.log_activity(rep, lead_id, kind='call', outcome='interested')
    lead = get(desk, Lead, lead_id)
    assert (lead.status, lead.first_contact_at, lead.last_activity_at) == ('contacted', clock.now(), clock.now())
    activity = get(desk, Activity, activity_id)
    assert (activity.kind, activity.user_id, activity.outcome) == ('call', rep.id, 'interested')
    status = rows(desk, AuditEntry, AuditEntry.lead_id == lead_id, AuditEntry.action == 'status')
    assert [e.reason_key for e in status] == ['reason.first_contact']


def test_later_contact_keeps_first_contact_at(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    desk.leads.log_activity(rep, lead_id, kind='wechat')
    first = clock.now()
    clock.advance(days=1)
    desk.leads.log_activity(rep, lead_id, kind='meeting')
    assert get(desk, Lead, lead_id).first_contact_at == first


def test_note_is_not_a_contact(desk: Desk) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    desk.leads.log_activity(rep, lead_id, kind='note', note='left voicemail\x00')
    lead = get(desk, Lead, lead_id)
    assert (lead.status, lead.first_contact_at) == ('assigned', None)
    assert [a.note for a in rows(desk, Activity, Activity.lead_id == lead_id)] == ['left voicemail']


def test_manager_call_on_reps_lead_is_not_first_contact(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    desk.leads.log_activity(manager, lead_id, kind='call')
    lead = get(desk, Lead, lead_id)
    assert (lead.status, lead.first_contact_at) == ('assigned', None)


def test_next_follow_up_in_past_is_rejected(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    with pytest.raises(ValidationFailed) as info:
        desk.leads.log_activity(rep, lead_id, kind='call', next_follow_up_at=clock.now() - timedelta(minutes=1))
    assert info.value.errors == {'next_follow_up_at': 'not_future'}
    assert rows(desk, Activity, Activity.lead_id == lead_id) == []
    assert get(desk, Lead, lead_id).status == 'assigned'


def test_next_follow_up_in_future_is_stored_on_lead(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    due = clock.now() + timedelta(days=2)
    desk.leads.log_activity(rep, lead_id, kind='call', next_follow_up_at=due)
    assert get(desk, Lead, lead_id).next_follow_up_at == due


@pytest.mark.parametrize('kind', ['touch', 'fax', ''])
def test_activity_kind_must_be_a_user_kind(desk: Desk, kind: str) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    with pytest.raises(ValidationFailed):
        desk.leads.log_activity(rep, lead_id, kind=kind)
    assert rows(desk, Activity, Activity.lead_id == lead_id) == []


def test_rep_cannot_log_activity_on_other_reps_lead(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    lead_id = new_lead(desk, b)
    with pytest.raises(NotAllowed):
        desk.leads.log_activity(a, lead_id, kind='call')
    assert rows(desk, Activity, Activity.lead_id == lead_id) == []


# ----- disqualify --------------------------------------------------------------------------------

@pytest.mark.parametrize('reason', ['', '   ', '\x00'])
def test_disqualify_requires_reason(desk: Desk, reason: str) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    with pytest.raises(ValidationFailed) as info:
        desk.leads.disqualify_lead(rep, lead_id, reason=reason)
    assert info.value.errors == {'reason': 'required'}
    assert get(desk, Lead, lead_id).status == 'assigned'


def test_disqualify_stores_reason_and_audits(desk: Desk) -> None:
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    desk.leads.disqualify_lead(rep, lead_id, reason=' 无预算 ')
    lead = get(desk, Lead, lead_id)
    assert (lead.status, lead.disqualify_reason, lead.version) == ('disqualified', '无预算', 2)
    [entry] = rows(desk, AuditEntry, AuditEntry.lead_id == lead_id, AuditEntry.action == 'status')
    assert (entry.actor_id, entry.reason_key, entry.reason_params['reason']) == \
        (rep.id, 'reason.disqualified', '无预算')


def test_disqualified_lead_is_read_only(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    rep = user(desk)
    lead_id = new_lead(desk, rep)
    desk.leads.disqualify_lead(rep, lead_id, reason='spam')
    for actor in (rep, manager):
        with pytest.raises(NotAllowed):
            desk.leads.update_lead(actor, lead_id, version=2, changes={'title': 'CEO'})
        with pytest.raises(NotAllowed):
            desk.leads.log_activity(actor, lead_id, kind='call')
    lead = get(desk, Lead, lead_id)
    assert (lead.title, lead.version, lead.status) == (None, 2, 'disqualified')
    assert desk.leads.lead_view(manager, lead_id).can_edit is False


# ----- manual assignment -------------------------------------------------------------------------

def test_manager_assigns_lead_with_manual_reason(desk: Desk, clock: FakeClock) -> None:
    manager = user(desk, Role.MANAGER, name='Boss Li')
    a = user(desk, name='Rep A')
    lead_id = new_lead(desk, a)
    b = user(desk, name='Rep B')
    clock.advance(hours=1)
    desk.leads.assign_lead(manager, lead_id, rep_id=b.id)
    lead = get(desk, Lead, lead_id)
    assert (lead.owner_id, lead.assigned_at, lead.version) == (b.id, clock.now(), 2)
    assert lead.assignment_reason == {'key': 'reason.assigned.manual', 'manager': 'Boss Li', 'rep': 'Rep B'}
    entry = rows(desk, AuditEntry, AuditEntry.lead_id == lead_id, AuditEntry.action == 'assigned')[-1]
    assert (entry.actor_id, entry.subject_user_id, entry.reason_key, entry.reason_params['previous_owner_id']) == \
        (manager.id, b.id, 'reason.assigned.manual', a.id)


def test_manager_reassigning_contacted_lead_makes_it_assigned_again(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    a = user(desk)
    lead_id = new_lead(desk, a)
    desk.leads.log_activity(a, lead_id, kind='call')
    b = user(desk)
    desk.leads.assign_lead(manager, lead_id, rep_id=b.id)
    lead = get(desk, Lead, lead_id)
    assert (lead.owner_id, lead.status) == (b.id, 'assigned')


def test_manager_assigns_pool_lead(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    lead_id = new_lead(desk)
    rep = user(desk)
    desk.leads.assign_lead(manager, lead_id, rep_id=rep.id)
    lead = get(desk, Lead, lead_id)
    assert (lead.owner_id, lead.status) == (rep.id, 'assigned')


def test_rep_cannot_assign(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    lead_id = new_lead(desk, a)
    with pytest.raises(NotAllowed):
        desk.leads.assign_lead(a, lead_id, rep_id=b.id)
    assert get(desk, Lead, lead_id).owner_id == a.id


def test_assign_to_non_rep_is_invalid(desk: Desk) -> None:
    boss = admin(desk)
    manager = user(desk, Role.MANAGER)
    lead_id = new_lead(desk)
    with pytest.raises(ValidationFailed):
        desk.leads.assign_lead(boss, lead_id, rep_id=manager.id)
    assert get(desk, Lead, lead_id).owner_id is None


def test_assign_closed_lead_is_invalid_state(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    a, b = user(desk), user(desk)
    lead_id = new_lead(desk, a)
    desk.leads.disqualify_lead(a, lead_id, reason='spam')
    with pytest.raises(InvalidState):
        desk.leads.assign_lead(manager, lead_id, rep_id=b.id)
    assert get(desk, Lead, lead_id).owner_id == a.id
