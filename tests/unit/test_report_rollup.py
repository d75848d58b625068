"""The reports' daily roll-up is the raw computation, summed ahead: on random data written and
rewritten through the ORM, the kept roll-up equals one rebuilt from scratch, and every panel
computed from it equals the same panel computed from the rows."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlmodel import select

from core.clock import FakeClock
from core.desk import Desk
from core.reports.report_filter import ReportFilter
from store import report_rollup, reporting
from store.engine import read_session
from store.models import Account, AuditEntry, Lead, Opportunity, ReportDay, Role, StageChange, UserRef
from tests import factories

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
NOW_DST = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SOURCES = ('website', 'ads', 'referral', 'phone')
REGIONS = ('East', 'West', None, '')
INDUSTRIES = ('Retail', 'Tech', None)
STATUSES = ('assigned', 'contacted', 'qualified', 'converted', 'disqualified', 'pool')


def kept_rows(desk: Desk) -> set[tuple]:
    with read_session(desk.ctx.engine) as s:
        return {(r.family, r.scope_id, r.day, r.dimension, r.value, r.n1, r.n2, r.n3, r.n4, r.n5)
                for r in s.exec(select(ReportDay)).all() if any((r.n1, r.n2, r.n3, r.n4, r.n5))}


def random_moment(rng: random.Random) -> datetime:
    return NOW - timedelta(minutes=rng.randint(5, 200 * 24 * 60))


def fill(desk: Desk, rng: random.Random, reps: list[UserRef], leads: int) -> None:
    stages = desk.pipeline.stages()
    with desk.ctx.write() as s:
        for i in range(leads):
            created = random_moment(rng)
            owner = rng.choice([*reps, None])
            contacted = owner is not None and rng.random() < 0.6
            lead = Lead(name=f'R{i}', source=rng.choice(SOURCES), region=rng.choice(REGIONS),
                        industry=rng.choice(INDUSTRIES), status=rng.choice(STATUSES),
                        owner_id=owner.id if owner else None, created_at=created,
                        assigned_at=created + timedelta(minutes=3) if owner else None,
                        first_contact_at=min(created + timedelta(minutes=rng.randint(4, 3000)), NOW)
                        if contacted else None,
                        sla_status=rng.choice(('fulfilled', 'failed', 'due', None)) if owner else None)
            s.add(lead)
            s.flush()
            if rng.random() < 0.4:
                account = Account(name=f'A{i}')
                s.add(account)
                s.flush()
                stage = rng.choice(stages)
                closed = min(created + timedelta(days=rng.uniform(1, 40)), NOW) if stage.kind != 'open' else None
                s.add(Opportunity(lead_id=lead.id or 0, account_id=account.id or 0, name=f'D{i}',
                                  owner_id=rng.choice(reps).id, stage_id=stage.id or 0,
                                  amount_cents=rng.randint(1, 900) * 100, created_at=created + timedelta(hours=1),
                                  closed_at=closed))
            if owner is not None:
                action, reason = rng.choice((('assigned', 'reason.assigned.round_robin'),
                                             ('assigned', 'reason.claimed'), ('sla_breached', 'reason.sla_breached'),
                                             ('recycled', 'reason.recycled'), ('sent_to_review', None),
                                             ('note_added', None)))
                s.add(AuditEntry(action=action, reason_key=reason, lead_id=lead.id, subject_user_id=owner.id,
                                 actor_id=rng.choice((None, owner.id)), created_at=created + timedelta(minutes=3)))


def churn(desk: Desk, rng: random.Random, reps: list[UserRef], times: int) -> None:
    """Random later edits, each its own transaction: reassign, contact, qualify, close, reopen,
    move a deal to another owner, delete a lead or a deal, change a lead's region."""
    stages = desk.pipeline.stages()
    with read_session(desk.ctx.engine) as s:
        lead_ids = list(s.exec(select(Lead.id)).all())
        deal_ids = list(s.exec(select(Opportunity.id)).all())
    for _ in range(times):
        with desk.ctx.write() as s:
            if rng.random() < 0.5:
                lead = s.get(Lead, rng.choice(lead_ids))
                assert lead is not None
                change = rng.randrange(5)
                if change == 0:
                    lead.owner_id = rng.choice(reps).id
                elif change == 1:
                    lead.first_contact_at = NOW - timedelta(minutes=1)
                elif change == 2:
                    lead.status = rng.choice(STATUSES)
                elif change == 3:
                    lead.region = rng.choice(REGIONS)
                else:
                    lead.is_deleted = not lead.is_deleted
                s.add(lead)
            elif deal_ids:
                deal = s.get(Opportunity, rng.choice(deal_ids))
                assert deal is not None
                change = rng.randrange(3)
                if change == 0:
                    stage = rng.choice(stages)
                    deal.stage_id = stage.id or 0
                    deal.closed_at = NOW - timedelta(hours=rng.randint(1, 500)) if stage.kind != 'open' else None
                elif change == 1:
                    deal.owner_id = rng.choice(reps).id
                else:
                    deal.is_deleted = not deal.is_deleted
                s.add(deal)


