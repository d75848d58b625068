"""Direct reads of what the database holds, for assertions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import SQLModel, select

from core.desk import Desk
from store.engine import read_session

M = TypeVar('M', bound=SQLModel)


def rows(desk: Desk, model: type[M], *where: Any) -> list[M]:
    with read_session(desk.ctx.engine) as session:
        return list(session.exec(select(model).where(*where).order_by(model.id)).all())  # type: ignore[attr-defined]


def get(desk: Desk, model: type[M], id: Any) -> M:
    with read_session(desk.ctx.engine) as session:
        row = session.get(model, id)
        assert row is not None, f'{model.__name__} {id} not found'
        return row


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in real threads released at the same instant; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return results
