"""The selects of playbooks: a step's checklist and talk tracks, a lead's ticks, when a step
began, and the rows the checklist report counts (step exits, closed deals, stages entered)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from .audit_actions import AuditAction
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
from .report_figures import WON
from .reporting import Scope, _closed, _deleted_leads, _dialect, _in_range, _lead_filter_set, _lead_filters


def _step(model: Any, lead_status: str | None, stage_id: int | None) -> list[sa.ColumnElement[bool]]:
    if stage_id is not None:
        return [model.stage_id == stage_id]
    return [model.lead_status == lead_status, col(model.stage_id).is_(None)]


def step_items(session: Session, lead_status: str | None, stage_id: int | None, *,
               include_archived: bool = False) -> list[PlaybookItem]:
    query = select(PlaybookItem).where(*_step(PlaybookItem, lead_status, stage_id))
    if not include_archived:
        query = query.where(PlaybookItem.is_archived == False)  # noqa: E712
    return list(session.exec(query.order_by(col(PlaybookItem.position), col(PlaybookItem.id))).all())


def step_tracks(session: Session, lead_status: str | None, stage_id: int | None, *,
                include_archived: bool = False) -> list[TalkTrack]:
    query = select(TalkTrack).where(*_step(TalkTrack, lead_status, stage_id))
    if not include_archived:
        query = query.where(TalkTrack.is_archived == False)  # noqa: E712
    return list(session.exec(query.order_by(col(TalkTrack.position), col(TalkTrack.id))).all())


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
                        .where(AuditEntry.lead_id == lead_id, AuditEntry.action == AuditAction.STATUS,
                               AuditEntry.reason_key == 'reason.qualified')
                        .order_by(col(AuditEntry.id).desc()).limit(1)).first()


# ----- the checklist report ----------------------------------------------------------------------

def all_items(session: Session) -> list[PlaybookItem]:
    return list(session.exec(select(PlaybookItem).order_by(col(PlaybookItem.stage_id), col(PlaybookItem.lead_status),
                                                           col(PlaybookItem.position), col(PlaybookItem.id))).all())


def exit_counts(session: Session, s: Scope) -> list[tuple[list[int], list[int], int]]:
    """(done item ids, open item ids, how many exits) of step exits in the range whose lead matches
    the filters (owner: the lead's), counted per distinct pair of id lists: a step has a few items,
    so a year's million exits come down to a few dozen pairs (reading and parsing each exit's JSON
    in Python took ~45 s at 1M leads). PostgreSQL groups them; SQLite would sort the million rows
    for a GROUP BY, so it hands the pairs back as one `group_concat` string (built without
    Python's lock) that a Counter tallies. The lead filters are a set of lead ids the exits are
    checked against (joining the leads table probed it once per exit: ~5 s for a rep's year);
    without one only the few deleted leads are left out."""
    done, left = sa.cast(StepExit.done_ids, sa.Text), sa.cast(StepExit.open_ids, sa.Text)
    where = [*_in_range(StepExit.created_at, s)]
    if _lead_filter_set(s) or s.owner_id is not None or s.reach is not None:
        where.append(col(StepExit.lead_id).in_(select(Lead.id).where(*_lead_filters(s))))
    else:
        where.append(col(StepExit.lead_id).not_in(_deleted_leads(session)))
    if _dialect(session) == 'sqlite':
        pairs = select(done.label('done'), left.label('open')).where(*where).subquery()
        text = session.exec(select(func.group_concat(pairs.c.done + ';' + pairs.c.open, '|'))).one()
        counted = Counter(text.split('|') if text else [])
        return [(_ids(key.split(';')[0]), _ids(key.split(';')[1]), n) for key, n in counted.items()]
    rows = session.exec(select(done, left, func.count()).where(*where).group_by(done, left)).all()
    return [(_ids(d), _ids(o), int(n)) for d, o, n in rows]


def _ids(text: str | None) -> list[int]:
    return [int(i) for i in json.loads(text or '[]')]


def _closed_deals(session: Session, s: Scope) -> Any:
    """(opportunity, lead, won 1/0) of deals closed in the range (the win-rate panel's deals)."""
    won = sa.case((col(Stage.kind) == WON, 1), else_=0).label('won')
    return _closed(session, select(col(Opportunity.id).label('id'), col(Opportunity.lead_id).label('lead_id'), won),
                   s).subquery()


def closed_totals(session: Session, s: Scope) -> tuple[int, int]:
    """(deals closed in the range, of them won)."""
    deals = _closed_deals(session, s)
    n, won = session.exec(select(func.count(), func.sum(deals.c.won))).one()
    return int(n), int(won or 0)


def closed_by_stage_entered(session: Session, s: Scope) -> dict[int, tuple[int, int]]:
    """Stage → (deals closed in the range that were ever moved into it, of them won)."""
    deals = _closed_deals(session, s)
    entered = (select(StageChange.opportunity_id, StageChange.to_stage_id, deals.c.won)
               .join(deals, deals.c.id == StageChange.opportunity_id).distinct().subquery())
    rows = session.exec(select(entered.c.to_stage_id, func.count(), func.sum(entered.c.won))
                        .group_by(entered.c.to_stage_id)).all()
    return {int(st): (int(n), int(w or 0)) for st, n, w in rows}


def closed_with_done(session: Session, s: Scope) -> dict[int, tuple[int, int]]:
    """Item → (deals closed in the range that went through its step with the item ticked done on
    their lead, of them won). A stage item's deals are those ever moved into its stage."""
    deals = _closed_deals(session, s)
    entered = sa.exists(select(StageChange.id).where(StageChange.opportunity_id == deals.c.id,
                                                     StageChange.to_stage_id == PlaybookItem.stage_id))
    rows = session.exec(select(ChecklistTick.item_id, func.count(), func.sum(deals.c.won))
                        .select_from(deals)
                        .join(ChecklistTick, sa.and_(ChecklistTick.lead_id == deals.c.lead_id,
                                                     col(ChecklistTick.done) == True))  # noqa: E712
                        .join(PlaybookItem, col(PlaybookItem.id) == ChecklistTick.item_id)
                        .where(sa.or_(col(PlaybookItem.stage_id).is_(None), entered))
                        .group_by(col(ChecklistTick.item_id))).all()
    return {int(item): (int(n), int(w or 0)) for item, n, w in rows}
