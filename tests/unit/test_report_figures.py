"""One property test per report figure (store/report_figures.py `FIGURES`): on random leads, deals,
stage moves, step exits, ticks, audit lines, ranges and owner filters — written through the ORM,
so the flush hook keeps the roll-up — the figure read from the daily roll-up equals the figure
read from the raw rows, as the report shows it.

The data is deliberately not always consistent (a converted lead without a deal, a closing date
on an open deal, a deleted deal of a live lead): both answers must agree on whatever the rows say.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel, select

from core.clock import FakeClock
from core.desk import Desk
from core.reports.report_filter import ReportFilter
from store import report_days, report_figures, reporting
from store.models import (
    Account,
    AuditEntry,
    ChecklistTick,
    Lead,
    Opportunity,
    PlaybookItem,
    Role,
    StageChange,
    StepExit,
    User,
    UserRef,
)
from store.report_figures import AUTOMATION_ACTIONS
from tests import factories

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
TODAY = date(2026, 6, 30)
"""NOW's day in Shanghai (20:00), the team's zone."""
KEEP = {'api_keys', 'app_settings', 'assignment_rules', 'login_throttles', 'lost_reasons', 'scoring_rules', 'stages',
        'users', 'web_forms', 'playbook_items', 'talk_tracks', 'webhooks', 'import_templates', 'channel_costs',
        'browser_sessions'}
"""The tables an example leaves alone: the team, the pipeline, the settings (the roll-up's zone)."""

minutes_ago = st.integers(min_value=1, max_value=120 * 24 * 60)
maybe = st.none() | minutes_ago
deal = st.fixed_dictionaries({
    'stage': st.integers(0, 20), 'closed': maybe, 'amount': st.integers(0, 90_000), 'owner': st.integers(0, 3),
    'deleted': st.booleans(), 'moves': st.lists(st.integers(0, 20), max_size=3),
})
audit = st.fixed_dictionaries({
    'action': st.sampled_from((*AUTOMATION_ACTIONS, 'note_added')),
    'reason': st.sampled_from((None, 'reason.claimed', 'reason.assigned.round_robin', 'reason.sla_breached')),
    'by_system': st.booleans(), 'subject': st.integers(0, 3), 'ago': minutes_ago,
})
step_exit = st.fixed_dictionaries({
    'ago': minutes_ago, 'done': st.lists(st.integers(0, 40), max_size=3),
    'open': st.lists(st.integers(0, 40), max_size=3),
})
lead = st.fixed_dictionaries({
    'ago': minutes_ago,
    'source': st.sampled_from(('website', 'ads', 'referral')),
    'grade': st.sampled_from(('A', 'B', 'C')),
    'region': st.sampled_from(('East', 'West', None, '')),
    'industry': st.sampled_from(('Retail', 'Tech', None)),
    'owner': st.integers(0, 3),
    'status': st.sampled_from(('new', 'assigned', 'contacted', 'qualified', 'converted', 'disqualified', 'pool',
                               'review')),
    'contact': maybe,
    'assigned': maybe,
    'sla': st.sampled_from((None, 'due', 'fulfilled', 'failed')),
    'deleted': st.integers(0, 9).map(lambda n: n == 0),
    'deal': st.none() | deal,
    'audits': st.lists(audit, max_size=2),
    'exits': st.lists(step_exit, max_size=2),
    'ticks': st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=3),
})
world = st.lists(lead, max_size=8)
report_range = st.tuples(st.integers(0, 150), st.integers(0, 3), st.integers(0, 3))
"""(days back the range starts, days after today it ends, owner filter: 0 none, else the rep)."""


@pytest.fixture
def team(desk: Desk, clock: FakeClock) -> tuple[UserRef, list[UserRef]]:
    clock._now = NOW
    reps = [factories.user(desk, Role.REP, name=f'Rep {i}') for i in range(3)]
    return factories.user(desk, Role.MANAGER, name='Boss'), reps


def wipe(desk: Desk) -> None:
    """Back to the team alone: raw deletes (no hook runs), the roll-up's rows with them."""
    with desk.ctx.engine.begin() as c:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in KEEP:
                c.execute(table.delete())


