"""A seeded generator of realistic lead tables at 10k–1M rows, written with raw executemany
(the ORM would take minutes at this size). The schema comes from the real migrations."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.accounts.auth import hash_password
from core.desk import Desk
from core.settings import Settings
from store.counters import recount_open_leads
from store.engine import make_engine

SOURCES = ('website', 'trade_show', 'phone', 'ads', 'referral', 'social', 'third_party', 'import')
REPS = 20
REGIONS = ('北京', '上海', '广东', '浙江', '江苏', '四川', '山东', '湖北', '河南', '福建', None)
INDUSTRIES = ('制造业', '金融', '零售', '互联网', '教育', '医疗', '物流', '餐饮', None)


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f') if value else None


def build(path: Path, leads: int, *, now: datetime, due_share: float = 0.0, seed: int = 7,
          reps: int = REPS, open_days: int | None = None, report_fields: bool = False) -> Desk:
    """A database with `reps` reps (default REPS), one manager and `leads` leads over the last year;
    `due_share` of the open leads have their protection ending before `now` (so the timer has work).
    With `open_days`, only leads captured in that many recent days are still open, as the product's
    own protection limit (30 days by default) would leave it; older ones are closed or pooled.
    `report_fields` also fills region, industry, first contact and the SLA outcome (drawn from a
    second random stream, so the other columns are the same as without it)."""
    rng = random.Random(seed)
    extra = random.Random(seed + 1)
    settings = Settings(database_url=f'sqlite:///{path}', storage_secret='bench')
    desk = Desk(make_engine(settings.resolved_database_url()), settings)
    desk.prepare()
    password = hash_password('bench-bench')
    raw = desk.ctx.engine.raw_connection()
    try:
        cur = raw.cursor()
        users = [(f'rep{i}@bench.test', f'Rep {i}', password, 'rep', 1, 5000, 5000, 1 + i % 3, '', 0, 0, 1)
                 for i in range(reps)]
        users.append(('manager@bench.test', 'Manager', password, 'manager', 1, 0, 0, 1, '', 0, 0, 1))
        cur.executemany('INSERT INTO users (email, name, password_hash, role, is_active, capacity, daily_quota, '
                        'seniority, regions, is_on_leave, failed_logins, session_version) '
                        'VALUES (?,?,?,?,?,?,?,?,?,?,?,?)', users)
        rows = []
        for i in range(leads):
            created = now - timedelta(minutes=rng.randint(10, 365 * 24 * 60))
            status = rng.choices(('assigned', 'contacted', 'qualified', 'converted', 'disqualified', 'pool'),
                                 (25, 25, 10, 15, 20, 5))[0]
            if open_days is not None and status in ('assigned', 'contacted', 'qualified') \
                    and created < now - timedelta(days=open_days):
                status = rng.choices(('converted', 'disqualified', 'pool'), (20, 45, 35))[0]
            grade = rng.choices('ABC', (15, 35, 50))[0]
            owner = rng.randint(1, reps) if status != 'pool' else None
            is_open = status in ('assigned', 'contacted', 'qualified')
            due = is_open and rng.random() < due_share
            protected = (now - timedelta(minutes=rng.randint(1, 600))) if due else \
                (now + timedelta(days=rng.uniform(1.5, 7)) if is_open else None)
            rows.append((f'Lead {i}', f'+86139{i:08d}', f'+86139{i:08d}', f'l{i}@bench.test', rng.choice(SOURCES),
                         status, owner, rng.randint(0, 100), grade, 'warm', '[]', 0, _ts(created), _ts(created),
                         _ts(created + timedelta(minutes=5)) if owner else None,
                         'fulfilled' if is_open else None, _ts(protected),
                         _ts(created + timedelta(days=30)) if is_open else None,
                         rng.randint(1, reps) if status == 'pool' else None, 1, 0, 0,
                         _ts(now + timedelta(hours=rng.uniform(-72, 168))) if is_open and rng.random() < 0.6 else None,
                         _ts(now - timedelta(hours=rng.uniform(1, 480))) if is_open and rng.random() < 0.7 else None)
                        + (_report_fields(extra, status, created, owner, now) if report_fields else (None,) * 4))
            if len(rows) == 50_000:
                _insert(cur, rows, report_fields=report_fields)
                rows.clear()
        _insert(cur, rows, report_fields=report_fields)
        raw.commit()
    finally:
        raw.close()
    with desk.ctx.engine.begin() as connection:
        recount_open_leads(connection)
    return desk


def _report_fields(rng: random.Random, status: str, created: datetime, owner: int | None, now: datetime) -> tuple:
    """(region, industry, first contact, SLA outcome): contacted leads got a first response 5 min
    to 3 days after assignment (assigned 5 min after capture), two in three within the SLA; never
    after `now` (a lead captured an hour ago was answered at most an hour ago)."""
    contacted = owner is not None and status not in ('assigned', 'pool')
    minutes = rng.lognormvariate(5, 1.2) if contacted else None
    first = _ts(min(created + timedelta(minutes=5 + min(minutes, 4320)), now)) if minutes is not None else None
    sla = ('fulfilled' if minutes < 240 else 'failed') if minutes is not None else ('due' if owner else None)
    return rng.choice(REGIONS), rng.choice(INDUSTRIES), first, sla


BASE_COLUMNS = ('name, phone, phone_norm, email, source, status, owner_id, score, grade, temperature, '
                'score_reasons, touch_count, created_at, updated_at, assigned_at, sla_status, protected_until, '
                'protection_max_at, previous_owner_id, version, is_deleted, recycle_count, next_follow_up_at, '
                'last_activity_at')


def _insert(cur: object, rows: list[tuple], *, report_fields: bool = False) -> None:
    if not report_fields:
        cur.executemany(  # type: ignore[attr-defined]
            f'INSERT INTO leads ({BASE_COLUMNS}) VALUES ({",".join("?" * 24)})', [r[:24] for r in rows])
        return
    # the report fields replace sla_status (position 15) with the drawn outcome (position 27)
    rows = [(*r[:15], r[27], *r[16:24], r[24], r[25], r[26]) for r in rows]
    cur.executemany(  # type: ignore[attr-defined]
        f'INSERT INTO leads ({BASE_COLUMNS}, region, industry, first_contact_at) VALUES ({",".join("?" * 27)})', rows)
