"""Console verbs for the department tree (run.py hands over to these; core never reads a terminal).

    run.py dept add NAME [--parent PARENT]   PARENT: a department's id or exact name (default: the root)
    run.py dept list                         the tree, indented, with member counts

Exit codes: 0 done; 1 refused (bad name, unknown or ambiguous parent); 2 usage."""

from __future__ import annotations

import sys

from core.desk import Desk
from core.errors import NotFound, ValidationFailed

OK, REFUSED, USAGE = 0, 1, 2
USAGE_TEXT = 'usage: run.py dept add NAME [--parent PARENT] | run.py dept list'


def main(desk: Desk, args: list[str]) -> int:
    if args == ['list']:
        for line in desk.departments.tree(None):
            head = f'  head #{line.head_id}' if line.head_id else ''
            print(f'{"  " * line.depth}{line.name}  (#{line.id}, {line.members} members){head}')
        return OK
    if len(args) in (2, 4) and args[0] == 'add' and (len(args) == 2 or args[2] == '--parent'):
        return add(desk, args[1], args[3] if len(args) == 4 else None)
    print(USAGE_TEXT, file=sys.stderr)
    return USAGE


def add(desk: Desk, name: str, parent: str | None) -> int:
    lines = desk.departments.tree(None)
    parent_id = None
    if parent is not None:
        matches = [line.id for line in lines if str(line.id) == parent or line.name == parent]
        if len(matches) != 1:
            print(f'dept: {"no" if not matches else "more than one"} department is {parent!r}', file=sys.stderr)
            return REFUSED
        parent_id = matches[0]
    try:
        new_id = desk.departments.add(None, name, parent_id=parent_id)
    except (ValidationFailed, NotFound) as e:
        errors = e.errors if isinstance(e, ValidationFailed) else {'parent': 'not_found'}
        print('dept: not added: ' + ', '.join(f'{f} {c}' for f, c in errors.items()), file=sys.stderr)
        return REFUSED
    print(f'Department {name.strip()!r} added (#{new_id}).')
    return OK
