"""The team workload figures, checked against a small team counted by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed
from core.workload.figures import RepStatus, TeamView, gini
from store.models import Account, Lead, Opportunity, Role, UserRef
from tests import factories


def add_lead(desk: Desk, owner: UserRef | None, **fields: Any) -> None:
    now = desk.ctx.now()
    fields.setdefault('status', 'assigned')
    fields.setdefault('created_at', now - timedelta(days=3))
    with desk.ctx.write() as s:
        s.add(Lead(name='L', owner_id=owner.id if owner else None, **fields))


def add_deal(desk: Desk, owner: UserRef, *, stage: str, amount_cents: int) -> None:
    stage_id = next(st.id for st in desk.pipeline.stages() if st.name_en == stage)
    with desk.ctx.write() as s:
        account = Account(name='Acme')
        lead = Lead(name='Won lead', owner_id=owner.id, status='converted')
        s.add(account)
        s.add(lead)
        s.flush()
        s.add(Opportunity(lead_id=lead.id or 0, account_id=account.id or 0, owner_id=owner.id, name='Deal',
                          stage_id=stage_id or 0, amount_cents=amount_cents))


@pytest.fixture
def built(desk: Desk, clock: FakeClock) -> tuple[TeamView, UserRef, UserRef, UserRef]:
    now = clock.now()
    midnight = desk.ctx.day_start(now)
    li = factories.user(desk, Role.REP, name='Li', capacity=4)
    zhao = factories.user(desk, Role.REP, name='Zhao', capacity=2)
    wu = factories.user(desk, Role.REP, name='Wu', capacity=10)
    desk.team.update_user(factories.admin(desk), wu.id, {'is_on_leave': True})
    # Li: A, A, B, C open; one assigned today; one follow-up later today, one overdue; one SLA failed
    add_lead(desk, li, grade='A', assigned_at=midnight + timedelta(minutes=5),
             next_follow_up_at=now + timedelta(hours=2))
    two_days, three_days, one_day = (now - timedelta(days=d) for d in (2, 3, 1))
    add_lead(desk, li, grade='A', assigned_at=two_days, first_contact_at=two_days + timedelta(minutes=30),
             next_follow_up_at=now - timedelta(hours=1), sla_status='failed')
    add_lead(desk, li, grade='B', assigned_at=three_days, first_contact_at=three_days + timedelta(minutes=10),
             status='contacted')
    add_lead(desk, li, grade='C', assigned_at=now - timedelta(days=20), first_contact_at=now - timedelta(days=19),
             next_follow_up_at=now + timedelta(days=3))
    # not open: closed, pool, deleted — none count
    add_lead(desk, li, grade='A', status='disqualified', sla_status='failed', next_follow_up_at=now - timedelta(days=1))
    add_lead(desk, None, grade='A', status='pool')
    add_lead(desk, li, grade='B', is_deleted=True)
    # Zhao: two B open → at capacity; median response of 20 and 40 minutes → 30
    for minutes in (20, 40):
        add_lead(desk, zhao, grade='B', assigned_at=one_day, first_contact_at=one_day + timedelta(minutes=minutes))
    # deals: Li 1000.00 at Quotation (60 %) + 500.00 at Needs confirmed (10 %); Zhao a won one (not open)
    add_deal(desk, li, stage='Quotation', amount_cents=100_000)
    add_deal(desk, li, stage='Needs confirmed', amount_cents=50_000)
    add_deal(desk, zhao, stage='Won', amount_cents=70_000)
    manager = factories.user(desk, Role.MANAGER)
    return desk.workload.team(manager), li, zhao, wu


def rep(view: TeamView, who: UserRef) -> Any:
    return next(r for r in view.reps if r.user_id == who.id)


def test_rep_figures_match_hand_count(built: tuple[TeamView, UserRef, UserRef, UserRef]) -> None:
    view, li, zhao, wu = built
    r = rep(view, li)
    assert r.open_by_grade == {'A': 2, 'B': 1, 'C': 1}
    assert (r.open_leads, r.capacity, r.capacity_used_pct) == (4, 4, 100.0)
    assert (r.new_today, r.due_today, r.overdue, r.sla_breaches) == (1, 1, 1, 1)
    assert (r.open_opportunities, r.pipeline_cents, r.weighted_cents) == (2, 150_000, 65_000)
    assert r.median_response_minutes == 20.0  # 30 and 10 minutes in the window; the 20-day-old lead is out
    assert r.status == RepStatus.AT_CAPACITY
    z = rep(view, zhao)
    assert (z.open_by_grade, z.median_response_minutes, z.open_opportunities) == ({'A': 0, 'B': 2, 'C': 0}, 30.0, 0)
    w = rep(view, wu)
    assert (w.open_leads, w.status, w.median_response_minutes, w.capacity_used_pct) == (0, RepStatus.ON_LEAVE,
                                                                                        None, 0.0)


def test_team_totals_add_up(built: tuple[TeamView, UserRef, UserRef, UserRef]) -> None:
    view = built[0]
    assert (view.open_leads, view.capacity, view.new_today, view.overdue, view.sla_breaches) == (6, 16, 1, 1, 1)
    assert (view.open_opportunities, view.pipeline_cents, view.weighted_cents) == (2, 150_000, 65_000)


def test_fairness_uses_load_relative_to_capacity(built: tuple[TeamView, UserRef, UserRef, UserRef]) -> None:
    fairness = built[0].fairness
    # loads 1.0, 1.0, 0.0 → Σ|xi−xj| = 4, 2·n²·mean = 2·9·(2/3) = 12 → 1/3
    assert fairness.load_gini == pytest.approx(1 / 3, abs=1e-4)
    # A-grade loads 0.5, 0, 0 → all on one of three → 2/3
    assert fairness.a_grade_gini == pytest.approx(2 / 3, abs=1e-4)
    assert (fairness.max_load, fairness.min_load) == (1.0, 0.0)


def test_gini_of_equal_loads_is_zero() -> None:
    assert gini([0.5, 0.5, 0.5, 0.5]) == 0.0
    assert gini([]) == 0.0
    assert gini([0, 0]) == 0.0


@pytest.mark.parametrize('n', [2, 3, 5, 10])
def test_gini_of_all_on_one_is_n_minus_one_over_n(n: int) -> None:
    assert gini([0.0] * (n - 1) + [7.0]) == pytest.approx((n - 1) / n)


def test_gini_matches_the_pairwise_definition() -> None:
    values = [0.1, 0.4, 0.4, 0.9, 1.3]
    n, mean = len(values), sum(values) / len(values)
    pairwise = sum(abs(a - b) for a in values for b in values) / (2 * n * n * mean)
    assert gini(values) == pytest.approx(pairwise)


def test_reps_and_marketing_cannot_see_the_team(desk: Desk) -> None:
    for role in (Role.REP, Role.MARKETING):
        with pytest.raises(NotAllowed):
            desk.workload.team(factories.user(desk, role))


def test_admin_sees_the_team_and_inactive_reps_are_left_out(desk: Desk) -> None:
    admin = factories.admin(desk)
    gone = factories.user(desk, Role.REP, name='Gone')
    desk.team.update_user(admin, gone.id, {'is_active': False})
    kept = factories.user(desk, Role.REP, name='Kept')
    view = desk.workload.team(admin, now=datetime.fromisoformat('2026-03-02T10:00:00+00:00'))
    assert [r.user_id for r in view.reps] == [kept.id]
    assert view.reps[0].status == RepStatus.ACTIVE
