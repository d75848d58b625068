"""Data scopes: whose records a user may see, per role, resolved once per request into a `Reach`.

Why here and once: every read rule (core/permissions.py, the inbox, search, the team page,
reports) asks the same question — "may this user see records owned by X?" — and answering it from
the department tree costs queries. Sessions resolve it when they read the user
(core/accounts/sessions.py) and carry it on the `UserRef`, so a page build or an action pays for
it once. Defaults equal the fixed rule before departments: admins, managers and marketing see
everything, reps their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from enum import StrEnum

from sqlmodel import Session

from store import queries
from store.models import Reach, Role, User, UserRef
from store.queries import collaborators as shared_rows
from store.queries import departments as tree_rows
from store.queries.departments import DepartmentNode

SCOPES_KEY = 'data_scopes'
"""AppSetting holding {role: DataScope} as JSON."""


class DataScope(StrEnum):
    OWN = 'own'
    OWN_AND_COLLABORATING = 'own_and_collaborating'
    """Own records and those shared with the user. Shared records are added under every scope below
    ALL (an explicit grant by the record's owner or manager: CordysCRM #2785), so this equals OWN; it is
    kept so a stored choice still reads and an admin may name the intent."""
    DEPARTMENT = 'department'
    DEPARTMENT_TREE = 'department_tree'
    """The user's department and every department below it (and those the user heads)."""
    ALL = 'all'


DEFAULT_SCOPES: dict[Role, DataScope] = {
    Role.ADMIN: DataScope.ALL, Role.MANAGER: DataScope.ALL, Role.MARKETING: DataScope.ALL, Role.REP: DataScope.OWN}


def read_scopes(session: Session) -> dict[Role, DataScope]:
    """The scope of each role: the admins' choice over the defaults (an unknown value keeps the default)."""
    scopes = dict(DEFAULT_SCOPES)
    raw = queries.setting(session, SCOPES_KEY)
    try:
        stored = json.loads(raw) if raw else {}
    except ValueError:
        stored = {}
    if isinstance(stored, dict):
        for role, scope in stored.items():
            if role in Role.__members__.values() and scope in DataScope.__members__.values():
                scopes[Role(role)] = DataScope(scope)
    return scopes


def scopes_json(scopes: Mapping[Role, DataScope]) -> str:
    return json.dumps({str(r): str(s) for r, s in scopes.items()}, sort_keys=True)


def subtree(nodes: Iterable[DepartmentNode], tops: Iterable[int]) -> set[int]:
    """The departments `tops` and all below them (the tree walked in memory; a cycle cannot loop)."""
    children: dict[int | None, list[int]] = {}
    for n in nodes:
        children.setdefault(n.parent_id, []).append(n.id)
    found: set[int] = set()
    todo = list(tops)
    while todo:
        d = todo.pop()
        if d not in found:
            found.add(d)
            todo.extend(children.get(d, ()))
    return found


def resolve(session: Session, user_id: int, role: str, department_id: int | None,
            scopes: Mapping[Role, DataScope] | None = None) -> Reach:
    """The reach of one user: at most four reads (the scopes setting, the tree, the members, the shared
    records) and none beyond the setting for ALL. Records shared with the user (collaboration) are
    added on top of every scope below ALL."""
    scope = (scopes or read_scopes(session)).get(Role(role) if role in Role.__members__.values() else Role.REP,
                                                 DataScope.OWN)
    if scope == DataScope.ALL:
        return Reach(everyone=True)
    if scope in (DataScope.OWN, DataScope.OWN_AND_COLLABORATING):
        return _with_shared(session, user_id, frozenset({user_id}))
    nodes = tree_rows.tree(session)
    root_id = next((n.id for n in nodes if n.parent_id is None), None)
    home = department_id if department_id is not None else root_id
    tops = {home} if home is not None else set()
    if scope == DataScope.DEPARTMENT_TREE:
        tops |= {n.id for n in nodes if n.head_id == user_id}
        if root_id is not None and root_id in tops:
            return Reach(everyone=True)  # the root's tree is the whole company, unowned records included
        reached = subtree(nodes, tops)
    else:
        reached = tops
    ids = tree_rows.user_ids_in(session, reached, with_unplaced=root_id is not None and root_id in reached)
    return _with_shared(session, user_id, frozenset(ids | {user_id}))


def _with_shared(session: Session, user_id: int, owner_ids: frozenset[int]) -> Reach:
    found = shared_rows.shared_with(session, user_id)
    return Reach(everyone=False, owner_ids=owner_ids, shared=found.seen, shared_edit=found.edited)


def with_reach(session: Session, user: User) -> UserRef:
    """The ref of a user read for a request, carrying their reach."""
    ref = UserRef.of(user)
    ref.reach = resolve(session, ref.id, ref.role, user.department_id)
    return ref
