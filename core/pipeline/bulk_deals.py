"""What one bulk edit does to each selected opportunity (core/leads/bulk.py runs it, as it runs
core/customers/bulk.py for customers): set the amount, the expected close or a custom field, put a
tag on or take it off, hand the deals to another rep, move them to another open stage, mark them
lost with a reason. The checks and the moves are the card's own: `stage_move.refusal` / `move`
(closed deals, fields required from a stage on, the checklist a forward move leaves),
`deal_fields.edited_values` (a field the stage needs is not cleared).

Won stays one deal at a time: it takes the final amount and makes a customer (care plan, repeat
purchase), a decision per deal. Closed deals (won or lost) are skipped too: reopening one undoes a
win, a manager's call per deal. An undo puts each deal's columns back; a stage move's undo is a
move back in the deal's history (the stage stays, store/stage_stays.py, follow as for any move)
with the deal's stage clock (`stage_changed_at`: rotting, checklist deadlines) as it was, and the
checklist exit the batch's move recorded is taken back; ticks made in the new stage since are kept
and named in the undo's audit line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from core import permissions
from core.context import audit
from core.custom_fields import records
from core.custom_fields.values import FIELD as CUSTOM
from core.errors import DomainError, InvalidState, NotAllowed, ValidationFailed
from core.leads.bulk_plan import TAG_KINDS, BulkAction, BulkKind, Skip
from core.leads.bulk_tags import RecordTags, restore_tags
from core.leads.normalize import clean_text
from core.pipeline import deal_fields, stage_move
from core.pipeline.money import parse_money
from core.playbooks.checklist import ChecklistBlocked
from core.tags.catalog import TagInfo, TagSet
from store import playbooks as playbook_store
from store import queries
from store.audit_actions import AuditAction
from store.models import (
    CustomEntity,
    Opportunity,
    Role,
    Stage,
    StageChange,
    StageKind,
    StepExit,
    TagEntity,
    User,
    UserRef,
)
from store.queries.bulk import live_deals

KINDS = frozenset((BulkKind.SET_FIELD, BulkKind.REASSIGN, BulkKind.MOVE_STAGE, BulkKind.LOSE, *TAG_KINDS))
"""What a bulk edit may do to opportunities (REASSIGN: to a named rep)."""
MOVES = frozenset((BulkKind.MOVE_STAGE, BulkKind.LOSE))
FIELDS = ('amount', 'expected_close')
"""The built-in fields a bulk edit sets (`custom.<key>` too); the owner is REASSIGN."""
_COLUMNS = {'amount': 'amount_cents', 'expected_close': 'expected_close'}
STATE = ('owner_id', 'amount_cents', 'expected_close', 'custom', 'stage_id', 'stage_changed_at', 'closed_at',
         'lost_reason', 'lost_note', 'last_moved_by')
"""The columns a deal's bulk edit may change: what a batch keeps (those that changed) to undo it."""
_DATES, _TIMES = ('expected_close',), ('stage_changed_at', 'closed_at')


def state(o: Opportunity) -> dict[str, Any]:
    """The deal's `STATE` as JSON values."""
    out: dict[str, Any] = {}
    for name in STATE:
        value = getattr(o, name)
        out[name] = dict(value or {}) if name == 'custom' else (
            value.isoformat() if isinstance(value, date | datetime) else value)
    return out


def restore(o: Opportunity, before: Mapping[str, Any]) -> None:
    for name, raw in before.items():
        value: Any = raw
        if name in _DATES and raw:
            value = date.fromisoformat(raw)
        elif name in _TIMES and raw:
            value = datetime.fromisoformat(raw)
        elif name == 'custom':
            value = dict(raw or {})
        if name in STATE:
            setattr(o, name, value)


