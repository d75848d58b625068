"""core/automation/timer.py: the timer (PRODUCT.md lifecycle 5–7): first-response SLA, grace reassignment,
protection, warning, recycle, review, reminders, waiting pool leads, preview, batching.

The clock starts Monday 2026-03-02 09:00 UTC, which is 17:00 in Shanghai (the default team calendar:
09:00–18:00 Mon–Fri), one working hour before closing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlmodel import func, select

from core.automation import due as timer_due
from core.automation import timer as automation
from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed
from store.engine import read_session
from store.models import OPEN_STATUSES, Activity, AuditEntry, Lead, Notification, Role, User, UserRef
from tests.factories import admin, lead_data, user

from .db import get, race, rows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""The fixture clock's start: Monday 17:00 Shanghai."""
A = {'budget': '500k', 'authority': 'CTO', 'need': 'CRM', 'timeline': 'Q2'}
"""70 points + phone: grade A (first response in 24 nominal hours = one working day)."""
B = {'budget': '500k', 'authority': 'CTO'}
"""35 points + phone: grade B (72 h)."""
A_DUE = T0 + timedelta(days=1)
"""Tuesday 17:00 Shanghai: one working day after Monday 17:00."""
A_GRACE = datetime(2026, 3, 6, 6, 0, tzinfo=UTC)
"""24 working hours after Tuesday 17:00: Tue 1 h, Wed 9, Thu 9, Fri 5 → Friday 14:00 Shanghai."""


# ----- helpers -----------------------------------------------------------------------------------

def team(desk: Desk, reps: int = 1, **rep_fields: Any) -> tuple[UserRef, list[UserRef]]:
    manager = user(desk, Role.MANAGER)
    return manager, [user(desk, **rep_fields) for _ in range(reps)]


def capture(desk: Desk, **fields: Any) -> int:
    """A lead through the assignment rules (no actor)."""
    return desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual').lead_id


def lead(desk: Desk, lead_id: int) -> Lead:
    return get(desk, Lead, lead_id)


def audits(desk: Desk, action: str, lead_id: int | None = None) -> list[AuditEntry]:
    where = [AuditEntry.action == action]
    if lead_id is not None:
        where.append(AuditEntry.lead_id == lead_id)
    return rows(desk, AuditEntry, *where)


def notices(desk: Desk, key: str, lead_id: int | None = None) -> list[Notification]:
    where = [Notification.key == key]
    if lead_id is not None:
        where.append(Notification.lead_id == lead_id)
    return rows(desk, Notification, *where)


def counts(desk: Desk) -> tuple[int, int, int]:
    """(audit rows, notifications, activities): what a no-op must leave alone."""
    with read_session(desk.ctx.engine) as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one()  # type: ignore[return-value]
                     for m in (AuditEntry, Notification, Activity))


def snapshot(desk: Desk) -> list[dict[str, Any]]:
    return [row.model_dump() for row in rows(desk, Lead)]


def managers(desk: Desk, manager: UserRef) -> set[int]:
    return {manager.id, admin(desk).id}




def set_fields(desk: Desk, lead_id: int, **fields: Any) -> None:
    """Put a lead into a state that would take long to reach through the use cases."""
    with desk.ctx.write() as s:
        row = s.get(Lead, lead_id)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)
        s.add(row)


# ----- clocks set by an assignment ------------------------------------------------------------------

def test_assignment_starts_first_response_clock(desk: Desk) -> None:
    _, (rep,) = team(desk)
    row = lead(desk, capture(desk, **A))
    assert (row.grade, row.owner_id, row.status) == ('A', rep.id, 'assigned')
    assert (row.sla_status, row.sla_due_at) == ('due', A_DUE)


def test_b_lead_is_due_three_working_days_later(desk: Desk) -> None:
    team(desk)
    row = lead(desk, capture(desk, **B))
    assert row.grade == 'B'
    assert row.sla_due_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)  # Thursday 17:00 Shanghai


def test_c_lead_on_friday_evening_is_due_seven_working_days_later(desk: Desk, clock: FakeClock) -> None:
    team(desk)
    clock.advance(days=4)  # Friday 17:00 Shanghai
    row = lead(desk, capture(desk))
    assert row.grade == 'C'
    assert row.sla_due_at == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)  # Tuesday week, 17:00 Shanghai


def test_assignment_sets_grace_in_working_hours_after_due(desk: Desk) -> None:
    team(desk)
    assert lead(desk, capture(desk, **A)).sla_grace_at == A_GRACE


def test_assignment_protects_lead_seven_days_at_most_thirty(desk: Desk) -> None:
    team(desk)
    row = lead(desk, capture(desk))
    assert row.protected_until == T0 + timedelta(days=7)
    assert row.protection_max_at == T0 + timedelta(days=30)
    assert row.warned_until is None


def test_weekend_does_not_count_towards_sla(desk: Desk, clock: FakeClock) -> None:
    team(desk)
    clock.advance(days=4)  # Friday 17:00 Shanghai
    assert lead(desk, capture(desk, **A)).sla_due_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 17:00


def test_holiday_moves_sla_due_by_one_working_day(desk: Desk, clock: FakeClock) -> None:
    manager, _ = team(desk)
    desk.set_policy(manager, {'calendar': {'holidays': ['2026-03-09']}})
    clock.advance(days=4)  # Friday 17:00 Shanghai; Monday is a holiday
    assert lead(desk, capture(desk, **A)).sla_due_at == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # Tuesday


