"""Near-duplicate suggestions and merging: survivor, fields, moved history, archive, undo."""

from __future__ import annotations

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import InvalidState, NotAllowed, ValidationFailed
from core.leads.duplicates import Candidate, find_groups, fold_company, phone_digits
from store.models import Activity, AuditEntry, Lead, LeadMerge, Role, User
from tests import factories
from tests.unit.db import get, rows


def cand(i: int, name: str = 'X', email: str | None = None, phone: str | None = None,
         company_norm: str | None = None) -> Candidate:
    return Candidate(id=i, name=name, email=email, phone=phone, phone_norm=None, company_norm=company_norm)


def test_same_company_domain_groups_but_free_mail_does_not() -> None:
    groups, _ = find_groups([cand(1, 'A', 'a@tengda.cn'), cand(2, 'B', 'b@tengda.cn'),
                             cand(3, 'C', 'c@qq.com'), cand(4, 'D', 'd@qq.com'), cand(5, 'E', 'e@gmail.com'),
                             cand(6, 'F', 'f@gmail.com')])
    assert [(g.lead_ids, [(r.kind, r.detail) for r in g.reasons]) for g in groups] == [
        ([1, 2], [('email_domain', 'tengda.cn')])]


def test_fuzzy_company_after_folding_legal_forms() -> None:
    assert fold_company('北京星河股份') == fold_company('北京星河') == '北京星河'
    groups, _ = find_groups([cand(1, company_norm='北京星河股份'), cand(2, company_norm='北京星河'),
                             cand(3, company_norm='analyticalengines'), cand(4, company_norm='analyticalengine'),
                             cand(5, company_norm='北京月亮')])
    assert sorted(g.lead_ids for g in groups) == [[1, 2], [3, 4]]
    engines = next(g for g in groups if g.lead_ids == [3, 4])
    assert engines.reasons[0].kind == 'company' and engines.reasons[0].score >= 90


def test_same_name_with_phone_differing_by_formatting() -> None:
    assert phone_digits('+86 (138) 0013-8000') == phone_digits('0086 13800138000') == '13800138000'
    groups, _ = find_groups([cand(1, '张伟', phone='+86 138 0013 8000'), cand(2, '张伟', phone='(0086)13800138000'),
                             cand(3, '李娜', phone='13800138000')])
    assert [(g.lead_ids, g.reasons[0].kind) for g in groups] == [([1, 2], 'name_phone')]


def test_a_probe_matching_too_many_leads_is_ignored() -> None:
    many = [cand(i, f'N{i}', f'n{i}@bigcorp.com') for i in range(1, 51)]
    groups, ignored = find_groups([*many, cand(60, 'P', 'p@small.cn'), cand(61, 'Q', 'q@small.cn')])
    assert [g.lead_ids for g in groups] == [[60, 61]]
    assert [(i.kind, i.probe, i.matches) for i in ignored] == [('email_domain', 'bigcorp.com', 50)]


def capture(desk: Desk, **data: str) -> int:
    return desk.leads.capture_lead(data, channel='manual', default_source='manual').lead_id


def test_suggestions_list_groups_with_reasons(desk: Desk) -> None:
    manager = factories.user(desk, Role.MANAGER)
    a = capture(desk, name='Wang', email='wang@tengda.cn')
    b = capture(desk, name='Zhou', email='zhou@tengda.cn')
    capture(desk, name='Solo', email='solo@qq.com')
    groups, ignored = desk.merges.suggestions(manager)
    assert [[x.id for x in g.leads] for g in groups] == [[a, b]]
    assert groups[0].reasons[0].detail == 'tengda.cn' and ignored == []


