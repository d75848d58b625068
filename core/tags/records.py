"""Tags on records: put one on a lead, an opportunity or a customer, take one off, read a record's
tags, and check a list's "any of these tags" filter. Each change is one transaction with its audit
line (on the lead's trail for a lead and its deal); the events go out after the commit, so every
open page showing the record redraws its chips.

Who may: whoever may edit the record (a lead: core/permissions.py `can_edit_lead`; a deal: its
owner or a manager; a customer: `can_tag_customer`). Only an active tag may be put on; a retired
one may still be taken off."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core import permissions
from core.capture.scoring import rescore
from core.context import Context, audit, retry_conflicts
from core.errors import NotAllowed, NotFound, ValidationFailed, check_id
from core.tags.catalog import TagInfo, TagSet
from store import queries
from store.audit_actions import AuditAction
from store.models import Account, Lead, Opportunity, RecordTag, TagEntity, UserRef

ENTITIES = tuple(TagEntity)


def lead_rule_tags(session: Any, lead_id: int | None) -> frozenset[str]:
    """The keys of a stored lead's tags, for scoring and assignment rules (empty for a new lead)."""
    return frozenset(queries.record_tag_keys(session, TagEntity.LEAD, lead_id)) if lead_id else frozenset()


def current_tags(ctx: Context) -> TagSet:
    """The tag catalogue now (the capture configuration's copy while its token holds)."""
    with ctx.read() as session:
        return ctx.capture_config.load(session).tags


def check_filter(tags: TagSet, tag_ids: Iterable[Any] | None) -> tuple[int, ...]:
    """A list's tag filter as the query takes it: known tag ids (retired ones too: records keep
    them), each once; ValidationFailed `{'tags': 'unknown_tag'}` for anything else."""
    ids: list[int] = []
    for raw in tag_ids or ():
        if not isinstance(raw, int) or raw not in tags.by_id:
            raise ValidationFailed({'tags': 'unknown_tag'}, detail=str(raw)[:40])
        if raw not in ids:
            ids.append(raw)
    return tuple(ids)


