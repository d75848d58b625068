"""Departments: the tree as plain rows, and who belongs where (core/accounts/reach.py resolves from these)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from ..models import ROOT_DEPARTMENT_NAME, Department, User


@dataclass(frozen=True, slots=True)
class DepartmentNode:
    """One department as the tree needs it (no ORM object: the tree is read in one query)."""

    id: int
    name: str
    parent_id: int | None
    head_id: int | None

def tree(session: Session) -> list[DepartmentNode]:
    """Every department, ordered by name within no particular parent (one query; the table is small)."""
    rows = session.exec(select(Department.id, Department.name, Department.parent_id, Department.head_id)
                        .order_by(col(Department.name), col(Department.id))).all()
    return [DepartmentNode(id=r[0] or 0, name=r[1], parent_id=r[2], head_id=r[3]) for r in rows]

def root(session: Session) -> Department | None:
    """The root department (the oldest one without a parent)."""
    return session.exec(select(Department).where(col(Department.parent_id).is_(None))
                        .order_by(col(Department.id)).limit(1)).first()

def ensure_root(session: Session) -> Department:
    """The root, created if the database has none (a database the migration left empty by a test)."""
    found = root(session)
    if found is None:
        found = Department(name=ROOT_DEPARTMENT_NAME)
        session.add(found)
        session.flush()
    return found

def user_ids_in(session: Session, department_ids: Collection[int], *, with_unplaced: bool) -> set[int]:
    """Users (active or not: their leads stay theirs) in these departments; `with_unplaced` adds those
    with no department (who belong to the root)."""
    where = [col(User.department_id).in_(list(department_ids))]
    if with_unplaced:
        where.append(col(User.department_id).is_(None))
    return {i for i in session.exec(select(User.id).where(or_(*where))).all() if i is not None}

def member_counts(session: Session) -> dict[int | None, int]:
    """How many users each department holds (None: unplaced, i.e. the root's)."""
    counts: dict[int | None, int] = {}
    for dept in session.exec(select(User.department_id)).all():
        counts[dept] = counts.get(dept, 0) + 1
    return counts

def departments_of(session: Session, user_ids: Sequence[int]) -> dict[int, int | None]:
    rows = session.exec(select(User.id, User.department_id).where(col(User.id).in_(list(user_ids)))).all()
    return {r[0] or 0: r[1] for r in rows}

def every_users_department(session: Session) -> dict[int, int | None]:
    """user → department (None: the root's) for every user: what the reports' department dimension
    groups owners by (one query; a company has hundreds of users, not millions)."""
    return {r[0] or 0: r[1] for r in session.exec(select(User.id, User.department_id)).all()}
