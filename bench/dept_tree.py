"""How fast are the inbox's first page and the team page for a manager scoped "department and
below" at level 2 of a five-level department tree? Against the same manager seeing everyone, and a
primary-key point query measured in the same run (docs/BENCHMARKS.md, issue 22).

The tree: Company > 2 divisions > 2 regions each > 2 areas each > 2 teams each (31 departments);
the reps spread over the 16 teams, the rest at area level; the manager sits in division 1, so their
reach is about half the reps (an `owner_id IN (…)` of that many ids).

    python bench/dept_tree.py --leads 100000     # builds its own database in a temp folder
    python bench/dept_tree.py --big              # bench/bigdb.py's 1M desk, copied with the tree added
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dataset import build  # noqa: E402
from bench.tick import timed  # noqa: E402
from core.accounts.reach import SCOPES_KEY, DataScope, read_scopes, resolve, scopes_json  # noqa: E402
from core.clock import FakeClock  # noqa: E402
from core.desk import Desk  # noqa: E402
from core.settings import Settings  # noqa: E402
from store.engine import make_engine, read_session  # noqa: E402
from store.models import Lead, Role, UserRef  # noqa: E402

LEVELS = 5
FANOUT = 2


def add_tree(engine: sa.Engine) -> int:
    """The five-level tree, the reps placed in it, managers scoped "department and below"; returns
    the manager's department (division 1). Raw SQL: a bench database, no app running."""
    with engine.begin() as c:
        c.exec_driver_sql('DELETE FROM departments WHERE parent_id IS NOT NULL')
        root = c.exec_driver_sql('SELECT id FROM departments WHERE parent_id IS NULL ORDER BY id').scalar()
        levels: list[list[int]] = [[root]]
        for depth in range(1, LEVELS):
            row: list[int] = []
            for n, parent in enumerate(p for p in levels[-1] for _ in range(FANOUT)):
                c.exec_driver_sql('INSERT INTO departments (name, parent_id) VALUES (?, ?)',
                                  (f'L{depth + 1}-{n + 1}', parent))
                row.append(c.exec_driver_sql('SELECT last_insert_rowid()').scalar())
            levels.append(row)
        teams, areas = levels[-1], levels[-2]
        reps = [r[0] for r in c.exec_driver_sql("SELECT id FROM users WHERE role = 'rep' ORDER BY id")]
        for i, rep in enumerate(reps):
            where = teams[i] if i < len(teams) else areas[i % len(areas)]
            c.exec_driver_sql('UPDATE users SET department_id = ? WHERE id = ?', (where, rep))
        division = levels[1][0]
        c.exec_driver_sql("UPDATE users SET department_id = ? WHERE role = 'manager'", (division,))
        scopes = scopes_json({Role.ADMIN: DataScope.ALL, Role.MANAGER: DataScope.DEPARTMENT_TREE,
                              Role.MARKETING: DataScope.ALL, Role.REP: DataScope.OWN})
        c.exec_driver_sql('INSERT OR REPLACE INTO app_settings (key, value) VALUES (?, ?)', (SCOPES_KEY, scopes))
        return division


def with_tree(source: Path) -> Path:
    """A copy of a bench database beside it, with the tree added (the original stays as other
    benchmarks expect it)."""
    target = source.with_name(source.stem + '-tree.db')
    if not target.exists():
        partial = target.with_suffix('.partial')
        shutil.copyfile(source, partial)
        engine = make_engine(f'sqlite:///{partial}')
        add_tree(engine)
        engine.dispose()
        partial.rename(target)
    return target


def measure(desk: Desk, size: int, repeats: int) -> dict[str, object]:
    now = desk.ctx.clock.now()
    with read_session(desk.ctx.engine) as s:
        row = s.execute(sa.text("SELECT id, name, email, department_id FROM users WHERE role = 'manager'")).first()
        assert row is not None
        scoped = UserRef(id=row[0], name=row[1], email=row[2], role=Role.MANAGER)
        scoped.reach = resolve(s, row[0], Role.MANAGER, row[3], read_scopes(s))
        everyone = UserRef(id=row[0], name=row[1], email=row[2], role=Role.MANAGER)
        everyone.reach = resolve(s, row[0], Role.MANAGER, row[3], {Role.MANAGER: DataScope.ALL})

    def point() -> None:
        with read_session(desk.ctx.engine) as s:
            s.get(Lead, size // 2)
            s.expunge_all()

    limit = timed(point, 50)
    out: dict[str, object] = {'leads': size, 'point_query_ms': round(limit[0], 3),
                              'reached_owners': len(scoped.reach.owner_ids) if scoped.reach else 0}
    for name, who in (('scoped', scoped), ('everyone', everyone)):
        inbox = timed(lambda w=who: desk.leads.inbox(w), repeats)  # type: ignore[misc]
        team = timed(lambda w=who: desk.workload.team(w, now), repeats)  # type: ignore[misc]
        out[f'{name}_inbox_ms'], out[f'{name}_inbox_range'] = round(inbox[0], 1), f'{inbox[1]:.1f}–{inbox[2]:.1f}'
        out[f'{name}_team_ms'], out[f'{name}_team_range'] = round(team[0], 1), f'{team[1]:.1f}–{team[2]:.1f}'
    _rows, total = desk.leads.inbox(scoped)
    out['scoped_inbox_total'] = total
    out['scoped_team_reps'] = len(desk.workload.team(scoped, now).reps)
    return out


def _open(path: Path, now: datetime) -> Desk:
    settings = Settings(database_url=f'sqlite:///{path}', storage_secret='bench')
    desk = Desk(make_engine(settings.resolved_database_url()), settings, clock=FakeClock(now))
    return desk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--leads', type=int, default=100_000)
    parser.add_argument('--big', action='store_true', help="bench/bigdb.py's 1M database (built if missing)")
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()
    if args.big:
        from bench.bigdb import ensure
        path = with_tree(ensure(1_000_000))
        now = datetime.now(UTC)
        desk = _open(path, now)
        result = measure(desk, 1_000_000, args.repeats)
        desk.ctx.engine.dispose()
    else:
        now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
        with tempfile.TemporaryDirectory() as tmp:
            desk = build(Path(tmp) / 'bench.db', args.leads, now=now, open_days=30)
            add_tree(desk.ctx.engine)
            desk.ctx.clock = FakeClock(now)
            result = measure(desk, args.leads, args.repeats)
            desk.ctx.engine.dispose()
    print(json.dumps(result, indent=1))
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    out = ROOT / 'bench' / 'results' / f'dept-tree-{result["leads"]}-{datetime.now(UTC):%Y-%m-%d}.json'
    out.write_text(json.dumps({'machine': platform.platform(), 'cores': os.cpu_count(), 'commit': commit,
                               'result': result}, indent=1))
    print(f'written {out}')


if __name__ == '__main__':
    main()
