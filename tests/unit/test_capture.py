"""Capture through desk.leads.capture_lead: validate, dedupe, score, assign."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.capture.intake import CaptureResult
from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from store.engine import make_engine
from store.models import Activity, AuditEntry, Lead, Notification, Role, User, UserRef
from tests.factories import admin, lead_data, user

from .db import get, rows


def capture(desk: Desk, data: dict[str, Any], **kw: Any) -> CaptureResult:
    kw.setdefault('channel', 'manual')
    kw.setdefault('default_source', 'manual')
    return desk.leads.capture_lead(data, **kw)


def errors_of(desk: Desk, data: dict[str, Any], **kw: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        capture(desk, data, **kw)
    assert rows(desk, Lead) == []
    return info.value.errors


# ----- validation --------------------------------------------------------------------------------

def test_name_is_required(desk: Desk) -> None:
    assert errors_of(desk, {'name': '  \x00 ', 'phone': '13812345678'}) == {'name': 'required'}


def test_phone_or_email_is_required(desk: Desk) -> None:
    assert errors_of(desk, {'name': 'Zhang San', 'company': 'Acme'}) == {'phone': 'phone_or_email'}


def test_every_bad_field_is_reported_at_once(desk: Desk) -> None:
    assert errors_of(desk, {'source': 'carrier pigeon'}) == {
        'name': 'required', 'phone': 'phone_or_email', 'source': 'invalid_source'}


def test_invalid_phone_is_rejected(desk: Desk) -> None:
    assert errors_of(desk, {'name': 'Zhang San', 'phone': 'call me maybe'}) == {'phone': 'invalid_phone'}


def test_invalid_email_is_rejected_even_with_valid_phone(desk: Desk) -> None:
    assert errors_of(desk, {'name': 'Zhang San', 'phone': '13812345678', 'email': 'zhang@'}) == \
        {'email': 'invalid_email'}


@pytest.mark.parametrize(('field', 'limit'), [('name', 200), ('company', 200), ('message', 5000), ('phone', 50)])
def test_field_over_its_limit_is_too_long(desk: Desk, field: str, limit: int) -> None:
    data = {'name': 'Zhang San', 'email': 'z@example.com', field: '1' * (limit + 1)}
    assert errors_of(desk, data)[field] == 'too_long'


def test_field_at_its_limit_is_accepted(desk: Desk) -> None:
    result = capture(desk, {'name': 'N' * 200, 'email': 'z@example.com', 'message': 'm' * 5000})
    assert len(get(desk, Lead, result.lead_id).message or '') == 5000


def test_invalid_source_is_rejected(desk: Desk) -> None:
    assert errors_of(desk, {'name': 'Zhang San', 'phone': '13812345678', 'source': 'bogus'}) == \
        {'source': 'invalid_source'}


def test_non_scalar_field_is_invalid(desk: Desk) -> None:
    assert errors_of(desk, {'name': ['x'], 'phone': '13812345678'}) == {'name': 'invalid'}


def test_default_source_is_used_when_none_given(desk: Desk) -> None:
    result = capture(desk, lead_data(), default_source='trade_show')
    assert get(desk, Lead, result.lead_id).source == 'trade_show'


def test_captured_lead_stores_cleaned_and_normalised_fields(desk: Desk) -> None:
    result = capture(desk, {'name': ' Zhang\x00 San ', 'phone': '138-1234-5678', 'email': 'Zhang@QQ.com',
                            'company': '深圳腾达科技有限公司'})
    lead = get(desk, Lead, result.lead_id)
    assert (lead.name, lead.phone, lead.phone_norm, lead.email, lead.company_norm) == \
        ('Zhang San', '138-1234-5678', '+8613812345678', 'zhang@qq.com', '深圳腾达科技')


def test_captured_lead_is_scored_with_reasons(desk: Desk) -> None:
    result = capture(desk, {'name': 'Zhang San', 'phone': '13812345678', 'budget': '50万', 'need': 'CRM',
                            'timeline': '下月', 'authority': '总经理', 'source': 'referral'})
    lead = get(desk, Lead, result.lead_id)
    assert (result.score, result.grade) == (lead.score, lead.grade) == (80, 'A')
    assert lead.temperature == 'hot'
    assert sum(r['points'] for r in lead.score_reasons) == 80
    assert all(r['en'] and r['zh'] for r in lead.score_reasons)


# ----- dedupe ------------------------------------------------------------------------------------

def test_duplicate_by_phone_in_other_format_joins_existing_lead(desk: Desk) -> None:
    first = capture(desk, {'name': 'Zhang San', 'phone': '13812345678'})
    second = capture(desk, {'name': '张三', 'phone': '+86 138-1234-5678'})
    assert (second.created, second.lead_id, second.duplicate_of) == (False, first.lead_id, first.lead_id)
    assert len(rows(desk, Lead)) == 1


def test_invisible_characters_are_dropped_before_dedupe_on_every_channel(desk: Desk) -> None:
    """`zw\u200b@x.com` is `zw@x.com`: the one cleaning step (`validate`) drops zero-width, BOM, bidi and
    soft-hyphen characters from every field, so manual entry, the web form, the API and imports all
    dedupe on what a person sees."""
    first = capture(desk, {'name': 'Zoe', 'email': 'zw@x.com'})
    manual = desk.leads.capture_lead({'name': '\u202eZoe\u200d', 'email': 'zw\u200b@x.com'}, channel='manual',
                                     default_source='manual')
    form = desk.leads.capture_lead({'name': 'Zoe', 'email': '\ufeffZW@x.com\u2069'}, channel='web_form',
                                   default_source='website')
    from core.capture import intake as capture_path

    with desk.ctx.write() as session:
        outcomes, _ = capture_path.capture_rows(
            session, [{'name': 'Zo\u00ade', 'email': 'z\u2060w@x.com', 'phone': '138\u200b0013\u200e8000'}],
            default_source='import', region='CN', config=desk.ctx.capture_config.load(session),
            now=desk.ctx.now(), day_start=desk.ctx.now(), actor_id=None,
            channel='import')
    assert [r.lead_id for r in (manual, form, *outcomes)] == [first.lead_id] * 3  # type: ignore[union-attr]
    [lead] = rows(desk, Lead)
    assert (lead.name, lead.email, lead.phone_norm) == ('Zoe', 'zw@x.com', '+8613800138000')


def test_duplicate_by_email_ignores_case(desk: Desk) -> None:
    first = capture(desk, {'name': 'Li Si', 'email': 'li.si@example.com'})
    second = capture(desk, {'name': 'Li Si', 'email': 'LI.SI@Example.COM'})
    assert (second.created, second.lead_id) == (False, first.lead_id)
    assert len(rows(desk, Lead)) == 1


def test_duplicate_by_company_and_name_folds_suffix(desk: Desk) -> None:
    first = capture(desk, {'name': 'Wang Wu', 'phone': '13812345678', 'company': '深圳腾达科技有限公司'})
    second = capture(desk, {'name': 'Wang Wu', 'email': 'ww@tengda.cn', 'company': '深圳腾达科技'})
    third = capture(desk, {'name': 'Wang Wu', 'email': 'w2@tengda.cn', 'company': '深圳腾达科技股份有限公司'})
    assert second.lead_id == third.lead_id == first.lead_id
    assert not second.created and not third.created
    assert len(rows(desk, Lead)) == 1


def test_duplicate_by_english_company_suffix_and_case(desk: Desk) -> None:
    first = capture(desk, {'name': 'Ann Lee', 'phone': '13812345678', 'company': 'Acme Co., Ltd.'})
    second = capture(desk, {'name': 'Ann Lee', 'email': 'ann@acme.com', 'company': 'ACME Inc'})
    assert (second.created, second.lead_id) == (False, first.lead_id)


def test_same_company_different_name_is_a_new_lead(desk: Desk) -> None:
    capture(desk, {'name': 'Wang Wu', 'phone': '13812345678', 'company': 'Acme Ltd'})
    other = capture(desk, {'name': 'Zhao Liu', 'phone': '13912345678', 'company': 'Acme Ltd'})
    assert other.created
    assert len(rows(desk, Lead)) == 2


def test_duplicate_by_company_with_trailing_fullwidth_period(desk: Desk) -> None:
    first = capture(desk, {'name': 'Wang Wu', 'phone': '13812345678', 'company': '深圳腾达科技有限公司'})
    second = capture(desk, {'name': 'Wang Wu', 'email': 'ww@tengda.cn', 'company': '深圳腾达科技有限公司。'})
    assert second.lead_id == first.lead_id


def test_duplicate_adds_touch_activity_with_its_source(desk: Desk) -> None:
    first = capture(desk, {'name': 'Zhang San', 'phone': '13812345678'})
    capture(desk, {'name': 'Zhang San', 'phone': '13812345678', 'source': 'trade_show', 'message': 'at booth 3'})
    touches = rows(desk, Activity, Activity.lead_id == first.lead_id)
    assert [(a.kind, a.source, a.note) for a in touches] == [('touch', 'trade_show', 'at booth 3')]


def test_duplicate_increments_touch_count_each_time(desk: Desk) -> None:
    first = capture(desk, {'name': 'Zhang San', 'phone': '13812345678'})
    capture(desk, {'name': 'Zhang San', 'phone': '13812345678'})
    capture(desk, {'name': 'Zhang San', 'phone': '138 1234 5678'})
    lead = get(desk, Lead, first.lead_id)
    assert lead.touch_count == 2
    assert lead.temperature == 'hot'


def test_duplicate_fills_empty_fields_but_keeps_existing_ones(desk: Desk) -> None:
    first = capture(desk, {'name': 'Zhang San', 'phone': '13812345678', 'company': 'Old Co'})
    capture(desk, {'name': 'Zhang San', 'phone': '13812345678', 'email': 'ZS@Example.com', 'company': 'New Co',
                   'budget': '10万'})
    lead = get(desk, Lead, first.lead_id)
    assert (lead.email, lead.company, lead.budget) == ('zs@example.com', 'Old Co', '10万')


def test_duplicate_fills_phone_with_its_normalised_form(desk: Desk) -> None:
    first = capture(desk, {'name': 'Li Si', 'email': 'ls@example.com'})
    capture(desk, {'name': 'Li Si', 'email': 'ls@example.com', 'phone': '139 1234 5678'})
    lead = get(desk, Lead, first.lead_id)
    assert (lead.phone, lead.phone_norm) == ('139 1234 5678', '+8613912345678')
    # and the filled phone now dedupes
    assert capture(desk, {'name': 'x', 'phone': '13912345678'}).lead_id == first.lead_id


def test_duplicate_is_rescored_with_filled_fields(desk: Desk) -> None:
    first = capture(desk, {'name': 'Li Si', 'email': 'ls@example.com'})
    second = capture(desk, {'name': 'Li Si', 'email': 'ls@example.com', 'budget': '1M'})
    lead = get(desk, Lead, first.lead_id)
    assert lead.score == first.score + 20 == second.score


def test_duplicate_does_not_change_owner(desk: Desk) -> None:
    user(desk)
    first = capture(desk, lead_data(phone='13812345678'))
    user(desk)
    second = capture(desk, lead_data(phone='13812345678'))
    assert second.owner_id == first.owner_id == get(desk, Lead, first.lead_id).owner_id


def test_open_lead_wins_over_older_closed_twin(desk: Desk) -> None:
    boss = admin(desk)
    old = capture(desk, {'name': 'Zhang San', 'phone': '13812345678'})
    desk.leads.disqualify_lead(boss, old.lead_id, reason='spam')
    with desk.ctx.write() as session:  # a second record of the same person, e.g. imported before dedupe
        session.add(Lead(name='Zhang San', phone='13812345678', phone_norm='+8613812345678', status='pool'))
    newer_open = rows(desk, Lead)[-1]
    assert capture(desk, {'name': 'Zhang San', 'phone': '13812345678'}).lead_id == newer_open.id


def test_audit_records_captured_then_touched(desk: Desk) -> None:
    boss = admin(desk)
    first = capture(desk, {'name': 'Zhang San', 'phone': '13812345678'}, actor=boss, channel='manual')
    capture(desk, {'name': 'Zhang San', 'phone': '13812345678', 'source': 'ads'}, channel='import')
    entries = rows(desk, AuditEntry, AuditEntry.lead_id == first.lead_id)
    actions = [(e.action, e.actor_id, e.reason_key, e.reason_params.get('channel')) for e in entries
               if e.action in ('captured', 'touched')]
    assert actions == [('captured', boss.id, 'reason.captured', 'manual'),
                       ('touched', None, 'reason.touched', 'import')]


# ----- assignment at capture ---------------------------------------------------------------------

def test_capture_assigns_to_eligible_rep_with_reason(desk: Desk) -> None:
    rep = user(desk, name='王芳')
    result = capture(desk, lead_data())
    lead = get(desk, Lead, result.lead_id)
    assert (result.owner_id, result.owner_name, result.status) == (rep.id, '王芳', 'assigned')
    assert (lead.owner_id, lead.status) == (rep.id, 'assigned')
    assert lead.assignment_reason == {'key': 'reason.assigned.least_loaded', 'rule': 'Least loaded',
                                      'rep': '王芳', 'open': 0, 'capacity': 30, 'quota_left': 20}


def test_auto_assignment_is_audited_with_system_actor(desk: Desk, clock: FakeClock) -> None:
    boss = admin(desk)
    rep = user(desk)
    result = capture(desk, lead_data(), actor=boss)
    [entry] = rows(desk, AuditEntry, AuditEntry.lead_id == result.lead_id, AuditEntry.action == 'assigned')
    assert (entry.actor_id, entry.subject_user_id, entry.reason_key, entry.created_at) == \
        (None, rep.id, 'reason.assigned.least_loaded', clock.now())
    assert get(desk, User, rep.id).last_assigned_at == clock.now()


def test_capture_spreads_leads_evenly_between_equal_reps(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    owners = [capture(desk, lead_data()).owner_id for _ in range(4)]
    assert sorted(owners) == sorted([a.id, a.id, b.id, b.id])


def test_grade_a_lead_goes_to_senior_rep_by_default_rules(desk: Desk) -> None:
    user(desk, seniority=1)
    senior = user(desk, seniority=3, capacity=50)
    hot = lead_data(budget='1M', authority='CEO', need='CRM', timeline='Q3')
    result = capture(desk, hot)
    assert (result.grade, result.owner_id) == ('A', senior.id)
    assert get(desk, Lead, result.lead_id).assignment_reason['key'] == 'reason.assigned.grade_aware'


def test_region_rule_assigns_rep_covering_the_region(desk: Desk) -> None:
    user(desk)
    south = user(desk, regions='广东，广西')
    result = capture(desk, lead_data(region='广东'))
    assert result.owner_id == south.id


def test_rep_on_leave_gets_no_lead(desk: Desk) -> None:
    boss = admin(desk)
    away, here = user(desk), user(desk)
    desk.team.update_user(boss, away.id, {'is_on_leave': True})
    assert {capture(desk, lead_data()).owner_id for _ in range(3)} == {here.id}


def test_rep_at_daily_quota_is_skipped_until_next_day(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk, daily_quota=1)
    assert capture(desk, lead_data()).owner_id == rep.id
    assert capture(desk, lead_data()).status == 'pool'
    clock.advance(days=1)
    assert capture(desk, lead_data()).owner_id == rep.id


def test_daily_quota_resets_at_team_local_midnight(desk: Desk, clock: FakeClock) -> None:
    clock.advance(hours=6, minutes=59)  # 15:59 UTC = 23:59 in Asia/Shanghai
    rep = user(desk, daily_quota=1)
    assert capture(desk, lead_data()).owner_id == rep.id
    assert capture(desk, lead_data()).owner_id is None
    clock.advance(minutes=2)  # 00:01 the next local day, still the same UTC day
    assert capture(desk, lead_data()).owner_id == rep.id


def test_daily_quota_counts_assignments_made_by_hand(desk: Desk) -> None:
    """Today's count (from the reports' roll-up) includes a manager's assignment from the pool."""
    boss = admin(desk)
    waiting = capture(desk, lead_data())  # nobody to take it yet
    assert waiting.status == 'pool'
    rep = user(desk, daily_quota=1)
    assert desk.pool.assign_from_pool(boss, [waiting.lead_id], rep_id=rep.id) == 1
    assert capture(desk, lead_data()).status == 'pool'


