"""tests/unit/test_races.py again, on PostgreSQL (see conftest.py), plus what only PostgreSQL does:
a transaction it aborts to break a deadlock is run again (`core.context.retrying`)."""

import threading

import sqlalchemy as sa

from core.clock import FakeClock
from core.context import retrying
from core.desk import Desk
from store.engine import session_scope
from store.models import User
from tests.factories import admin, make_desk, user
from tests.unit.test_races import *  # noqa: F403
from tests.unit.test_races import counters_agree


def test_a_transaction_aborted_by_a_real_deadlock_runs_again_and_both_writes_land(desk: Desk) -> None:
    """Two transactions update two reps' rows in opposite orders, each waiting for the other at a
    barrier in the middle: PostgreSQL aborts one (SQLSTATE 40P01); `retrying` runs it again from
    the start, so both increments are in the database and nobody sees an error."""
    a, b = user(desk), user(desk)
    with desk.ctx.read() as session:
        before = [session.get(User, i).capacity for i in (a.id, b.id)]
    meet = threading.Barrier(2, timeout=10)
    attempts = {'first': 0, 'second': 0}
    errors: list[BaseException] = []

    def bump(name: str, ids: tuple[int, int]) -> None:
        attempts[name] += 1
        with session_scope(desk.ctx.engine) as session:
            for i, user_id in enumerate(ids):
                session.execute(sa.update(User).where(User.id == user_id)  # type: ignore[arg-type]
                                .values(capacity=User.capacity + 1))
                if i == 0 and attempts[name] == 1:
                    meet.wait()  # first attempts only: both hold their first row, then cross

    def run(name: str, ids: tuple[int, int]) -> None:
        try:
            retrying(lambda: bump(name, ids))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=('first', (a.id, b.id))),
               threading.Thread(target=run, args=('second', (b.id, a.id)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(attempts.values()) == [1, 2]  # one side was aborted once and ran again
    with desk.ctx.read() as session:
        assert [session.get(User, i).capacity for i in (a.id, b.id)] == [n + 2 for n in before]


# ----- capture from two processes: each locks only the rep a lead lands on (issue 24) --------------

def _two_processes(pg_url: str, clock: FakeClock) -> tuple[Desk, Desk]:
    """Two desks on one database, as two app processes: own engines, own capture queues."""
    return make_desk(pg_url, clock), make_desk(pg_url, clock)


def _capture_from_both(desks: tuple[Desk, Desk], count: int, threads_per_desk: int) -> list[int]:
    """`count` distinct API captures, from `threads_per_desk` threads on each desk at once (the
    group commit batches each desk's); returns the answered lead ids."""
    keys = [d.access.check_api_key(d.access.create_api_key(None, name=f'race {i}')) for i, d in enumerate(desks)]
    todo = iter(range(count))
    answered: list[int] = []
    errors: list[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(2 * threads_per_desk, timeout=30)

    def client(desk: Desk, key: object) -> None:
        start.wait()
        while True:
            with guard:
                n = next(todo, None)
            if n is None:
                return
            try:
                result, _ = desk.access.capture_via_api(key, {'name': f'Racer {n}', 'phone': f'+86 137 {n:08d}'},
                                                        None)  # type: ignore[arg-type]
                with guard:
                    answered.append(result.lead_id)
            except BaseException as e:
                errors.append(e)

    workers = [threading.Thread(target=client, args=(desk, key))
               for desk, key in zip(desks, keys, strict=True) for _ in range(threads_per_desk)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(120)
    assert errors == []
    return answered


def _owned(desk: Desk) -> dict[int, int]:
    with desk.ctx.read() as session:
        return dict(session.execute(sa.text(
            "SELECT owner_id, count(*) FROM leads WHERE owner_id IS NOT NULL AND status IN ('new', 'assigned',"
            " 'contacted', 'qualified') GROUP BY owner_id")).all())


def _stored_and_twice(desk: Desk) -> tuple[int, int]:
    with desk.ctx.read() as session:
        stored = session.execute(sa.text('SELECT count(*) FROM leads')).scalar_one()
        twice = session.execute(sa.text(
            "SELECT count(*) FROM (SELECT lead_id FROM audit_entries WHERE action = 'assigned'"
            ' GROUP BY lead_id HAVING count(*) > 1) t')).scalar_one()
    return stored, twice


def test_two_processes_capturing_into_reps_at_capacity_never_fill_one_past_it(pg_url: str, clock: FakeClock) -> None:
    """Two processes capture 60 leads at once into three reps with 15 places between them: every
    place is filled, nobody holds more than their capacity, the rest wait in the pool, every
    answered lead is stored once and none was assigned twice, and the kept counters agree with the
    leads. (With no rep locked at all, this fails: two batches fill the same last places.)"""
    desks = _two_processes(pg_url, clock)
    reps = [user(desks[0], capacity=c) for c in (4, 5, 6)]
    answered = _capture_from_both(desks, 60, threads_per_desk=6)
    owned = _owned(desks[0])
    assert sorted(answered) == sorted(set(answered)) and len(answered) == 60
    assert {r.id: owned.get(r.id, 0) for r in reps} == {reps[0].id: 4, reps[1].id: 5, reps[2].id: 6}
    assert _stored_and_twice(desks[0]) == (60, 0)
    with desks[0].ctx.read() as session:
        assert session.execute(sa.text("SELECT count(*) FROM leads WHERE status = 'pool'")).scalar_one() == 45
    counters_agree(desks[0])
    for d in desks:
        d.ctx.engine.dispose()


def test_two_processes_capturing_round_robin_share_the_leads_evenly(pg_url: str, clock: FakeClock) -> None:
    """Round robin across two processes: 80 leads to four reps of ample room land 20 each give or
    take the few a batch in flight in the other process could not see — never a rep left behind."""
    desks = _two_processes(pg_url, clock)
    admin_ref = admin(desks[0])
    desks[0].rules.save_rule(admin_ref, None, name='Everyone in turn', strategy='round_robin', position=0)
    reps = [user(desks[0], capacity=1000) for _ in range(4)]
    answered = _capture_from_both(desks, 80, threads_per_desk=6)
    owned = _owned(desks[0])
    counts = sorted(owned.get(r.id, 0) for r in reps)
    assert len(set(answered)) == 80 and sum(counts) == 80
    assert counts[-1] - counts[0] <= 4, counts
    assert _stored_and_twice(desks[0]) == (80, 0)
    for d in desks:
        d.ctx.engine.dispose()
