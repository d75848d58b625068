"""The pipeline's settings: its stages (probability, rot limit, won/lost) and lost reasons, and the
defaults a new database starts with."""

from __future__ import annotations

import secrets

from sqlmodel import Session

from core import permissions
from core.context import Context, audit
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.leads.normalize import clean_text
from store import queries
from store.audit_actions import AuditAction
from store.models import (
    LostReason,
    Stage,
    StageKind,
    UserRef,
)

DEFAULT_STAGES: tuple[tuple[str, str, int, str, int], ...] = (
    ('Needs confirmed', '需求确认', 10, StageKind.OPEN, 14),
    ('Solution', '方案沟通', 30, StageKind.OPEN, 14),
    ('Quotation', '商务报价', 60, StageKind.OPEN, 14),
    ('Negotiation', '合同谈判', 80, StageKind.OPEN, 14),
    ('Won', '赢单', 100, StageKind.WON, 0),
    ('Lost', '输单', 0, StageKind.LOST, 0),
)


DEFAULT_LOST_REASONS: tuple[tuple[str, str, str], ...] = (
    ('no_budget', 'No budget', '没有预算'), ('competitor', 'Chose a competitor', '选择了竞争对手'),
    ('price', 'Price', '价格原因'), ('need_changed', 'Need changed', '需求变化'),
    ('no_decision_maker', 'No decision maker', '找不到决策人'), ('no_response', 'No response', '客户无回应'),
    ('other', 'Other', '其他'),
)


def seed_defaults(session: Session) -> None:
    """Stages and lost reasons a new database starts with (only when there are none)."""
    if not queries.stages(session, include_archived=True):
        for i, (en, zh, probability, kind, rot) in enumerate(DEFAULT_STAGES):
            session.add(Stage(position=i, name_en=en, name_zh=zh, probability=probability, kind=kind, rot_days=rot))
    if not queries.lost_reasons(session, include_inactive=True):
        for i, (key, en, zh) in enumerate(DEFAULT_LOST_REASONS):
            session.add(LostReason(key=key, label_en=en, label_zh=zh, position=i))


class StageSettings:
    """Part of PipelineService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    def stages(self) -> list[Stage]:
        with self.ctx.read() as session:
            return list(queries.stages(session))

    def all_stages(self, actor: UserRef) -> list[Stage]:
        """Every stage, archived ones included (the admins' editor)."""
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        with self.ctx.read() as session:
            return list(queries.stages(session, include_archived=True))

    def save_stage(self, actor: UserRef, stage_id: int | None, *, name_en: str, name_zh: str, position: int,
                   probability: int, kind: str, rot_days: int, is_archived: bool = False) -> int:
        """Create or change a stage (admins). A stage keeps its opportunities when archived; the
        board must keep at least one open, one won and one lost stage."""
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        errors: dict[str, str] = {}
        en, zh = clean_text(name_en, max_length=61), clean_text(name_zh, max_length=61)
        for field, value in (('name_en', en), ('name_zh', zh)):
            if not value:
                errors[field] = 'required'
            elif len(value) > 60:
                errors[field] = 'too_long'
        numbers: dict[str, int] = {}
        for field, raw, low, high in (('probability', probability, 0, 100), ('rot_days', rot_days, 0, 3650),
                                        ('position', position, 0, 1000)):
            try:
                numbers[field] = int(raw)
            except (TypeError, ValueError):
                errors[field] = 'invalid'
                continue
            if not low <= numbers[field] <= high:
                errors[field] = 'out_of_range'
        if kind not in StageKind.__members__.values():
            errors['kind'] = 'invalid'
        if errors:
            raise ValidationFailed(errors)
        with self.ctx.write() as session:
            stage = session.get(Stage, stage_id) if stage_id else Stage(name_en='', name_zh='')
            if stage is None:
                raise NotFound()
            stage.name_en, stage.name_zh, stage.kind, stage.is_archived = en or '', zh or '', kind, is_archived
            stage.position, stage.probability, stage.rot_days = (numbers['position'], numbers['probability'],
                                                                 numbers['rot_days'])
            session.add(stage)
            session.flush()
            active = {s.kind for s in queries.stages(session)}
            if not {StageKind.OPEN, StageKind.WON, StageKind.LOST} <= active:
                raise ValidationFailed({'kind': 'stage_kinds'})
            audit(session, AuditAction.STAGE_SAVED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.stage_saved',
                  stage_en=stage.name_en, stage_zh=stage.name_zh)
            saved = stage.id or 0
        self.ctx.events.publish(self.ctx.events.opportunity_moved, 0, actor.id)
        return saved

    def all_lost_reasons(self, actor: UserRef) -> list[LostReason]:
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        with self.ctx.read() as session:
            return list(queries.lost_reasons(session, include_inactive=True))

    def save_lost_reason(self, actor: UserRef, reason_id: int | None, *, label_en: str, label_zh: str,
                         is_active: bool = True) -> int:
        """Add or rename a lost reason, or switch it off (kept for the deals that used it)."""
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        en, zh = clean_text(label_en, max_length=101), clean_text(label_zh, max_length=101)
        errors = {f: ('required' if not v else 'too_long') for f, v in (('label_en', en), ('label_zh', zh))
                  if not v or len(v) > 100}
        if errors:
            raise ValidationFailed(errors)
        with self.ctx.write() as session:
            if reason_id:
                reason = session.get(LostReason, reason_id)
                if reason is None:
                    raise NotFound()
            else:
                existing = queries.lost_reasons(session, include_inactive=True)
                reason = LostReason(key=f'custom_{len(existing) + 1}_{secrets.token_hex(3)}', label_en='',
                                    label_zh='', position=max((r.position for r in existing), default=0) + 1)
            reason.label_en, reason.label_zh, reason.is_active = en or '', zh or '', bool(is_active)
            session.add(reason)
            session.flush()
            return reason.id or 0

    def lost_reasons(self) -> list[tuple[str, str, str]]:
        with self.ctx.read() as session:
            return [(r.key, r.label_en, r.label_zh) for r in queries.lost_reasons(session)]
