"""The public pool's and the review queue's pages: filters, search and sorts, each served by an
index led by `status` (store/models.py `ix_leads_pool_*`), so a page never reads owned leads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, func, or_, select

from ..models import Lead, TagEntity
from .pools import in_pool
from .search import like_pattern
from .sorting import CUSTOM as CUSTOM_SORT
from .sorting import ListOrder, custom_order
from .tags import tagged


class PoolSort(StrEnum):
    """The pool's orders (core/custom_fields/sorting.py `POOL` checks a choice; `_order` builds each)."""

    RECENT = 'recent'
    """Recycled (pooled) newest first: the default."""
    OLDEST = 'oldest'
    GRADE = 'grade'
    """Grade (A first), then score."""
    SCORE = 'score'
    """Highest first."""
    CUSTOM = CUSTOM_SORT


RECYCLED_TOP = 3
"""The recycle-count filter's last choice means "this many times or more"."""
PHONE_TAIL = 4
"""The digits a masked phone shows at its end (core/automation/pool.py `mask_phone`)."""


@dataclass(frozen=True, slots=True)
class PoolFilter:
    status: str
    search: str | None = None
    """Name or company contains it; a term of at most four digits also matches the phone's last
    digits, the only ones the pool shows. Never the full phone or the email, which a pool row hides:
    a search must not answer "is 13812345678 in the pool?"."""
    region: str | None = None
    industry: str | None = None
    grade: str | None = None
    recycled: int | None = None
    """Exactly this many recycles, or RECYCLED_TOP or more."""
    order: ListOrder[PoolSort] = field(default_factory=lambda: ListOrder(PoolSort.RECENT))
    tags: tuple[int, ...] = ()
    """Tag ids: a lead holding any of them passes."""
    pool_id: int | None = None
    """Only this pool's leads (None: every pool's, the review queue)."""
    pool_default: bool = False
    """`pool_id` is the default pool's, which also holds the leads with no `pool_id`."""


def _where(f: PoolFilter) -> list[Any]:
    where: list[Any] = [Lead.status == f.status, Lead.is_deleted == False]  # noqa: E712
    if f.pool_id is not None:
        where.append(in_pool(f.pool_id, f.pool_default))
    if f.region:
        where.append(Lead.region == f.region)
    if f.industry:
        where.append(Lead.industry == f.industry)
    if f.grade:
        where.append(Lead.grade == f.grade)
    if f.recycled is not None:
        where.append(col(Lead.recycle_count) >= RECYCLED_TOP if f.recycled >= RECYCLED_TOP
                     else Lead.recycle_count == f.recycled)
    if f.tags:
        where.append(tagged(TagEntity.LEAD, Lead.id, f.tags))
    term = (f.search or '').strip()
    if term:
        like = like_pattern(term)
        matches = [col(Lead.name).ilike(like, escape='\\'), col(Lead.company).ilike(like, escape='\\')]
        if term.isascii() and term.isdigit() and len(term) <= PHONE_TAIL:
            matches.append(col(Lead.phone_norm).like('%' + term))
        where.append(or_(*matches))
    return where


def _order(o: ListOrder[PoolSort], dialect: str) -> tuple[Any, ...]:
    """The built-in orders walk their status-led index; a custom field's value sorts the pool's rows
    (store/queries/sorting.py: missing values last, the id breaking ties)."""
    if o.by == PoolSort.CUSTOM:
        return tuple(custom_order(o, col(Lead.custom), col(Lead.id), dialect))
    if o.by == PoolSort.OLDEST:
        return col(Lead.pooled_at).asc(), col(Lead.id).asc()
    if o.by == PoolSort.GRADE:
        return col(Lead.grade).asc(), col(Lead.score).desc(), col(Lead.id).desc()
    if o.by == PoolSort.SCORE:
        return col(Lead.score).desc(), col(Lead.id).desc()
    return col(Lead.pooled_at).desc(), col(Lead.id).desc()


def pool_page(session: Session, f: PoolFilter, *, offset: int, limit: int) -> tuple[Sequence[Lead], int]:
    """One page of pool (or review) leads in the chosen order, and how many match. Both walk the
    status-led index of the sort, so they read pool rows only (≈5% of the leads); a search or a
    filter tests those rows."""
    where = _where(f)
    total = session.exec(select(func.count()).select_from(Lead).where(*where)).one()
    order = _order(f.order, session.get_bind().dialect.name)
    leads = session.exec(select(Lead).where(*where).order_by(*order).offset(offset).limit(limit)).all()
    return leads, total


def pool_choices(session: Session, status: str, column: str, *, limit: int = 200,
                 pool: tuple[int, bool] | None = None) -> list[str]:
    """The values of `region` or `industry` among the pool's leads (one pool's: `pool` = (id, is
    default)), for the filter's choices."""
    field = col(getattr(Lead, column))
    where = [] if pool is None else [in_pool(*pool)]
    rows = session.exec(select(field).where(Lead.status == status, Lead.is_deleted == False,  # noqa: E712
                                            field.is_not(None), field != '', *where)
                        .distinct().order_by(field).limit(limit)).all()
    return [str(value) for value in rows]