def test_a_policy_change_by_another_process_applies_to_the_next_capture(desk: Desk, clock: FakeClock) -> None:
    """Captures keep the rules and policy between transactions; a change written through another
    engine on the same database (another server process) is seen by the very next capture."""
    rep = user(desk)
    other = Desk(make_engine(desk.ctx.engine.url.render_as_string(hide_password=False)), desk.ctx.settings,
                 clock=clock)
    try:
        first = capture(desk, lead_data())
        other.set_policy(admin(other), {'protection_days': 2})
        second = capture(desk, lead_data())
    finally:
        other.ctx.engine.dispose()
    assert first.owner_id == second.owner_id == rep.id
    until = {lead.id: lead.protected_until - lead.assigned_at for lead in rows(desk, Lead)}
    assert until == {first.lead_id: timedelta(days=7), second.lead_id: timedelta(days=2)}


def test_deactivated_rep_gets_no_lead(desk: Desk) -> None:
    boss = admin(desk)
    gone, here = user(desk), user(desk)
    desk.team.update_user(boss, gone.id, {'is_active': False})
    assert {capture(desk, lead_data()).owner_id for _ in range(3)} == {here.id}


def test_rep_at_capacity_is_skipped(desk: Desk) -> None:
    rep = user(desk, capacity=1)
    assert capture(desk, lead_data()).owner_id == rep.id
    assert capture(desk, lead_data()).owner_id is None