class DealPlanner:
    """One action's checks and writes on opportunities for one actor, with what it needs read once."""

    def __init__(self, session: Session, actor: UserRef, action: BulkAction, *, tags: TagSet, region: str,
                 now: datetime) -> None:
        """Raises what a request gets wrong as a whole: ValidationFailed (an action deals do not take,
        no such field, rep, tag, stage or lost reason; Won: `won_one_by_one`), NotAllowed (a rep
        handing deals over)."""
        self.session, self.actor, self.action, self.now, self.region = session, actor, action, now, region
        self.tags = RecordTags(tags, TagEntity.OPPORTUNITY)
        self.tag: TagInfo | None = None
        self.rep: User | None = None
        self.target: Stage | None = None
        self.value: Any = None
        self.custom_key = ''
        self.invalid = False
        self.note: str | None = None
        self.stages = {s.id or 0: s for s in queries.stages(session, include_archived=True)}
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
        elif kind == BulkKind.MOVE_STAGE:
            self.target = self.stages.get(action.stage_id or 0)
            if self.target is None or self.target.is_archived or self.target.kind == StageKind.LOST:
                raise ValidationFailed({'stage': 'invalid'})
            if self.target.kind == StageKind.WON:
                raise ValidationFailed({'stage': 'won_one_by_one'})
        elif kind == BulkKind.LOSE:
            self.target = next((s for s in queries.stages(session) if s.kind == StageKind.LOST), None)
            if self.target is None or action.reason not in {r.key for r in queries.lost_reasons(session)}:
                raise ValidationFailed({'lost_reason': 'required'})
            self.note = clean_text(action.value if isinstance(action.value, str) else None, max_length=1000)
        else:
            self._prepare_field(action.field or '', action.value)

    def _prepare_field(self, name: str, value: Any) -> None:
        """The value checked once for the batch; a bad one skips every deal as `invalid`."""
        if name in FIELDS:
            text = str(value).strip() if value is not None else ''
            try:
                self.value = parse_money(text) if name == 'amount' else date.fromisoformat(text)
            except ValueError:
                self.invalid = True
            return
        fields = records.load(self.session, CustomEntity.OPPORTUNITY)
        key = name.removeprefix(f'{CUSTOM}.')
        if not name.startswith(f'{CUSTOM}.') or key not in fields.active:
            raise ValidationFailed({'field': 'invalid'})
        self.custom_key, self.value = key, value
        try:
            records.check_changes(fields, {key: value}, region=self.region)
        except ValidationFailed:
            self.invalid = True

    def load(self, session: Session, deals: Sequence[Opportunity]) -> None:
        if self.action.kind in TAG_KINDS:
            self.tags.load(session, [o.id or 0 for o in deals])

    def check(self, o: Opportunity) -> Skip | None:
        """Why this deal would be skipped, or None: it changes (writes nothing)."""
        kind, actor = self.action.kind, self.actor
        if not permissions.in_reach(actor, o.owner_id):
            return Skip.NOT_ALLOWED
        if kind == BulkKind.REASSIGN:
            return Skip.UNCHANGED if self.rep is not None and o.owner_id == self.rep.id else None
        if not (permissions.can_assign(actor) or o.owner_id == actor.id):  # as a card's own edits
            return Skip.NOT_ALLOWED
        if kind in TAG_KINDS:
            return Skip.UNCHANGED if self.tags.has(o.id or 0, self.tag) == (kind == BulkKind.TAG_ADD) else None
        if kind in MOVES:
            return self._check_move(o)
        if self.invalid:
            return Skip.INVALID
        if self.custom_key:
            try:
                _values, changed = deal_fields.edited_values(self.session, o, {self.custom_key: self.value},
                                                             region=self.region)
            except ValidationFailed:
                return Skip.INVALID  # a field the deal's stage needs, cleared
            return None if changed else Skip.UNCHANGED
        return Skip.UNCHANGED if getattr(o, _COLUMNS[self.action.field or '']) == self.value else None

    def _check_move(self, o: Opportunity) -> Skip | None:
        current, target = self.stages.get(o.stage_id), self.target
        assert target is not None
        if current is not None and current.kind != StageKind.OPEN:
            return Skip.UNCHANGED if current.id == target.id else Skip.CLOSED
        if o.stage_id == target.id:
            return Skip.UNCHANGED
        error = stage_move.refusal(self.session, self.actor, o, current, target)
        return None if error is None else _skip_for(error)

    def apply(self, session: Session, o: Opportunity, batch_id: int) -> stage_move.Moved | None:
        """Change a deal `check` passed, with its audit line (reason `reason.bulk.<kind>`, the batch)."""
        kind, now, actor = self.action.kind, self.now, self.actor
        reason_key = f'reason.bulk.{kind}'
        if kind in MOVES:
            assert self.target is not None
            return stage_move.move(session, actor, o, self.stages.get(o.stage_id), self.target, now=now,
                                   lost_reason=self.action.reason or None, lost_note=self.note,
                                   reason_key=reason_key, params={'batch': batch_id})
        if kind in TAG_KINDS:
            tag, add = self.tag, kind == BulkKind.TAG_ADD
            assert tag is not None
            self.tags.change(session, o.id or 0, tag.id, add=add, now=now)
            audit(session, AuditAction.TAG_ADDED if add else AuditAction.TAG_REMOVED, now=now, lead_id=o.lead_id,
                  actor_id=actor.id, reason_key=reason_key, batch=batch_id, entity=TagEntity.OPPORTUNITY,
                  record_id=o.id, key=tag.key, tag=tag.name_zh)
            return None  # as one by one: a tag is not an edit of the deal's form
        if kind == BulkKind.REASSIGN:
            assert self.rep is not None
            o.owner_id = self.rep.id
            audit(session, AuditAction.OPPORTUNITY_EDITED, now=now, lead_id=o.lead_id, actor_id=actor.id,
                  subject_user_id=self.rep.id, reason_key='reason.bulk.deal_owner', batch=batch_id,
                  opportunity=o.name, rep=self.rep.name, manager=actor.name)
        elif self.custom_key:
            o.custom, _changed = deal_fields.edited_values(session, o, {self.custom_key: self.value},
                                                           region=self.region)
        else:
            setattr(o, _COLUMNS[self.action.field or ''], self.value)
        if kind == BulkKind.SET_FIELD:
            audit(session, AuditAction.OPPORTUNITY_EDITED, now=now, lead_id=o.lead_id, actor_id=actor.id,
                  reason_key=reason_key, batch=batch_id, fields=self.action.field)
        o.last_moved_by = actor.id
        o.version += 1
        o.updated_at = now
        session.add(o)
        return None


