"""users.open_leads always equals the number of open leads a user owns, through every
action that changes a lead's owner or status."""

from __future__ import annotations

from datetime import date

from sqlmodel import func, select

from core.clock import FakeClock
from core.desk import Desk
from store.engine import read_session
from store.models import OPEN_STATUSES, Lead, Role, User
from tests import factories


def counters_match(desk: Desk) -> dict[int, tuple[int, int]]:
    """user id → (kept counter, real count) for every user where they differ."""
    with read_session(desk.ctx.engine) as s:
        real = dict(s.exec(select(Lead.owner_id, func.count()).where(
            Lead.status.in_(OPEN_STATUSES), Lead.owner_id.is_not(None)).group_by(Lead.owner_id)).all())
        return {u.id: (u.open_leads, real.get(u.id, 0)) for u in s.exec(select(User))
                if u.open_leads != real.get(u.id, 0)}


def test_counter_follows_capture_claim_recycle_disqualify_and_convert(desk: Desk, clock: FakeClock) -> None:
    manager = factories.user(desk, Role.MANAGER)
    rep_a, rep_b = factories.user(desk, capacity=50), factories.user(desk, capacity=50)
    ids = [desk.leads.capture_lead(factories.lead_data(), channel='api', default_source='api').lead_id
           for _ in range(6)]
    assert counters_match(desk) == {}
    desk.leads.assign_lead(manager, ids[0], rep_id=rep_b.id)
    desk.leads.disqualify_lead(manager, ids[1], reason='spam')
    assert counters_match(desk) == {}
    clock.advance(minutes=5)
    with read_session(desk.ctx.engine) as s:
        lead = s.get(Lead, ids[2])
        owner = rep_a if lead.owner_id == rep_a.id else rep_b
    desk.leads.log_activity(owner, ids[2], kind='call')
    version = desk.leads.lead_view(owner, ids[2]).lead.version
    desk.leads.update_lead(owner, ids[2], version=version,
                           changes={'need': 'CRM', 'budget': '10万', 'authority': 'CEO', 'timeline': 'Q3'})
    desk.leads.qualify_lead(owner, ids[2])
    desk.pipeline.convert_lead(owner, ids[2], amount='1000', expected_close=date(2026, 6, 30))
    assert counters_match(desk) == {}
    clock.advance(days=40)
    desk.automation.tick()  # reassignments, recycling
    desk.automation.tick()
    assert counters_match(desk) == {}
    pooled = desk.pool.pool(manager)[0]
    if pooled:
        desk.pool.assign_from_pool(manager, [r.id for r in pooled], rep_id=rep_a.id)
    assert counters_match(desk) == {}
    clock.advance(days=1, seconds=1)
    desk.automation.tick()
    assert counters_match(desk) == {}


def test_counter_is_used_for_capacity(desk: Desk) -> None:
    rep = factories.user(desk, capacity=2)
    for _ in range(3):
        desk.leads.capture_lead(factories.lead_data(), channel='api', default_source='api')
    with read_session(desk.ctx.engine) as s:
        statuses = sorted(lead.status for lead in s.exec(select(Lead)))
        kept = s.get(User, rep.id).open_leads
    assert statuses == ['assigned', 'assigned', 'pool'] and kept == 2


def test_counter_follows_an_import_written_with_core_inserts(desk: Desk) -> None:
    """Imported leads are inserted without the ORM (no after_flush hook): the batch adds its
    owners' counts itself — by the rules, to one rep, to the pool, with in-file duplicates."""
    admin = factories.admin(desk)
    rep_a, rep_b = factories.user(desk, capacity=50), factories.user(desk, capacity=50)
    lines = ['name,phone'] + [f'Imp {i},1330013{i:04d}' for i in range(12)] + ['Imp 0 again,13300130000']
    data = '\r\n'.join(lines).encode()
    for options in ({}, {'assign': 'rep', 'rep_id': rep_b.id}, {'assign': 'pool'}):
        desk.imports.batch_rows = 5
        draft = desk.imports.upload(admin, 'c.csv', data.replace(b'1330013', b'13' + str(len(options)).encode()
                                                                  + b'0013'))
        desk.imports.start(admin, draft.job_id, draft.mapping, options, background=False)
        assert counters_match(desk) == {}
    with read_session(desk.ctx.engine) as s:
        assert s.get(User, rep_a.id).open_leads + s.get(User, rep_b.id).open_leads == 24