def test_holiday_week_spanning_c_lead_sla_is_skipped(desk: Desk, clock: FakeClock) -> None:
    manager, _ = team(desk)
    desk.set_policy(manager, {'calendar': {'holidays': [f'2026-03-{d:02d}' for d in range(9, 14)]}})
    clock.advance(days=4)
    # Fri 1 h, the week of the 9th off, then 6 working days and 8 hours: Tuesday the 24th, 17:00 Shanghai
    assert lead(desk, capture(desk)).sla_due_at == datetime(2026, 3, 24, 9, 0, tzinfo=UTC)


def test_extra_workday_on_weekend_counts_towards_sla(desk: Desk, clock: FakeClock) -> None:
    manager, _ = team(desk)
    desk.set_policy(manager, {'calendar': {'extra_workdays': ['2026-03-07']}})
    clock.advance(days=4)
    assert lead(desk, capture(desk, **A)).sla_due_at == datetime(2026, 3, 7, 9, 0, tzinfo=UTC)  # Saturday


def test_sla_hours_from_policy_apply_to_new_assignments(desk: Desk) -> None:
    manager, _ = team(desk)
    desk.set_policy(manager, {'sla_hours': {'A': 48, 'B': 72, 'C': 168}})
    assert lead(desk, capture(desk, **A)).sla_due_at == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


# ----- first-response SLA ------------------------------------------------------------------------

def test_tick_before_due_does_nothing(desk: Desk) -> None:
    team(desk)
    lead_id = capture(desk, **A)
    report = desk.automation.tick(A_DUE - timedelta(seconds=1))
    assert report.count() == 0
    assert lead(desk, lead_id).sla_status == 'due'


def test_tick_at_due_flags_sla_failed(desk: Desk) -> None:
    team(desk)
    lead_id = capture(desk, **A)
    report = desk.automation.tick(A_DUE)
    assert report.done['sla_breach'] == [lead_id]
    assert lead(desk, lead_id).sla_status == 'failed'


def test_breach_is_audited_as_system_with_reason(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk, **A)
    desk.automation.tick(A_DUE)
    [entry] = audits(desk, 'sla_breached', lead_id)
    assert (entry.actor_id, entry.subject_user_id, entry.reason_key) == (None, rep.id, 'reason.sla_breached')
    assert entry.reason_params == {'hours': 24.0, 'grade': 'A'}
    assert entry.created_at == A_DUE


def test_breach_notifies_owner_and_managers(desk: Desk) -> None:
    manager, (rep,) = team(desk)
    lead_id = capture(desk, **A)
    desk.automation.tick(A_DUE)
    told = notices(desk, 'notify.sla_breached', lead_id)
    assert sorted(n.user_id for n in told) == sorted({rep.id} | managers(desk, manager))


def test_breaches_in_one_tick_make_one_line_per_person(desk: Desk) -> None:
    """Three leads past their deadline in the same tick: the owner and each manager read one line
    with the count (linked to the inbox), not three; each lead still has its own audit line."""
    manager, (rep,) = team(desk)
    lead_ids = [capture(desk, **A, phone=f'1380000000{i}') for i in range(3)]
    desk.automation.tick(A_DUE)
    assert notices(desk, 'notify.sla_breached') == []
    many = notices(desk, 'notify.sla_breached_many')
    assert sorted(n.user_id for n in many) == sorted({rep.id} | managers(desk, manager))
    assert {(n.lead_id, n.params['count'], n.params['link']) for n in many} == {(None, 3, '/')}
    assert sorted(e.lead_id for e in audits(desk, 'sla_breached')) == sorted(lead_ids)


def test_leads_recycled_in_one_tick_make_one_line_for_their_owner(desk: Desk) -> None:
    _, (rep,) = team(desk)
    for i in range(2):
        capture(desk, phone=f'1381111111{i}')
    desk.automation.tick(T0 + timedelta(days=7))
    assert notices(desk, 'notify.recycled_from_you') == []
    [line] = notices(desk, 'notify.recycled_many')
    assert (line.user_id, line.params) == (rep.id, {'count': 2, 'link': '/pool'})


def test_second_tick_at_same_instant_changes_nothing(desk: Desk) -> None:
    team(desk)
    capture(desk, **A)
    desk.automation.tick(A_DUE)
    before, leads_before = counts(desk), snapshot(desk)
    assert desk.automation.tick(A_DUE).count() == 0
    assert counts(desk) == before
    assert snapshot(desk) == leads_before


def test_owner_call_before_deadline_fulfils_sla(desk: Desk, clock: FakeClock) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk, **A)
    clock.advance(hours=2)
    desk.leads.log_activity(rep, lead_id, kind='call', outcome='reached')
    row = lead(desk, lead_id)
    assert (row.sla_status, row.status, row.sla_grace_at) == ('fulfilled', 'contacted', None)
    assert desk.automation.tick(A_DUE).count() == 0


def test_owner_note_does_not_fulfil_sla(desk: Desk, clock: FakeClock) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk, **A)
    clock.advance(hours=2)
    desk.leads.log_activity(rep, lead_id, kind='note', note='will call tomorrow')
    assert lead(desk, lead_id).sla_status == 'due'
    assert desk.automation.tick(A_DUE).done['sla_breach'] == [lead_id]


def test_manager_call_does_not_fulfil_owners_sla(desk: Desk, clock: FakeClock) -> None:
    manager, _ = team(desk)
    lead_id = capture(desk, **A)
    clock.advance(hours=2)
    desk.leads.log_activity(manager, lead_id, kind='call')
    assert (lead(desk, lead_id).sla_status, lead(desk, lead_id).status) == ('due', 'assigned')


