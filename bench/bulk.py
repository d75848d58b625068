"""How long does a bulk edit of 1,000 leads take, and how many SQL statements does it send? Server
time of `BulkService.preview`, `apply` (one transaction, projections included) and `undo`, for each
action, on 1,000 open leads of a larger table; the statement count shows the work is per batch, not
per lead (a per-lead round trip would show as ≥ 1,000).

    python bench/bulk.py --quick              # 10k leads, 200 selected (CI smoke)
    python bench/bulk.py                      # 100k leads, 1,000 selected
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bench.dataset import build  # noqa: E402
from core.clock import FakeClock  # noqa: E402
from core.leads.bulk import BulkAction, BulkKind, Selection  # noqa: E402
from store.engine import read_session  # noqa: E402
from store.models import Lead, LeadStatus, User, UserRef  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def run(size: int, selected: int) -> list[tuple[str, float, int, float, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        desk = build(Path(tmp) / 'bench.db', size, now=NOW)
        desk.ctx.clock = FakeClock(NOW)
        statements = [0]
        sa.event.listen(desk.ctx.engine, 'before_cursor_execute',
                        lambda *_a, **_k: statements.__setitem__(0, statements[0] + 1))
        with read_session(desk.ctx.engine) as session:
            boss = session.exec(select(User).where(User.role == 'manager')).one()
            reps = session.exec(select(User.id).where(User.role == 'rep').order_by(col(User.id))).all()
            ids = session.exec(select(Lead.id).where(col(Lead.status).in_([LeadStatus.ASSIGNED,
                                                                            LeadStatus.CONTACTED]))
                               .order_by(col(Lead.id)).limit(selected)).all()
        manager = UserRef(id=boss.id or 0, name=boss.name, email=boss.email, role=boss.role)
        selection = Selection(ids=tuple(i for i in ids if i))
        actions = {'set a field (industry)': BulkAction(BulkKind.SET_FIELD, field='industry', value='零售'),
                   'reassign to a rep': BulkAction(BulkKind.REASSIGN, rep_id=reps[0]),
                   'reassign through the rules': BulkAction(BulkKind.REASSIGN),
                   'disqualify': BulkAction(BulkKind.DISQUALIFY, reason='bench'),
                   'move to the pool': BulkAction(BulkKind.POOL)}
        out = []
        for name, action in actions.items():
            start = time.perf_counter()
            desk.bulk.preview(manager, selection, action)
            preview_ms = (time.perf_counter() - start) * 1000
            statements[0] = 0
            start = time.perf_counter()
            done = desk.bulk.apply(manager, selection, action)
            apply_ms, apply_statements = (time.perf_counter() - start) * 1000, statements[0]
            statements[0] = 0
            start = time.perf_counter()
            assert done.batch_id is not None
            undone = desk.bulk.undo(manager, done.batch_id)
            undo_ms, undo_statements = (time.perf_counter() - start) * 1000, statements[0]
            print(f'{name:28} preview {preview_ms:7.1f} ms | apply {done.changed:5} leads {apply_ms:7.1f} ms, '
                  f'{apply_statements:3} statements | undo {undone.restored:5} leads {undo_ms:7.1f} ms, '
                  f'{undo_statements:3} statements', flush=True)
            out.append((name, apply_ms, apply_statements, undo_ms, undo_statements))
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--size', type=int, default=100_000)
    parser.add_argument('--selected', type=int, default=1000)
    args = parser.parse_args()
    size, selected = (10_000, 200) if args.quick else (args.size, args.selected)
    print(f'{size:,} leads, {selected:,} selected')
    run(size, selected)


if __name__ == '__main__':
    main()
