"""The layer rule (ui → core → store, imports pointing down) checked by walking the imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text('utf-8'))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def violations(layer: str, forbidden: tuple[str, ...], allow: dict[str, set[str]] | None = None) -> list[str]:
    bad = []
    for path in sorted((ROOT / layer).rglob('*.py')):
        rel = path.relative_to(ROOT).as_posix()
        for name in imports(path):
            top = name.split('.')[0]
            if (top in forbidden or name in forbidden) and name not in (allow or {}).get(rel, set()):
                bad.append(f'{rel}: {name}')
    return bad


def test_store_imports_neither_core_nor_ui() -> None:
    assert violations('store', ('core', 'ui', 'nicegui')) == []


def test_core_imports_no_ui_and_nicegui_only_for_events() -> None:
    assert violations('core', ('ui', 'nicegui', 'fastapi'), allow={'core/events.py': {'nicegui'}}) == []


def test_ui_runs_no_sql_and_opens_no_sessions() -> None:
    assert violations('ui', ('sqlmodel', 'sqlalchemy', 'store.engine', 'store.queries', 'store.migrate')) == []
