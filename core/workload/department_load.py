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
    shown rep in its subtree, depth first, with the subtree's totals — from the highest department
    that tells something (`_top`)."""
    root_id = root_of(nodes)
    parent = {n.id: n.parent_id for n in nodes}
    totals: dict[int, list[int]] = {}
    direct: set[int] = set()
    for department_id, open_leads, capacity in reps:
        node = placed(department_id, root_id)
        if node is not None:
            direct.add(node)
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

    def walk(level: Sequence[DepartmentNode], depth: int) -> None:
        for n in level:
            if n.id in totals and n.id not in listed:  # (a cycle cannot loop)
                listed.add(n.id)
                count, open_leads, capacity = totals[n.id]
                out.append(DepartmentLoad(department_id=n.id, name=n.name, depth=depth, reps=count,
                                          open_leads=open_leads, capacity=capacity,
                                          is_root_default=n.parent_id is None and n.name == ROOT_DEPARTMENT_NAME))
                walk(children.get(n.id, ()), depth + 1)

    walk(_top(children.get(None, []), children, totals, direct), 0)
    return out


def _top(level: list[DepartmentNode], children: dict[int | None, list[DepartmentNode]],
         totals: dict[int, list[int]], direct: set[int]) -> list[DepartmentNode]:
    """Where the list starts: below any chain of departments holding no shown rep themselves and
    one child with shown reps — a department manager sees their own subtree, not "Company" summing
    exactly the same reps."""
    seen: set[int] = set()
    while len(level) == 1 and level[0].id not in direct and level[0].id not in seen:
        seen.add(level[0].id)
        below = [c for c in children.get(level[0].id, ()) if c.id in totals]
        if len(below) != 1:
            break
        level = below
    return level
