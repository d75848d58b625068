"""A bulk edit's tags (core/leads/bulk_plan.py, core/customers/bulk.py): which tags each selected
record holds, read once for the batch; putting one tag on or taking it off, as `RecordTagService`
does one by one (an active tag only goes on, a retired one may come off); and an undo putting back
a record's exact tag set as the batch found it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session

from core.errors import ValidationFailed
from core.tags.catalog import TagInfo, TagSet
from store import queries
from store.models import RecordTag, TagEntity


class RecordTags:
    """The selected records' tags, read in one query; changed here as the batch changes them."""

    def __init__(self, tags: TagSet, entity: TagEntity) -> None:
        self.tags, self.entity = tags, entity
        self.held: dict[int, list[int]] = {}

    def load(self, session: Session, record_ids: Iterable[int]) -> None:
        self.held = queries.record_tag_ids(session, self.entity, record_ids)

    def ids(self, record_id: int) -> list[int]:
        return list(self.held.get(record_id, ()))

    def keys(self, record_id: int) -> frozenset[str]:
        """The record's tag keys, as scoring rules test them."""
        return frozenset(self.tags.by_id[i].key for i in self.held.get(record_id, ()) if i in self.tags.by_id)

    def tag(self, tag_id: object, *, add: bool) -> TagInfo:
        """The tag an action names; ValidationFailed for an unknown one, or a retired one to put on."""
        tag = self.tags.by_id.get(tag_id) if isinstance(tag_id, int) else None
        if tag is None:
            raise ValidationFailed({'tag': 'invalid'})
        if add and tag.is_retired:
            raise ValidationFailed({'tag': 'retired_tag'}, detail=tag.name_zh)
        return tag

    def has(self, record_id: int, tag: TagInfo | None) -> bool:
        return tag is not None and tag.id in self.held.get(record_id, ())

    def change(self, session: Session, record_id: int, tag_id: int, *, add: bool, now: datetime) -> None:
        """Put the tag on the record (or take it off): the row and this batch's view of it."""
        held = self.held.setdefault(record_id, [])
        if add:
            session.add(RecordTag(entity=self.entity, record_id=record_id, tag_id=tag_id, created_at=now))
            held.append(tag_id)
        else:
            row = queries.record_tag(session, self.entity, record_id, tag_id)
            if row is not None:
                session.delete(row)
            held.remove(tag_id)


def restore_tags(session: Session, entity: TagEntity, record_id: int, before: Sequence[int], now: datetime) -> None:
    """An undo: the record holds exactly the tags `before` again (those put on since come off, those
    taken off go back on)."""
    held = set(queries.record_tag_ids(session, entity, [record_id]).get(record_id, []))
    for tag_id in held - set(before):
        row = queries.record_tag(session, entity, record_id, tag_id)
        if row is not None:
            session.delete(row)
    for tag_id in [t for t in before if t not in held]:
        session.add(RecordTag(entity=entity, record_id=record_id, tag_id=tag_id, created_at=now))
