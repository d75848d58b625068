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


def tagged(entity: str, record_id: Any, tag_ids: Sequence[int]) -> sa.ColumnElement[bool]:
    """`record_id` (a list's id column) holds any of `tag_ids`: an IN over `ix_record_tags_tag`, so
    the database reads the tagged records' ids from the index, however rare the tag (an EXISTS per
    row would test every row the list walks)."""
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
