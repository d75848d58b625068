"""The selects of playbooks: a step's checklist and talk tracks, a lead's ticks, when a step
began, and the rows the checklist report counts (step exits, closed deals, stages entered)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from .models import (
    AuditEntry,
    ChecklistTick,
    Lead,
    Opportunity,
    PlaybookItem,
    Stage,
    StageChange,
    StepExit,
    TalkTrack,
)
from .reporting import Scope, _closed, _in_range, _lead_filters


def _step(model: Any, lead_status: str | None, stage_id: int | None) -> list[sa.ColumnElement[bool]]:
    if stage_id is not None:
        return [model.stage_id == stage_id]
    return [model.lead_status == lead_status, col(model.stage_id).is_(None)]


def step_items(session: Session, lead_status: str | None, stage_id: int | None, *,
               include_archived: bool = False) -> list[PlaybookItem]:
    query = select(PlaybookItem).where(*_step(PlaybookItem, lead_status, stage_id))
    if not include_archived:
        query = query.where(PlaybookItem.is_archived == False)  # noqa: E712
    return list(session.exec(query.order_by(PlaybookItem.position, PlaybookItem.id)).all())


def step_tracks(session: Session, lead_status: str | None, stage_id: int | None, *,
                include_archived: bool = False) -> list[TalkTrack]:
    query = select(TalkTrack).where(*_step(TalkTrack, lead_status, stage_id))
    if not include_archived:
        query = query.where(TalkTrack.is_archived == False)  # noqa: E712
    return list(session.exec(query.order_by(TalkTrack.position, TalkTrack.id)).all())


def any_playbook(session: Session) -> bool:
    return session.exec(select(PlaybookItem.id).limit(1)).first() is not None or \
        session.exec(select(TalkTrack.id).limit(1)).first() is not None


def ticks(session: Session, lead_id: int, item_ids: Iterable[int]) -> dict[int, ChecklistTick]:
    """The tick rows of these items for the lead, by item id."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = session.exec(select(ChecklistTick).where(ChecklistTick.lead_id == lead_id,
                                                    col(ChecklistTick.item_id).in_(ids))).all()
    return {row.item_id: row for row in rows}


def qualified_at(session: Session, lead_id: int) -> datetime | None:
    """When the lead was last qualified (its `qualified` step began)."""
    return session.exec(select(AuditEntry.created_at)
                        .where(AuditEntry.lead_id == lead_id, AuditEntry.action == 'status',
                               AuditEntry.reason_key == 'reason.qualified')
                        .order_by(col(AuditEntry.id).desc()).limit(1)).first()


# ----- the checklist report ----------------------------------------------------------------------

def all_items(session: Session) -> list[PlaybookItem]:
    return list(session.exec(select(PlaybookItem).order_by(PlaybookItem.stage_id, PlaybookItem.lead_status,
                                                           PlaybookItem.position, PlaybookItem.id)).all())


def exits(session: Session, s: Scope) -> list[tuple[str | None, int | None, list[int], list[int]]]:
    """(lead status, stage, done item ids, open item ids) of step exits in the range whose lead
    matches the filters (owner: the lead's)."""
    rows = session.exec(select(StepExit.lead_status, StepExit.stage_id, StepExit.done_ids, StepExit.open_ids)
                        .join(Lead, col(Lead.id) == StepExit.lead_id)
                        .where(*_in_range(StepExit.created_at, s), *_lead_filters(s))).all()
    return [(r[0], r[1], list(r[2] or []), list(r[3] or [])) for r in rows]


def closed_deals(session: Session, s: Scope) -> list[tuple[int, int, bool]]:
    """(opportunity, lead, won) of deals closed in the range (the win-rate panel's deals)."""
    rows = session.exec(_closed(session, select(Opportunity.id, Opportunity.lead_id, Stage.kind), s)).all()
    return [(int(r[0]), int(r[1]), r[2] == 'won') for r in rows]


def stages_entered(session: Session, opportunity_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(opportunity, stage) for every stage these deals were ever moved into (their first included)."""
    out: set[tuple[int, int]] = set()
    ids = list(opportunity_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out |= {(int(o), int(st)) for o, st in session.exec(
            select(StageChange.opportunity_id, StageChange.to_stage_id)
            .where(col(StageChange.opportunity_id).in_(chunk)).distinct()).all()}
    return out


def done_ticks(session: Session, lead_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(item, lead) for every item ticked done on these leads."""
    out: set[tuple[int, int]] = set()
    ids = list(lead_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out |= {(int(item), int(lead)) for item, lead in session.exec(
            select(ChecklistTick.item_id, ChecklistTick.lead_id)
            .where(col(ChecklistTick.lead_id).in_(chunk), ChecklistTick.done == True)).all()}  # noqa: E712
    return out
