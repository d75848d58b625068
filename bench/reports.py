"""How fast are the reports over 1M leads and 100k opportunities, and how much memory do they take?

Every panel of the reports page for the manager and for one rep over 30 days, 90 days and a year:
`desk.reports.report()` (the main panels), the checklist panel (`desk.playbooks.checklist_report`,
from the roll-up and, as `*_from_rows_ms`, from the raw exits and ticks)
and the customer-care panels (`desk.care_reports.care_report`), each alone and as the page runs
them (`page_*`: the checklist and care alongside the main panels); a funnel drill-down; a
leads export. Time is the median of `--repeats` runs against a
primary-key point query in the same run; memory is tracemalloc's peak during one call (Python
and numpy allocations; SQLite's own page cache is not counted).

    python bench/reports.py --quick            # 20k leads / 2k deals (smoke)
    python bench/reports.py --leads 100000     # 100k leads / 10k deals
    python bench/reports.py                    # 1M leads / 100k deals; writes bench/results/
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import func, select  # noqa: E402

from bench.dataset import REPS, build  # noqa: E402
from core.desk import Desk  # noqa: E402
from core.reports.report_filter import ReportFilter  # noqa: E402
from core.settings import Settings  # noqa: E402
from store import report_rollup, stage_stays  # noqa: E402
from store.engine import make_engine, read_session  # noqa: E402
from store.models import Lead, Opportunity, Role, StageKind, StepExit, UserRef  # noqa: E402

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')


def add_deals(desk: Desk, deals: int, *, seed: int = 11) -> int:
    """Opportunities for the first `deals` converted leads (30 % open, 45 % won, 25 % lost), their
    stage history, and the audit lines the automation report counts (one assignment per owned
    lead, plus some breaches, recycles, claims and reviews)."""
    rng = random.Random(seed)
    stages = desk.pipeline.stages()
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    won = next(s for s in stages if s.kind == StageKind.WON)
    lost = next(s for s in stages if s.kind == StageKind.LOST)
    reasons = [key for key, _en, _zh in desk.pipeline.lost_reasons()]
    raw = desk.ctx.engine.raw_connection()
    try:
        cur = raw.cursor()
        converted = cur.execute("SELECT id, owner_id, created_at FROM leads WHERE status = 'converted' "
                                'ORDER BY id LIMIT ?', (deals,)).fetchall()
        accounts, opportunities, changes = [], [], []
        for n, (lead_id, owner, created_text) in enumerate(converted, start=1):
            created = datetime.fromisoformat(created_text).replace(tzinfo=UTC) + timedelta(days=rng.uniform(1, 20))
            created = min(created, NOW - timedelta(hours=1))
            fate = rng.random()
            path = open_stages[:rng.randint(1, len(open_stages))]
            closed = min(created + timedelta(days=rng.uniform(5, 60)), NOW - timedelta(minutes=5))
            final = path[-1] if fate < 0.3 else (won if fate < 0.75 else lost)
            ends = closed if final.kind != StageKind.OPEN else min(created + timedelta(days=rng.uniform(1, 40)),
                                                                   NOW - timedelta(minutes=10))
            step = (ends - created) / len(path)
            previous = None
            for i, stage in enumerate(path):
                changes.append((n, previous, stage.id, _ts(created + step * i)))
                previous = stage.id
            if final.kind != StageKind.OPEN:
                changes.append((n, previous, final.id, _ts(closed)))
            expected = closed.date() if final.kind == StageKind.WON else (NOW + timedelta(days=rng.randint(-10, 120))
                                                                          ).date()
            accounts.append((f'Company {n}', f'company {n}', owner, int(final.kind == StageKind.WON), 'potential', 0,
                             0, _ts(created), _ts(created), 1, 0))
            opportunities.append((lead_id, n, owner, f'Deal {n}', final.id, rng.randint(1_000, 500_000) * 100,
                                  expected.isoformat(), rng.choice(reasons) if final.kind == StageKind.LOST else None,
                                  _ts(closed) if final.kind != StageKind.OPEN else None, _ts(ends), _ts(ends),
                                  _ts(created), _ts(ends), 1, 0))
        cur.executemany(
            'INSERT INTO accounts (name, name_norm, owner_id, is_customer, tier, lifetime_value_cents, won_count, '
            'last_activity_at, created_at, version, is_deleted) VALUES (?,?,?,?,?,?,?,?,?,?,?)', accounts)
        cur.executemany(
            'INSERT INTO opportunities (lead_id, account_id, owner_id, name, stage_id, amount_cents, expected_close, '
            'lost_reason, closed_at, stage_changed_at, last_activity_at, created_at, updated_at, version, '
            'is_deleted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)', opportunities)
        cur.executemany('INSERT INTO stage_changes (opportunity_id, from_stage_id, to_stage_id, created_at) '
                        'VALUES (?,?,?,?)', changes)
        assigned = cur.execute('SELECT id, owner_id, assigned_at FROM leads WHERE owner_id IS NOT NULL').fetchall()
        audit = []
        for lead_id, owner, at in assigned:
            kind = rng.random()
            action, reason = ('assigned', 'reason.assigned.round_robin')
            if kind < 0.05:
                action, reason = 'sla_breached', 'reason.sla_breached'
            elif kind < 0.08:
                action, reason = 'recycled', 'reason.recycled'
            elif kind < 0.10:
                action, reason = 'assigned', 'reason.claimed'
            audit.append((lead_id, owner if reason == 'reason.claimed' else None, owner, action, reason, '{}', at))
        cur.executemany('INSERT INTO audit_entries (lead_id, actor_id, subject_user_id, action, reason_key, '
                        'reason_params, created_at) VALUES (?,?,?,?,?,?,?)', audit)
        raw.commit()
        cur.execute('ANALYZE')
        raw.commit()
        return len(opportunities)
    finally:
        raw.close()


def add_playbooks_and_care(desk: Desk, *, seed: int = 13) -> dict[str, int]:
    """What the checklist and customer-care panels read, as a team that uses both all year would
    have it: the default playbooks (core/playbooks/defaults.py, seeded with the database), a step
    exit for every forward move out of a step with a checklist (assigned → contacted → qualified →
    deal, and each forward stage move), items ticked done two times in three (required ones always);
    every customer revisited every 30 (VIP) or 90 days since the win with an NPS and satisfaction
    answer most times, a closed care task per revisit and one open task each, the overdue ones
    those whose next revisit is past `NOW`. Exits and ticks are written in time order, as the app
    writes them (a lead's ticks are not next to each other)."""
    rng = random.Random(seed)
    stages = desk.pipeline.stages()
    open_stages = {s.id: s for s in stages if s.kind == StageKind.OPEN}
    lost = {s.id for s in stages if s.kind == StageKind.LOST}
    now = _ts(NOW - timedelta(minutes=1))
    raw = desk.ctx.engine.raw_connection()
    try:
        cur = raw.cursor()
        items: dict[tuple[str | None, int | None], list[tuple[int, bool]]] = {}
        for item, status, stage_id, required in cur.execute(
                'SELECT id, lead_status, stage_id, is_required FROM playbook_items WHERE is_archived = 0 '
                'ORDER BY position, id').fetchall():
            items.setdefault((status, stage_id), []).append((item, bool(required)))
        opportunity_of = dict(cur.execute('SELECT lead_id, id FROM opportunities').fetchall())
        opened = dict(cur.execute('SELECT lead_id, created_at FROM opportunities').fetchall())
        exits: list[tuple] = []
        ticks: dict[tuple[int, int], tuple] = {}

        def leave(lead: int, owner: int, step: tuple[str | None, int | None], at: str) -> None:
            if step not in items:
                return  # a step without a checklist records no exit (core/playbooks/checklist.py)
            done, left = [], []
            for item, required in items[step]:
                (done if required or rng.random() < 2 / 3 else left).append(item)
            deal = opportunity_of.get(lead) if step[1] is not None else None
            exits.append((lead, deal, step[0], step[1], json.dumps(done), json.dumps(left), owner, at))
            for item in done:
                ticks[(item, lead)] = (item, lead, deal, owner, at)

        def later(at: str, low: float, high: float) -> str:
            return min(_ts(datetime.fromisoformat(at).replace(tzinfo=UTC) + timedelta(days=rng.uniform(low, high))),
                       now)

        steps = {'contacted': 1, 'qualified': 2, 'converted': 3}
        for lead, owner, status, first in cur.execute(
                "SELECT id, owner_id, status, first_contact_at FROM leads WHERE status IN ('contacted', 'qualified', "
                "'converted') AND owner_id IS NOT NULL AND first_contact_at IS NOT NULL").fetchall():
            leave(lead, owner, ('assigned', None), first)
            at = first
            if steps[status] > 1:
                at = later(at, 0.5, 5)
                leave(lead, owner, ('contacted', None), at)
            if steps[status] > 2:
                leave(lead, owner, ('qualified', None), max(opened.get(lead) or later(at, 1, 10), at))
        for lead, owner, from_stage, to_stage, at in cur.execute(
                'SELECT o.lead_id, o.owner_id, c.from_stage_id, c.to_stage_id, c.created_at FROM stage_changes c '
                'JOIN opportunities o ON o.id = c.opportunity_id WHERE c.from_stage_id IS NOT NULL').fetchall():
            if from_stage in open_stages and to_stage not in lost:
                leave(lead, owner, (None, from_stage), at)
        cur.executemany('INSERT INTO playbook_exits (lead_id, opportunity_id, lead_status, stage_id, done_ids, '
                        'open_ids, actor_id, created_at) VALUES (?,?,?,?,?,?,?,?)', sorted(exits, key=lambda e: e[7]))
        cur.executemany('INSERT INTO checklist_ticks (item_id, lead_id, opportunity_id, done, updated_by, updated_at) '
                        'VALUES (?,?,?,1,?,?)', sorted(ticks.values(), key=lambda t: t[4]))
        customers = cur.execute(
            "SELECT a.id, a.owner_id, MIN(o.closed_at) FROM accounts a JOIN opportunities o ON o.account_id = a.id "
            "JOIN stages s ON s.id = o.stage_id WHERE s.kind = 'won' GROUP BY a.id").fetchall()
        revisits, tasks, tiers = [], [], []
        revisit_id = 1
        for account, owner, won in customers:
            tier = 'vip' if rng.random() < 0.15 else 'regular'
            tiers.append((tier, account))
            every = 30 if tier == 'vip' else 90
            due = datetime.fromisoformat(won).replace(tzinfo=UTC) + timedelta(days=every)
            while due < NOW:
                at = min(due + timedelta(days=rng.uniform(-3, 10)), NOW - timedelta(minutes=1))
                if at >= NOW - timedelta(days=2) and rng.random() < 0.5:
                    break  # not done yet: the open task below is overdue
                answered = rng.random() < 0.85
                revisits.append((revisit_id, account, owner, owner, tier, rng.randint(3, 5) if answered else None,
                                 rng.choices(range(11), (1, 1, 1, 1, 2, 3, 5, 9, 15, 20, 17))[0] if answered else None,
                                 _ts(at)))
                tasks.append((account, owner, tier, _ts(due), None, _ts(due - timedelta(days=every)), _ts(at),
                              revisit_id))
                revisit_id += 1
                due = at + timedelta(days=every)
            tasks.append((account, owner, tier, _ts(due), account, _ts(due - timedelta(days=every)), None, None))
        cur.executemany('UPDATE accounts SET tier = ? WHERE id = ?', tiers)
        cur.executemany('INSERT INTO revisits (id, account_id, user_id, owner_id, tier, satisfaction, nps, '
                        'created_at) VALUES (?,?,?,?,?,?,?,?)', revisits)
        cur.executemany("INSERT INTO care_tasks (account_id, owner_id, kind, tier, due_at, open_account_id, "
                        "created_at, closed_at, revisit_id) VALUES (?,?,'revisit',?,?,?,?,?,?)", tasks)
        raw.commit()
        cur.execute('ANALYZE')
        raw.commit()
        return {'playbook_exits': len(exits), 'checklist_ticks': len(ticks), 'revisits': len(revisits),
                'care_tasks': len(tasks), 'care_tasks_overdue': sum(1 for t in tasks if t[4] and t[3] < now)}
    finally:
        raw.close()


def add_product_field(desk: Desk) -> None:
    """A select field on every lead (four options, a fifth of the leads without one): what the
    conversion and win-rate panels group by instead of source (core/reports/custom_groups.py).
    Written raw, as the dataset is (no projection reads `custom`)."""
    if any(d.key == 'product' for d in desk.custom_fields.fields(None)):
        return
    desk.custom_fields.define_field(None, entity='lead', key='product', type='single_select', label_zh='意向产品',
                                    label_en='Product', options=[{'key': k, 'label_zh': k, 'label_en': k}
                                                                 for k in ('crm', 'erp', 'bi', 'hr')])
    with desk.ctx.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE leads SET custom = CASE abs(random()) % 5 WHEN 0 THEN '{}' "
            "ELSE json_object('product', CASE abs(random()) % 4 WHEN 0 THEN 'crm' WHEN 1 THEN 'erp' "
            "WHEN 2 THEN 'bi' ELSE 'hr' END) END")


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1), round(min(samples), 1), round(max(samples), 1)


def peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def run(leads: int, deals: int, repeats: int, keep: Path | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = keep or Path(tmp) / 'reports.db'
        if path.exists():  # a database kept from an earlier run with the same sizes
            settings = Settings(database_url=f'sqlite:///{path}', storage_secret='bench')
            desk = Desk(make_engine(settings.resolved_database_url()), settings)
            desk.prepare()
            with read_session(desk.ctx.engine) as s:
                made = s.exec(select(func.count()).select_from(Opportunity)).one()
        else:
            desk = build(path, leads, now=NOW, report_fields=True)
            made = add_deals(desk, deals)
            with desk.ctx.engine.begin() as connection:  # the raw inserts bypassed core's unit of work
                report_rollup.rebuild(connection, desk.ctx.settings.timezone)
                stage_stays.recompute(connection)
        with read_session(desk.ctx.engine) as s:
            filled = s.exec(select(func.count()).select_from(StepExit)).one() > 0
        extra = {} if filled else add_playbooks_and_care(desk)  # also into a database kept before they were
        if extra:
            with desk.ctx.engine.begin() as connection:  # the exits and ticks, too, bypassed the unit of work
                report_rollup.rebuild(connection, desk.ctx.settings.timezone)
        add_product_field(desk)
        built = round(time.perf_counter() - t0, 1)
        desk.ctx.clock.now = lambda: NOW  # type: ignore[method-assign]
        manager = UserRef(id=REPS + 1, name='Manager', email='manager@bench.test', role=Role.MANAGER)
        rep = UserRef(id=1, name='Rep 0', email='rep0@bench.test', role=Role.REP)
        today = NOW.date()

        def point() -> None:
            with read_session(desk.ctx.engine) as s:
                s.get(Lead, leads // 2)
                s.expunge_all()

        def page(user: UserRef, f: ReportFilter) -> None:
            """What the reports page costs (ui/pages/reports.py): the checklist and customer-care
            panels are read alongside the main panels."""
            with ThreadPoolExecutor(max_workers=2) as side:
                checklist = side.submit(desk.playbooks.checklist_report, user, f)
                care = side.submit(desk.care_reports.care_report, user, f)
                desk.reports.report(user, f)
                checklist.result()
                care.result()

        out: dict[str, object] = {'leads': leads, 'opportunities': made, 'build_s': built, **extra,
                                  'point_query_ms': timed(point, 50)}
        for label, days in (('30d', 30), ('90d', 90), ('365d', 365)):
            f = ReportFilter(start=today - timedelta(days=days - 1), end=today)
            page(manager, f)  # warm the page cache once
            out[f'report_manager_{label}_ms'] = timed(lambda f=f: desk.reports.report(manager, f), repeats)
            out[f'checklist_manager_{label}_ms'] = timed(lambda f=f: desk.playbooks.checklist_report(manager, f),
                                                         repeats)
            out[f'checklist_manager_{label}_from_rows_ms'] = timed(
                lambda f=f: desk.playbooks.checklist_report(manager, f, rollup=False), repeats)
            out[f'care_manager_{label}_ms'] = timed(lambda f=f: desk.care_reports.care_report(manager, f), repeats)
            out[f'page_manager_{label}_ms'] = timed(lambda f=f: page(manager, f), repeats)
            out[f'page_manager_{label}_peak_mib'] = peak_mib(lambda f=f: page(manager, f))
            out[f'report_rep_{label}_ms'] = timed(lambda f=f: desk.reports.report(rep, f), repeats)
            out[f'custom_group_manager_{label}_ms'] = timed(
                lambda f=f: desk.reports.by_custom_field(manager, f, 'custom.product'), repeats)
            out[f'page_rep_{label}_ms'] = timed(lambda f=f: page(rep, f), repeats)
        month = ReportFilter(start=today - timedelta(days=29), end=today)
        rolled, raw = desk.reports.report(manager, month), desk.reports.report(manager, month, rollup=False)
        assert all(rolled.frames()[k].equals(raw.frames()[k]) for k in ('funnel', 'weekly_conversion', 'automation')), \
            'the roll-up disagrees with the rows: was it rebuilt after the raw inserts?'
        for f in (month, ReportFilter(start=today - timedelta(days=364), end=today)):
            assert desk.playbooks.checklist_report(manager, f).equals(
                desk.playbooks.checklist_report(manager, f, rollup=False)), 'the checklist roll-up disagrees'
        out['report_manager_30d_from_rows_ms'] = timed(lambda: desk.reports.report(manager, month, rollup=False), 1)
        out['drill_funnel_captured_30d_ms'] = timed(lambda: desk.reports.funnel_leads(manager, month, 'captured'),
                                                    repeats)
        out['export_leads_csv_30d_ms'] = timed(lambda: desk.export.export_list(manager, 'leads', 'csv', month), 1)
        out['export_leads_csv_30d_peak_mib'] = peak_mib(lambda: desk.export.export_list(manager, 'leads', 'csv',
                                                                                       month))
        desk.ctx.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--leads', type=int, default=None)
    parser.add_argument('--repeats', type=int, default=None)
    parser.add_argument('--keep', type=Path, default=None, help='build the database here once and reuse it')
    args = parser.parse_args()
    leads = args.leads or (20_000 if args.quick else 1_000_000)
    repeats = args.repeats or (2 if args.quick else 3)
    load_before = os.getloadavg()
    result = run(leads, leads // 10, repeats, args.keep)
    result['load_avg_before_after'] = [round(x, 2) for x in (*load_before, *os.getloadavg())]
    print(json.dumps(result, indent=1))
    if not args.quick:
        commit = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=ROOT, capture_output=True, text=True,
                                check=False).stdout.strip()
        out = ROOT / 'bench' / 'results' / f'reports-{leads // 1000}k-{date.today():%Y-%m-%d}.json'
        out.write_text(json.dumps({'machine': platform.platform(), 'cores': os.cpu_count(), 'commit': commit,
                                   'results': result}, indent=1))
        print(f'written {out}')


if __name__ == '__main__':
    main()