@pytest.fixture
def team(desk: Desk, clock: FakeClock) -> tuple[UserRef, list[UserRef]]:
    clock._now = NOW
    reps = [factories.user(desk, Role.REP, name=f'Rep {i}') for i in range(3)]
    return factories.user(desk, Role.MANAGER, name='Boss'), reps


def same_frames(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    """Equal tables; rows that tie on the panel's sort order (a region '' and none, both labelled
    '') may come in either order."""
    assert a.keys() == b.keys()
    for name, frame in a.items():
        mine, theirs = frame.to_dict('records'), b[name].to_dict('records')
        assert sorted(map(repr, mine)) == sorted(map(repr, theirs)), name
        assert [r.get('label') for r in mine] == [r.get('label') for r in theirs], name


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_the_kept_roll_up_equals_a_rebuild_and_the_raw_computation(desk: Desk, team: tuple[UserRef, list[UserRef]],
                                                                   seed: int) -> None:
    manager, reps = team
    rng = random.Random(seed)
    fill(desk, rng, reps, 120)
    churn(desk, rng, reps, 60)
    kept = kept_rows(desk)
    with desk.ctx.engine.begin() as connection:
        report_rollup.rebuild(connection, desk.ctx.settings.timezone)
    assert kept_rows(desk) == kept
    today = NOW.date()
    for start in (today - timedelta(days=29), today - timedelta(days=89), date(2026, 4, 1),
                  today - timedelta(days=364)):
        f = ReportFilter(start=start, end=today)
        same_frames(desk.reports.report(manager, f).frames(), desk.reports.report(manager, f, rollup=False).frames())
        mine = ReportFilter(start=start, end=today, owner_id=reps[0].id)
        same_frames(desk.reports.report(reps[0], mine).frames(),
                    desk.reports.report(reps[0], mine, rollup=False).frames())


def test_a_report_on_the_roll_up_matches_the_rows_through_real_actions(desk: Desk,
                                                                       team: tuple[UserRef, list[UserRef]]) -> None:
    manager, _reps = team
    for _ in range(4):
        desk.leads.capture_lead(factories.lead_data(), channel='api', default_source='api')
    today = NOW.date()
    f = ReportFilter(start=today - timedelta(days=6), end=today)
    report = desk.reports.report(manager, f)
    assert report.funnel['count'].tolist()[0] == 4
    same_frames(report.frames(), desk.reports.report(manager, f, rollup=False).frames())
    # captures write in bulk (Core inserts the flush hooks never see): what they add is kept too
    kept = kept_rows(desk)
    with desk.ctx.engine.begin() as connection:
        report_rollup.rebuild(connection, desk.ctx.settings.timezone)
    assert kept_rows(desk) == kept


def test_a_new_time_zone_rebuilds_the_roll_up(desk: Desk, team: tuple[UserRef, list[UserRef]]) -> None:
    manager, reps = team
    fill(desk, random.Random(9), reps, 40)
    with desk.ctx.engine.begin() as connection:
        assert report_rollup.built_zone(connection) == 'Asia/Shanghai'
    report_rollup.ensure(desk.ctx.engine, 'Europe/Berlin')
    with desk.ctx.engine.begin() as connection:
        assert report_rollup.built_zone(connection) == 'Europe/Berlin'
    desk.ctx.settings.timezone = 'Europe/Berlin'
    f = ReportFilter(start=NOW.date() - timedelta(days=120), end=NOW.date())
    same_frames(desk.reports.report(manager, f).frames(), desk.reports.report(manager, f, rollup=False).frames())


def test_lead_filters_and_ranges_that_ended_are_counted_from_the_rows(desk: Desk,
                                                                      team: tuple[UserRef, list[UserRef]]) -> None:
    _manager, reps = team
    fill(desk, random.Random(5), reps, 30)
    today = NOW.date()
    assert desk.reports._rolled_up(ReportFilter(start=today, end=today), desk.reports.scope(
        ReportFilter(start=today, end=today)))
    for f in (ReportFilter(start=today, end=today, source='ads'), ReportFilter(start=today - timedelta(days=9),
                                                                               end=today - timedelta(days=1))):
        assert not desk.reports._rolled_up(f, desk.reports.scope(f))


def test_stored_stays_in_a_stage_equal_the_moves_worked_out_by_hand(desk: Desk,
                                                                   team: tuple[UserRef, list[UserRef]]) -> None:
    """`left_at` is kept by a flush hook (store/stage_stays.py), also for moves written out of time
    order: every stay the report reads equals the one worked out from the raw moves here."""
    _manager, reps = team
    rng = random.Random(4)
    fill(desk, rng, reps, 80)
    stages = desk.pipeline.stages()
    with read_session(desk.ctx.engine) as s:
        deal_ids = list(s.exec(select(Opportunity.id)).all())
    for i in range(120):  # moves at random times, so stays end inside and outside the range
        with desk.ctx.write() as s:
            s.add(StageChange(opportunity_id=rng.choice(deal_ids), to_stage_id=rng.choice(stages).id or 0,
                              created_at=NOW - timedelta(hours=rng.randint(1, 24 * 200), minutes=i)))
    f = ReportFilter(start=NOW.date() - timedelta(days=150), end=NOW.date() - timedelta(days=10))
    scope = desk.reports.scope(f)
    with read_session(desk.ctx.engine) as s:
        stored = sorted((stage, round(seconds, 3)) for stage, seconds in reporting.stage_intervals(s, scope))
        moves = sorted(s.exec(select(StageChange)).all(), key=lambda c: (c.opportunity_id, c.created_at, c.id))
        live = {o.id for o in s.exec(select(Opportunity)).all() if not o.is_deleted}
    by_hand = []
    for this, following in itertools.pairwise(moves):
        if this.opportunity_id != following.opportunity_id or this.opportunity_id not in live:
            continue
        assert this.created_at is not None and following.created_at is not None
        if scope.start <= following.created_at < scope.end:
            by_hand.append((this.to_stage_id, round((following.created_at - this.created_at).total_seconds(), 3)))
    assert stored == sorted(by_hand) and len(stored) > 10


def test_the_roll_up_and_the_rows_agree_on_local_days_across_daylight_saving(desk: Desk, clock: FakeClock) -> None:
    """Leads an hour either side of Berlin's midnight just before and after both changes of 2026
    (29 March, 25 October): the roll-up converts each instant, the raw path shifts each stretch of
    the range by its own offset — the weekly trend is the same either way, and every lead is counted."""
    clock._now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    manager = factories.user(desk, Role.MANAGER, name='Boss')
    report_rollup.ensure(desk.ctx.engine, 'Europe/Berlin')
    desk.ctx.settings.timezone = 'Europe/Berlin'
    moments = []
    for change in (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)):
        for days in (-8, -7, -1, 0, 1, 6, 7, 8):
            for hours in (-2.5, -1.5, -0.5, 0.5, 1.5, 22.5):
                moments.append(change + timedelta(days=days, hours=hours))
    with desk.ctx.write() as s:
        for i, moment in enumerate(moments):
            s.add(Lead(name=f'D{i}', source='website', status='assigned', created_at=moment))
    f = ReportFilter(start=date(2026, 1, 5), end=NOW_DST.date())
    rolled, raw = desk.reports.report(manager, f), desk.reports.report(manager, f, rollup=False)
    with desk.ctx.engine.begin() as connection:
        assert report_rollup.built_zone(connection) == 'Europe/Berlin'
    same_frames(rolled.frames(), raw.frames())
    assert int(raw.weekly['captured'].sum()) == len(moments)
