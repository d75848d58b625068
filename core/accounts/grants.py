""""Why can I see this?": which grant lets a user see one lead, opportunity or customer.

Why a typed explanation: the record pages show it in the reader's language, and a reader checking a
surprising scope (or an admin viewing as someone) needs the rule that applied, not a yes/no. The
order is the single-record rule's (`Reach.sees`): the own record first, then the data scope (the
company, the reader's department, a department below it), then a share (collaboration). The
collaborators' work adds its access level to `Grant.edit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from core import permissions
from core.context import Context
from core.errors import NotAllowed, NotFound, check_id
from store.models import ROOT_DEPARTMENT_NAME, Account, Lead, Opportunity, RecordKind, UserRef
from store.queries import departments as tree_rows


class GrantKind(StrEnum):
    OWN = 'own'
    """The reader owns the record."""
    EVERYTHING = 'everything'
    """The reader's role sees the whole company's records."""
    DEPARTMENT = 'department'
    """The record's owner is in the reader's own department."""
    DEPARTMENT_BELOW = 'department_below'
    """The record's owner is in a department below the reader's (or one they head)."""
    SHARED = 'shared'
    """The record is shared with the reader (a collaborator)."""


@dataclass(frozen=True, slots=True)
class Grant:
    kind: GrantKind
    role: str
    """The reader's role (EVERYTHING names it)."""
    department: str | None = None
    """The owner's department (DEPARTMENT, DEPARTMENT_BELOW); '' for the root still under its default name."""
    edit: bool = False
    """SHARED: the share lets the reader edit (else read-only)."""


_MODELS: dict[RecordKind, type[Lead] | type[Opportunity] | type[Account]] = {
    RecordKind.LEAD: Lead, RecordKind.OPPORTUNITY: Opportunity, RecordKind.CUSTOMER: Account}


def explain(session: Session, actor: UserRef, kind: RecordKind, record_id: int, owner_id: int | None) -> Grant | None:
    """The grant under which `actor` sees the record, or None when they may not."""
    reach = permissions.reach(actor)
    if owner_id is not None and owner_id == actor.id:
        return Grant(GrantKind.OWN, actor.role)
    if reach.everyone:
        return Grant(GrantKind.EVERYTHING, actor.role)
    if reach.covers(owner_id):
        nodes = tree_rows.tree(session)
        root = next((n.id for n in nodes if n.parent_id is None), None)
        placed = tree_rows.departments_of(session, [actor.id, owner_id or 0])
        mine, theirs = placed.get(actor.id) or root, placed.get(owner_id or 0) or root
        node = next((n for n in nodes if n.id == theirs), None)
        name = '' if node is None or (node.parent_id is None and node.name == ROOT_DEPARTMENT_NAME) else node.name
        return Grant(GrantKind.DEPARTMENT if theirs == mine else GrantKind.DEPARTMENT_BELOW, actor.role, name)
    if reach.shares(kind, record_id):
        return Grant(GrantKind.SHARED, actor.role)
    return None


class GrantService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def why(self, actor: UserRef, kind: RecordKind, record_id: int) -> Grant:
        """The "why can I see this?" line of a record page (NotAllowed when the reader may not see it)."""
        with self.ctx.read() as session:
            record = session.get(_MODELS[kind], check_id(record_id))
            if record is None or record.is_deleted:
                raise NotFound()
            grant = explain(session, actor, kind, record_id, record.owner_id)
            if grant is None:
                raise NotAllowed()
            return grant

