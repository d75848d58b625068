"""The one SQL reading of a `Reach`: which rows of a list a user may see.

Why one function: every list, count, report and export that honours data scopes (PRODUCT.md, issue 22)
must agree with the single-record rule (`Reach.sees`); a second hand-written `owner_id IN …` per
list is how a scope leaks. Shared records (collaboration) widen the owner test by id.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from store.models import Reach, RecordKind


def visible(reach: Reach, owner_col: Any, kind: RecordKind, id_col: Any) -> sa.ColumnElement[bool] | None:
    """The WHERE clause keeping the rows `reach` covers, or None when it covers everything."""
    if reach.everyone:
        return None
    clause: sa.ColumnElement[bool] = owner_col.in_(sorted(reach.owner_ids))
    shared = reach.shared.get(kind)
    if shared:
        clause = sa.or_(clause, id_col.in_(sorted(shared)))
    return clause
