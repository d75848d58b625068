"""tests/unit/test_races.py again, on PostgreSQL (see conftest.py), plus what only PostgreSQL does:
a transaction it aborts to break a deadlock is run again (`core.context.retrying`)."""

import threading

import sqlalchemy as sa

from core.context import retrying
from core.desk import Desk
from store.engine import session_scope
from store.models import User
from tests.factories import user
from tests.unit.test_races import *  # noqa: F403


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
