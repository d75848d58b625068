"""The timer's preview lists exactly what the next tick does, for every step: a desk is built
by hand with something due for each step within the window, the preview is read, the tick runs at
the window's end, and the preview's rows per step are compared with the audit lines that tick wrote.
(Over a longer window the preview is what every tick in it does: a lead is warned, then later
recycled; the desk here has nothing that an earlier tick in the window would do first.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.automation.timer import STEPS
from core.clock import FakeClock
from core.desk import Desk
from store.models import Account, AuditEntry, CareKind, CareSchedule, ImportJob, Lead, Opportunity, Role, User
from tests.factories import lead_data, user

from .db import rows
from .test_automation import set_fields

P = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
"""Wednesday 10:00 in Shanghai, mid working day (the team calendar's days)."""
HOURS = 2
DUE = P + timedelta(hours=1)
"""Inside the window: everything prepared below falls due then."""

AUDITED = {'leave_ended': 'leave_ended', 'sla_breached': 'sla_breach', 'sla_no_rep': 'sla_no_rep',
           'warned': 'warn', 'recycled': 'recycle', 'sent_to_review': 'review', 'dormant': 'dormant',
           'care_due': 'care', 'import_expired': 'expired_uploads'}
"""Audit action → preview action, where one maps to one ('assigned' and 'reminded' are two steps each)."""


def at_p(clock: FakeClock) -> None:
    clock.advance(seconds=(P - clock.now()).total_seconds())


def owned(desk: Desk, owner: int, name: str, **fields: Any) -> int:
    """A lead of `owner`'s with no clock running, then `fields`."""
    lead_id = desk.leads.capture_lead(lead_data(name=name), channel='manual', default_source='manual').lead_id
    base = {'status': 'assigned', 'owner_id': owner, 'assigned_at': P - timedelta(days=1), 'sla_status': 'met',
            'sla_due_at': None, 'sla_grace_at': None, 'protected_until': P + timedelta(days=10),
            'protection_max_at': P + timedelta(days=30), 'warned_until': None, 'follow_up_due_at': None}
    set_fields(desk, lead_id, **(base | fields))
    return lead_id


def preview_keys(desk: Desk, manager: Any) -> set[tuple[str, Any]]:
    """(action, what it is about): a lead id, or a rep's, account's or file's name."""
    keys = set()
    for p in desk.preview_timer(manager, HOURS):
        assert P <= p.at <= P + timedelta(hours=HOURS)
        about: Any = p.lead_id
        if p.user_id or p.account_id or p.import_job_id:
            about = p.lead_name
        elif p.action in ('assign', 'sla_reassign'):
            about = (p.lead_id, p.owner_name)
        keys.add((p.action, about))
    return keys


def audit_keys(desk: Desk, since: datetime) -> set[tuple[str, Any]]:
    keys = set()
    names = {u.id: u.name for u in rows(desk, User)}
    for e in rows(desk, AuditEntry, AuditEntry.created_at >= since, AuditEntry.actor_id == None):  # noqa: E711
        params = e.reason_params or {}
        if e.action == 'assigned':
            step = 'sla_reassign' if e.reason_key == 'reason.sla_reassigned' else 'assign'
            keys.add((step, (e.lead_id, names[e.subject_user_id])))
        elif e.action == 'reminded':
            keys.add(('remind', e.lead_id))  # a deal's reminder names its lead too: told apart below
        elif e.action in ('leave_ended',):
            keys.add((AUDITED[e.action], names[e.subject_user_id]))
        elif e.action in ('dormant', 'care_due'):
            keys.add((AUDITED[e.action], params['account']))
        elif e.action == 'import_expired':
            keys.add((AUDITED[e.action], params['file']))
        elif e.action in AUDITED:
            keys.add((AUDITED[e.action], e.lead_id))
    return keys


def as_audited(keys: set[tuple[str, Any]]) -> set[tuple[str, Any]]:
    return {('remind' if action == 'remind_opportunity' else action, about) for action, about in keys}


def test_preview_lists_what_the_next_tick_does_for_every_step(desk: Desk, clock: FakeClock, tmp_path: Path) -> None:
    at_p(clock)
    manager = user(desk, Role.MANAGER)
    rep, other = user(desk, name='Rep One'), user(desk, name='Rep Two')
    away = user(desk, name='Rep Away')
    with desk.ctx.write() as s:
        row = s.get(User, away.id)
        assert row is not None
        row.is_on_leave, row.leave_until = True, DUE
        s.add(row)
    ids = {
        'sla_breach': owned(desk, rep.id, 'Breach', sla_status='due', sla_due_at=DUE,
                            sla_grace_at=P + timedelta(days=20)),
        'sla_reassign': owned(desk, rep.id, 'Grace over', sla_status='failed', sla_due_at=P - timedelta(days=2),
                              sla_grace_at=DUE),
        'warn': owned(desk, rep.id, 'Ending soon', protected_until=P + timedelta(hours=12)),
        'recycle': owned(desk, rep.id, 'Ending', protected_until=DUE, warned_until=DUE),  # warned a day ago
        'review': owned(desk, rep.id, 'Ending again', protected_until=DUE, warned_until=DUE, recycle_count=2),
        'remind': owned(desk, other.id, 'Call back', follow_up_due_at=DUE),
        'assign': owned(desk, rep.id, 'Waiting', status='pool', owner_id=None, protected_until=None,
                        protection_max_at=None, sla_status=None, previous_owner_id=None),
    }
    owned(desk, rep.id, 'Lost one', status='lost', follow_up_due_at=DUE)  # cleared, nobody reminded
    deal_lead = owned(desk, other.id, 'Deal lead', status='converted', protected_until=None)
    stage = next(st for st in desk.pipeline.stages() if st.kind == 'open')
    days = desk.ctx.settings.draft_upload_days
    with desk.ctx.write() as s:
        deal_account = Account(name='Deal Co', owner_id=other.id, created_at=P)
        idle = Account(name='Idle Co', owner_id=rep.id, is_customer=True, tier='regular', created_at=P,
                       last_activity_at=DUE - timedelta(days=180))
        revisit = Account(name='Revisit Co', owner_id=rep.id, is_customer=True, tier='regular', created_at=P,
                          last_activity_at=P)
        s.add_all([deal_account, idle, revisit])
        s.flush()
        s.add(Opportunity(lead_id=deal_lead, account_id=deal_account.id or 0, owner_id=other.id, name='Deal',
                          stage_id=stage.id or 0, follow_up_due_at=DUE, created_at=P))
        s.add(CareSchedule(account_id=revisit.id or 0, kind=CareKind.REVISIT, since_at=P - timedelta(days=90),
                           due_at=DUE))
        s.add(ImportJob(file_name='old.csv', file_path=str(tmp_path / 'old.csv'), created_by=manager.id,
                        created_at=DUE - timedelta(days=days)))

    planned = preview_keys(desk, manager)
    actions = {action for action, _ in planned}
    assert actions == set(STEPS) | {'expired_uploads'}  # every step has something due
    assert {about for action, about in planned if action in ids and action not in ('assign', 'sla_reassign')} \
        == {ids[a] for a in ids if a not in ('assign', 'sla_reassign')}
    assert {about[0] for action, about in planned if action in ('assign', 'sla_reassign')} \
        == {ids['assign'], ids['sla_reassign']}
    assert ('care', 'Idle Co') in planned  # turning dormant plans its wake-up at once
    owners = {(p.action, p.lead_id): p.owner_name for p in desk.preview_timer(manager, HOURS)}
    assert (owners[('sla_breach', ids['sla_breach'])], owners[('recycle', ids['recycle'])],
            owners[('remind', ids['remind'])]) == ('Rep One', 'Rep One', 'Rep Two')  # the owner when it runs

    clock.advance(hours=HOURS)
    report = desk.run_timer()
    assert audit_keys(desk, P + timedelta(hours=HOURS)) == as_audited(planned)
    by_step = {action: {about for a, about in planned if a == action} for action in actions}
    assert set(report.done['remind']) == by_step['remind']
    assert len(report.done['remind_opportunity']) == len(by_step['remind_opportunity']) == 1


def test_preview_lists_a_reassignment_that_finds_no_rep(desk: Desk, clock: FakeClock) -> None:
    at_p(clock)
    manager = user(desk, Role.MANAGER)
    rep = user(desk)
    lead_id = owned(desk, rep.id, 'Nobody else', sla_status='failed', sla_due_at=P - timedelta(days=2),
                    sla_grace_at=DUE)
    assert [(p.action, p.lead_id) for p in desk.preview_timer(manager, HOURS)] == [('sla_no_rep', lead_id)]
    clock.advance(hours=HOURS)
    desk.run_timer()
    assert audit_keys(desk, P + timedelta(hours=HOURS)) == {('sla_no_rep', lead_id)}
    assert rows(desk, Lead, Lead.id == lead_id)[0].owner_id == rep.id


def test_preview_and_tick_agree_under_recycle_rules(desk: Desk, clock: FakeClock) -> None:
    """A lead a rule keeps is neither warned nor recycled; one a rule gives a day more is warned and
    recycled at its moved end, in the preview as in the tick (core/automation/recycle_rules.py)."""
    at_p(clock)
    manager = user(desk, Role.MANAGER)
    rep = user(desk, name='Rep One')
    desk.recycle_rules.save(manager, [{'name': 'Keep A', 'action': 'never', 'grades': ['A']},
                                      {'name': 'B a day later', 'action': 'later', 'days': 1, 'grades': ['B']}])
    kept = owned(desk, rep.id, 'Kept', grade='A', protected_until=DUE - timedelta(days=3))
    delayed = owned(desk, rep.id, 'Delayed', grade='B', protected_until=DUE - timedelta(days=1),
                    warned_until=DUE - timedelta(days=1))  # warned a day ago
    warned = owned(desk, rep.id, 'Warned', grade='B', protected_until=P + timedelta(hours=12) - timedelta(days=1))
    not_yet = owned(desk, rep.id, 'Not yet', grade='B', protected_until=DUE, warned_until=DUE)
    plain = owned(desk, rep.id, 'Plain', grade='C', protected_until=DUE, warned_until=DUE)
    planned = preview_keys(desk, manager)
    assert planned == {('warn', warned), ('recycle', delayed), ('recycle', plain)}
    at = {(p.action, p.lead_id): p.at for p in desk.preview_timer(manager, HOURS)}
    assert at[('recycle', delayed)] == DUE
    clock.advance(hours=HOURS)
    desk.run_timer()
    assert audit_keys(desk, P + timedelta(hours=HOURS)) == planned
    owners = {lead.id: lead.owner_id for lead in rows(desk, Lead)}
    assert (owners[kept], owners[not_yet], owners[warned], owners[delayed], owners[plain]) == (
        rep.id, rep.id, rep.id, None, None)
