"""Tags (core/tags): the definitions, the tags on records, and the filter "holds any of these tags"
that the inbox, the pool, the board and the customers list share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ..models import RecordTag, Tag


def all_tags(session: Session) -> Sequence[Tag]:
    """Every tag, retired ones too, in their order."""
    return session.exec(select(Tag).order_by(col(Tag.position), col(Tag.id))).all()


def tag_by_key(session: Session, key: str) -> Tag | None:
    return session.exec(select(Tag).where(Tag.key == key)).first()


def record_tag_ids(session: Session, entity: str, record_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each record's tag ids (records without tags absent), in the order they were put on; one read
    by the primary key (entity, record_id, tag_id) for a whole page of records."""
    ids = sorted(set(record_ids))
    if not ids:
        return {}
    rows = session.exec(select(RecordTag.record_id, RecordTag.tag_id)
                        .where(RecordTag.entity == entity, col(RecordTag.record_id).in_(ids))
                        .order_by(col(RecordTag.created_at), col(RecordTag.tag_id))).all()
    held: dict[int, list[int]] = {}
    for record_id, tag_id in rows:
        held.setdefault(record_id, []).append(tag_id)
    return held


def record_tag(session: Session, entity: str, record_id: int, tag_id: int) -> RecordTag | None:
    return session.get(RecordTag, (entity, record_id, tag_id))


DENSE_AT = 20_000
"""More records than this hold the chosen tags: the list is walked in its own order, testing each
record (`tagged(dense=True)`), rather than read from the tag index and sorted."""


def is_dense(session: Session, entity: str, tag_ids: Sequence[int]) -> bool:
    """Whether more than DENSE_AT records hold any of the tags (counts at most DENSE_AT + 1 index
    entries: a few milliseconds). SQLite keeps no statistics to choose between the two plans itself."""
    held = select(RecordTag.record_id).where(RecordTag.entity == entity, col(RecordTag.tag_id).in_(tag_ids)) \
        .limit(DENSE_AT + 1).subquery()
    return session.exec(select(sa.func.count()).select_from(held)).one() > DENSE_AT


def tagged(entity: str, record_id: Any, tag_ids: Sequence[int], *, dense: bool = False) -> sa.ColumnElement[bool]:
    """`record_id` (a list's id column) holds any of `tag_ids`. Few holders (`dense` False): an IN
    over `ix_record_tags_tag`, so the database reads the tagged ids from the index and sorts those
    few. Many (`is_dense`): an EXISTS probing the key (entity, record_id, tag_id) per record, so the
    list keeps walking its own order index and stops after a page (and the count at its cap) —
    reading 200,000 tagged ids to sort them cost ~10× the unfiltered page (docs/BENCHMARKS.md, tags)."""
    if dense:
        return sa.exists().where(col(RecordTag.entity) == entity, col(RecordTag.record_id) == record_id,
                                 col(RecordTag.tag_id).in_(tag_ids))
    holders = select(RecordTag.record_id).where(RecordTag.entity == entity, col(RecordTag.tag_id).in_(tag_ids))
    return col(record_id).in_(holders)


def record_tag_keys(session: Session, entity: str, record_id: int) -> list[str]:
    """The keys of one record's tags (what scoring and assignment rules test)."""
    return list(session.exec(select(Tag.key).join(RecordTag, col(RecordTag.tag_id) == Tag.id)
                             .where(RecordTag.entity == entity, RecordTag.record_id == record_id)).all())


def entity_tag_ids(session: Session, entity: str) -> dict[int, list[int]]:
    """Every record's tag ids of one kind (an export's whole list: one pass over the key, no id list
    that could outgrow a statement's parameters)."""
    held: dict[int, list[int]] = {}
    for record_id, tag_id in session.exec(select(RecordTag.record_id, RecordTag.tag_id)
                                          .where(RecordTag.entity == entity)
                                          .order_by(col(RecordTag.created_at), col(RecordTag.tag_id))).all():
        held.setdefault(record_id, []).append(tag_id)
    return held
