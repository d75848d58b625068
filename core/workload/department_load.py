"""Capacity per department for the team page: each department's subtree summed over the reps the
viewer sees (open leads against capacity), in tree order, and the subtree a department filter keeps.

Why a subtree and not the department alone: a department head steers everyone below them, the same
reading as the "department and below" data scope and a rule targeting a department."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.accounts.reach import subtree
from store.models import ROOT_DEPARTMENT_NAME
from store.queries.departments import DepartmentNode


@dataclass(frozen=True, slots=True)
class DepartmentLoad:
    department_id: int
    name: str
    is_root_default: bool
    """The root's stored default name: shown translated."""
    depth: int
    reps: int
    open_leads: int
    capacity: int

    @property
    def used_pct(self) -> float | None:
        return round(100 * self.open_leads / self.capacity, 1) if self.capacity > 0 else None


def root_of(nodes: Sequence[DepartmentNode]) -> int | None:
    return next((n.id for n in nodes if n.parent_id is None), None)


def placed(department_id: int | None, root_id: int | None) -> int | None:
    """A user's department, the unplaced counted in the root."""
    return department_id if department_id is not None else root_id


def members_below(nodes: Sequence[DepartmentNode], department_id: int) -> set[int | None]:
    """The departments a filter on `department_id` keeps (None too when that is the root: the unplaced)."""
    found: set[int | None] = set(subtree(nodes, [department_id]))
    if department_id == root_of(nodes):
        found.add(None)
    return found


def summarize(nodes: Sequence[DepartmentNode], reps: Iterable[tuple[int | None, int, int]]
              ) -> list[DepartmentLoad]:
    """`reps`: (department id, open leads, capacity) of each rep shown. Every department holding a
    shown rep in its subtree, depth first, with the subtree's totals."""
    root_id = root_of(nodes)
    parent = {n.id: n.parent_id for n in nodes}
    totals: dict[int, list[int]] = {}
    for department_id, open_leads, capacity in reps:
        node = placed(department_id, root_id)
        seen: set[int] = set()
        while node is not None and node not in seen:  # the department and every one above it
            seen.add(node)
            row = totals.setdefault(node, [0, 0, 0])
            row[0], row[1], row[2] = row[0] + 1, row[1] + open_leads, row[2] + capacity
            node = parent.get(node)
    children: dict[int | None, list[DepartmentNode]] = {}
    for n in nodes:
        children.setdefault(n.parent_id, []).append(n)
    out: list[DepartmentLoad] = []
    listed: set[int] = set()

    def walk(parent_id: int | None, depth: int) -> None:
        for n in children.get(parent_id, ()):
            if n.id in totals and n.id not in listed:  # (a cycle cannot loop)
                listed.add(n.id)
                count, open_leads, capacity = totals[n.id]
                out.append(DepartmentLoad(department_id=n.id, name=n.name, depth=depth, reps=count,
                                          open_leads=open_leads, capacity=capacity,
                                          is_root_default=n.parent_id is None and n.name == ROOT_DEPARTMENT_NAME))
                walk(n.id, depth + 1)
    walk(None, 0)
    return out