def test_call_after_breach_keeps_failed_and_clears_grace(desk: Desk, clock: FakeClock) -> None:
    _, reps = team(desk, 2)
    lead_id = capture(desk, **A)
    owner = lead(desk, lead_id).owner_id
    desk.automation.tick(A_DUE)
    clock.advance(days=2)
    desk.leads.log_activity(next(r for r in reps if r.id == owner), lead_id, kind='call')
    row = lead(desk, lead_id)
    assert (row.sla_status, row.sla_grace_at, row.status) == ('failed', None, 'contacted')


def test_call_after_breach_prevents_reassignment(desk: Desk, clock: FakeClock) -> None:
    _, reps = team(desk, 2)
    lead_id = capture(desk, **A)
    owner = lead(desk, lead_id).owner_id
    desk.automation.tick(A_DUE)
    clock.advance(days=2)
    desk.leads.log_activity(next(r for r in reps if r.id == owner), lead_id, kind='wechat')
    report = desk.automation.tick(A_GRACE + timedelta(hours=1))
    assert report.done['sla_reassign'] == []
    assert lead(desk, lead_id).owner_id == owner


# ----- grace: reassignment --------------------------------------------------------------------------

def test_tick_before_grace_keeps_owner(desk: Desk) -> None:
    team(desk, 2)
    lead_id = capture(desk, **A)
    owner = lead(desk, lead_id).owner_id
    desk.automation.tick(A_DUE)
    assert desk.automation.tick(A_GRACE - timedelta(seconds=1)).count() == 0
    assert lead(desk, lead_id).owner_id == owner


def test_past_grace_uncontacted_lead_goes_to_another_rep(desk: Desk) -> None:
    _, reps = team(desk, 2)
    lead_id = capture(desk, **A)
    first = lead(desk, lead_id).owner_id
    desk.automation.tick(A_DUE)
    report = desk.automation.tick(A_GRACE)
    assert report.done['sla_reassign'] == [lead_id]
    row = lead(desk, lead_id)
    assert row.owner_id in {r.id for r in reps} - {first}
    assert (row.status, row.sla_status, row.assigned_at) == ('assigned', 'due', A_GRACE)


def test_grace_reassignment_starts_new_clocks(desk: Desk) -> None:
    team(desk, 2)
    lead_id = capture(desk, **A)
    desk.automation.tick(A_DUE)
    desk.automation.tick(A_GRACE)
    row, policy = lead(desk, lead_id), desk.policy()
    assert row.sla_due_at == policy.sla_due('A', A_GRACE)
    assert row.sla_grace_at == policy.sla_grace(policy.sla_due('A', A_GRACE))
    assert (row.protected_until, row.protection_max_at) == policy.protection(A_GRACE)


def test_grace_reassignment_is_audited_as_system_with_reason(desk: Desk) -> None:
    _, reps = team(desk, 2)
    lead_id = capture(desk, **A)
    first = lead(desk, lead_id).owner_id
    desk.automation.tick(A_DUE)
    desk.automation.tick(A_GRACE)
    entry = audits(desk, 'assigned', lead_id)[-1]
    assert (entry.actor_id, entry.reason_key, entry.created_at) == (None, 'reason.sla_reassigned', A_GRACE)
    assert entry.reason_params['previous'] == next(r.name for r in reps if r.id == first)
    assert entry.reason_params['previous_owner_id'] == first


def test_grace_reassignment_notifies_previous_and_new_owner(desk: Desk) -> None:
    team(desk, 2)
    lead_id = capture(desk, **A)
    first = lead(desk, lead_id).owner_id
    desk.automation.tick(A_DUE)
    desk.automation.tick(A_GRACE)
    assert [n.user_id for n in notices(desk, 'notify.taken_away', lead_id)] == [first]
    # the first owner was told at capture, the new one at the reassignment
    assert [n.user_id for n in notices(desk, 'notify.assigned_to_you', lead_id)] == [first,
                                                                                   lead(desk, lead_id).owner_id]


def test_past_grace_without_other_eligible_rep_keeps_owner(desk: Desk) -> None:
    manager, (rep, away) = team(desk, 2)
    desk.team.update_user(manager, away.id, {'is_on_leave': True})
    lead_id = capture(desk, **A)
    desk.automation.tick(A_DUE)
    desk.automation.tick(A_GRACE)
    row = lead(desk, lead_id)
    assert (row.owner_id, row.sla_status, row.sla_grace_at) == (rep.id, 'failed', None)
    [entry] = audits(desk, 'sla_no_rep', lead_id)
    assert (entry.actor_id, entry.reason_key) == (None, 'reason.sla_no_rep')


def test_past_grace_without_other_rep_tells_managers_once(desk: Desk) -> None:
    manager, _ = team(desk)
    lead_id = capture(desk, **A)
    desk.automation.tick(A_DUE)
    desk.automation.tick(A_GRACE)
    desk.automation.tick(A_GRACE + timedelta(hours=1))
    told = notices(desk, 'notify.sla_no_rep', lead_id)
    assert sorted(n.user_id for n in told) == sorted(managers(desk, manager))


# ----- protection ---------------------------------------------------------------------------------

def test_owner_activity_extends_protection_to_three_days_from_now(desk: Desk, clock: FakeClock) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    now = clock.advance(days=5)
    desk.leads.log_activity(rep, lead_id, kind='note', note='sent brochure')
    assert lead(desk, lead_id).protected_until == now + timedelta(days=3)


def test_activity_never_shortens_protection(desk: Desk, clock: FakeClock) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    clock.advance(days=1)
    desk.leads.log_activity(rep, lead_id, kind='call')
    assert lead(desk, lead_id).protected_until == T0 + timedelta(days=7)


