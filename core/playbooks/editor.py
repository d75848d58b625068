"""Playbooks (跟进SOP与话术): what to do and say at each step. Managers edit, per lead status
(assigned, contacted, qualified) and per open opportunity stage, an ordered checklist (text in
both languages, an optional deadline in working hours, an optional "required" flag) and talk
tracks (opening lines and questions, both languages, for one grade or all). The lead and
opportunity pages read the current step's playbook and tick its items here; the gate on leaving
a step is core/playbooks/checklist.py; the report of what is skipped is core/playbooks/report.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session

from core import permissions
from core.context import Context, audit
from core.errors import NotAllowed, NotFound, ValidationFailed, check_id
from core.leads.normalize import clean_text
from core.playbooks.checklist import Step
from core.playbooks.reporting import ChecklistReports
from core.playbooks.working import PlaybookWork, StepInfo
from core.reports.panels import ReportService
from store import playbooks as store
from store import queries
from store.audit_actions import AuditAction
from store.models import (
    PLAYBOOK_LEAD_STATUSES,
    Grade,
    PlaybookItem,
    Stage,
    StageKind,
    TalkTrack,
    UserRef,
)

TRACK_KINDS = ('opening', 'question')
MAX_DEADLINE_HOURS = 2000
"""About a year of working days: a longer deadline is a typo."""


Row = TypeVar('Row', PlaybookItem, TalkTrack)


def parse_step(key: str) -> Step:
    kind, _, value = (key or '').partition(':')
    if kind == 'lead' and value in PLAYBOOK_LEAD_STATUSES:
        return Step(lead_status=value)
    if kind == 'stage' and value.isdigit():
        return Step(stage_id=int(value))
    raise ValidationFailed({'playbook_step': 'invalid'})


class PlaybookService(ChecklistReports, PlaybookWork):
    def __init__(self, ctx: Context, reports: ReportService) -> None:
        self.ctx = ctx
        self.reports = reports

    # ----- the managers' editor ----------------------------------------------------------------------

    def steps(self) -> list[StepInfo]:
        """Lead statuses, then the open stages in board order."""
        with self.ctx.read() as session:
            stages = [s for s in queries.stages(session) if s.kind == StageKind.OPEN]
        return [StepInfo(key=f'lead:{s}', lead_status=s, stage_id=None) for s in PLAYBOOK_LEAD_STATUSES] + \
            [StepInfo(key=f'stage:{s.id}', lead_status=None, stage_id=s.id, name_en=s.name_en, name_zh=s.name_zh)
             for s in stages]

    def editor(self, actor: UserRef, step_key: str) -> tuple[list[PlaybookItem], list[TalkTrack]]:
        """A step's checklist and talk tracks (archived ones left out), for managers and admins."""
        _manager(actor)
        step = parse_step(step_key)
        with self.ctx.read() as session:
            return (store.step_items(session, step.lead_status, step.stage_id),
                    store.step_tracks(session, step.lead_status, step.stage_id))

    def save_item(self, actor: UserRef, item_id: int | None, *, step_key: str, text_en: str, text_zh: str,
                  deadline_hours: Any = None, is_required: bool = False) -> int:
        """Add an item at the end of the step's checklist, or change one."""
        _manager(actor)
        step = parse_step(step_key)
        errors: dict[str, str] = {}
        en, zh = _text(text_en, 300, 'text_en', errors), _text(text_zh, 300, 'text_zh', errors)
        hours = None
        if deadline_hours not in (None, ''):
            try:
                hours = int(deadline_hours)
            except (TypeError, ValueError):
                errors['deadline_hours'] = 'invalid'
            else:
                if not 1 <= hours <= MAX_DEADLINE_HOURS:
                    errors['deadline_hours'] = 'out_of_range'
        if errors:
            raise ValidationFailed(errors)
        now = self.ctx.now()
        with self.ctx.write() as session:
            item = _step_row(session, PlaybookItem, item_id, step, listed=store.step_items, now=now)
            item.text_en, item.text_zh, item.deadline_hours = en, zh, hours
            item.is_required, item.updated_at = bool(is_required), now
            session.add(item)
            session.flush()
            audit(session, AuditAction.PLAYBOOK_CHANGED, now=now, actor_id=actor.id,
                  reason_key='playbook.reason.item_saved',
                  item_en=en, item_zh=zh)
            return item.id or 0

    def archive_item(self, actor: UserRef, item_id: int) -> None:
        """Take an item off the checklist; its ticks and exits stay for the report."""
        _manager(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            item = session.get(PlaybookItem, check_id(item_id))
            if item is None:
                raise NotFound()
            item.is_archived, item.updated_at = True, now
            session.add(item)
            audit(session, AuditAction.PLAYBOOK_CHANGED, now=now, actor_id=actor.id,
                  reason_key='playbook.reason.item_archived', item_en=item.text_en, item_zh=item.text_zh)

    def move_item(self, actor: UserRef, item_id: int, delta: int) -> None:
        """One place up (delta -1) or down (+1) in its step's checklist."""
        _manager(actor)
        with self.ctx.write() as session:
            item = session.get(PlaybookItem, check_id(item_id))
            if item is None or item.is_archived:
                raise NotFound()
            _reorder(session, store.step_items(session, item.lead_status, item.stage_id), item.id or 0, delta)

    def save_track(self, actor: UserRef, track_id: int | None, *, step_key: str, text_en: str, text_zh: str,
                   kind: str = 'question', grade: str = '') -> int:
        """Add a talk track at the end of the step's list, or change one."""
        _manager(actor)
        step = parse_step(step_key)
        errors: dict[str, str] = {}
        en, zh = _text(text_en, 1000, 'text_en', errors), _text(text_zh, 1000, 'text_zh', errors)
        if kind not in TRACK_KINDS:
            errors['kind'] = 'invalid'
        grade = grade or ''
        if grade and grade not in Grade.__members__.values():
            errors['grade'] = 'invalid'
        if errors:
            raise ValidationFailed(errors)
        now = self.ctx.now()
        with self.ctx.write() as session:
            track = _step_row(session, TalkTrack, track_id, step, listed=store.step_tracks, now=now)
            track.text_en, track.text_zh, track.kind, track.grade, track.updated_at = en, zh, kind, grade, now
            session.add(track)
            session.flush()
            audit(session, AuditAction.PLAYBOOK_CHANGED, now=now, actor_id=actor.id,
                  reason_key='playbook.reason.track_saved',
                  track_en=en, track_zh=zh)
            return track.id or 0

    def archive_track(self, actor: UserRef, track_id: int) -> None:
        _manager(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            track = session.get(TalkTrack, check_id(track_id))
            if track is None:
                raise NotFound()
            track.is_archived, track.updated_at = True, now
            session.add(track)
            audit(session, AuditAction.PLAYBOOK_CHANGED, now=now, actor_id=actor.id,
                  reason_key='playbook.reason.track_archived',
                  track_en=track.text_en, track_zh=track.text_zh)

    def move_track(self, actor: UserRef, track_id: int, delta: int) -> None:
        _manager(actor)
        with self.ctx.write() as session:
            track = session.get(TalkTrack, check_id(track_id))
            if track is None or track.is_archived:
                raise NotFound()
            _reorder(session, store.step_tracks(session, track.lead_status, track.stage_id), track.id or 0, delta)

    # ----- the lead and opportunity pages -------------------------------------------------------------

    # ----- the report ---------------------------------------------------------------------------------

def _manager(actor: UserRef) -> None:
    if not permissions.can_assign(actor):
        raise NotAllowed()


def _check_step(session: Session, step: Step) -> None:
    """A stage step names an existing open stage."""
    if step.stage_id is not None:
        stage = session.get(Stage, step.stage_id)
        if stage is None or stage.kind != StageKind.OPEN:
            raise ValidationFailed({'playbook_step': 'invalid'})


def _step_row(session: Session, model: type[Row], row_id: int | None, step: Step, *,
              listed: Callable[[Session, Any, int | None], list[Row]], now: datetime) -> Row:
    """The checklist item or talk track being saved: an existing one of this very step (a row cannot
    move between steps by an edit), or a new blank one at the end of the step's list."""
    _check_step(session, step)
    if row_id:
        row = session.get(model, check_id(row_id))
        if row is None or row.is_archived:
            raise NotFound()
        if (row.lead_status, row.stage_id) != (step.lead_status, step.stage_id):
            raise ValidationFailed({'playbook_step': 'invalid'})
        return row
    existing = listed(session, step.lead_status, step.stage_id)
    return model(lead_status=step.lead_status, stage_id=step.stage_id, text_en='', text_zh='',
                 position=max((r.position for r in existing), default=-1) + 1, created_at=now)


def _text(value: Any, limit: int, field: str, errors: dict[str, str]) -> str:
    text = clean_text(value, max_length=limit + 1) or ''
    if not text:
        errors[field] = 'required'
    elif len(text) > limit:
        errors[field] = 'too_long'
    return text


def _reorder(session: Session, rows: list[Any], row_id: int, delta: int) -> None:
    """Move one row of an ordered list by `delta` places and number the list 0..n-1 again."""
    ids = [r.id for r in rows]
    if row_id not in ids:
        raise NotFound()
    i = ids.index(row_id)
    j = max(0, min(len(rows) - 1, i + (1 if delta > 0 else -1)))
    rows[i], rows[j] = rows[j], rows[i]
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            session.add(row)

