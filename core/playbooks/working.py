"""Working a playbook: a lead's or deal's current step with its checklist and talk tracks, and ticking
an item (audited, the step's exits kept by core/playbooks/checklist.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from core import permissions
from core.automation.policy import load_policy
from core.context import Context
from core.errors import NotAllowed, NotFound, ValidationFailed, check_id
from core.leads.access import visible_lead
from core.playbooks import checklist
from core.playbooks.checklist import ItemState, Step
from store import playbooks as store
from store.models import (
    Lead,
    Opportunity,
    PlaybookItem,
    Stage,
    TalkTrack,
    UserRef,
)


@dataclass(frozen=True, slots=True)
class StepInfo:
    """A step managers can write a playbook for, named in both languages (lead statuses are
    labelled by the UI: `name_en`/`name_zh` are empty for them)."""

    key: str
    lead_status: str | None
    stage_id: int | None
    name_en: str = ''
    name_zh: str = ''


@dataclass(frozen=True, slots=True)
class PlaybookView:
    """The current step's playbook as a lead or opportunity page shows it."""

    step: StepInfo | None
    items: list[ItemState]
    tracks: list[TalkTrack]
    can_tick: bool

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.done)

    @property
    def open_items(self) -> list[PlaybookItem]:
        return [i.item for i in self.items if not i.done]


def _can_work(actor: UserRef, o: Opportunity) -> bool:
    return permissions.can_edit_opportunity(actor, o)


def _visible_opportunity(session: Session, actor: UserRef, opportunity_id: int) -> tuple[Opportunity, Lead]:
    o = session.get(Opportunity, check_id(opportunity_id))
    if o is None or o.is_deleted:
        raise NotFound()
    if not permissions.can_view_opportunity(actor, o):
        raise NotAllowed()
    lead = session.get(Lead, o.lead_id)
    if lead is None:
        raise NotFound()
    return o, lead


class PlaybookWork:
    """Part of PlaybookService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    def for_lead(self, actor: UserRef, lead_id: int) -> PlaybookView:
        """The lead's current step: its checklist (done, due, overdue) and the talk tracks for its grade."""
        with self.ctx.read() as session:
            lead = visible_lead(session, actor, lead_id)
            return self._view(session, checklist.lead_step(lead), lead, None,
                              can_tick=permissions.can_edit_lead(actor, lead))

    def for_opportunity(self, actor: UserRef, opportunity_id: int) -> PlaybookView:
        with self.ctx.read() as session:
            o, lead = _visible_opportunity(session, actor, opportunity_id)
            return self._view(session, checklist.stage_step(session.get(Stage, o.stage_id)), lead, o,
                              can_tick=_can_work(actor, o))

    def _view(self, session: Session, step: Step | None, lead: Lead, o: Opportunity | None, *,
              can_tick: bool) -> PlaybookView:
        if step is None:
            return PlaybookView(step=None, items=[], tracks=[], can_tick=False)
        info = StepInfo(key=step.key, lead_status=step.lead_status, stage_id=step.stage_id)
        if step.stage_id is not None:
            stage = session.get(Stage, step.stage_id)
            info = StepInfo(key=step.key, lead_status=None, stage_id=step.stage_id,
                            name_en=stage.name_en if stage else '', name_zh=stage.name_zh if stage else '')
        items = checklist.item_states(session, step, lead, o, now=self.ctx.now(),
                                      calendar=load_policy(session).calendar)
        tracks = [t for t in store.step_tracks(session, step.lead_status, step.stage_id)
                  if t.grade in ('', lead.grade)]
        return PlaybookView(step=info, items=items, tracks=tracks, can_tick=can_tick)

    def tick(self, actor: UserRef, item_id: int, *, done: bool, lead_id: int | None = None,
             opportunity_id: int | None = None) -> None:
        """Tick (or untick) one item of the lead's or the deal's current step; audited."""
        now = self.ctx.now()
        with self.ctx.write() as session:
            if opportunity_id is not None:
                o = session.get(Opportunity, check_id(opportunity_id), with_for_update=True, populate_existing=True)
                if o is None or o.is_deleted:
                    raise NotFound()
                if not _can_work(actor, o):
                    raise NotAllowed()
                lead = session.get(Lead, o.lead_id)
                if lead is None:
                    raise NotFound()
                step = checklist.stage_step(session.get(Stage, o.stage_id))
            elif lead_id is not None:
                lead = visible_lead(session, actor, lead_id, lock=True)
                if not permissions.can_edit_lead(actor, lead):
                    raise NotAllowed()
                step, o = checklist.lead_step(lead), None
            else:
                raise ValidationFailed({'playbook_item': 'invalid'})
            changed = checklist.apply_ticks(session, step=step, lead=lead, opportunity_id=opportunity_id,
                                            item_ids=[item_id], done=done, actor_id=actor.id, now=now)
            owner_id = lead.owner_id
        if not changed:
            return
        events = self.ctx.events
        if opportunity_id is not None:
            events.publish(events.opportunity_moved, opportunity_id, actor.id)
        else:
            events.publish(events.lead_changed, lead_id, owner_id)