def fill(desk: Desk, reps: list[UserRef], leads: list[dict[str, Any]]) -> None:
    """The leads through the ORM, each in its own transaction, as the app writes them."""
    stages = desk.pipeline.stages()
    with desk.ctx.read() as s:
        items = list(s.exec(select(PlaybookItem.id)).all())

    def who(i: int) -> int | None:
        return reps[i - 1].id if i else None

    def at(minutes: int | None) -> datetime | None:
        return None if minutes is None else NOW - timedelta(minutes=minutes)

    for n, spec in enumerate(leads):
        with desk.ctx.write() as s:
            created = NOW - timedelta(minutes=spec['ago'])
            row = Lead(name=f'L{n}', source=spec['source'], grade=spec['grade'], region=spec['region'],
                       industry=spec['industry'],
                       owner_id=who(spec['owner']), status=spec['status'], created_at=created,
                       first_contact_at=at(spec['contact']), assigned_at=at(spec['assigned']),
                       sla_status=spec['sla'], is_deleted=spec['deleted'])
            s.add(row)
            s.flush()
            lead_id = row.id or 0
            opportunity_id = None
            if (d := spec['deal']) is not None:
                account = Account(name=f'A{n}')
                s.add(account)
                s.flush()
                stage = stages[d['stage'] % len(stages)]
                o = Opportunity(lead_id=lead_id, account_id=account.id or 0, name=f'D{n}', owner_id=who(d['owner']),
                                stage_id=stage.id or 0, amount_cents=d['amount'], created_at=created,
                                closed_at=at(d['closed']), is_deleted=d['deleted'])
                s.add(o)
                s.flush()
                opportunity_id = o.id
                for m in d['moves']:
                    s.add(StageChange(opportunity_id=o.id or 0, to_stage_id=stages[m % len(stages)].id or 0,
                                      created_at=created))
            for a in spec['audits']:
                subject = who(a['subject'])
                s.add(AuditEntry(action=a['action'], reason_key=a['reason'], lead_id=lead_id, subject_user_id=subject,
                                 actor_id=None if a['by_system'] else reps[0].id, created_at=at(a['ago'])))
            if items:
                for e in spec['exits']:
                    s.add(StepExit(lead_id=lead_id, opportunity_id=opportunity_id, created_at=at(e['ago']),
                                   done_ids=sorted({items[i % len(items)] for i in e['done']}),
                                   open_ids=sorted({items[i % len(items)] for i in e['open']})))
                for item in {items[i % len(items)]: done for i, done in spec['ticks']}.items():
                    s.add(ChecklistTick(item_id=item[0], lead_id=lead_id, opportunity_id=opportunity_id, done=item[1],
                                        created_at=created))


def the_filter(reps: list[UserRef], span: tuple[int, int, int]) -> ReportFilter:
    back, ahead, owner = span
    return ReportFilter(start=TODAY - timedelta(days=back), end=TODAY + timedelta(days=ahead),
                        owner_id=reps[owner - 1].id if owner else None)


def same(rolled: pd.DataFrame, raw: pd.DataFrame) -> None:
    """Equal tables; rows that tie on the panel's sort order (a region '' and none) may swap."""
    mine, theirs = rolled.to_dict('records'), raw.to_dict('records')
    assert sorted(map(repr, mine)) == sorted(map(repr, theirs))
    assert [r.get('label') for r in mine] == [r.get('label') for r in theirs]


def report_panels(*names: str) -> Callable[[Desk, UserRef, ReportFilter], None]:
    """Compare these report tables, roll-up against rows (the roll-up must be in use)."""

    def check(desk: Desk, actor: UserRef, f: ReportFilter) -> None:
        rolled, raw = desk.reports.report(actor, f).frames(), desk.reports.report(actor, f, rollup=False).frames()
        for name in names:
            same(rolled[name], raw[name])

    return check


def checklist(desk: Desk, actor: UserRef, f: ReportFilter) -> None:
    pd.testing.assert_frame_equal(desk.playbooks.checklist_report(actor, f),
                                  desk.playbooks.checklist_report(actor, f, rollup=False))


def cohort_grade(desk: Desk, actor: UserRef, f: ReportFilter) -> None:
    """The goals leaderboard's grade mix per owner (the roll-up is in use: the range ends today or later)."""
    scope = desk.reports.scope(f)
    with desk.ctx.read() as s:
        owners = [f.owner_id] if f.owner_id else [u or 0 for u in s.exec(select(User.id)).all()]
        rolled = report_days.cohort_by_owner_grade(s, owners, f.start, f.end)
        raw = reporting.cohort_by_owner_grade(s, scope)
    assert {o: g for o, g in rolled.items() if g} == {o: g for o, g in raw.items() if o in owners}


DIMENSION_TABLES = report_figures.DIMENSIONS
CHECKS: dict[str, Callable[[Desk, UserRef, ReportFilter], None]] = {
    'cohort': report_panels('funnel', *(f'conversion_by_{d}' for d in DIMENSION_TABLES)),
    'cohort_grade': cohort_grade,
    'cohort_days': report_panels('weekly_conversion'),
    'closed': report_panels(*(f'win_rate_by_{d}' for d in DIMENSION_TABLES)),
    'sla': report_panels('first_response'),
    'automation': report_panels('automation', 'automation_by_rep'),
    'checklist': checklist,
}


def test_every_declared_figure_has_its_property_test() -> None:
    assert {figure.name for figure in report_figures.FIGURES} == set(CHECKS)


def _property(name: str) -> Callable[..., None]:
    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(leads=world, span=report_range)
    def test(desk: Desk, team: tuple[UserRef, list[UserRef]], leads: list[dict[str, Any]],
             span: tuple[int, int, int]) -> None:
        manager, reps = team
        wipe(desk)
        fill(desk, reps, leads)
        CHECKS[name](desk, manager, the_filter(reps, span))

    test.__name__ = f'test_{name}_from_the_roll_up_equals_{name}_from_the_rows'
    return test


test_cohort_from_the_roll_up_equals_cohort_from_the_rows = _property('cohort')
test_cohort_grade_from_the_roll_up_equals_cohort_grade_from_the_rows = _property('cohort_grade')
test_cohort_days_from_the_roll_up_equals_cohort_days_from_the_rows = _property('cohort_days')
test_closed_from_the_roll_up_equals_closed_from_the_rows = _property('closed')
test_sla_from_the_roll_up_equals_sla_from_the_rows = _property('sla')
test_automation_from_the_roll_up_equals_automation_from_the_rows = _property('automation')
test_checklist_from_the_roll_up_equals_checklist_from_the_rows = _property('checklist')
