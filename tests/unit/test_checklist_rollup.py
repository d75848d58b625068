"""The checklist panel read from the daily roll-up (families steps, entered and ticked in
`report_days`) is the raw computation summed ahead: after real moves, ticks, unticks, wins,
losses, a reopened win, a reassignment and a merge either side of the team's midnight, and after
random rows written and rewritten through the ORM across Berlin's daylight-saving change, the kept
roll-up equals one rebuilt from scratch and every panel equals the one computed from the rows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from alembic import command
from sqlmodel import select

from core.clock import FakeClock
from core.desk import Desk
from core.reports.report_filter import ReportFilter
from store import report_rollup
from store.engine import read_session
from store.migrate import alembic_config, is_current, upgrade
from store.models import ChecklistTick, Lead, Opportunity, PlaybookItem, Role, StageChange, StepExit, UserRef
from tests import factories

from .db import get, rows
from .test_conversion import contacted_lead, make_opportunity
from .test_playbooks import _items, move, stage
from .test_report_rollup import NOW, churn, fill, kept_rows

CHECKLIST = ('steps', 'entered', 'ticked')


def checklist_rows(desk: Desk) -> set[tuple]:
    return {r for r in kept_rows(desk) if r[0] in CHECKLIST}


def same_reports(desk: Desk, actor: UserRef, f: ReportFilter) -> pd.DataFrame:
    rolled = desk.playbooks.checklist_report(actor, f)
    raw = desk.playbooks.checklist_report(actor, f, rollup=False)
    pd.testing.assert_frame_equal(rolled, raw)
    return rolled


def rebuilt_equals_kept(desk: Desk) -> None:
    kept = kept_rows(desk)
    with desk.ctx.engine.begin() as connection:
        report_rollup.rebuild(connection, desk.ctx.settings.timezone)
    assert kept_rows(desk) == kept


def test_real_actions_either_side_of_midnight_count_the_same_from_the_roll_up(desk: Desk, clock: FakeClock) -> None:
    manager = factories.user(desk, Role.MANAGER, name='Boss')
    ann, bo = (factories.user(desk, Role.REP, name=n) for n in ('Ann', 'Bo'))
    clock._now = datetime(2026, 3, 2, 15, 20, tzinfo=UTC)  # 23:20 in Shanghai: midnight is 16:00 UTC
    needs = stage(desk, 'Needs confirmed')
    stakeholders, pains = _items(desk, f'stage:{needs.id}')
    demo = _items(desk, f'stage:{stage(desk, "Solution").id}')[0]
    deals = {}
    for i, who in enumerate((ann, ann, bo, bo, ann)):
        deals[i] = make_opportunity(desk, clock, who)  # the lead's exits: assigned, contacted, qualified
    desk.playbooks.tick(ann, stakeholders.id or 0, done=True, opportunity_id=deals[0])
    desk.playbooks.tick(ann, pains.id or 0, done=True, opportunity_id=deals[1])
    desk.playbooks.tick(ann, pains.id or 0, done=False, opportunity_id=deals[1])  # unticked again
    desk.playbooks.tick(bo, stakeholders.id or 0, done=True, opportunity_id=deals[2])
    move(desk, ann, deals[0], 'Solution')
    move(desk, bo, deals[2], 'Solution')
    desk.playbooks.tick(ann, demo.id or 0, done=True, opportunity_id=deals[0])
    move(desk, ann, deals[0], 'Won', won_amount='5000', close_date=date(2026, 3, 2))
    clock._now = datetime(2026, 3, 2, 16, 10, tzinfo=UTC)  # the next day in Shanghai
    move(desk, bo, deals[2], 'Lost', lost_reason='price')
    move(desk, ann, deals[1], 'Solution')
    move(desk, ann, deals[1], 'Won', won_amount='700', close_date=date(2026, 3, 3))
    move(desk, manager, deals[1], 'Solution')  # the win undone: reopened by a manager
    move(desk, bo, deals[3], 'Lost', lost_reason='competitor')
    move(desk, manager, deals[0], 'Lost', lost_reason='price')  # won yesterday, lost today after all
    first, second, third = (contacted_lead(desk, clock, ann) for _ in range(3))
    desk.leads.assign_lead(manager, third, rep_id=bo.id or 0)  # its exit now counts for Bo
    merge_id = desk.merges.merge(manager, [first, second])  # the merged-away lead's exits no longer count
    assert get(desk, Lead, third).owner_id == bo.id and sum(get(desk, Lead, i).is_deleted for i in (first, second))
    assert rows(desk, StepExit, StepExit.lead_id == third)
    assert rows(desk, ChecklistTick, ChecklistTick.done == False)  # noqa: E712
    rebuilt_equals_kept(desk)
    desk.merges.undo(manager, merge_id)  # and count again
    rebuilt_equals_kept(desk)
    yesterday, today = date(2026, 3, 2), date(2026, 3, 3)
    for start, end in ((yesterday, yesterday), (today, today), (yesterday, today),
                       (today - timedelta(days=40), today)):
        f = ReportFilter(start=start, end=end)
        same_reports(desk, manager, f)
        for rep in (ann, bo):
            same_reports(desk, manager, ReportFilter(start=start, end=end, owner_id=rep.id))
            same_reports(desk, rep, f)  # a rep's own, whatever was asked
    both = same_reports(desk, manager, ReportFilter(start=yesterday, end=today)).set_index('item_id')
    assert both.loc[stakeholders.id].exits == 3 and both.loc[stakeholders.id].with_done == 2
    # deals 0 and 2 went through Solution and are closed (lost): the demo done on 0, not on 2
    assert (both.loc[demo.id].with_done, both.loc[demo.id].without_done) == (1, 1)
    day_one = same_reports(desk, manager, ReportFilter(start=yesterday, end=yesterday)).set_index('item_id')
    assert day_one.loc[stakeholders.id].exits == 2 and day_one.loc[stakeholders.id].with_done == 0


def random_checklist(desk: Desk, rng: random.Random, reps: list[UserRef], times: int) -> None:
    """Exits, ticks and moves at random moments, then churned: ticks flipped, exits added to
    leads that may since have been deleted or reassigned."""
    with read_session(desk.ctx.engine) as s:
        lead_ids = list(s.exec(select(Lead.id)).all())
        deal_ids = list(s.exec(select(Opportunity.id)).all())
        items = list(s.exec(select(PlaybookItem)).all())
    stages = desk.pipeline.stages()
    for _ in range(times):
        with desk.ctx.write() as s:
            what = rng.randrange(3)
            if what == 0:
                step = rng.choice(items)
                same = [i.id or 0 for i in items if (i.stage_id, i.lead_status) == (step.stage_id, step.lead_status)]
                done = [i for i in same if rng.random() < 0.5]
                lead = s.get(Lead, rng.choice(lead_ids))
                assert lead is not None
                s.add(StepExit(lead_id=lead.id or 0, lead_status=step.lead_status, stage_id=step.stage_id,
                               done_ids=done, open_ids=[i for i in same if i not in done],
                               created_at=NOW - timedelta(minutes=rng.randint(5, 200 * 24 * 60))))
                if rng.random() < 0.3:  # and the lead reassigned or deleted in the same flush
                    owner = rng.choice([*reps, None])
                    lead.owner_id = owner.id if owner else None
                    lead.is_deleted = lead.is_deleted if rng.random() < 0.8 else not lead.is_deleted
                    s.add(lead)
            elif what == 1:
                lead_id, item = rng.choice(lead_ids), rng.choice(items)
                tick = s.exec(select(ChecklistTick).where(ChecklistTick.lead_id == lead_id,
                                                          ChecklistTick.item_id == item.id)).first()
                if tick is None:
                    tick = ChecklistTick(item_id=item.id or 0, lead_id=lead_id, done=True)
                else:
                    tick.done = not tick.done
                s.add(tick)
            elif deal_ids:
                s.add(StageChange(opportunity_id=rng.choice(deal_ids), to_stage_id=rng.choice(stages).id or 0,
                                  created_at=NOW - timedelta(hours=rng.randint(1, 24 * 200))))


@pytest.mark.parametrize('seed', [1, 2])
def test_random_rows_across_daylight_saving_count_the_same_from_the_roll_up(desk: Desk, clock: FakeClock,
                                                                            seed: int) -> None:
    clock._now = NOW
    manager = factories.user(desk, Role.MANAGER, name='Boss')
    reps = [factories.user(desk, Role.REP, name=f'Rep {i}') for i in range(3)]
    report_rollup.ensure(desk.ctx.engine, 'Europe/Berlin')
    desk.ctx.settings.timezone = 'Europe/Berlin'
    rng = random.Random(seed)
    fill(desk, rng, reps, 80)
    random_checklist(desk, rng, reps, 150)
    churn(desk, rng, reps, 50)  # reassign, delete and restore leads and deals, close and reopen deals
    random_checklist(desk, rng, reps, 60)
    assert checklist_rows(desk)
    rebuilt_equals_kept(desk)
    today = NOW.date()
    for start, end in ((date(2026, 3, 28), date(2026, 3, 30)), (date(2026, 3, 29), date(2026, 3, 29)),
                       (today - timedelta(days=29), today), (today - timedelta(days=199), today),
                       (date(2026, 2, 1), date(2026, 4, 15))):
        f = ReportFilter(start=start, end=end)
        same_reports(desk, manager, f)
        same_reports(desk, manager, ReportFilter(start=start, end=end, owner_id=reps[0].id))
        same_reports(desk, reps[1], f)
    year = same_reports(desk, manager, ReportFilter(start=today - timedelta(days=199), end=today))
    assert year['exits'].sum() > 0 and year['with_done'].sum() > 0


def test_migration_0019_backfills_the_checklist_families_from_the_rows(desk: Desk, clock: FakeClock) -> None:
    manager = factories.user(desk, Role.MANAGER, name='Boss')
    rep = factories.user(desk, Role.REP, name='Ann')
    deal = make_opportunity(desk, clock, rep)
    first = _items(desk, f'stage:{stage(desk, "Needs confirmed").id}')[0]
    desk.playbooks.tick(rep, first.id or 0, done=True, opportunity_id=deal)
    move(desk, rep, deal, 'Solution')
    move(desk, rep, deal, 'Won', won_amount='900', close_date=date(2026, 3, 2))
    kept = checklist_rows(desk)
    assert {r[0] for r in kept} == set(CHECKLIST)
    config = alembic_config()
    with desk.ctx.engine.connect() as connection, connection.begin():
        config.attributes['connection'] = connection
        command.downgrade(config, '0018')
    assert not checklist_rows(desk)
    upgrade(desk.ctx.engine)
    assert is_current(desk.ctx.engine) and checklist_rows(desk) == kept
    today = desk.reports.today()
    same_reports(desk, manager, ReportFilter(start=today, end=today))


def test_migration_0019_runs_again_after_an_upgrade_stopped_halfway(desk: Desk, clock: FakeClock) -> None:
    """Stopped during its rebuild (a restart at 1M leads), 0019 left its index but not its version."""
    rep = factories.user(desk, Role.REP, name='Ann')
    deal = make_opportunity(desk, clock, rep)
    move(desk, rep, deal, 'Solution')
    kept = checklist_rows(desk)
    config = alembic_config()
    with desk.ctx.engine.connect() as connection, connection.begin():
        config.attributes['connection'] = connection
        command.downgrade(config, '0018')
    with desk.ctx.engine.begin() as connection:
        connection.exec_driver_sql('CREATE INDEX ix_playbook_exits_lead ON playbook_exits (lead_id)')
    upgrade(desk.ctx.engine)
    assert is_current(desk.ctx.engine) and checklist_rows(desk) == kept


def test_step_exits_rewritten_or_deleted_by_hand_are_kept_too(desk: Desk, clock: FakeClock) -> None:
    """The app only ever inserts exits; rows changed or removed through the ORM are still kept."""
    rep = factories.user(desk, Role.REP, name='Ann')
    make_opportunity(desk, clock, rep)
    exits = rows(desk, StepExit)
    assert len(exits) >= 2
    with desk.ctx.write() as s:
        changed = s.get(StepExit, exits[0].id)
        assert changed is not None
        changed.open_ids, changed.done_ids = [*changed.open_ids, *changed.done_ids], []
        s.add(changed)
        gone = s.get(StepExit, exits[1].id)
        s.delete(gone)
    rebuilt_equals_kept(desk)
    today = desk.reports.today()
    assert same_reports(desk, rep, ReportFilter(start=today, end=today))['exits'].sum() > 0