def _skip_for(error: DomainError) -> Skip:
    if isinstance(error, ChecklistBlocked):
        return Skip.CHECKLIST
    if isinstance(error, InvalidState):
        return Skip.CLOSED
    return Skip.FIELDS_NEEDED  # FieldsNeeded: the stage's required custom fields


def apply_all(session: Session, planner: DealPlanner, todo: Sequence[Opportunity], batch_id: int) -> dict[str, Any]:
    """Apply the action to each deal `check` passed; returns the batch's snapshot (by id: the version
    it leaves, the changed columns' values before, the tags before and after for a tag action, the
    checklist exit a move recorded)."""
    snapshot: dict[str, Any] = {}
    exits: dict[str, StepExit] = {}
    for o in todo:
        before, tags = state(o), planner.tags.ids(o.id or 0)
        moved = planner.apply(session, o, batch_id)
        after = state(o)
        entry: dict[str, Any] = {'v': o.version, 'before': {k: v for k, v in before.items() if after[k] != v}}
        if planner.action.kind in TAG_KINDS:
            entry['tags'], entry['tags_after'] = tags, planner.tags.ids(o.id or 0)
        if moved is not None and moved.exit is not None:
            exits[str(o.id)] = moved.exit
        snapshot[str(o.id)] = entry
    if exits:
        session.flush()  # the exits' ids
        for key, exit_ in exits.items():
            snapshot[key]['exit'] = exit_.id
    return snapshot


def undo_all(session: Session, snapshot: Mapping[str, Any], *, batch_id: int, batch_at: datetime | None,
             actor: UserRef, now: datetime) -> list[int]:
    """Put back each deal of a batch not changed since (its version moved on, or for a tag batch its
    tags: left as it is); returns the ids restored. A move is undone by a move back (see the
    module's docstring), the checklist exit it recorded taken back."""
    restored: list[int] = []
    ids = [int(i) for i in snapshot]
    held = queries.record_tag_ids(session, TagEntity.OPPORTUNITY, ids)
    for o in live_deals(session, ids, lock=True):
        entry = snapshot[str(o.id)]
        tags_moved = 'tags' in entry and sorted(held.get(o.id or 0, [])) != sorted(entry['tags_after'])
        if o.version != entry['v'] or tags_moved:  # changed since the batch: stale
            continue
        was = o.stage_id
        restore(o, entry['before'])
        params: dict[str, Any] = {}
        if o.stage_id != was:
            session.add(StageChange(opportunity_id=o.id or 0, from_stage_id=was, to_stage_id=o.stage_id,
                                    actor_id=actor.id, created_at=now))
            params = _kept_ticks(session, o.lead_id, was, batch_at)
        if entry.get('exit') and (exit_ := session.get(StepExit, entry['exit'])) is not None:
            session.delete(exit_)
        if 'tags' in entry:
            restore_tags(session, TagEntity.OPPORTUNITY, o.id or 0, entry['tags'], now)
        if entry['before']:
            o.version += 1
            o.updated_at = now
            session.add(o)
        audit(session, AuditAction.BULK_UNDONE, now=now, lead_id=o.lead_id, actor_id=actor.id,
              reason_key='reason.bulk.undone_kept' if params else 'reason.bulk.undone', batch=batch_id,
              entity=TagEntity.OPPORTUNITY, record_id=o.id, opportunity=o.name, **params)
        restored.append(o.id or 0)
    return restored


def _kept_ticks(session: Session, lead_id: int, stage_id: int, since: datetime | None) -> dict[str, Any]:
    """Checklist items of the stage the batch moved the deal to, ticked since: work done, kept (an
    undo moves the deal, it does not untick); named in the undo's audit line."""
    items = {i.id or 0: i for i in playbook_store.step_items(session, None, stage_id)}
    kept = [items[i] for i, tick in playbook_store.ticks(session, lead_id, items).items()
            if tick.done and (since is None or (tick.updated_at is not None and tick.updated_at >= since))]
    if not kept:
        return {}
    return {'count': len(kept), 'items_en': '; '.join(i.text_en for i in kept),
            'items_zh': '；'.join(i.text_zh for i in kept)}
