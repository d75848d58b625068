"""The report metrics on a small hand-made team, every answer worked out by hand in the comments.

The team's zone is Asia/Shanghai (UTC+8): "March" is 2026-02-28 16:00Z … 2026-03-31 16:00Z.

Leads (created = assigned unless said; response = minutes from assignment to first contact):
  L1  Li    website  East  Retail  03-02  response 30, SLA met, contacted
  L2  Li    website  East  Retail  03-03  response 90, SLA missed, qualified
  L3  Li    ads      West  Tech    03-04  response 60, SLA met, converted → O1 (03-10) won 03-20, 1,000.00
  L4  Zhao  ads      West  Tech    03-05  response 10, SLA met, converted → O2 (03-11) lost 03-21 from Quotation
  L5  Zhao  referral —     —       03-06  not contacted, SLA due
  L9  Zhao  website  East  Retail  02-28 17:00Z = 03-01 01:00 local (inside!), SLA missed, disqualified
Outside the cohort (captured in February) but with deals that matter in March:
  L6  Li    website → O3 won 03-15, 500.00 (entered Needs confirmed 02-21)
  L10 Zhao  referral → O4 lost 03-25 from Needs confirmed (entered 02-25), reason competitor
  L11 Li    website → O5 open at Quotation (60 %), 2,000.00, expected 03-28
  L12 Zhao  website → O6 open at Needs confirmed (10 %), 3,000.00, expected 04-10 (outside)
  L13 Li    website, captured 03-31 20:00Z = 04-01 local (outside); L14 deleted (never counts)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.reports.metrics import ratio, weekly_conversion
from core.reports.money import prorated_costs
from core.reports.panels import preset_range
from core.reports.report_filter import ReportFilter
from store.models import Account, AuditEntry, Lead, Opportunity, Role, StageChange, UserRef
from tests import factories

MARCH = ReportFilter(start=date(2026, 3, 1), end=date(2026, 3, 31))


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f'2026-{day}T{hour:02d}:00:00+00:00')


@dataclass
class Data:
    manager: UserRef
    li: UserRef
    zhao: UserRef
    leads: dict[str, int]
    deals: dict[str, int]


def add_lead(desk: Desk, owner: UserRef | None, created: datetime, *, response: int | None = None,
             **fields: Any) -> int:
    fields.setdefault('status', 'assigned')
    with desk.ctx.write() as s:
        lead = Lead(name='L', owner_id=owner.id if owner else None, created_at=created,
                    assigned_at=created if owner else None,
                    first_contact_at=created + timedelta(minutes=response) if response is not None else None,
                    **fields)
        s.add(lead)
        s.flush()
        return lead.id or 0


def add_deal(desk: Desk, lead_id: int, owner: UserRef, *, created: datetime, moves: list[tuple[str, datetime]],
             amount_cents: int, expected_close: date, lost_reason: str | None = None) -> int:
    """A deal entering 'Needs confirmed' at `created`, then moved through `moves` (stage name, when)."""
    stages = {st.name_en: st for st in desk.pipeline.stages()}
    with desk.ctx.write() as s:
        account = Account(name=f'Acme {lead_id}')
        s.add(account)
        s.flush()
        final = stages[moves[-1][0]] if moves else stages['Needs confirmed']
        closed = moves[-1][1] if moves and final.kind != 'open' else None
        o = Opportunity(lead_id=lead_id, account_id=account.id or 0, owner_id=owner.id, name=f'Deal {lead_id}',
                        stage_id=final.id or 0, amount_cents=amount_cents, expected_close=expected_close,
                        lost_reason=lost_reason, closed_at=closed, created_at=created)
        s.add(o)
        s.flush()
        s.add(StageChange(opportunity_id=o.id or 0, to_stage_id=stages['Needs confirmed'].id or 0, created_at=created))
        previous = stages['Needs confirmed']
        for name, when in moves:
            s.add(StageChange(opportunity_id=o.id or 0, from_stage_id=previous.id, to_stage_id=stages[name].id or 0,
                              created_at=when))
            previous = stages[name]
        return o.id or 0


@pytest.fixture(params=['rollup', 'rows'])
def data(desk: Desk, clock: FakeClock, request: pytest.FixtureRequest) -> Data:
    """The team's data. Every test runs twice: with the clock inside March (the range ends later, so
    the counts come from the daily roll-up) and in June (the range ended: counted from the rows)."""
    built = _data(desk)
    if request.param == 'rows':
        clock.advance(days=91)
    return built


def _data(desk: Desk) -> Data:
    li = factories.user(desk, Role.REP, name='Li')
    zhao = factories.user(desk, Role.REP, name='Zhao')
    manager = factories.user(desk, Role.MANAGER, name='Boss')
    east = {'region': 'East', 'industry': 'Retail'}
    west = {'region': 'West', 'industry': 'Tech'}
    leads = {
        'L1': add_lead(desk, li, at('03-02'), response=30, sla_status='fulfilled', status='contacted',
                       source='website', **east),
        'L2': add_lead(desk, li, at('03-03'), response=90, sla_status='failed', status='qualified',
                       source='website', **east),
        'L3': add_lead(desk, li, at('03-04'), response=60, sla_status='fulfilled', status='converted',
                       source='ads', **west),
        'L4': add_lead(desk, zhao, at('03-05'), response=10, sla_status='fulfilled', status='converted',
                       source='ads', **west),
        'L5': add_lead(desk, zhao, at('03-06'), sla_status='due', source='referral'),
        'L9': add_lead(desk, zhao, at('02-28', 17), sla_status='failed', status='disqualified', source='website',
                       **east),
        'L6': add_lead(desk, li, at('02-20'), response=5, status='converted', source='website'),
        'L10': add_lead(desk, zhao, at('02-20'), status='converted', source='referral'),
        'L11': add_lead(desk, li, at('02-20'), status='converted', source='website'),
        'L12': add_lead(desk, zhao, at('02-20'), status='converted', source='website'),
        'L13': add_lead(desk, li, at('03-31', 20), source='website'),
        'L14': add_lead(desk, li, at('03-10'), source='website', is_deleted=True),
    }
    deals = {
        'O1': add_deal(desk, leads['L3'], li, created=at('03-10'), moves=[('Solution', at('03-12')),
                                                                          ('Won', at('03-20'))],
                       amount_cents=100_000, expected_close=date(2026, 3, 20)),
        'O2': add_deal(desk, leads['L4'], zhao, created=at('03-11'), moves=[('Quotation', at('03-13')),
                                                                            ('Lost', at('03-21'))],
                       amount_cents=80_000, expected_close=date(2026, 3, 30), lost_reason='price'),
        'O3': add_deal(desk, leads['L6'], li, created=at('02-21'), moves=[('Won', at('03-15'))],
                       amount_cents=50_000, expected_close=date(2026, 3, 15)),
        'O4': add_deal(desk, leads['L10'], zhao, created=at('02-25'), moves=[('Lost', at('03-25'))],
                       amount_cents=70_000, expected_close=date(2026, 3, 25), lost_reason='competitor'),
        'O5': add_deal(desk, leads['L11'], li, created=at('02-21'), moves=[('Quotation', at('02-22'))],
                       amount_cents=200_000, expected_close=date(2026, 3, 28)),
        'O6': add_deal(desk, leads['L12'], zhao, created=at('02-21'), moves=[],
                       amount_cents=300_000, expected_close=date(2026, 4, 10)),
    }
    return Data(manager=manager, li=li, zhao=zhao, leads=leads, deals=deals)


def records(frame: Any, *columns: str) -> list[tuple[Any, ...]]:
    return [tuple(row[c] for c in columns) for row in frame.to_dict('records')]


# ----- funnel and conversion ------------------------------------------------------------------------------

def test_funnel_counts_each_step_of_the_march_cohort(desk: Desk, data: Data) -> None:
    funnel = desk.reports.report(data.manager, MARCH).funnel
    # captured L1 L2 L3 L4 L5 L9 = 6; contacted L1 L2 L3 L4 = 4; qualified L2 L3 L4 = 3; deals L3 L4 = 2; won L3 = 1
    assert records(funnel, 'step', 'count', 'from_previous', 'drop_off') == [
        ('captured', 6, None, None), ('contacted', 4, 0.6667, 0.3333), ('qualified', 3, 0.75, 0.25),
        ('opportunity', 2, 0.6667, 0.3333), ('won', 1, 0.5, 0.5)]


def test_conversion_rate_by_source_and_rep(desk: Desk, data: Data) -> None:
    report = desk.reports.report(data.manager, MARCH)
    assert report.conversion_rate == 0.3333  # 2 of 6
    # website L1 L2 L9: 0 of 3; ads L3 L4: 2 of 2; referral L5: 0 of 1
    assert records(report.conversion['source'], 'key', 'captured', 'converted', 'rate') == [
        ('website', 3, 0, 0.0), ('ads', 2, 2, 1.0), ('referral', 1, 0, 0.0)]
    # Li L1 L2 L3 → 1 of 3; Zhao L4 L5 L9 → 1 of 3 (same size: by name)
    assert records(report.conversion['owner_id'], 'label', 'captured', 'converted', 'rate') == [
        ('Li', 3, 1, 0.3333), ('Zhao', 3, 1, 0.3333)]
    assert records(report.conversion['region'], 'key', 'captured') == [('East', 3), ('West', 2), (None, 1)]


def test_weekly_trend_starts_on_monday_and_keeps_empty_weeks(desk: Desk, data: Data) -> None:
    weekly = desk.reports.report(data.manager, MARCH).weekly
    # 1 March 2026 is a Sunday: its week starts 23 Feb (L9, local 03-01); L1–L5 in the week of 2 March
    assert records(weekly, 'week', 'captured', 'converted', 'rate') == [
        ('2026-02-23', 1, 0, 0.0), ('2026-03-02', 5, 2, 0.4), ('2026-03-09', 0, 0, None),
        ('2026-03-16', 0, 0, None), ('2026-03-23', 0, 0, None), ('2026-03-30', 0, 0, None)]


def test_filters_narrow_every_panel(desk: Desk, data: Data) -> None:
    report = desk.reports.report(data.manager, ReportFilter(start=MARCH.start, end=MARCH.end, source='ads'))
    assert report.funnel['count'].tolist() == [2, 2, 2, 2, 1]
    assert report.win_rate == 0.5  # O1 won, O2 lost
    west = desk.reports.report(data.manager, ReportFilter(start=MARCH.start, end=MARCH.end, region='West'))
    assert west.conversion_rate == 1.0
    zhao = desk.reports.report(data.manager, ReportFilter(start=MARCH.start, end=MARCH.end, owner_id=data.zhao.id))
    assert zhao.funnel['count'].tolist()[0] == 3


# ----- win rate, cycle, stages, lost --------------------------------------------------------------------------

def test_win_rate_counts_deals_closed_in_the_range(desk: Desk, data: Data) -> None:
    report = desk.reports.report(data.manager, MARCH)
    assert report.win_rate == 0.5  # O1, O3 won; O2, O4 lost
    assert records(report.win['source'], 'key', 'won', 'lost', 'rate', 'won_cents') == [
        ('ads', 1, 1, 0.5, 100_000), ('referral', 0, 1, 0.0, 0), ('website', 1, 0, 1.0, 50_000)]
    assert records(report.win['owner_id'], 'label', 'won', 'lost', 'rate') == [('Li', 2, 0, 1.0),
                                                                               ('Zhao', 0, 2, 0.0)]


def test_sales_cycle_is_capture_to_win_median_by_source(desk: Desk, data: Data) -> None:
    cycle = desk.reports.report(data.manager, MARCH).cycle
    # O1: L3 03-04 → 03-20 = 16 days; O3: L6 02-20 → 03-15 = 23 days
    assert records(cycle, 'source', 'won', 'median_days') == [('ads', 1, 16.0), ('website', 1, 23.0)]


def test_time_in_stage_counts_stays_that_ended_in_the_range(desk: Desk, data: Data) -> None:
    stages = desk.reports.report(data.manager, MARCH).stage_time
    # Needs confirmed: O1 2, O2 2, O3 22 (02-21→03-15), O4 28 (02-25→03-25) → median 12, mean 13.5;
    # Solution: O1 8; Quotation: O2 8 (O5's stay has not ended; its 02-21→02-22 stay ended in February)
    assert records(stages, 'stage_en', 'stays', 'median_days', 'mean_days') == [
        ('Needs confirmed', 4, 12.0, 13.5), ('Solution', 1, 8.0, 8.0), ('Quotation', 1, 8.0, 8.0)]


def test_lost_reasons_by_stage_lost_from(desk: Desk, data: Data) -> None:
    report = desk.reports.report(data.manager, MARCH)
    quotation = next(s.id for s in desk.pipeline.stages() if s.name_en == 'Quotation')
    needs = next(s.id for s in desk.pipeline.stages() if s.name_en == 'Needs confirmed')
    assert sorted(records(report.lost, 'reason', 'from_stage_id', 'count', 'share')) == [
        ('competitor', needs, 1, 0.5), ('price', quotation, 1, 0.5)]
    assert sorted(records(report.lost_totals, 'reason', 'share')) == [('competitor', 0.5), ('price', 0.5)]


# ----- first response -------------------------------------------------------------------------------------------

def test_first_response_median_p90_and_sla_share_per_rep(desk: Desk, data: Data) -> None:
    report = desk.reports.report(data.manager, MARCH)
    # Li: 30, 60, 90 → median 60, p90 = 60 + 0.8 × 30 = 84; SLA met L1 L3, missed L2 → 2/3
    # Zhao: 10 → 10, 10; met L4, missed L9 (L5 still due) → 1/2. Fastest first.
    assert records(report.response, 'rep', 'responses', 'median_minutes', 'p90_minutes', 'sla_share') == [
        ('Zhao', 1, 10.0, 10.0, 0.5), ('Li', 3, 60.0, 84.0, 0.6667)]
    # team: 10 30 60 90 → median 45, p90 = 60 + 0.7 × 30 = 81; SLA 3 met of 5 decided
    summary = report.response_summary
    assert (summary['median_minutes'], summary['p90_minutes'], summary['sla_share']) == (45.0, 81.0, 0.6)


# ----- forecast -------------------------------------------------------------------------------------------------

def test_forecast_weights_open_deals_by_stage_probability_against_won(desk: Desk, data: Data) -> None:
    report = desk.reports.report(data.manager, MARCH)
    # open O5 2,000.00 at 60 % → 1,200.00 weighted; won O1 1,000.00 + O3 500.00; O6 closes in April
    assert records(report.forecast_month, 'month', 'open_cents', 'weighted_cents', 'won_cents') == [
        ('2026-03', 200_000, 120_000, 150_000)]
    assert records(report.forecast_rep, 'rep', 'open_cents', 'weighted_cents', 'won_cents') == [
        ('Li', 200_000, 120_000, 150_000)]


# ----- channel ROI ------------------------------------------------------------------------------------------------

def test_channel_roi_divides_entered_costs(desk: Desk, data: Data) -> None:
    marketing = factories.user(desk, Role.MARKETING)
    desk.reports.set_channel_cost(marketing, source='website', month=date(2026, 3, 1), amount='3100')
    desk.reports.set_channel_cost(marketing, source='ads', month=date(2026, 3, 1), amount='999')
    desk.reports.set_channel_cost(marketing, source='ads', month=date(2026, 3, 1), amount='620')  # replaces
    desk.reports.set_channel_cost(marketing, source='ads', month=date(2026, 2, 1), amount='1000')  # not March
    roi = desk.reports.report(data.manager, MARCH).roi
    assert roi is not None
    # website: 310,000 ¢ over 3 leads = 103,333; 1 won (O3) 50,000 → return 0.1613
    # ads: 62,000 over 2 leads = 31,000; 1 won (O1) 100,000 → 1.6129; referral: no cost → None
    assert records(roi, 'source', 'cost_cents', 'leads', 'won', 'revenue_cents', 'cost_per_lead_cents',
                   'cost_per_won_cents', 'return_ratio') == [
        ('ads', 62_000, 2, 1, 100_000, 31_000, 62_000, 1.6129),
        ('referral', 0, 1, 0, 0, None, None, None),
        ('website', 310_000, 3, 1, 50_000, 103_333, 310_000, 0.1613)]


def test_costs_are_prorated_to_the_days_in_range() -> None:
    costs = [('ads', date(2026, 2, 1), 100_000), ('ads', date(2026, 3, 1), 62_000)]
    # 15–28 Feb: 14 of 28 days → 50,000; 1–14 Mar: 14 of 31 days → 62,000 × 14 // 31 = 28,000
    assert prorated_costs(costs, date(2026, 2, 15), date(2026, 3, 14)) == {'ads': 78_000}
    assert prorated_costs(costs, date(2026, 4, 1), date(2026, 4, 30)) == {}


def test_only_marketing_and_admins_enter_costs(desk: Desk, data: Data) -> None:
    with pytest.raises(NotAllowed):
        desk.reports.set_channel_cost(data.manager, source='ads', month=date(2026, 3, 1), amount='1')
    with pytest.raises(ValidationFailed) as e:
        desk.reports.set_channel_cost(factories.admin(desk), source='nowhere', month=date(2026, 3, 1), amount='x')
    assert e.value.errors == {'source': 'invalid_source', 'amount': 'invalid'}


# ----- automation -------------------------------------------------------------------------------------------------

def test_automation_counts_audit_lines_by_kind(desk: Desk, data: Data) -> None:
    def line(action: str, subject: UserRef, *, reason: str | None = None, actor: UserRef | None = None,
             when: datetime | None = None) -> AuditEntry:
        return AuditEntry(action=action, reason_key=reason, actor_id=actor.id if actor else None,
                          subject_user_id=subject.id, created_at=when or at('03-10'))

    with desk.ctx.write() as s:
        s.add_all([line('assigned', data.li, reason='reason.assigned.round_robin'),
                   line('assigned', data.li, reason='reason.assigned.least_loaded'),
                   line('assigned', data.zhao, reason='reason.assigned.round_robin'),
                   line('assigned', data.zhao, reason='reason.assigned.manual', actor=data.manager),  # a person
                   line('assigned', data.zhao, reason='reason.claimed', actor=data.zhao),
                   line('assigned', data.li, reason='reason.sla_reassigned'),
                   line('sla_breached', data.li), line('sla_breached', data.zhao),
                   line('recycled', data.li), line('sent_to_review', data.zhao),
                   line('recycled', data.li, when=at('02-10'))])  # February
    report = desk.reports.report(data.manager, MARCH)
    assert records(report.automation, 'metric', 'count') == [
        ('auto_assigned', 3), ('sla_breached', 2), ('sla_reassigned', 1), ('recycled', 1), ('claimed', 1),
        ('sent_to_review', 1)]
    assert records(report.automation_rep, 'rep', 'auto_assigned', 'claimed', 'recycled') == [
        ('Li', 2, 0, 1), ('Zhao', 1, 1, 0)]


def test_rules_at_capture_count_as_auto_assigned(desk: Desk, clock: FakeClock) -> None:
    rep = factories.user(desk, Role.REP)
    manager = factories.user(desk, Role.MANAGER)
    for _ in range(2):
        desk.leads.capture_lead(factories.lead_data(), channel='api', default_source='api')
    lead = desk.leads.capture_lead(factories.lead_data(), channel='api', default_source='api').lead_id
    other = factories.user(desk, Role.REP)
    desk.leads.assign_lead(manager, lead, rep_id=other.id if desk.leads.owner_of(lead) == rep.id else rep.id)
    today = clock.now().date()
    counts = dict(records(desk.reports.report(manager, ReportFilter(start=today, end=today)).automation,
                          'metric', 'count'))
    assert counts['auto_assigned'] == 3  # the manager's hand-over is not automation


# ----- who sees what, and empty periods -----------------------------------------------------------------------------

def test_rep_sees_only_own_numbers_whatever_owner_is_asked(desk: Desk, data: Data) -> None:
    report = desk.reports.report(data.li, ReportFilter(start=MARCH.start, end=MARCH.end, owner_id=data.zhao.id))
    assert report.filter.owner_id == data.li.id
    assert report.funnel['count'].tolist() == [3, 3, 2, 1, 1]  # L1 L2 L3: all contacted, L2 L3 qualified
    assert report.win_rate == 1.0  # O1, O3
    assert report.roi is None


def test_empty_period_has_no_rates_instead_of_dividing_by_zero(desk: Desk, data: Data) -> None:
    report = desk.reports.report(data.manager, ReportFilter(start=date(2025, 1, 1), end=date(2025, 1, 31)))
    assert report.funnel['count'].tolist() == [0, 0, 0, 0, 0]
    assert report.funnel['from_previous'].tolist() == [None] * 5
    assert report.conversion_rate is None and report.win_rate is None
    assert report.response.empty and report.response_summary['median_minutes'] is None
    assert report.response_summary['sla_share'] is None
    assert records(report.forecast_month, 'month', 'open_cents') == [('2025-01', 0)]
    assert report.cycle.empty and report.stage_time.empty and report.lost.empty
    assert [r['rate'] for r in report.weekly.to_dict('records')] == [None] * 5


def test_ratio_of_nothing_is_none() -> None:
    assert ratio(0, 0) is None and ratio(3, 0) is None and ratio(1, 3) == 0.3333


def test_weekly_conversion_without_rows_lists_every_week() -> None:
    frame = weekly_conversion([], date(2026, 3, 2), date(2026, 3, 15))
    assert frame['week'].tolist() == ['2026-03-02', '2026-03-09'] and frame['rate'].tolist() == [None, None]


def test_a_range_ending_before_it_starts_is_refused(desk: Desk, data: Data) -> None:
    with pytest.raises(ValidationFailed):
        desk.reports.report(data.manager, ReportFilter(start=date(2026, 3, 5), end=date(2026, 3, 1)))


# ----- drill-down and presets ---------------------------------------------------------------------------------------

def test_clicking_a_funnel_step_lists_its_leads(desk: Desk, data: Data) -> None:
    rows = desk.reports.funnel_leads(data.manager, MARCH, 'qualified')
    assert sorted(r['id'] for r in rows) == sorted(data.leads[k] for k in ('L2', 'L3', 'L4'))
    mine = desk.reports.funnel_leads(data.zhao, MARCH, 'captured')
    assert sorted(r['id'] for r in mine) == sorted(data.leads[k] for k in ('L4', 'L5', 'L9'))


def test_clicking_a_win_rate_bar_lists_its_deals(desk: Desk, data: Data) -> None:
    rows = desk.reports.closed_opportunities(data.manager, MARCH, 'source', 'ads', kind='lost')
    assert [r['id'] for r in rows] == [data.deals['O2']]
    leads = desk.reports.cohort_leads(data.manager, MARCH, 'source', 'ads', converted=True)
    assert sorted(r['id'] for r in leads) == sorted(data.leads[k] for k in ('L3', 'L4'))


def test_clicking_a_rep_in_the_response_ranking_lists_the_leads_assigned_to_them(desk: Desk, data: Data) -> None:
    # assigned in March to Li: L1 L2 L3 (L14 deleted, L13 in April local); listed oldest first
    rows = desk.reports.assigned_leads(data.manager, MARCH, data.li.id)
    assert [r['id'] for r in rows] == [data.leads[k] for k in ('L1', 'L2', 'L3')]
    # a rep asking for a colleague gets their own
    assert {r['id'] for r in desk.reports.assigned_leads(data.li, MARCH, data.zhao.id)} == \
        {data.leads[k] for k in ('L1', 'L2', 'L3')}


def test_clicking_a_lost_reason_lists_those_deals(desk: Desk, data: Data) -> None:
    assert [r['id'] for r in desk.reports.lost_opportunities(data.manager, MARCH, 'price')] == [data.deals['O2']]
    assert [r['id'] for r in desk.reports.lost_opportunities(data.manager, MARCH, 'competitor')] == \
        [data.deals['O4']]
    ads = ReportFilter(start=MARCH.start, end=MARCH.end, source='ads')  # O4's lead came by referral
    assert desk.reports.lost_opportunities(data.manager, ads, 'competitor') == []


def test_clicking_a_forecast_month_lists_its_deals(desk: Desk, data: Data) -> None:
    # expected in March: O1 (won, 03-20), O3 (won, 03-15), O5 (open, 03-28); O2 and O4 are lost; O6 is April
    rows = desk.reports.forecast_opportunities(data.manager, MARCH, '2026-03')
    assert sorted(r['id'] for r in rows) == sorted(data.deals[k] for k in ('O1', 'O3', 'O5'))
    assert desk.reports.forecast_opportunities(data.manager, MARCH, '2026-04') == []  # outside the range
    with pytest.raises(ValidationFailed):
        desk.reports.forecast_opportunities(data.manager, MARCH, 'March')


def test_channel_roi_and_sales_cycle_bars_list_their_records(desk: Desk, data: Data) -> None:
    # ROI's website bar: the March cohort's website leads L1 L2 L9
    rows = desk.reports.cohort_leads(data.manager, MARCH, 'source', 'website')
    assert sorted(r['id'] for r in rows) == sorted(data.leads[k] for k in ('L1', 'L2', 'L9'))
    # the cycle's website bar: deals won in March whose lead came from the website: O3
    won = desk.reports.closed_opportunities(data.manager, MARCH, 'source', 'website', kind='won')
    assert [r['id'] for r in won] == [data.deals['O3']]


@pytest.mark.parametrize(('preset', 'expected'), [
    ('this_week', (date(2026, 3, 2), date(2026, 3, 4))), ('this_month', (date(2026, 3, 1), date(2026, 3, 4))),
    ('last_30', (date(2026, 2, 3), date(2026, 3, 4))), ('last_90', (date(2025, 12, 5), date(2026, 3, 4))),
    ('this_quarter', (date(2026, 1, 1), date(2026, 3, 4)))])
def test_presets_end_today(preset: str, expected: tuple[date, date]) -> None:
    assert preset_range(preset, date(2026, 3, 4)) == expected


def test_today_is_the_teams_day(desk: Desk, clock: FakeClock) -> None:
    clock._now = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)  # 01:00 on the 5th in Shanghai
    assert desk.reports.today() == date(2026, 3, 5)


def test_weekly_trend_from_the_rows_follows_daylight_saving(desk: Desk, clock: FakeClock) -> None:
    clock._now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    desk.ctx.settings.timezone = 'Europe/Berlin'
    manager = factories.user(desk, Role.MANAGER)
    # Monday 6 April 00:30 in Berlin (summer time, UTC+2) = Sunday 5 April 22:30Z
    add_lead(desk, None, datetime(2026, 4, 5, 22, 30, tzinfo=UTC), source='website')
    f = ReportFilter(start=date(2026, 3, 2), end=date(2026, 4, 12))  # starts in winter time (UTC+1)
    weekly = desk.reports.report(manager, f, rollup=False).weekly
    assert dict(records(weekly, 'week', 'captured'))['2026-04-06'] == 1
    assert dict(records(weekly, 'week', 'captured'))['2026-03-30'] == 0


def test_weekly_trend_from_the_rows_follows_the_fall_back_change(desk: Desk, clock: FakeClock) -> None:
    clock._now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    desk.ctx.settings.timezone = 'Europe/Berlin'
    manager = factories.user(desk, Role.MANAGER)
    # Sunday 1 November 23:30 in Berlin (winter time again, UTC+1) = 22:30Z: summer time would make it Monday
    add_lead(desk, None, datetime(2026, 11, 1, 22, 30, tzinfo=UTC), source='website')
    # Monday 19 October 00:30 (still summer time, UTC+2) = Sunday 18 October 22:30Z
    add_lead(desk, None, datetime(2026, 10, 18, 22, 30, tzinfo=UTC), source='website')
    f = ReportFilter(start=date(2026, 9, 7), end=date(2026, 11, 15))  # starts in summer time (UTC+2)
    weekly = dict(records(desk.reports.report(manager, f, rollup=False).weekly, 'week', 'captured'))
    assert (weekly['2026-10-12'], weekly['2026-10-19'], weekly['2026-10-26'], weekly['2026-11-02']) == (0, 1, 1, 0)
    # the same range in a zone without daylight saving (UTC+8): both are Monday mornings there
    desk.ctx.settings.timezone = 'Asia/Shanghai'
    weekly = dict(records(desk.reports.report(manager, f, rollup=False).weekly, 'week', 'captured'))
    assert (weekly['2026-10-19'], weekly['2026-10-26'], weekly['2026-11-02']) == (1, 0, 1)
