"""How soon does the inbox show its rows in a browser at 1M leads (target: < 2× an empty NiceGUI
page)? Debian's Chromium signs in as the manager (who sees every lead) and as a rep, and opens
`/` until the first table row is visible, per the page's own clock; an empty NiceGUI page served
the same way is the limit, measured in the same run (bench/board.py's `page_paints`).

    python bench/inbox_paint.py --quick     # a 2k-lead desk, the manager, 2 repeats (smoke; asserts rows showed)
    python bench/inbox_paint.py             # the 1M-lead desk (bench/bigdb.py), both, median of 5; writes results
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bigdb, record  # noqa: E402
from bench.board import page_paints  # noqa: E402

ROWS = '[data-testid=inbox-table] tbody tr'
LIMIT = 2.0
USERS = {'manager': 'manager@bench.test', 'rep': 'rep0@bench.test'}


def run(db: Path, repeats: int, users: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for who in users:
        paints = page_paints(db, USERS[who], {'inbox': ('/', ROWS)}, repeats, cpu=True)
        assert paints['inbox_matches'], f'{who}: no inbox rows'
        empty, inbox = paints['empty_page'], paints['inbox']
        out[who] = {'empty_page_ms': empty, 'inbox_ms': inbox, 'rows': paints['inbox_matches'],
                    'dom_nodes': paints['inbox_dom_nodes'],
                    'inbox_vs_empty': round(inbox['visible'][0] / empty['visible'][0], 2),  # type: ignore[index]
                    'empty_page_cpu_ms': paints['empty_page_cpu_ms'], 'inbox_cpu_ms': paints['inbox_cpu_ms'],
                    'cpu_vs_empty': round(paints['inbox_cpu_ms'][0] / paints['empty_page_cpu_ms'][0], 2)}  # type: ignore[index]
    return out


def _print(result: dict[str, object]) -> None:
    def cell(v: list[float]) -> str:
        return f'{v[0]:.0f} ({v[1]:.0f}–{v[2]:.0f})'

    print('| who | empty page ms | inbox: HTML ms | DOM ready ms | rows visible ms | vs empty '
          '| main-thread CPU ms: empty | inbox | vs empty |')
    print('|---|---|---|---|---|---|---|---|---|')
    for who in USERS:
        if who in result:
            r = result[who]
            e, i = r['empty_page_ms']['visible'], r['inbox_ms']  # type: ignore[index]
            print(f"| {who} | {cell(e)} | {cell(i['html'])} | {cell(i['dom_ready'])} | {cell(i['visible'])} | "
                  f"{r['inbox_vs_empty']}× | {cell(r['empty_page_cpu_ms'])} | {cell(r['inbox_cpu_ms'])} | "
                  f"{r['cpu_vs_empty']}× |")  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--repeats', type=int, default=None)
    parser.add_argument('--name', default='inbox_paint', help='results file name (bench/results/NAME-date.json)')
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)
    box = record.machine()
    with tempfile.TemporaryDirectory() as tmp:
        leads = 2_000 if args.quick else 1_000_000
        db = bigdb.ensure(leads, Path(tmp) / 'quick.db' if args.quick else None)
        result = {'leads': leads, 'limit_vs_empty': LIMIT,
                  **run(db, repeats, ['manager'] if args.quick else list(USERS))}
    _print(result)
    if not args.quick:
        record.write(args.name, box, result)


if __name__ == '__main__':
    main()