def test_protection_extension_stops_at_maximum(desk: Desk, clock: FakeClock) -> None:
    manager, (rep,) = team(desk)
    desk.set_policy(manager, {'max_protection_days': 10})
    lead_id = capture(desk)
    clock.advance(days=6)
    desk.leads.log_activity(rep, lead_id, kind='call')
    assert lead(desk, lead_id).protected_until == T0 + timedelta(days=9)
    clock.advance(days=2, hours=12)
    desk.leads.log_activity(rep, lead_id, kind='note')
    assert lead(desk, lead_id).protected_until == T0 + timedelta(days=10)
    clock.advance(hours=12)
    desk.leads.log_activity(rep, lead_id, kind='note')
    assert lead(desk, lead_id).protected_until == lead(desk, lead_id).protection_max_at == T0 + timedelta(days=10)


def test_activity_by_non_owner_does_not_extend_protection(desk: Desk, clock: FakeClock) -> None:
    manager, _ = team(desk)
    lead_id = capture(desk)
    clock.advance(days=6)
    desk.leads.log_activity(manager, lead_id, kind='note')
    assert lead(desk, lead_id).protected_until == T0 + timedelta(days=7)


def test_activity_on_last_protected_minute_keeps_lead(desk: Desk, clock: FakeClock) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    clock.advance(days=7, minutes=-1)
    desk.leads.log_activity(rep, lead_id, kind='call')
    report = desk.automation.tick(T0 + timedelta(days=7))
    assert report.done['recycle'] == []
    assert (lead(desk, lead_id).owner_id, lead(desk, lead_id).status) == (rep.id, 'contacted')


