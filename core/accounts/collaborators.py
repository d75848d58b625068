"""Collaborators (协作人): colleagues the owner or a manager adds to a lead, a deal or a customer.

Why a separate grant and not a wider scope: a rep limited to own records must still see the record a
colleague asked for help on (CordysCRM #2785), without seeing the colleague's whole book. A
collaborator with READ access sees the record, gets its notifications and logs activities and notes
on it; EDIT access also edits its fields (docs/DESIGN.md, collaborators). Ownership, and with it the
credit in reports, workload and SLA, stays with the owner. Who is shared what is resolved into the
user's `Reach` (core/accounts/reach.py) once per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from core import permissions
from core.accounts.reach import with_reach
from core.context import Context, audit, retry_conflicts
from core.errors import NotAllowed, NotFound, ValidationFailed, check_id
from core.notify import notify
from store.audit_actions import AuditAction
from store.models import Access, Account, Collaborator, Lead, Opportunity, RecordKind, User, UserRef
from store.queries import collaborators as rows
from store.queries.collaborators import CollaboratorRow

LINKS = {RecordKind.LEAD: '/leads/{}', RecordKind.OPPORTUNITY: '/opportunities/{}',
         RecordKind.CUSTOMER: '/customers/{}'}


@dataclass(frozen=True, slots=True)
class RecordInfo:
    """What collaboration needs of a record: its owner, its name and the lead its audit lines attach to."""

    kind: RecordKind
    id: int
    owner_id: int | None
    name: str
    lead_id: int | None


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class CollaboratorPanel:
    """The record page's panel: its collaborators, who may still be added, and the viewer's own access."""

    collaborators: list[CollaboratorRow]
    candidates: list[Candidate]
    can_manage: bool
    shared_with_you: Access | None
    """The viewer's access when the record is shared with them (the "shared with you" badge)."""


def record_info(session: Session, kind: RecordKind, record_id: int, *, lock: bool = False) -> RecordInfo:
    """The record, if it exists and is live; NotFound otherwise (a customer must be a customer)."""
    if kind == RecordKind.LEAD:
        lead = session.get(Lead, check_id(record_id), with_for_update=lock or None, populate_existing=lock)
        if lead is None or lead.is_deleted:
            raise NotFound()
        return RecordInfo(kind, record_id, lead.owner_id, lead.name, lead.id)
    if kind == RecordKind.OPPORTUNITY:
        o = session.get(Opportunity, check_id(record_id), with_for_update=lock or None, populate_existing=lock)
        if o is None or o.is_deleted:
            raise NotFound()
        return RecordInfo(kind, record_id, o.owner_id, o.name, o.lead_id)
    account = session.get(Account, check_id(record_id), with_for_update=lock or None, populate_existing=lock)
    if account is None or account.is_deleted or not account.is_customer:
        raise NotFound()
    return RecordInfo(kind, record_id, account.owner_id, account.name, None)


def _visible(session: Session, actor: UserRef, kind: RecordKind, record_id: int, *, lock: bool = False) -> RecordInfo:
    info = record_info(session, kind, record_id, lock=lock)
    if not permissions.reach(actor).sees(kind, record_id, info.owner_id) and info.owner_id != actor.id:
        raise NotAllowed()
    return info


def _access(value: str) -> Access:
    if value not in Access.__members__.values():
        raise ValidationFailed({'access': 'invalid'})
    return Access(value)


class CollaboratorService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def panel(self, actor: UserRef, kind: RecordKind, record_id: int) -> CollaboratorPanel:
        with self.ctx.read() as session:
            info = _visible(session, actor, kind, record_id)
            found = rows.on_record(session, kind, record_id)
            can_manage = permissions.can_manage_collaborators(actor, info.owner_id)
            taken = {c.user_id for c in found} | {info.owner_id}
            candidates = [Candidate(u.id or 0, u.name) for u in rows.active_users(session)
                          if u.id not in taken] if can_manage else []
            mine = next((c.access for c in found if c.user_id == actor.id), None)
            if mine is None and permissions.reach(actor).shares(kind, record_id) and info.owner_id != actor.id:
                mine = Access.EDIT if permissions.reach(actor).edits_shared(kind, record_id) else Access.READ
            return CollaboratorPanel(collaborators=found, candidates=candidates, can_manage=can_manage,
                                     shared_with_you=mine if info.owner_id != actor.id else None)

    @retry_conflicts
    def add(self, actor: UserRef, kind: RecordKind, record_id: int, *, user_id: int, access: str) -> None:
        """Add `user_id` to the record (or change their access); audited, and the user is told."""
        level = _access(access)
        now = self.ctx.now()
        with self.ctx.write() as session:
            info = _visible(session, actor, kind, record_id, lock=True)
            if not permissions.can_manage_collaborators(actor, info.owner_id):
                raise NotAllowed()
            user = session.get(User, check_id(user_id))
            if user is None or not user.is_active:
                raise ValidationFailed({'user': 'invalid'})
            if user.id == info.owner_id:
                raise ValidationFailed({'user': 'owner'})
            row = rows.find(session, kind, record_id, user_id)
            if row is not None and row.access == level:
                return
            if row is None:
                row = Collaborator(kind=kind, record_id=record_id, user_id=user_id, added_by=actor.id, added_at=now)
            row.access = level
            session.add(row)
            audit(session, AuditAction.COLLABORATOR_ADDED, now=now, lead_id=info.lead_id, actor_id=actor.id,
                  subject_user_id=user_id, reason_key=f'reason.collaborator_added_{level}', user=user.name,
                  kind=str(kind), record=info.name)
            told = notify(session, [user_id], 'notify.shared_with_you', now=now,
                          lead_id=info.id if kind == RecordKind.LEAD else None, record=info.name,
                          by=actor.name, link=LINKS[kind].format(record_id))
        self._announce(info, user_id, told)

    @retry_conflicts
    def remove(self, actor: UserRef, kind: RecordKind, record_id: int, *, user_id: int) -> None:
        """Take `user_id` off the record; audited. Removing someone not on it changes nothing."""
        now = self.ctx.now()
        with self.ctx.write() as session:
            info = _visible(session, actor, kind, record_id, lock=True)
            if not permissions.can_manage_collaborators(actor, info.owner_id):
                raise NotAllowed()
            row = rows.find(session, kind, record_id, user_id)
            if row is None:
                return
            user = session.get(User, user_id)
            session.delete(row)
            audit(session, AuditAction.COLLABORATOR_REMOVED, now=now, lead_id=info.lead_id, actor_id=actor.id,
                  subject_user_id=user_id, reason_key='reason.collaborator_removed',
                  user=user.name if user else '', kind=str(kind), record=info.name)
        self._announce(info, user_id, [])

    def reach_now(self, actor: UserRef) -> UserRef:
        """`actor` with their reach read again: an open page's user after `shares_changed` told it
        that what is shared with them changed (the rest of the ref, a view-as included, kept)."""
        with self.ctx.read() as session:
            user = session.get(User, actor.id)
            if user is None:
                return actor
            fresh = with_reach(session, user).reach
        return actor.model_copy(update={'reach': fresh})

    def _announce(self, info: RecordInfo, user_id: int, told: list[int]) -> None:
        events = self.ctx.events
        events.publish(events.shares_changed, user_id)  # the collaborator's open lists gain or lose the record
        if info.kind == RecordKind.LEAD:  # the record's open pages show the panel's change
            events.publish(events.lead_changed, info.id, user_id)
        for u in told:
            events.publish(events.notified, u)
