"""Lead use cases: one method per user action, one transaction each, events after commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import permissions
from core.assignment.writes import assign_to
from core.automation.policy import load_policy
from core.automation.recycle_service import LeadRecycleRule, rule_for_lead
from core.capture import intake as capture_path
from core.capture.clean import TAGS, validate
from core.capture.external_ids import ExternalScope
from core.context import Context, audit, retry_conflicts
from core.custom_fields.filters import custom_tests
from core.custom_fields.sorting import INBOX, check_order
from core.custom_fields.values import NO_FIELDS
from core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from core.events import DeskEvents
from core.leads import editing
from core.leads.access import check_activity, visible_lead
from core.leads.editing import Editing
from core.leads.normalize import clean_text
from core.leads.qualifying import Qualifying
from core.notify import notify
from core.playbooks import checklist
from core.tags.catalog import NO_TAGS
from core.tags.records import check_filter, current_tags
from store import queries
from store.audit_actions import AuditAction
from store.locks import lock_users
from store.models import (
    CONTACT_KINDS,
    OPEN_STATUSES,
    Activity,
    AuditEntry,
    Lead,
    LeadRow,
    LeadStatus,
    RecordKind,
    Role,
    User,
    UserRef,
)

EDITABLE_FIELDS = editing.EDITABLE_FIELDS
PAGE_SIZE_MAX = 200
AGENDAS = ('due_today', 'overdue', 'my_day')


def traffic_light(next_follow_up_at: datetime | None, now: datetime) -> str:
    """green: next step planned; red: it is overdue; grey: nothing planned."""
    if next_follow_up_at is None:
        return 'grey'
    return 'red' if next_follow_up_at < now else 'green'


INBOX_COUNT_CAP = queries.COUNT_CAP
"""An inbox total above this reads "10,000+" (the count stops there)."""


def inbox_count_cap(search: str | None) -> int:
    """Where the inbox's total stops for this search text ("10,000+"; a searched inbox "2,000+",
    store/queries/leads.py SEARCH_COUNT_CAP: each lead counted is a document read too)."""
    return queries.count_cap(search)
LIVE_UNOWNED = (LeadStatus.NEW, LeadStatus.REVIEW)
"""Leads without an owner that still need someone: part of a manager's default inbox. Pool leads
are not (reps claim them on /pool): they come in with `include_pool`, "unassigned only" or the
pool status filter."""


@dataclass(frozen=True, slots=True)
class LeadView:
    lead: Lead
    owner_name: str | None
    can_edit: bool
    can_assign: bool
    activities: list[tuple[Activity, str | None]]
    audit: list[tuple[AuditEntry, str | None]]
    recycle_rule: LeadRecycleRule | None = None
    """The recycle rule that keeps the lead out of the pool or gives it more days, if one applies."""
    can_log: bool = False
    """May log activities: whoever may edit, and a collaborator with READ access."""


def announce_captures(events: DeskEvents, results: Iterable[capture_path.CaptureResult],
                      notified: Iterable[int]) -> None:
    """After the commit: each lead captured or touched, then each user told (once). Shared by a single
    capture and an API group commit (core/capture/group_commit.py), so live pages see the same either way."""
    for result in results:
        if result.created:
            events.publish(events.lead_captured, result.lead_id, result.owner_id)
        else:
            events.publish(events.lead_touched, result.lead_id, result.owner_id)
    for user_id in notified:
        events.publish(events.notified, user_id)


class LeadService(Editing, Qualifying):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ----- capture --------------------------------------------------------------------------------

    @retry_conflicts
    def capture_lead(self, data: Mapping[str, Any], *, channel: str, default_source: str,
                     actor: UserRef | None = None, keep_for_actor: bool = False,
                     now: datetime | None = None,
                     external_scope: str = ExternalScope.IMPORT,
                     require_custom: bool = False) -> capture_path.CaptureResult:
        """Capture one lead through the single capture path and tell everyone who should know.

        `keep_for_actor`: a rep entering a lead by hand keeps it instead of running the rules.
        `external_scope`: whose id an `external_id` is (`capture.api_scope` for an API key's).
        `data['custom']`: custom field values; `require_custom`: the channel can send them (the API),
        so a required one must be there."""
        if actor is not None and not permissions.can_capture(actor):
            raise NotAllowed()
        fields = self.custom_fields() if 'custom' in data or require_custom else NO_FIELDS
        clean = validate(data, default_source=default_source, region=self.ctx.settings.default_region,
                         external_scope=external_scope, custom_fields=fields, require_custom=require_custom,
                         tags=current_tags(self.ctx) if data.get(TAGS) is not None else NO_TAGS)
        now = now or self.ctx.now()
        with self.ctx.write() as session:
            owner = None
            if keep_for_actor and actor is not None and actor.role == Role.REP:
                owner = session.get(User, actor.id)
            done = capture_path.capture(session, clean, config=self.ctx.capture_config.load(session), now=now,
                                        day_start=self.ctx.day_start(now), actor_id=actor.id if actor else None,
                                        channel=channel, owner=owner)
        announce_captures(self.ctx.events, [done.result], done.notified)
        return done.result

    # ----- reads ----------------------------------------------------------------------------------

    def inbox(self, actor: UserRef, *, page: int = 1, page_size: int = 25,
              **filters: Any) -> tuple[list[LeadRow], int]:
        """A page of `inbox_filter`'s leads."""
        f = self.inbox_filter(actor, **filters)
        size = max(1, min(PAGE_SIZE_MAX, page_size))
        with self.ctx.read() as session:
            return queries.inbox_page(session, f, offset=(max(1, page) - 1) * size, limit=size)

    def inbox_filter(self, actor: UserRef, *, status: str | None = None, grade: str | None = None,
                     source: str | None = None, search: str | None = None, unassigned: bool = False,
                     include_pool: bool = False, agenda: str | None = None,
                     custom: Mapping[str, Any] | None = None,
                     tags: Sequence[int] = (), sort: str | None = None, sort_key: str = '',
                     sort_desc: bool = False) -> queries.InboxFilter:
        """A rep sees own leads; managers, marketing and admins see all open leads, pool leads only
        with `include_pool` or `unassigned` (the unassigned ones are the pool's). `agenda`: due_today,
        overdue or my_day (follow-ups and first-response deadlines, soonest first). `custom`: {key:
        option key or true/false} (checked by core/custom_fields/filters.py: selects and yes/no).
        `tags`: tag ids, a lead holding any of them passes (core/tags/records.py `check_filter`).
        `sort` (an `InboxSort` value), `sort_key` (a custom sort's field) and `sort_desc`: the order
        (core/custom_fields/sorting.py `INBOX` checks it; ValidationFailed `sort` when it cannot be)."""
        now = self.ctx.now()
        day_end = self.ctx.day_start(now) + timedelta(days=1)
        reach = permissions.reach(actor)
        sees_all = reach.everyone
        unowned = LIVE_UNOWNED + ((LeadStatus.POOL,) if include_pool or unassigned else ())
        statuses = (status,) if status else OPEN_STATUSES + (unowned if sees_all else ())
        # a reach of one (own leads, none shared) takes the owner index's path; a department's owners
        # and shared leads the one reading of a reach (`visible`)
        own_only = not sees_all and reach.owner_ids <= {actor.id} and not reach.shared.get(RecordKind.LEAD)
        return queries.InboxFilter(owner_id=actor.id if own_only else None,
                                   reach=None if sees_all or own_only else permissions.list_reach(actor),
                                   unassigned=unassigned and sees_all,
                                   statuses=statuses, grade=grade or None, source=source or None,
                                   search=(search or '').strip()[:100] or None,
                                   agenda=agenda if agenda in AGENDAS else None, now=now, day_end=day_end,
                                   custom=custom_tests(self.custom_fields(), custom) if custom else (),
                                   tags=check_filter(current_tags(self.ctx), tags) if tags else (),
                                   order=check_order(INBOX, self.custom_fields() if sort == queries.InboxSort.CUSTOM
                                                     else NO_FIELDS, sort, key=sort_key, descending=sort_desc))

    def lead_view(self, actor: UserRef, lead_id: int) -> LeadView:
        with self.ctx.read() as session:
            lead = visible_lead(session, actor, lead_id)
            owner = session.get(User, lead.owner_id) if lead.owner_id else None
            return LeadView(lead=lead, owner_name=owner.name if owner else None,
                            can_edit=permissions.can_edit_lead(actor, lead),
                            can_assign=permissions.can_assign(actor) and lead.status not in
                            (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED),
                            activities=list(queries.lead_activities(session, lead_id)),
                            audit=list(queries.lead_audit(session, lead_id)),
                            recycle_rule=rule_for_lead(session, lead),
                            can_log=permissions.can_log_activity(actor, lead))

    def owner_of(self, lead_id: int) -> int | None:
        """For live updates: which inbox a lead belongs to."""
        with self.ctx.read() as session:
            lead = session.get(Lead, lead_id)
            return lead.owner_id if lead else None

    # ----- actions --------------------------------------------------------------------------------

    @retry_conflicts
    def log_activity(self, actor: UserRef, lead_id: int, *, kind: str, outcome: str | None = None,
                     note: str | None = None, next_follow_up_at: datetime | None = None,
                     ticks: Sequence[int] = ()) -> int:
        """Record a follow-up; the owner's first contact moves the lead to `contacted`. `ticks`: items
        of the lead's current playbook step done with this activity (ticked in the same transaction,
        before a first contact leaves the `assigned` step, so they count as done there)."""
        now = self.ctx.now()
        check_activity(kind, next_follow_up_at, now)
        outcome, note = clean_text(outcome, max_length=200), clean_text(note, max_length=5000)
        with self.ctx.write() as session:
            lead = session.get(Lead, lead_id, with_for_update=True, populate_existing=True)
            if lead is None or lead.is_deleted:
                raise NotFound()
            if not permissions.can_log_activity(actor, lead) or (ticks and not permissions.can_edit_lead(actor, lead)):
                raise NotAllowed()  # (a READ collaborator logs, but ticks no checklist)
            activity = Activity(lead_id=lead_id, user_id=actor.id, kind=kind, outcome=outcome, note=note,
                                next_follow_up_at=next_follow_up_at, created_at=now)
            session.add(activity)
            if ticks:
                session.flush()
                checklist.apply_ticks(session, step=checklist.lead_step(lead), lead=lead, opportunity_id=None,
                                      item_ids=ticks, done=True, actor_id=actor.id, now=now,
                                      activity_id=activity.id)
            lead.last_activity_at = now
            if next_follow_up_at is not None:
                lead.next_follow_up_at = lead.follow_up_due_at = next_follow_up_at
            by_owner = lead.owner_id == actor.id
            if by_owner:  # the owner working the lead keeps it protected a little longer
                lead.protected_until = load_policy(session).extended(lead.protected_until, lead.protection_max_at,
                                                                     now)
            is_contact = kind in CONTACT_KINDS and by_owner
            if is_contact and lead.first_contact_at is None:
                lead.first_contact_at = now
            if is_contact and lead.sla_status in ('due', 'failed'):
                if lead.sla_status == 'due':
                    lead.sla_status = 'fulfilled'
                lead.sla_grace_at = None  # contacted: no reassignment for a missed first response
            if is_contact and lead.status == LeadStatus.ASSIGNED:
                # the contact happened: a fact, never refused; open items are recorded as skipped
                checklist.leave_step(session, checklist.lead_step(lead), lead=lead, opportunity=None,
                                     actor_id=actor.id, now=now, enforce=False)
                lead.status = LeadStatus.CONTACTED
                audit(session, AuditAction.STATUS, now=now, lead_id=lead_id, actor_id=actor.id,
                      reason_key='reason.first_contact', status=LeadStatus.CONTACTED)
            lead.version += 1
            lead.updated_at = now
            session.add(lead)
            audit(session, AuditAction.ACTIVITY, now=now, lead_id=lead_id, actor_id=actor.id,
                  reason_key='reason.activity', kind=kind)
            session.flush()
            activity_id, owner_id = activity.id or 0, lead.owner_id
        self.ctx.events.publish(self.ctx.events.lead_changed, lead_id, owner_id)
        return activity_id

    @retry_conflicts
    def assign_lead(self, actor: UserRef, lead_id: int, *, rep_id: int) -> None:
        """A manager hands the lead to a rep; the reason names the manager."""
        if not permissions.can_assign(actor):
            raise NotAllowed()
        now = self.ctx.now()
        with self.ctx.write() as session:
            lead = session.get(Lead, lead_id, with_for_update=True, populate_existing=True)
            if lead is None or lead.is_deleted:
                raise NotFound()
            lock_users(session, (lead.owner_id, rep_id))  # after the lead: the one lock order (store/locks.py)
            rep = session.get(User, rep_id)
            if rep is None or not rep.is_active or rep.role != Role.REP:
                raise ValidationFailed({'rep': 'invalid'})
            if lead.status in (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED):
                raise InvalidState()
            previous = lead.owner_id
            if previous == rep_id:
                return
            assign_to(session, lead, rep, now=now, actor_id=actor.id,
                      reason_key='reason.assigned.manual',
                      params={'manager': actor.name, 'rep': rep.name}, policy=load_policy(session))
            lead.version += 1
            session.add(lead)
            told = notify(session, [rep_id], 'notify.assigned_to_you', now=now, lead_id=lead_id, lead=lead.name)
        events = self.ctx.events
        events.publish(events.lead_assigned, lead_id, rep_id, previous)
        for user_id in told:
            events.publish(events.notified, user_id)