def test_owner_warned_one_day_before_protection_ends(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    report = desk.automation.tick(T0 + timedelta(days=6))
    assert report.done['warn'] == [lead_id]
    assert lead(desk, lead_id).warned_until == T0 + timedelta(days=7)
    assert [n.user_id for n in notices(desk, 'notify.protection_ending', lead_id)] == [rep.id]
    [entry] = audits(desk, 'warned', lead_id)
    assert (entry.actor_id, entry.subject_user_id, entry.reason_key) == (None, rep.id, 'reason.protection_ending')


def test_no_warning_earlier_than_a_day_before(desk: Desk) -> None:
    team(desk)
    capture(desk)
    assert desk.automation.tick(T0 + timedelta(days=6, seconds=-1)).count() == 0


def test_warning_sent_only_once_per_end(desk: Desk) -> None:
    team(desk)
    lead_id = capture(desk)
    for hours in (0, 1, 12, 23):
        desk.automation.tick(T0 + timedelta(days=6, hours=hours))
    assert len(audits(desk, 'warned', lead_id)) == 1
    assert len(notices(desk, 'notify.protection_ending', lead_id)) == 1


def test_later_protection_end_rearms_warning(desk: Desk, clock: FakeClock) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    desk.automation.tick(T0 + timedelta(days=6))
    now = clock.advance(days=6, hours=2)
    desk.leads.log_activity(rep, lead_id, kind='call')
    new_end = now + timedelta(days=3)
    assert desk.automation.tick(new_end - timedelta(days=1, seconds=1)).done['warn'] == []
    assert desk.automation.tick(new_end - timedelta(days=1)).done['warn'] == [lead_id]
    assert lead(desk, lead_id).warned_until == new_end
    assert len(notices(desk, 'notify.protection_ending', lead_id)) == 2


# ----- recycle and review -------------------------------------------------------------------------

def test_protection_end_recycles_lead_to_pool(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    end = T0 + timedelta(days=7)
    report = desk.automation.tick(end)
    assert report.done['recycle'] == [lead_id]
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id, row.previous_owner_id, row.recycle_count) == ('pool', None, rep.id, 1)
    assert row.cooldown_until == end + timedelta(days=3)


def test_recycle_stops_the_lead_clocks(desk: Desk) -> None:
    team(desk)
    lead_id = capture(desk)
    desk.automation.tick(T0 + timedelta(days=7))
    row = lead(desk, lead_id)
    assert (row.sla_status, row.sla_due_at, row.sla_grace_at) == (None, None, None)
    assert (row.protected_until, row.protection_max_at, row.warned_until) == (None, None, None)


def test_tick_just_before_protection_end_keeps_lead(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    desk.automation.tick(T0 + timedelta(days=6))  # the warning
    assert desk.automation.tick(T0 + timedelta(days=7, seconds=-1)).count() == 0
    assert lead(desk, lead_id).owner_id == rep.id


def test_recycle_is_audited_and_previous_owner_told(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    desk.automation.tick(T0 + timedelta(days=7))
    [entry] = audits(desk, 'recycled', lead_id)
    assert (entry.actor_id, entry.subject_user_id, entry.reason_key) == (None, rep.id, 'reason.recycled_to_pool')
    assert entry.reason_params == {'rep': rep.name, 'count': 1, 'days': 7.0, 'pool_id': 1,
                                   'pool_en': 'Public pool', 'pool_zh': '公海'}
    assert [n.user_id for n in notices(desk, 'notify.recycled_from_you', lead_id)] == [rep.id]


def test_managers_get_one_pool_summary_per_tick_and_each_lead_its_audit_line(desk: Desk,
                                                                             clock: FakeClock) -> None:
    """Recycled leads (and leads no rep could take) reach the managers as one count per tick,
    linking to the pool; the trail keeps a line per lead."""
    manager, (rep,) = team(desk, capacity=3)
    ids = [capture(desk) for _ in range(3)]
    clock.advance(days=7, minutes=-1)
    waiting = capture(desk)  # the rep is full: no eligible rep
    desk.automation.tick(T0 + timedelta(days=7))
    summaries = notices(desk, 'notify.pool_summary')
    assert sorted(n.user_id for n in summaries) == sorted(managers(desk, manager))
    assert {(n.lead_id, n.params['count'], n.params['link']) for n in summaries} == {(None, 4, '/pool')}
    assert sorted(e.lead_id for e in audits(desk, 'recycled')) == sorted(ids)
    assert [e.lead_id for e in audits(desk, 'pooled')] == [waiting]
    assert notices(desk, 'notify.no_eligible_rep') == []
    assert rep.id not in {n.user_id for n in summaries}


def test_pool_summary_counts_each_lead_once(desk: Desk, clock: FakeClock) -> None:
    manager, _ = team(desk, capacity=0)
    capture(desk)
    capture(desk)
    desk.automation.tick()
    desk.automation.tick()  # nothing new: no second summary
    clock.advance(minutes=1)
    capture(desk)
    desk.automation.tick()
    counts = sorted(n.params['count'] for n in notices(desk, 'notify.pool_summary') if n.user_id == manager.id)
    assert counts == [1, 2]


def test_two_ticks_at_once_send_one_pool_summary(desk: Desk, clock: FakeClock) -> None:
    """Two timer processes ticking together (PostgreSQL): the summary's mark is taken by one, the
    other waits for it and finds nothing new — no second summary, no failed tick."""
    manager, _ = team(desk, capacity=0)
    capture(desk)
    capture(desk)
    results = race(desk.automation.tick, desk.automation.tick)
    assert not [r for r in results if isinstance(r, Exception)]
    counts = [n.params['count'] for n in notices(desk, 'notify.pool_summary') if n.user_id == manager.id]
    assert counts == [2]


def test_third_recycle_goes_to_review_and_tells_managers(desk: Desk, clock: FakeClock) -> None:
    manager, (rep,) = team(desk)
    lead_id = capture(desk)
    outcomes = []
    for _ in range(3):
        clock.advance(days=7)
        report = desk.automation.tick()
        outcomes.append(next(step for step, ids in report.done.items() if lead_id in ids))
        if lead(desk, lead_id).status == 'pool':
            desk.pool.assign_from_pool(manager, [lead_id], rep_id=rep.id)
    assert outcomes == ['recycle', 'recycle', 'review']
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id, row.previous_owner_id, row.recycle_count) == ('review', None, rep.id, 3)
    assert sorted(n.user_id for n in notices(desk, 'notify.review', lead_id)) == sorted(managers(desk, manager))
    [entry] = audits(desk, 'sent_to_review', lead_id)
    assert (entry.actor_id, entry.reason_key, entry.reason_params['count']) == (None, 'reason.sent_to_review', 3)


def test_review_after_setting_decides_which_recycle_goes_to_review(desk: Desk) -> None:
    manager, _ = team(desk)
    desk.set_policy(manager, {'review_after': 1})
    lead_id = capture(desk)
    assert desk.automation.tick(T0 + timedelta(days=7)).done['review'] == [lead_id]


def test_recycled_lead_is_not_auto_assigned(desk: Desk) -> None:
    team(desk, 2)
    lead_id = capture(desk)
    desk.automation.tick(T0 + timedelta(days=7))
    assert desk.automation.tick(T0 + timedelta(days=7, minutes=1)).count() == 0
    assert desk.automation.tick(T0 + timedelta(days=11)).count() == 0  # nor after the cool-down
    assert (lead(desk, lead_id).status, lead(desk, lead_id).owner_id) == ('pool', None)


def test_redistribute_recycled_assigns_to_another_rep_during_cooldown(desk: Desk) -> None:
    manager, reps = team(desk, 2)
    desk.set_policy(manager, {'redistribute_recycled': True})
    lead_id = capture(desk)
    first = lead(desk, lead_id).owner_id
    desk.automation.tick(T0 + timedelta(days=7))
    report = desk.automation.tick(T0 + timedelta(days=7, minutes=1))
    assert report.done['assign'] == [lead_id]
    assert lead(desk, lead_id).owner_id in {r.id for r in reps} - {first}


def test_redistribute_recycled_lead_in_cooldown_does_not_block_other_waiting_leads(
        desk: Desk, clock: FakeClock) -> None:
    manager, (rep,) = team(desk)
    recycled = capture(desk)
    clock.advance(days=7)
    desk.automation.tick()  # recycled: waits in the pool, its only possible owner is in cool-down
    desk.set_policy(manager, {'redistribute_recycled': True})
    desk.team.update_user(manager, rep.id, {'is_on_leave': True})
    waiting = capture(desk)  # nobody eligible: never owned, waits
    desk.team.update_user(manager, rep.id, {'is_on_leave': False})
    report = desk.automation.tick()
    assert lead(desk, recycled).status == 'pool'
    assert report.done['assign'] == [waiting]
    assert lead(desk, waiting).owner_id == rep.id


# ----- waiting pool leads and leave ----------------------------------------------------------------

def test_lead_captured_while_all_reps_on_leave_waits_in_pool(desk: Desk) -> None:
    manager, (rep,) = team(desk)
    desk.team.update_user(manager, rep.id, {'is_on_leave': True})
    lead_id = capture(desk)
    assert (lead(desk, lead_id).status, lead(desk, lead_id).owner_id) == ('pool', None)
    assert desk.automation.tick().count() == 0
    assert lead(desk, lead_id).status == 'pool'


def test_waiting_lead_assigned_by_tick_once_rep_returns(desk: Desk, clock: FakeClock) -> None:
    manager, (rep,) = team(desk)
    desk.team.update_user(manager, rep.id, {'is_on_leave': True})
    lead_id = capture(desk, **A)
    now = clock.advance(hours=3)
    desk.team.update_user(manager, rep.id, {'is_on_leave': False})
    report = desk.automation.tick()
    assert report.done['assign'] == [lead_id]
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id, row.sla_status) == ('assigned', rep.id, 'due')
    assert row.sla_due_at == desk.policy().sla_due('A', now)
    assert row.protected_until == now + timedelta(days=7)


def test_waiting_lead_assignment_is_audited_and_rep_told(desk: Desk) -> None:
    manager, (rep,) = team(desk)
    desk.team.update_user(manager, rep.id, {'is_on_leave': True})
    lead_id = capture(desk)
    desk.team.update_user(manager, rep.id, {'is_on_leave': False})
    desk.automation.tick()
    entry = audits(desk, 'assigned', lead_id)[-1]
    assert (entry.actor_id, entry.subject_user_id) == (None, rep.id)
    assert entry.reason_key.startswith('reason.assigned.')
    assert [n.user_id for n in notices(desk, 'notify.assigned_to_you', lead_id)] == [rep.id]


def test_waiting_leads_respect_rep_capacity(desk: Desk) -> None:
    manager, (rep,) = team(desk, capacity=2)
    desk.team.update_user(manager, rep.id, {'is_on_leave': True})
    ids = [capture(desk) for _ in range(3)]
    desk.team.update_user(manager, rep.id, {'is_on_leave': False})
    assert desk.automation.tick().done['assign'] == ids[:2]
    assert lead(desk, ids[2]).status == 'pool'


def test_rep_on_leave_keeps_lead_until_protection_ends(desk: Desk, clock: FakeClock) -> None:
    manager, _ = team(desk, 2)
    lead_id = capture(desk)
    owner = lead(desk, lead_id).owner_id
    clock.advance(days=3)
    desk.team.update_user(manager, owner, {'is_on_leave': True})
    for day in (3, 4, 5, 6):
        desk.automation.tick(T0 + timedelta(days=day, hours=1))
    assert lead(desk, lead_id).owner_id == owner


def test_rep_on_leave_lead_recycles_when_protection_ends(desk: Desk, clock: FakeClock) -> None:
    manager, _ = team(desk, 2)
    lead_id = capture(desk)
    owner = lead(desk, lead_id).owner_id
    clock.advance(days=3)
    desk.team.update_user(manager, owner, {'is_on_leave': True})
    assert desk.automation.tick(T0 + timedelta(days=7)).done['recycle'] == [lead_id]
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id, row.previous_owner_id) == ('pool', None, owner)