def test_nobody_eligible_sends_lead_to_pool(desk: Desk) -> None:
    admin(desk)
    result = capture(desk, lead_data())
    lead = get(desk, Lead, result.lead_id)
    assert (result.status, result.owner_id, result.owner_name) == ('pool', None, None)
    assert (lead.status, lead.owner_id, lead.assignment_reason) == ('pool', None, {'key': 'reason.no_eligible_rep'})
    assert [e.action for e in rows(desk, AuditEntry, AuditEntry.lead_id == lead.id)] == ['captured', 'pooled']


def test_pool_reason_names_the_quota_when_it_is_why(desk: Desk) -> None:
    rep = user(desk, daily_quota=1)
    assert capture(desk, lead_data()).owner_id == rep.id
    result = capture(desk, lead_data())
    assert get(desk, Lead, result.lead_id).assignment_reason == {'key': 'reason.quota_reached'}
    [entry] = rows(desk, AuditEntry, AuditEntry.lead_id == result.lead_id, AuditEntry.action == 'pooled')
    assert entry.reason_key == 'reason.quota_reached'


def test_pooled_leads_reach_every_active_manager_and_admin_as_one_summary_per_tick(desk: Desk) -> None:
    """No notification per pooled lead: the timer's next tick tells each manager how many."""
    boss = admin(desk)
    manager = user(desk, Role.MANAGER)
    gone = user(desk, Role.MANAGER)
    user(desk, Role.MARKETING)
    desk.team.update_user(boss, gone.id, {'is_active': False})
    for _ in range(3):
        capture(desk, lead_data())
    assert rows(desk, Notification) == []
    desk.automation.tick()
    notes = rows(desk, Notification)
    assert sorted(n.user_id for n in notes) == sorted([boss.id, manager.id])
    assert {(n.lead_id, n.key, n.params['count'], n.params['link']) for n in notes} == \
        {(None, 'notify.pool_summary', 3, '/pool')}


def test_rep_keeps_own_manual_lead(desk: Desk) -> None:
    busy = user(desk)
    user(desk)  # less loaded, would win the rules
    capture(desk, lead_data(), actor=busy, keep_for_actor=True)
    result = capture(desk, lead_data(), actor=busy, keep_for_actor=True)
    lead = get(desk, Lead, result.lead_id)
    assert (lead.owner_id, lead.status) == (busy.id, 'assigned')
    assert lead.assignment_reason == {'key': 'reason.assigned.self', 'rep': busy.name}
    [entry] = rows(desk, AuditEntry, AuditEntry.lead_id == lead.id, AuditEntry.action == 'assigned')
    assert entry.actor_id == busy.id


def test_manager_entry_with_keep_for_actor_still_runs_rules(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    rep = user(desk)
    result = capture(desk, lead_data(), actor=manager, keep_for_actor=True)
    assert result.owner_id == rep.id


def test_actor_without_capture_role_is_refused(desk: Desk) -> None:
    stranger = UserRef(id=999, name='x', email='x@example.com', role='guest')
    with pytest.raises(NotAllowed):
        capture(desk, lead_data(), actor=stranger)
    assert rows(desk, Lead) == []
