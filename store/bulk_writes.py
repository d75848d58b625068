"""Writing many leads' changed columns in one statement (core/leads/bulk.py): an executemany UPDATE
by primary key instead of the ORM's one UPDATE per row. The caller registers the leads with the
unit of work's change set first (core/projections.py `updating`), so the derived data follows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session

from store.models import Lead


def update_leads(session: Session, leads: Sequence[Lead], columns: Iterable[str]) -> None:
    """Write these columns of each lead as its object holds them, in one executemany."""
    names = sorted(set(columns))
    if not leads or not names:
        return
    table = Lead.__table__  # type: ignore[attr-defined]
    statement = sa.update(table).where(table.c.id == sa.bindparam('_id')).values(
        {name: sa.bindparam(name, type_=table.c[name].type) for name in names})
    session.connection().execute(statement, [{'_id': lead.id, **{n: getattr(lead, n) for n in names}}
                                             for lead in leads])