# ----- follow-up reminders -------------------------------------------------------------------------

def test_follow_up_reminder_fires_once_when_due(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    due = T0 + timedelta(days=2)
    desk.leads.log_activity(rep, lead_id, kind='call', next_follow_up_at=due)
    assert lead(desk, lead_id).follow_up_due_at == due
    assert desk.automation.tick(due).done['remind'] == [lead_id]
    assert desk.automation.tick(due + timedelta(hours=1)).count() == 0
    assert [n.user_id for n in notices(desk, 'notify.follow_up_due', lead_id)] == [rep.id]
    row = lead(desk, lead_id)
    assert (row.follow_up_due_at, row.next_follow_up_at) == (None, due)
    [entry] = audits(desk, 'reminded', lead_id)
    assert (entry.actor_id, entry.reason_key) == (None, 'reason.follow_up_due')


def test_follow_up_not_reminded_before_due(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    desk.leads.log_activity(rep, lead_id, kind='call', next_follow_up_at=T0 + timedelta(days=2))
    assert desk.automation.tick(T0 + timedelta(days=2, seconds=-1)).count() == 0


def test_new_follow_up_date_rearms_reminder(desk: Desk, clock: FakeClock) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    desk.leads.log_activity(rep, lead_id, kind='call', next_follow_up_at=T0 + timedelta(days=1))
    clock.advance(days=1)
    desk.automation.tick()
    desk.leads.log_activity(rep, lead_id, kind='call', next_follow_up_at=T0 + timedelta(days=3))
    assert desk.automation.tick(T0 + timedelta(days=3)).done['remind'] == [lead_id]
    assert len(notices(desk, 'notify.follow_up_due', lead_id)) == 2


def test_follow_up_of_recycled_lead_is_not_reminded(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    desk.leads.log_activity(rep, lead_id, kind='note', next_follow_up_at=T0 + timedelta(days=12))
    desk.automation.tick(T0 + timedelta(days=7))  # recycled, nobody owns it
    assert desk.automation.tick(T0 + timedelta(days=12)).done['remind'] == []
    assert notices(desk, 'notify.follow_up_due', lead_id) == []
    assert lead(desk, lead_id).follow_up_due_at is None


# ----- clock jumps --------------------------------------------------------------------------------

def test_forty_day_jump_breaches_and_recycles_in_one_tick(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk, **A)
    jump = T0 + timedelta(days=40)
    report = desk.automation.tick(jump)
    assert report.summary() == {'sla_breach': 1, 'recycle': 1}
    assert report.done['sla_breach'] == report.done['recycle'] == [lead_id]
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id, row.previous_owner_id, row.recycle_count) == ('pool', None, rep.id, 1)
    assert (row.sla_status, row.sla_grace_at, row.protected_until) == ('failed', None, None)
    assert row.cooldown_until == jump + timedelta(days=3)


def test_forty_day_jump_audits_each_step_once_at_jump_time(desk: Desk) -> None:
    team(desk)
    lead_id = capture(desk, **A)
    jump = T0 + timedelta(days=40)
    desk.automation.tick(jump)
    timer_rows = [e for e in rows(desk, AuditEntry, AuditEntry.lead_id == lead_id) if e.created_at == jump]
    assert [e.action for e in timer_rows] == ['sla_breached', 'sla_no_rep', 'recycled']
    assert all(e.actor_id is None for e in timer_rows)
    assert audits(desk, 'warned', lead_id) == []  # the end is already past: no late warning


def test_second_tick_after_jump_changes_nothing(desk: Desk) -> None:
    team(desk)
    capture(desk, **A)
    capture(desk)
    jump = T0 + timedelta(days=40)
    desk.automation.tick(jump)
    before, leads_before = counts(desk), snapshot(desk)
    assert desk.automation.tick(jump).count() == 0
    assert (counts(desk), snapshot(desk)) == (before, leads_before)


# ----- preview --------------------------------------------------------------------------------------

def _preview_world(desk: Desk, clock: FakeClock) -> tuple[datetime, dict[str, int]]:
    """Leads whose next timer step falls in the 24 h after P = T0 + 6 d 12 h, one per kind of step."""
    manager, reps = team(desk, 2)
    by_id = {r.id: r for r in reps}
    ids = {'recycle': capture(desk), 'review': capture(desk)}  # protection ends T0 + 7 d
    clock.advance(days=1)  # Tuesday 17:00 Shanghai
    ids['warn'] = capture(desk)  # ends T0 + 8 d: warned from T0 + 7 d
    ids['sla_reassign'] = capture(desk, **A)  # due Wed 17:00, grace Mon 14:00 Shanghai = T0 + 6 d 21 h
    clock.advance(days=5)  # Sunday T0 + 6 d
    ids['sla_breach'] = capture(desk, **A)  # due Monday 18:00 Shanghai = T0 + 7 d 1 h
    ids['remind'] = capture(desk)
    set_fields(desk, ids['review'], recycle_count=2)
    desk.automation.tick(T0 + timedelta(days=6, hours=1))  # warns 'recycle' and 'review', flags 'sla_reassign'
    p = clock.advance(hours=12)
    remind_owner = by_id[lead(desk, ids['remind']).owner_id or 0]
    desk.leads.log_activity(remind_owner, ids['remind'], kind='call', next_follow_up_at=p + timedelta(hours=14))
    grace_owner = by_id[lead(desk, ids['sla_reassign']).owner_id or 0]
    desk.leads.log_activity(grace_owner, ids['sla_reassign'], kind='note')  # keeps it protected, not contacted
    assert manager.id not in by_id
    return p, ids


def test_preview_lists_what_a_tick_at_the_horizon_does(desk: Desk, clock: FakeClock) -> None:
    p, ids = _preview_world(desk, clock)
    planned = {(item.lead_id, item.action) for item in desk.automation.preview(p, 24)}
    assert planned == {(lead_id, action) for action, lead_id in ids.items()}
    report = desk.automation.tick(p + timedelta(hours=24))
    assert {(lead_id, step) for step, done in report.done.items() for lead_id in done} == planned


def test_preview_changes_nothing(desk: Desk, clock: FakeClock) -> None:
    p, _ = _preview_world(desk, clock)
    before, leads_before = counts(desk), snapshot(desk)
    assert desk.automation.preview(p, 24)
    assert desk.automation.preview(p, 24 * 40)
    assert (counts(desk), snapshot(desk)) == (before, leads_before)


def test_preview_gives_time_and_owner_soonest_first(desk: Desk) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    planned = desk.automation.preview(T0 + timedelta(days=5, hours=12), 48)
    assert [(p.lead_id, p.action, p.at, p.owner_name) for p in planned] == [
        (lead_id, 'warn', T0 + timedelta(days=6), rep.name),
        (lead_id, 'recycle', T0 + timedelta(days=7), rep.name),
    ]


def test_preview_shows_nothing_outside_horizon(desk: Desk) -> None:
    team(desk)
    capture(desk)
    assert desk.automation.preview(T0, 24) == []


def test_preview_timer_refuses_reps(desk: Desk) -> None:
    _, (rep,) = team(desk)
    with pytest.raises(NotAllowed):
        desk.preview_timer(rep)


def test_preview_timer_uses_the_clock_for_managers(desk: Desk, clock: FakeClock) -> None:
    manager, _ = team(desk)
    lead_id = capture(desk, **A)
    clock.advance(hours=1)
    assert [(p.lead_id, p.action) for p in desk.preview_timer(manager)] == [(lead_id, 'sla_breach')]


def test_run_timer_is_for_admins_or_the_background_timer(desk: Desk, clock: FakeClock) -> None:
    manager, (rep,) = team(desk)
    lead_id = capture(desk, **A)
    clock.advance(days=1)
    for actor in (rep, manager):
        with pytest.raises(NotAllowed):
            desk.run_timer(actor)
    assert desk.run_timer(admin(desk)).done['sla_breach'] == [lead_id]
    assert desk.run_timer(None).count() == 0


# ----- batches and scale --------------------------------------------------------------------------

def test_tick_handles_one_batch_per_step_and_the_rest_next_tick(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    team(desk)
    ids = [capture(desk) for _ in range(3)]
    monkeypatch.setattr(timer_due, 'BATCH', 2)
    end = T0 + timedelta(days=7)
    assert desk.automation.tick(end).done['recycle'] == ids[:2]
    assert desk.automation.tick(end).done['recycle'] == ids[2:]
    assert desk.automation.tick(end).count() == 0


def test_every_lead_is_warned_when_more_than_a_batch_end_together(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    team(desk)
    ids = [capture(desk) for _ in range(3)]  # the same protection end
    monkeypatch.setattr(timer_due, 'BATCH', 2)
    warn_from = T0 + timedelta(days=6)
    for minutes in range(0, 60, 10):
        desk.automation.tick(warn_from + timedelta(minutes=minutes))
    assert {e.lead_id for e in audits(desk, 'warned')} == set(ids)


def test_tick_with_two_thousand_leads_none_due_does_nothing(desk: Desk) -> None:
    _, (busy, _free) = team(desk, 2)
    now = T0
    far = now + timedelta(days=5)
    past = now - timedelta(days=5)
    with desk.ctx.write() as s:
        for i in range(2000):
            kind = i % 4
            fields: dict[str, Any] = {'name': f'Bulk {i}', 'created_at': past, 'updated_at': past}
            if kind == 0:  # owned, first response still due, follow-up later
                fields |= {'status': 'assigned', 'owner_id': busy.id, 'sla_status': 'due', 'sla_due_at': far,
                           'sla_grace_at': far + timedelta(days=2), 'protected_until': far,
                           'protection_max_at': far + timedelta(days=20), 'follow_up_due_at': far}
            elif kind == 1:  # contacted, protection well ahead
                fields |= {'status': 'contacted', 'owner_id': busy.id, 'sla_status': 'fulfilled',
                           'protected_until': far + timedelta(days=3), 'protection_max_at': far + timedelta(days=20)}
            elif kind == 2:  # recycled, waiting to be claimed
                fields |= {'status': 'pool', 'previous_owner_id': busy.id, 'recycle_count': 1,
                           'cooldown_until': far}
            else:  # closed long ago with stale clocks: the timer must leave them alone
                fields |= {'status': 'converted', 'owner_id': busy.id, 'sla_status': 'due', 'sla_due_at': past,
                           'sla_grace_at': past, 'protected_until': past, 'protection_max_at': past}
            s.add(Lead(**fields))
    before, leads_before = counts(desk), snapshot(desk)
    assert desk.automation.tick(now).count() == 0
    assert (counts(desk), snapshot(desk)) == (before, leads_before)


# ----- concurrency --------------------------------------------------------------------------------

def test_recycle_racing_owner_activity_keeps_the_activity(desk: Desk, clock: FakeClock) -> None:
    manager, (rep,) = team(desk, capacity=100)
    for _ in range(6):
        lead_id = capture(desk)
        before = lead(desk, lead_id).protected_until
        assert before is not None
        clock.advance(days=7)
        report, activity_id = race(desk.automation.tick,
                                   partial(desk.leads.log_activity, rep, lead_id, kind='call', note='just in time'))
        assert isinstance(report, automation.TickReport)
        assert isinstance(activity_id, int)
        assert [a.id for a in rows(desk, Activity, Activity.lead_id == lead_id)] == [activity_id]
        row = lead(desk, lead_id)
        if row.owner_id == rep.id:
            assert row.status in OPEN_STATUSES
            assert row.protected_until is not None and row.protected_until > before
        else:
            assert (row.status, row.owner_id, row.previous_owner_id) == ('pool', None, rep.id)
            history = desk.leads.lead_view(manager, lead_id).activities
            assert [a.id for a, _ in history] == [activity_id]


def test_previous_owner_activity_right_after_recycle_is_kept_in_history(desk: Desk, clock: FakeClock) -> None:
    manager, (rep,) = team(desk)
    lead_id = capture(desk)
    clock.advance(days=7)
    desk.automation.tick()
    activity_id = desk.leads.log_activity(rep, lead_id, kind='call', note='called as it was taken')
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id, row.protected_until) == ('pool', None, None)
    assert [a.id for a, _ in desk.leads.lead_view(manager, lead_id).activities] == [activity_id]


def test_owner_activity_at_protection_end_before_tick_keeps_lead(desk: Desk, clock: FakeClock) -> None:
    _, (rep,) = team(desk)
    lead_id = capture(desk)
    now = clock.advance(days=7)
    desk.leads.log_activity(rep, lead_id, kind='call')
    assert desk.automation.tick().done['recycle'] == []
    assert (lead(desk, lead_id).owner_id, lead(desk, lead_id).protected_until) == (rep.id, now + timedelta(days=3))


def test_leave_with_a_return_date_ends_by_itself_and_the_rep_gets_waiting_leads(desk: Desk, clock: FakeClock) -> None:
    manager = user(desk, Role.MANAGER)
    rep = user(desk)
    back_at = clock.now() + timedelta(days=2)
    desk.team.update_user(manager, rep.id, {'is_on_leave': True, 'leave_until': back_at})
    waiting = desk.leads.capture_lead(lead_data(), channel='api', default_source='api')
    assert waiting.owner_id is None
    clock.advance(days=1)
    assert desk.automation.tick().done['leave_ended'] == []
    clock.advance(days=1, minutes=1)
    report = desk.automation.tick()
    assert report.done['leave_ended'] == [rep.id] and report.done['assign'] == [waiting.lead_id]
    [row] = rows(desk, User, User.id == rep.id)
    assert (row.is_on_leave, row.leave_until) == (False, None)
    [entry] = rows(desk, AuditEntry, AuditEntry.action == 'leave_ended')
    assert (entry.actor_id, entry.subject_user_id, entry.reason_key) == (None, rep.id, 'reason.leave_ended')
