"""The reports' department dimension: the per-owner figures summed by the owner's department.

Why derived, not rolled up: a lead's department is its owner's, and owners move between departments;
summing the per-owner rows (which the roll-up and the raw queries already give) by the department the
owner is in *now* answers "how is each department doing" without a second roll-up family to rebuild
on every move. Unowned records (the pool, unassigned) group under no department.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from store.models import ROOT_DEPARTMENT_NAME
from store.queries.departments import DepartmentNode

DEPARTMENT = 'department'
ROOT_LABEL = ''
"""The label of the root department still carrying its default name: the page shows it translated."""


def names(nodes: Iterable[DepartmentNode]) -> dict[int, str]:
    return {n.id: ROOT_LABEL if n.parent_id is None and n.name == ROOT_DEPARTMENT_NAME else n.name for n in nodes}


def root_id(nodes: Iterable[DepartmentNode]) -> int | None:
    return next((n.id for n in nodes if n.parent_id is None), None)


def by_department(rows: Iterable[tuple[Any, ...]], department_of: Mapping[int, int | None],
                  root: int | None) -> list[tuple[Any, ...]]:
    """Rows keyed by owner (owner, figure, figure, …) summed into rows keyed by department."""
    sums: dict[int | None, list[int]] = {}
    for owner, *figures in rows:
        key = None if owner is None else department_of.get(int(owner), None) or root
        total = sums.setdefault(key, [0] * len(figures))
        for i, n in enumerate(figures):
            total[i] += int(n)
    return [(k, *v) for k, v in sums.items()]


def members(department_of: Mapping[int, int | None], department_id: int, root: int | None) -> frozenset[int]:
    """The users a department's bar counts (the root's: those placed there and those unplaced)."""
    return frozenset(u for u, d in department_of.items() if (d or root) == department_id)
