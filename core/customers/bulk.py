"""What one bulk edit does to each selected customer (core/leads/bulk.py runs it, as it runs
core/leads/bulk_plan.py for leads): put a tag on or take it off, hand the customer to another rep
(set its owner), set one of the customers' custom fields. The same checks as one by one: tags by
whoever may tag the customer (`can_tag_customer`), custom values by its owner or a manager (as
`update_customer`), a new owner only by a manager."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core import permissions
from core.context import audit
from core.custom_fields import records
from core.custom_fields.values import FIELD as CUSTOM
from core.errors import NotAllowed, ValidationFailed
from core.leads.bulk_plan import TAG_KINDS, BulkAction, BulkKind, Skip
from core.leads.bulk_tags import RecordTags, restore_tags
from core.tags.catalog import TagInfo, TagSet
from store import queries
from store.audit_actions import AuditAction
from store.models import Account, CustomEntity, Role, TagEntity, User, UserRef
from store.queries.bulk import live_customers

KINDS = frozenset((BulkKind.SET_FIELD, BulkKind.REASSIGN, *TAG_KINDS))
"""What a bulk edit may do to customers (REASSIGN: to a named rep; no rules pick a customer's owner)."""
STATE = ('owner_id', 'custom')
"""The columns a customer's bulk edit may change: what a batch keeps (those that changed) to undo it."""


def state(account: Account) -> dict[str, Any]:
    return {'owner_id': account.owner_id, 'custom': dict(account.custom or {})}


def restore(account: Account, before: Mapping[str, Any]) -> None:
    for name, value in before.items():
        if name in STATE:
            setattr(account, name, dict(value) if name == 'custom' else value)


class CustomerPlanner:
    """One action's checks and writes on customers for one actor, with what it needs read once."""

    def __init__(self, session: Session, actor: UserRef, action: BulkAction, *, tags: TagSet, region: str,
                 now: datetime) -> None:
        """Raises what a request gets wrong as a whole: ValidationFailed (an action customers do not
        take, no such field, rep or tag), NotAllowed (a rep handing customers over)."""
        self.actor, self.action, self.now, self.region = actor, action, now, region
        self.tags = RecordTags(tags, TagEntity.CUSTOMER)
        self.tag: TagInfo | None = None
        self.rep: User | None = None
        self.key = ''
        self.value: Any = None
        self.invalid = False
        kind = action.kind
        if kind not in KINDS:
            raise ValidationFailed({'action': 'invalid'})
        if kind in TAG_KINDS:
            self.tag = self.tags.tag(action.tag_id, add=kind == BulkKind.TAG_ADD)
        elif kind == BulkKind.REASSIGN:
            if not permissions.can_assign(actor):
                raise NotAllowed()
            self.rep = session.get(User, action.rep_id) if action.rep_id else None
            if self.rep is None or not self.rep.is_active or self.rep.role != Role.REP:
                raise ValidationFailed({'rep': 'invalid'})
        else:
            self._prepare_field(session, action.field or '', action.value)

    def _prepare_field(self, session: Session, name: str, value: Any) -> None:
        fields = records.load(session, CustomEntity.CUSTOMER)
        key = name.removeprefix(f'{CUSTOM}.')
        if not name.startswith(f'{CUSTOM}.') or key not in fields.active:
            raise ValidationFailed({'field': 'invalid'})
        self.key = key
        try:
            self.value = records.check_changes(fields, {key: value}, region=self.region).get(key)
        except ValidationFailed:
            self.invalid = True

    def load(self, session: Session, accounts: Sequence[Account]) -> None:
        if self.action.kind in TAG_KINDS:
            self.tags.load(session, [a.id or 0 for a in accounts])

    def check(self, account: Account) -> Skip | None:
        """Why this customer would be skipped, or None: it changes (writes nothing)."""
        kind, actor = self.action.kind, self.actor
        if not permissions.in_reach(actor, account.owner_id):
            return Skip.NOT_ALLOWED
        if kind in TAG_KINDS:
            if not permissions.can_tag_customer(actor, account.owner_id):
                return Skip.NOT_ALLOWED
            return Skip.UNCHANGED if self.tags.has(account.id or 0, self.tag) == (kind == BulkKind.TAG_ADD) else None
        if kind == BulkKind.REASSIGN:
            return Skip.UNCHANGED if self.rep is not None and account.owner_id == self.rep.id else None
        if not (permissions.can_assign(actor) or account.owner_id == actor.id):
            return Skip.NOT_ALLOWED
        if self.invalid:
            return Skip.INVALID
        return Skip.UNCHANGED if (account.custom or {}).get(self.key) == self.value else None

    def apply(self, session: Session, account: Account, batch_id: int) -> None:
        """Change a customer `check` passed, with its audit line (reason `reason.bulk.<kind>`, the batch)."""
        kind, now, actor = self.action.kind, self.now, self.actor
        account_id = account.id or 0
        reason_key = f'reason.bulk.{kind}'
        if kind in TAG_KINDS:
            tag, add = self.tag, kind == BulkKind.TAG_ADD
            assert tag is not None
            self.tags.change(session, account_id, tag.id, add=add, now=now)
            audit(session, AuditAction.TAG_ADDED if add else AuditAction.TAG_REMOVED, now=now, actor_id=actor.id,
                  reason_key=reason_key, batch=batch_id, entity=TagEntity.CUSTOMER, record_id=account_id,
                  key=tag.key, tag=tag.name_zh, account=account.name)
        elif kind == BulkKind.REASSIGN:
            assert self.rep is not None
            previous, account.owner_id = account.owner_id, self.rep.id
            audit(session, AuditAction.CUSTOMER_EDITED, now=now, actor_id=actor.id, subject_user_id=self.rep.id,
                  reason_key='reason.bulk.customer_owner', batch=batch_id, account=account.name, rep=self.rep.name,
                  manager=actor.name, previous_owner_id=previous)
        else:
            values, changed = records.merge(account.custom, {self.key: self.value})
            account.custom = values
            audit(session, AuditAction.CUSTOMER_EDITED, now=now, actor_id=actor.id, reason_key=reason_key,
                  batch=batch_id, account=account.name, fields=', '.join(changed))
        if kind not in TAG_KINDS:  # as one by one: a tag is not an edit of the customer's form
            account.version += 1
            session.add(account)


def apply_all(session: Session, planner: CustomerPlanner, todo: Sequence[Account], batch_id: int
              ) -> dict[str, Any]:
    """Apply the action to each customer `check` passed; returns the batch's snapshot (by id: the
    version it leaves, the changed columns' values before, the tags before for a tag action)."""
    snapshot: dict[str, Any] = {}
    for account in todo:
        before, tags = state(account), planner.tags.ids(account.id or 0)
        planner.apply(session, account, batch_id)
        after = state(account)
        entry: dict[str, Any] = {'v': account.version, 'before': {k: v for k, v in before.items() if after[k] != v}}
        if planner.action.kind in TAG_KINDS:
            entry['tags'], entry['tags_after'] = tags, planner.tags.ids(account.id or 0)
        snapshot[str(account.id)] = entry
    return snapshot


def undo_all(session: Session, snapshot: Mapping[str, Any], *, batch_id: int, actor: UserRef, now: datetime
             ) -> list[int]:
    """Put back each customer of a batch not changed since (its version moved on, or for a tag batch
    its tags: left as it is); returns the ids restored."""
    restored: list[int] = []
    ids = [int(i) for i in snapshot]
    held = queries.record_tag_ids(session, TagEntity.CUSTOMER, ids)
    for account in live_customers(session, ids, lock=True):
        entry = snapshot[str(account.id)]
        tags_moved = 'tags' in entry and sorted(held.get(account.id or 0, [])) != sorted(entry['tags_after'])
        if account.version != entry['v'] or tags_moved:  # changed since the batch: stale
            continue
        restore(account, entry['before'])
        if 'tags' in entry:
            restore_tags(session, TagEntity.CUSTOMER, account.id or 0, entry['tags'], now)
        if entry['before']:
            account.version += 1
            session.add(account)
        audit(session, AuditAction.BULK_UNDONE, now=now, actor_id=actor.id, reason_key='reason.bulk.undone',
              batch=batch_id, entity=TagEntity.CUSTOMER, record_id=account.id, account=account.name)
        restored.append(account.id or 0)
    return restored