def test_merge_keeps_the_most_advanced_fills_fields_moves_history_and_archives(desk: Desk, clock: FakeClock) -> None:
    rep = factories.user(desk, Role.REP, name='Rep')
    manager = factories.user(desk, Role.MANAGER)
    old = capture(desk, name='Wang Wei', phone='13800138000', company='Tengda')
    desk.leads.log_activity(rep, old, kind='call', outcome='reached')  # contacted: the most advanced
    clock.advance(hours=1)
    new = capture(desk, name='Wang W.', email='wang@tengda.cn', company='Tengda Tech', title='CTO')
    new_touch = desk.leads.capture_lead({'name': 'Wang W.', 'email': 'wang@tengda.cn'}, channel='api',
                                        default_source='api')
    assert new_touch.lead_id == new
    plan = desk.merges.plan(manager, [new, old])
    assert plan.survivor_id == old
    assert [(f.field, [v for _, v in f.values]) for f in plan.conflicts] == [
        ('name', ['Wang Wei', 'Wang W.']), ('company', ['Tengda', 'Tengda Tech'])]
    before = get(desk, User, rep.id).open_leads
    merge_id = desk.merges.merge(manager, [new, old], {'company': new})
    survivor = get(desk, Lead, old)
    assert (survivor.name, survivor.email, survivor.company, survivor.title) == (
        'Wang Wei', 'wang@tengda.cn', 'Tengda Tech', 'CTO')
    assert survivor.company_norm == 'tengdatech' and survivor.touch_count == 1
    archived = get(desk, Lead, new)
    assert archived.is_deleted and archived.merged_into_id == old and archived.status == 'disqualified'
    assert {a.lead_id for a in rows(desk, Activity)} == {old}  # the call and the touch
    assert len(rows(desk, Activity)) == 2
    assert rows(desk, AuditEntry, AuditEntry.lead_id == new)[-1].action == 'merged_into'
    assert {e.action for e in rows(desk, AuditEntry, AuditEntry.lead_id == old)} >= {'captured', 'touched', 'merged'}
    assert archived.owner_id == rep.id and get(desk, User, rep.id).open_leads == before - 1
    record = get(desk, LeadMerge, merge_id)
    assert record.merged_ids == [new] and record.actor_id == manager.id
    assert desk.merges.recent(manager)[0].can_undo


def test_undo_puts_everything_back(desk: Desk, clock: FakeClock) -> None:
    factories.user(desk, Role.REP, name='Rep')
    manager = factories.user(desk, Role.MANAGER)
    a = capture(desk, name='A', phone='13800138000')
    b = capture(desk, name='B', email='b@tengda.cn', company='Tengda')
    a_state = get(desk, Lead, a)
    b_state = get(desk, Lead, b)
    loads = {u.id: u.open_leads for u in rows(desk, User)}
    merge_id = desk.merges.merge(manager, [a, b])
    clock.advance(hours=23)
    desk.merges.undo(manager, merge_id)
    a_after, b_after = get(desk, Lead, a), get(desk, Lead, b)
    assert (a_after.name, a_after.email, a_after.company) == (a_state.name, a_state.email, a_state.company)
    assert (b_after.is_deleted, b_after.merged_into_id, b_after.status, b_after.owner_id) == (
        False, None, b_state.status, b_state.owner_id)
    assert b_after.sla_due_at == b_state.sla_due_at
    assert {x.lead_id for x in rows(desk, AuditEntry, AuditEntry.action == 'captured')} == {a, b}
    assert {u.id: u.open_leads for u in rows(desk, User)} == loads
    with pytest.raises(InvalidState):
        desk.merges.undo(manager, merge_id)


def test_undo_is_refused_after_24_hours(desk: Desk, clock: FakeClock) -> None:
    manager = factories.user(desk, Role.MANAGER)
    merge_id = desk.merges.merge(manager, [capture(desk, name='A', phone='13800138000'),
                                           capture(desk, name='B', phone='13900139000')])
    clock.advance(hours=25)
    with pytest.raises(InvalidState) as e:
        desk.merges.undo(manager, merge_id)
    assert e.value.code == 'merge_too_old'


def test_merge_needs_two_to_five_leads_and_a_manager(desk: Desk) -> None:
    manager = factories.user(desk, Role.MANAGER)
    rep = factories.user(desk, Role.REP)
    ids = [capture(desk, name=f'L{i}', phone=f'1380013800{i}') for i in range(6)]
    with pytest.raises(ValidationFailed):
        desk.merges.merge(manager, ids[:1])
    with pytest.raises(ValidationFailed):
        desk.merges.merge(manager, ids)
    with pytest.raises(NotAllowed):
        desk.merges.merge(rep, ids[:2])
    assert not any(lead.is_deleted for lead in rows(desk, Lead))
