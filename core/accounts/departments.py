"""The department tree: admins shape all of it, a manager the subtree of their own department
(and of those they head); users are placed in departments; admins set each role's data scope.

One method per user action, one transaction each; `users_changed` is published after the commit
(the team and settings pages redraw, and reaches resolved from now on follow the tree)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session

from core import permissions
from core.accounts.reach import SCOPES_KEY, DataScope, read_scopes, scopes_json, subtree
from core.context import Context
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.leads.normalize import clean_text
from store.models import ROOT_DEPARTMENT_NAME, AppSetting, Department, Role, User, UserRef
from store.queries import departments as rows
from store.queries.departments import DepartmentNode

MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class DepartmentLine:
    """One department as the editor lists it: depth-first, with its depth for indenting."""

    id: int
    name: str
    """The stored name ('' never: the root's default is `is_root_default`, shown translated)."""
    parent_id: int | None
    depth: int
    head_id: int | None
    members: int
    is_root: bool
    is_root_default: bool
    can_manage: bool


def ordered(nodes: list[DepartmentNode]) -> list[tuple[DepartmentNode, int]]:
    children: dict[int | None, list[DepartmentNode]] = {}
    for n in nodes:
        children.setdefault(n.parent_id, []).append(n)
    out: list[tuple[DepartmentNode, int]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for n in children.get(parent, ()):
            if n.id not in seen:
                seen.add(n.id)
                out.append((n, depth))
                walk(n.id, depth + 1)
    walk(None, 0)
    return out


def managed_by(session: Session, actor: UserRef | None, nodes: list[DepartmentNode]) -> set[int] | None:
    """The departments `actor` may shape (None: all): the goals editor's department scope too."""
    return DepartmentService._managed(session, actor, nodes)


class DepartmentService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ----- who may ---------------------------------------------------------------------------------

    @staticmethod
    def _managed(session: Session, actor: UserRef | None, nodes: list[DepartmentNode]) -> set[int] | None:
        """The departments `actor` may shape (None: all of them, an admin or the console — actor
        None); a manager: the subtree of their own department and of those they head; anyone else: none."""
        if actor is None or permissions.can_manage_users(actor):
            return None
        if actor.role != Role.MANAGER:
            return set()
        user = session.get(User, actor.id)
        root = next((n.id for n in nodes if n.parent_id is None), None)
        home = user.department_id if user is not None and user.department_id is not None else root
        tops = ({home} if home is not None else set()) | {n.id for n in nodes if n.head_id == actor.id}
        return subtree(nodes, tops)

    def _check(self, session: Session, actor: UserRef | None, *department_ids: int) -> list[DepartmentNode]:
        nodes = rows.tree(session)
        managed = self._managed(session, actor, nodes)
        if managed is not None and not set(department_ids) <= managed:
            raise NotAllowed()
        return nodes

    # ----- reads -------------------------------------------------------------------------------------

    def tree(self, actor: UserRef | None) -> list[DepartmentLine]:
        """Every department depth-first (anyone signed in may read the names), marking those `actor` may change."""
        with self.ctx.read() as session:
            nodes = rows.tree(session)
            managed = self._managed(session, actor, nodes)
            counts = rows.member_counts(session)
        lines = []
        for n, depth in ordered(nodes):
            members = counts.get(n.id, 0) + (counts.get(None, 0) if n.parent_id is None else 0)
            lines.append(DepartmentLine(id=n.id, name=n.name, parent_id=n.parent_id, depth=depth, head_id=n.head_id,
                                        members=members, is_root=n.parent_id is None,
                                        is_root_default=n.parent_id is None and n.name == ROOT_DEPARTMENT_NAME,
                                        can_manage=managed is None or n.id in managed))
        return lines

    def scopes(self) -> dict[Role, DataScope]:
        with self.ctx.read() as session:
            return read_scopes(session)

    # ----- changes -----------------------------------------------------------------------------------

    def add(self, actor: UserRef | None, name: str, *, parent_id: int | None = None) -> int:
        """A new department under `parent_id` (the root when None); actor None: the console."""
        clean = _name(name)
        with self.ctx.write() as session:
            parent = session.get(Department, parent_id) if parent_id is not None else rows.ensure_root(session)
            if parent is None:
                raise ValidationFailed({'parent': 'not_found'})
            self._check(session, actor, parent.id or 0)
            dept = Department(name=clean, parent_id=parent.id, created_at=self.ctx.now())
            session.add(dept)
            session.flush()
            new_id = dept.id or 0
        self.ctx.events.publish(self.ctx.events.users_changed)
        return new_id

    def rename(self, actor: UserRef, department_id: int, name: str) -> None:
        self.change(actor, department_id, name=name)

    def move(self, actor: UserRef, department_id: int, parent_id: int) -> None:
        """Put a department (and all below it) under another parent; refuses the root and cycles."""
        self.change(actor, department_id, parent_id=parent_id)

    def set_head(self, actor: UserRef, department_id: int, head_id: int | None) -> None:
        self.change(actor, department_id, head_id=head_id, set_head=True)

    def change(self, actor: UserRef, department_id: int, *, name: str | None = None, parent_id: int | None = None,
               head_id: int | None = None, set_head: bool = False) -> None:
        """The editor's save: a new name, parent and head (`set_head`: head_id None clears it) in one
        transaction; a move under the department itself or below it is refused (a cycle)."""
        clean = _name(name) if name is not None else None
        with self.ctx.write() as session:
            dept = self._get(session, department_id)
            nodes = self._check(session, actor, department_id)
            if parent_id is not None and parent_id != dept.parent_id:
                self._get(session, parent_id)
                self._check(session, actor, parent_id)
                if dept.parent_id is None:
                    raise ValidationFailed({'parent': 'root'})
                if parent_id in subtree(nodes, [department_id]):
                    raise ValidationFailed({'parent': 'cycle'})
                dept.parent_id = parent_id
            if set_head:
                if head_id is not None and session.get(User, head_id) is None:
                    raise ValidationFailed({'head': 'not_found'})
                dept.head_id = head_id
            if clean is not None:
                dept.name = clean
            session.add(dept)
        self.ctx.events.publish(self.ctx.events.users_changed)

    def remove(self, actor: UserRef, department_id: int) -> None:
        """Remove an empty department (no members, no departments below it); never the root."""
        with self.ctx.write() as session:
            dept = self._get(session, department_id)
            nodes = self._check(session, actor, department_id)
            if dept.parent_id is None:
                raise ValidationFailed({'department': 'root'})
            if any(n.parent_id == department_id for n in nodes) or rows.user_ids_in(
                    session, [department_id], with_unplaced=False):
                raise ValidationFailed({'department': 'not_empty'})
            session.delete(dept)
        self.ctx.events.publish(self.ctx.events.users_changed)

    def place_user(self, actor: UserRef | None, user_id: int, department_id: int) -> None:
        """Put a user in a department: admins anywhere; a manager moves a user of their subtree within it."""
        with self.ctx.write() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound()
            self._get(session, department_id)
            nodes = self._check(session, actor, department_id)
            current = user.department_id if user.department_id is not None else next(
                (n.id for n in nodes if n.parent_id is None), 0)
            self._check(session, actor, current)
            user.department_id = department_id
            session.add(user)
        self.ctx.events.publish(self.ctx.events.users_changed)

    def set_scopes(self, actor: UserRef, scopes: Mapping[str, str]) -> dict[Role, DataScope]:
        """Each role's data scope (admins only); a value that is not a scope is refused whole."""
        if not permissions.can_manage_users(actor):
            raise NotAllowed()
        errors = {str(r): 'invalid' for r, s in scopes.items()
                  if r not in Role.__members__.values() or s not in DataScope.__members__.values()}
        if errors:
            raise ValidationFailed(errors)
        with self.ctx.write() as session:
            merged = read_scopes(session) | {Role(r): DataScope(s) for r, s in scopes.items()}
            session.merge(AppSetting(key=SCOPES_KEY, value=scopes_json(merged)))
        self.ctx.events.publish(self.ctx.events.users_changed)
        return merged

    @staticmethod
    def _get(session: Session, department_id: int) -> Department:
        dept = session.get(Department, department_id)
        if dept is None:
            raise NotFound()
        return dept


def _name(name: str) -> str:
    clean = clean_text(name, max_length=MAX_NAME + 1)
    if not clean:
        raise ValidationFailed({'name': 'required'})
    if len(clean) > MAX_NAME:
        raise ValidationFailed({'name': 'too_long'})
    return clean
