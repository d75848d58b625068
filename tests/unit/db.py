"""Direct reads of what the database holds, for assertions."""

from __future__ import annotations

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
