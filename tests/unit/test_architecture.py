"""The layer rule (ui → core → store, imports pointing down) checked by walking the imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LONGEST = 330
"""Lines a core module may have (\"no core file over ~300 lines\")."""


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
    assert violations('store', ('core', 'ui', 'cli', 'nicegui')) == []


def test_core_imports_no_ui_and_nicegui_only_for_events() -> None:
    assert violations('core', ('ui', 'cli', 'nicegui', 'fastapi'), allow={'core/events.py': {'nicegui'}}) == []


def test_cli_is_beside_ui_not_inside_it() -> None:
    """Command-line handling and demo seeding sit beside the UI: they call core, never pages."""
    assert violations('cli', ('ui', 'nicegui', 'fastapi')) == []


def test_core_is_packaged_by_concept() -> None:
    """core/ holds the shared kernel and one sub-package per concept, each saying what it holds, and no
    module long enough to hold two concepts."""
    core = ROOT / 'core'
    packages = [p for p in core.iterdir() if p.is_dir() and p.name != '__pycache__']
    assert all((p / '__init__.py').read_text('utf-8').startswith('"""') for p in packages)
    assert len(list(core.glob('*.py'))) <= 10
    long = {p.relative_to(ROOT).as_posix(): n for p in core.rglob('*.py')
            if (n := len(p.read_text('utf-8').splitlines())) > LONGEST}
    assert long == {}


def test_ui_runs_no_sql_and_opens_no_sessions() -> None:
    assert violations('ui', ('sqlmodel', 'sqlalchemy', 'store.engine', 'store.queries', 'store.migrate')) == []
