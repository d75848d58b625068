"""Several processes on one PostgreSQL database, in one test process: each "process" is its own
engine, `Context` (own write lock) and `DeskEvents`, exactly what a second run.py has."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from core.automation.cluster import Relay, TimerLeader
from core.desk import Desk
from core.errors import InvalidState
from store.engine import read_session
from store.models import AuditEntry, ImportJob, Lead, User
from tests.factories import admin, lead_data, make_desk, user


@pytest.fixture
def desks(pg_url: str) -> Iterator[tuple[Desk, Desk]]:
    a, b = make_desk(pg_url), make_desk(pg_url)
    yield a, b
    a.ctx.engine.dispose()
    b.ctx.engine.dispose()


def test_exactly_one_leader_and_the_next_takes_over_when_it_goes(desks: tuple[Desk, Desk]) -> None:
    one, two = TimerLeader(desks[0].ctx.engine), TimerLeader(desks[1].ctx.engine)
    assert [one.lead(), two.lead(), one.lead(), two.lead()] == [True, False, True, False]
    one.release()  # shutdown: the session ends, the lock with it
    assert two.lead() is True
    assert one.lead() is False
    two.release()


def test_a_leader_whose_connection_dies_loses_the_lead_and_another_takes_it(desks: tuple[Desk, Desk]) -> None:
    one, two = TimerLeader(desks[0].ctx.engine), TimerLeader(desks[1].ctx.engine)
    assert one.lead() and not two.lead()
    with desks[1].ctx.engine.connect() as c:  # what a SIGKILL does to the leader's session
        killed = c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_locks "
                                   "WHERE locktype = 'advisory' AND classid = 1 AND granted")).scalars().all()
    assert killed == [True]
    # the server ends the backend asynchronously: the lock is free once that process has exited
    assert _wait(two.lead), 'the second process never took the lead'
    assert one.lead() is False  # its connection is gone: it notices and follows
    two.release()
    one.release()


def test_sqlite_always_leads(tmp_path: Any) -> None:
    desk = make_desk(tmp_path / 'one.db')
    assert TimerLeader(desk.ctx.engine).lead() is True


def _wait(condition: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_an_event_published_in_one_process_is_emitted_in_the_other_once(desks: tuple[Desk, Desk]) -> None:
    a, b = desks
    relays = [Relay(a.ctx.engine, a.events), Relay(b.ctx.engine, b.events)]
    for relay in relays:
        relay.start()
    try:
        assert all(relay.bus is not None and relay.bus.listening.wait(5) for relay in relays)
        rep = user(a)
        heard_a: list[tuple[int, int | None]] = []
        heard_b: list[tuple[int, int | None]] = []
        users_b: list[str] = []
        a.events.lead_captured.subscribe(lambda lead_id, owner: heard_a.append((lead_id, owner)))
        b.events.lead_captured.subscribe(lambda lead_id, owner: heard_b.append((lead_id, owner)))
        b.events.users_changed.subscribe(lambda: users_b.append('changed'))
        result = a.leads.capture_lead(lead_data(name='Across'), channel='manual', default_source='manual')
        assert _wait(lambda: heard_b == [(result.lead_id, rep.id)], 1.0), heard_b
        with read_session(b.ctx.engine) as s:  # the other process reads it: committed before the NOTIFY
            assert s.get(Lead, result.lead_id).name == 'Across'  # type: ignore[union-attr]
        user(a)  # an event without arguments crosses too
        assert _wait(lambda: users_b == ['changed'], 1.0)
        assert heard_a == [(result.lead_id, rep.id)]  # not heard again from its own NOTIFY
        assert heard_b == [(result.lead_id, rep.id)]  # exactly once
    finally:
        for relay in relays:
            relay.stop()


def test_captures_across_processes_assign_each_lead_once_and_never_past_capacity(desks: tuple[Desk, Desk]) -> None:
    a, b = desks
    reps = [user(a, capacity=30, daily_quota=1000) for _ in range(4)]  # 120 places for 200 leads
    results: list[Any] = []
    lock = threading.Lock()

    def capture(i: int) -> None:
        desk = (a, b)[i % 2]
        try:
            got: Any = desk.leads.capture_lead(lead_data(name=f'Burst {i}', phone=f'+86 139 8{i:03d} 0000'),
                                               channel='api', default_source='api')
        except Exception as e:
            got = e
        with lock:
            results.append(got)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(capture, range(200)))
    assert not [r for r in results if isinstance(r, Exception)]
    with read_session(a.ctx.engine) as s:
        leads = s.exec(select(Lead)).all()
        owners = Counter(lead.owner_id for lead in leads if lead.owner_id)
        users = {u.id: u for u in s.exec(select(User).where(User.role == 'rep')).all()}
        assigned = Counter(e.lead_id for e in s.exec(select(AuditEntry).where(AuditEntry.action == 'assigned')))
    assert len(leads) == 200
    assert all(owners[r.id] == 30 for r in reps)  # full, never past
    assert sum(1 for lead in leads if lead.status == 'pool') == 80
    assert max(assigned.values()) == 1  # no lead assigned twice
    assert all(users[r.id].open_leads == owners[r.id] for r in reps)  # the kept counter agrees


def test_the_same_person_captured_at_once_in_two_processes_is_one_lead(desks: tuple[Desk, Desk]) -> None:
    a, b = desks
    user(a)
    barrier = threading.Barrier(8)

    def capture(i: int) -> Any:
        barrier.wait()
        return (a, b)[i % 2].leads.capture_lead(lead_data(name='Twin', phone='13912345678'),
                                                channel='api', default_source='api')

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(capture, range(8)))
    assert sorted(r.created for r in outcomes) == [False] * 7 + [True]
    assert len({r.lead_id for r in outcomes}) == 1


def test_two_reps_claiming_in_two_processes_one_wins(desks: tuple[Desk, Desk]) -> None:
    a, b = desks
    pooled = a.leads.capture_lead(lead_data(), channel='manual', default_source='manual')  # no rep yet: pool
    r1, r2 = user(a), user(a)
    barrier = threading.Barrier(2)

    def claim(desk: Desk, rep: Any) -> Any:
        barrier.wait()
        try:
            desk.pool.claim_lead(rep, pooled.lead_id)
            return 'won'
        except Exception as e:
            return type(e).__name__

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda pair: claim(*pair), [(a, r1), (b, r2)]))
    assert outcomes == ['ClaimRefused', 'won']
    with read_session(a.ctx.engine) as s:
        lead = s.get(Lead, pooled.lead_id)
        assert lead is not None and lead.owner_id in (r1.id, r2.id)
        assert len(s.exec(select(AuditEntry).where(AuditEntry.lead_id == lead.id,
                                                   AuditEntry.action == 'assigned')).all()) == 1


def test_what_crosses_is_the_event_name_and_its_ids_and_junk_is_ignored(desks: tuple[Desk, Desk]) -> None:
    a, b = desks
    sent: list[str] = []
    relay = Relay(a.ctx.engine, a.events)
    assert relay.bus is not None
    relay.bus.send = sent.append  # type: ignore[method-assign]  # the wire itself is tested above
    a.events.set_relay(relay._send)
    a.events.publish(a.events.lead_assigned, 7, 3, None)
    assert [json.loads(p) for p in sent] == [{'o': relay.origin, 'e': 'lead_assigned', 'a': [7, 3, None]}]
    assert 'lead_captured' in a.events.names() and 'bind_loop' not in a.events.names()
    heard: list[tuple[Any, ...]] = []
    b.events.lead_assigned.subscribe(lambda lead_id, owner, previous: heard.append((lead_id, owner, previous)))
    other = Relay(b.ctx.engine, b.events)
    for junk in ('{"o": "x", "e": "bind_loop", "a": []}', '{"o": "x", "e": "nope", "a": [1]}',
                 '{"o": "x", "e": "lead_assigned", "a": "1"}'):
        other._received(junk)
    other._received(sent[0])
    other._received(json.dumps({'o': other.origin, 'e': 'lead_assigned', 'a': [1, 2, 3]}))  # its own: ignored
    assert heard == [(7, 3, None)]


def test_an_import_in_one_process_and_captures_of_the_same_people_in_another_make_one_lead_each(
        desks: tuple[Desk, Desk], tmp_path: Any) -> None:
    """An import's batches take the identity locks single captures take (all of a batch's keys, in the
    one sorted order): a capture of a person the running batch holds waits for its commit and joins
    the imported lead, an import batch after a capture joins the captured one. Never two leads."""
    a, b = desks
    a.ctx.settings.data_dir = tmp_path
    a.imports.batch_rows = 20  # many short batches, interleaving with the captures
    for _ in range(3):
        user(a, capacity=1000, daily_quota=1000)
    people = 200
    phones = [f'+86 139 7{i:03d} {i:04d}' for i in range(people)]
    emails = [f'person{i}@example.com' for i in range(people)]
    csv = '\r\n'.join(['name,phone,email', *(f'Imported {i},{phones[i]},{emails[i]}' for i in range(people))])
    actor = admin(a)
    draft = a.imports.upload(actor, 'people.csv', csv.encode())
    start = threading.Barrier(5)
    errors: list[BaseException] = []

    def run_import() -> None:
        start.wait()
        a.imports.start(actor, draft.job_id, draft.mapping, {}, background=False)

    def capture(worker: int) -> None:
        start.wait()
        for i in range(worker, people, 4):  # every person once, some by phone only, some by email only
            j = people - 1 - i  # from the other end of the file, so the two meet in the middle
            data = {'name': f'Captured {j}', 'phone': phones[j]} if j % 3 else {'name': f'Captured {j}',
                                                                                 'email': emails[j]}
            try:
                b.leads.capture_lead(data, channel='api', default_source='api')
            except BaseException as e:
                errors.append(e)

    threads = [threading.Thread(target=run_import), *(threading.Thread(target=capture, args=(w,)) for w in range(4))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with read_session(a.ctx.engine) as s:
        job = s.get(ImportJob, draft.job_id)
        assert job is not None and (job.status, job.rows_done) == ('done', people)
        leads = s.exec(select(Lead).where(Lead.is_deleted == False)).all()  # noqa: E712
        by_phone = Counter(lead.phone_norm for lead in leads)
        by_email = Counter(lead.email for lead in leads)
        users = s.exec(select(User).where(User.role == 'rep')).all()
        owned = Counter(lead.owner_id for lead in leads if lead.owner_id and lead.status == 'assigned')
    assert len(leads) == people, f'{len(leads) - people} duplicate leads'
    assert max(by_phone.values()) == 1 and max(by_email.values()) == 1
    assert job.created_count + job.joined_count == people
    assert all(u.open_leads == owned[u.id] for u in users)  # the kept counters agree


def test_one_import_started_from_two_processes_at_once_runs_once(desks: tuple[Desk, Desk], tmp_path: Any) -> None:
    """Two clicks on Start (or Resume) in two processes: the job row is locked, so the second waits,
    finds the job running and is refused; every row is imported once."""
    a = desks[0]
    for desk in desks:
        desk.ctx.settings.data_dir = tmp_path  # one shared folder (the file must be readable by both)
    user(a, capacity=1000, daily_quota=1000)
    csv = '\r\n'.join(['name,phone', *(f'Row {i},+86 139 6{i:03d} {i:04d}' for i in range(60))])
    actor = admin(a)
    draft = a.imports.upload(actor, 'once.csv', csv.encode())
    barrier = threading.Barrier(2)

    def start(desk: Desk) -> str:
        barrier.wait()
        try:
            desk.imports.start(actor, draft.job_id, draft.mapping, {}, background=False)
            return 'ran'
        except InvalidState as e:
            return e.code

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(start, desks))
    assert outcomes == ['import_started', 'ran']
    with read_session(a.ctx.engine) as s:
        job = s.get(ImportJob, draft.job_id)
        assert job is not None and (job.status, job.rows_done, job.created_count) == ('done', 60, 60)
        assert len(s.exec(select(Lead)).all()) == 60