class RecordTagService:
    """Tags on records (`desk.record_tags`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def tag_set(self) -> TagSet:
        return current_tags(self.ctx)

    def tags_of(self, actor: UserRef, entity: str, record_id: int) -> list[TagInfo]:
        """A record's tags in the order they were put on (retired ones too: the record keeps them)."""
        with self.ctx.read() as session:
            self._record(session, actor, entity, record_id, write=False)
            tags = self.ctx.capture_config.load(session).tags
            held = queries.record_tag_ids(session, entity, [record_id]).get(record_id, [])
            return [tags.by_id[i] for i in held if i in tags.by_id]

    def tags_of_many(self, entity: str, record_ids: Iterable[int]) -> dict[int, list[int]]:
        """Tag ids per record of a list the caller already read (its rows passed the permission check)."""
        with self.ctx.read() as session:
            return queries.record_tag_ids(session, entity, record_ids)

    def keys_of(self, entity: str, record_id: int) -> list[str]:
        """A record's tag keys in the order they were put on (the API's `tags`; the caller checked access)."""
        with self.ctx.read() as session:
            tags = self.ctx.capture_config.load(session).tags
            held = queries.record_tag_ids(session, entity, [record_id]).get(record_id, [])
            return [tags.by_id[i].key for i in held if i in tags.by_id]

    def add_tag(self, actor: UserRef, entity: str, record_id: int, tag_id: int) -> bool:
        """Put an active tag on a record; False: it was already there (nothing written)."""
        return self._change(actor, entity, record_id, tag_id, add=True)

    def remove_tag(self, actor: UserRef, entity: str, record_id: int, tag_id: int) -> bool:
        """Take a tag off a record; False: it was not there (nothing written)."""
        return self._change(actor, entity, record_id, tag_id, add=False)

    @retry_conflicts
    def _change(self, actor: UserRef, entity: str, record_id: int, tag_id: int, *, add: bool) -> bool:
        if entity not in ENTITIES:
            raise ValidationFailed({'entity': 'invalid'})
        now = self.ctx.now()
        with self.ctx.write() as session:
            record = self._record(session, actor, entity, record_id, write=True)
            config = self.ctx.capture_config.load(session)
            tag = config.tags.by_id.get(check_id(tag_id))
            if tag is None:
                raise NotFound()
            held = queries.record_tag(session, entity, record_id, tag.id)
            if add == (held is not None):
                return False
            if add:
                if tag.is_retired:
                    raise ValidationFailed({'tags': 'retired_tag'}, detail=tag.name_zh)
                session.add(RecordTag(entity=entity, record_id=record_id, tag_id=tag.id, created_at=now))
            else:
                session.delete(held)
            session.flush()
            lead_id = record.id if isinstance(record, Lead) else getattr(record, 'lead_id', None)
            action = AuditAction.TAG_ADDED if add else AuditAction.TAG_REMOVED
            audit(session, action, now=now, lead_id=lead_id, actor_id=actor.id, reason_key=f'reason.{action.value}',
                  entity=entity, record_id=record_id, key=tag.key, tag=tag.name_zh)
            owner_id = record.owner_id
            if isinstance(record, Lead):  # "has tag" scoring rules: the score follows the tags
                rescore(record, config.scoring, lead_rule_tags(session, record.id))
                record.version += 1
                record.updated_at = now
                session.add(record)
        events = self.ctx.events
        events.publish(events.record_tagged, entity, record_id)
        if entity == TagEntity.LEAD:
            events.publish(events.lead_changed, record_id, owner_id)
        elif entity == TagEntity.OPPORTUNITY:
            events.publish(events.opportunity_moved, record_id, actor.id)
        return True

    @staticmethod
    def _record(session: Any, actor: UserRef, entity: str, record_id: int, *, write: bool
                ) -> Lead | Opportunity | Account:
        """The record, row-locked for a change, if the actor may see it (and change it: `write`)."""
        kinds: dict[str, type[Lead | Opportunity | Account]] = {
            TagEntity.LEAD: Lead, TagEntity.OPPORTUNITY: Opportunity, TagEntity.CUSTOMER: Account}
        kind = kinds.get(entity)
        if kind is None:
            raise NotFound()
        record = session.get(kind, check_id(record_id), with_for_update=write, populate_existing=write)
        if record is None or record.is_deleted or (isinstance(record, Account) and not record.is_customer):
            raise NotFound()
        if isinstance(record, Lead):
            allowed = permissions.can_view_lead(actor, record) and (
                not write or permissions.can_edit_lead(actor, record))
        elif isinstance(record, Opportunity):
            allowed = permissions.can_view_opportunity(actor, record)
            allowed = allowed and (not write or permissions.can_edit_opportunity(actor, record))
        else:
            allowed = permissions.can_view_customer(actor, record)
            allowed = allowed and (not write or permissions.can_tag_customer(actor, record.owner_id))
        if not allowed:
            raise NotAllowed()
        return record


def merge_tags(session: Any, survivor_id: int, other_ids: Iterable[int], now: Any) -> list[int]:
    """A merge's survivor takes every tag the merged leads held; returns the ids it did not have
    (kept in the merge's snapshot, so an undo takes exactly those off again)."""
    held = set(queries.record_tag_ids(session, TagEntity.LEAD, [survivor_id]).get(survivor_id, []))
    theirs = {t for ids in queries.record_tag_ids(session, TagEntity.LEAD, other_ids).values() for t in ids}
    added = sorted(theirs - held)
    for tag_id in added:
        session.add(RecordTag(entity=TagEntity.LEAD, record_id=survivor_id, tag_id=tag_id, created_at=now))
    session.flush()
    return added


def unmerge_tags(session: Any, survivor_id: int, tag_ids: Iterable[int]) -> None:
    """An undone merge: the tags the survivor took from the others come off (`merge_tags`)."""
    for tag_id in tag_ids:
        row = queries.record_tag(session, TagEntity.LEAD, survivor_id, tag_id)
        if row is not None:
            session.delete(row)
    session.flush()


def carry_tags(session: Any, lead_id: int, opportunity_id: int, now: Any) -> None:
    """A conversion carries the lead's tags to its opportunity (every field and the history go along)."""
    for tag_id in queries.record_tag_ids(session, TagEntity.LEAD, [lead_id]).get(lead_id, []):
        session.add(RecordTag(entity=TagEntity.OPPORTUNITY, record_id=opportunity_id, tag_id=tag_id, created_at=now))
