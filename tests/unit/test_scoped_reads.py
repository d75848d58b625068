"""Data scopes on the remaining reads (issue 22): a department manager's reports (roll-up and raw
rows, drill-down, the department dimension), customer list, board, care tasks, exports, search,
notifications and API keys hold their department's records only; the "why can I see this?" grant;
an admin's read-only "view as". Mirrored on PostgreSQL (tests/pg)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from core.accounts.grants import GrantKind
from core.accounts.reach import DataScope
from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed
from core.notify import ManagerReach
from core.reports.report_filter import ReportFilter
from store.audit_actions import AuditAction
from store.models import ApiScope, AuditEntry, BrowserSession, Lead, Opportunity, RecordKind, Role, UserRef
from tests.factories import PASSWORD, admin, user

from .db import get
from .test_conversion import make_opportunity
from .test_customers import win


def signed_in(desk: Desk, ref: UserRef) -> UserRef:
    """The ref a session gives: carrying the reach resolved now."""
    return desk.team.login(ref.email, PASSWORD)[0]


@pytest.fixture
def company(desk: Desk, clock: FakeClock) -> dict[str, Any]:
    """Company > North > North-East, and Company > South. A manager heads North (scope: department and
    below); reps in North, North-East and South each win one deal (a customer each)."""
    boss = admin(desk)
    top = next(line.id for line in desk.departments.tree(boss) if line.is_root)
    north = desk.departments.add(boss, 'North', parent_id=top)
    north_east = desk.departments.add(boss, 'North-East', parent_id=north)
    south = desk.departments.add(boss, 'South', parent_id=top)
    people = {'manager': user(desk, Role.MANAGER), 'north': user(desk), 'north_east': user(desk),
              'south': user(desk)}
    for who, dept in (('manager', north), ('north', north), ('north_east', north_east), ('south', south)):
        desk.departments.place_user(boss, people[who].id, dept)
    desk.departments.set_scopes(boss, {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    deals = {who: make_opportunity(desk, clock, people[who]) for who in ('north', 'north_east', 'south')}
    accounts = {who: win(desk, people[who], deal) for who, deal in deals.items()}
    return {'boss': boss, 'manager': signed_in(desk, people['manager']), 'people': people, 'deals': deals,
            'accounts': accounts, 'north': north, 'north_east': north_east, 'south': south}


def this_month(desk: Desk, **fields: Any) -> ReportFilter:
    today = desk.reports.today()
    return ReportFilter(start=today - timedelta(days=30), end=today, **fields)


def ids(rows: Any) -> set[int]:
    return {r.id for r in rows}


# ----- lists ------------------------------------------------------------------------------------------

def test_customer_list_and_board_hold_the_department_tree(desk: Desk, company: dict[str, Any]) -> None:
    manager, accounts, deals = company['manager'], company['accounts'], company['deals']
    assert ids(desk.customers.customers(manager)[0]) == {accounts['north'], accounts['north_east']}
    on_board = {c.id for column in desk.pipeline.board(manager) for c in column.cards}
    assert on_board == {deals['north'], deals['north_east']}
    # an owner asked for outside the scope shows nothing, never the other department's deals
    asked = desk.pipeline.board(manager, owner_id=company['people']['south'].id)
    assert all(not column.cards and column.count == 0 for column in asked)
    # the admin still sees everyone's
    assert len(desk.customers.customers(company['boss'])[0]) == 3


def test_customer_page_outside_the_scope_is_refused(desk: Desk, company: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        desk.customers.customer(company['manager'], company['accounts']['south'])
    with pytest.raises(NotAllowed):
        desk.pipeline.opportunity_view(company['manager'], company['deals']['south'])
    assert desk.customers.customer(company['manager'], company['accounts']['north_east']).account.id == \
        company['accounts']['north_east']


def test_list_exports_hold_the_scope(desk: Desk, company: dict[str, Any]) -> None:
    manager, people = company['manager'], company['people']
    within = {people['north'].id, people['north_east'].id}
    for kind in ('leads', 'opportunities', 'customers'):
        frame = desk.export.list_frame(manager, kind)
        assert set(frame['owner_id']) == within, kind
    activities = desk.export.list_frame(manager, 'activities')
    lead_owners = {get(desk, Lead, int(i)).owner_id for i in activities['lead_id']}
    assert lead_owners and lead_owners <= within


def test_search_finds_only_the_scope(desk: Desk, company: dict[str, Any]) -> None:
    south_deal = get(desk, Opportunity, company['deals']['south'])
    north_deal = get(desk, Opportunity, company['deals']['north'])
    manager = company['manager']
    assert not desk.search.search(manager, south_deal.name).opportunities
    assert [h.id for h in desk.search.search(manager, north_deal.name).opportunities] == [north_deal.id]


# ----- reports ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('rollup', [True, False])
def test_report_panels_count_the_scope_only(desk: Desk, company: dict[str, Any], rollup: bool) -> None:
    manager, boss = company['manager'], company['boss']
    mine = desk.reports.report(manager, this_month(desk), rollup=rollup)
    everyone = desk.reports.report(boss, this_month(desk), rollup=rollup)
    captured = dict(zip(mine.funnel['step'], mine.funnel['count'], strict=True))
    assert captured['captured'] == 2 and captured['won'] == 2
    assert dict(zip(everyone.funnel['step'], everyone.funnel['count'], strict=True))['captured'] == 3
    assert set(mine.win['owner_id']['key']) == {company['people']['north'].id, company['people']['north_east'].id}
    # the department dimension: the owner's department, the scope's only
    by_department = dict(zip(mine.conversion['department']['key'], mine.conversion['department']['captured'],
                             strict=True))
    assert by_department == {company['north']: 1, company['north_east']: 1}
    labels = set(everyone.win['department']['label'])
    assert labels == {'North', 'North-East', 'South'}


def test_care_panels_hold_the_scope(desk: Desk, company: dict[str, Any]) -> None:
    mine = desk.care_reports.care_report(company['manager'], this_month(desk)).revenue
    everyone = desk.care_reports.care_report(company['boss'], this_month(desk)).revenue
    assert (mine.new_count + mine.repeat_count, everyone.new_count + everyone.repeat_count) == (2, 3)


def test_report_owner_outside_the_scope_is_dropped(desk: Desk, company: dict[str, Any]) -> None:
    f = desk.reports.check_filter(company['manager'], this_month(desk, owner_id=company['people']['south'].id))
    assert f.owner_id is None and f.owners is not None and company['people']['south'].id not in f.owners
    assert {o for o, _ in desk.reports.filter_options(company['manager']).reps} == {
        company['people']['north'].id, company['people']['north_east'].id}


def test_drill_down_and_department_bar_hold_the_scope(desk: Desk, company: dict[str, Any]) -> None:
    manager = company['manager']
    won = desk.reports.funnel_leads(manager, this_month(desk), 'won')
    assert {r['owner_id'] for r in won} == {company['people']['north'].id, company['people']['north_east'].id}
    bar = desk.reports.closed_opportunities(manager, this_month(desk), 'department', company['north_east'])
    assert [r['id'] for r in bar] == [company['deals']['north_east']]
    # the south department's bar, asked for by a crafted click, is still cut to the scope: empty
    assert desk.reports.closed_opportunities(manager, this_month(desk), 'department', company['south']) == []


def test_a_rep_still_reads_only_their_own_numbers(desk: Desk, company: dict[str, Any]) -> None:
    rep = signed_in(desk, company['people']['north'])
    report = desk.reports.report(rep, this_month(desk))
    assert dict(zip(report.funnel['step'], report.funnel['count'], strict=True))['captured'] == 1
    assert 'department' not in report.conversion and report.roi is None


# ----- notifications and API keys ---------------------------------------------------------------------

def test_managers_are_told_only_of_records_in_reach(desk: Desk, company: dict[str, Any]) -> None:
    people, manager, boss = company['people'], company['manager'], company['boss']
    with desk.ctx.read() as session:
        team = ManagerReach(session)
        assert manager.id in team.over(people['north_east'].id) and boss.id in team.over(people['north_east'].id)
        assert manager.id not in team.over(people['south'].id) and boss.id in team.over(people['south'].id)
        assert team.over(None) == [boss.id]


def test_a_read_key_needs_a_company_wide_scope(desk: Desk) -> None:
    boss = admin(desk)
    marketer = user(desk, Role.MARKETING)
    desk.departments.set_scopes(boss, {Role.MARKETING: DataScope.DEPARTMENT})
    with pytest.raises(NotAllowed):
        desk.access.create_api_key(signed_in(desk, marketer), name='reader', scope=ApiScope.READ)
    assert desk.access.create_api_key(signed_in(desk, marketer), name='forms', scope=ApiScope.CAPTURE)
    assert desk.access.create_api_key(boss, name='reader', scope=ApiScope.READ)


# ----- why can I see this -----------------------------------------------------------------------------

def test_the_grant_names_the_rule_that_applies(desk: Desk, company: dict[str, Any]) -> None:
    manager, people, deals = company['manager'], company['people'], company['deals']
    north = desk.grants.why(manager, RecordKind.OPPORTUNITY, deals['north'])
    assert (north.kind, north.department) == (GrantKind.DEPARTMENT, 'North')
    below = desk.grants.why(manager, RecordKind.CUSTOMER, company['accounts']['north_east'])
    assert (below.kind, below.department) == (GrantKind.DEPARTMENT_BELOW, 'North-East')
    own = desk.grants.why(signed_in(desk, people['south']), RecordKind.OPPORTUNITY, deals['south'])
    assert own.kind == GrantKind.OWN
    everything = desk.grants.why(company['boss'], RecordKind.OPPORTUNITY, deals['south'])
    assert (everything.kind, everything.role) == (GrantKind.EVERYTHING, Role.ADMIN)
    with pytest.raises(NotAllowed):
        desk.grants.why(manager, RecordKind.OPPORTUNITY, deals['south'])
    lead_id = get(desk, Opportunity, deals['north_east']).lead_id
    assert desk.grants.why(manager, RecordKind.LEAD, lead_id).kind == GrantKind.DEPARTMENT_BELOW


# ----- view as ----------------------------------------------------------------------------------------

def admin_session(desk: Desk) -> tuple[str, int]:
    """An admin's browser session: its cookie token and id."""
    _, ticket = desk.team.login('admin@example.com', PASSWORD)
    started = desk.sessions.start(ticket)
    assert started is not None
    token = started[0]
    found = desk.sessions.resolve(token)
    assert found is not None
    return token, found.id


def test_view_as_reads_as_the_user_and_writes_nothing(desk: Desk, company: dict[str, Any]) -> None:
    token, session_id = admin_session(desk)
    manager = company['people']['manager']
    desk.view_as.start(company['boss'], session_id, manager.id)
    found = desk.sessions.resolve(token)
    assert found is not None
    viewing = found.user
    assert (viewing.id, viewing.viewed_by) == (manager.id, company['boss'].id)
    # reads as the manager: their department's customers only
    assert ids(desk.customers.customers(viewing)[0]) == {company['accounts']['north'],
                                                         company['accounts']['north_east']}
    # every write is refused in core, whatever the page offers
    deal = get(desk, Opportunity, company['deals']['north'])
    with pytest.raises(NotAllowed):
        desk.pipeline.update_opportunity(viewing, deal.id or 0, version=deal.version, changes={'name': 'renamed'})
    with pytest.raises(NotAllowed):
        desk.set_policy(viewing, None)
    assert get(desk, Opportunity, deal.id or 0).name == deal.name
    # the admin ends it from the banner: their own session again; both ends audited
    desk.view_as.end(viewing, session_id)
    back = desk.sessions.resolve(token)
    assert back is not None and back.user.id == company['boss'].id and back.user.viewed_by is None
    with desk.ctx.read() as session:
        actions = [(a.action, a.actor_id, a.subject_user_id) for a in session.exec(
            select(AuditEntry).where(AuditEntry.action.in_([AuditAction.VIEW_AS_STARTED,  # type: ignore[attr-defined]
                                                            AuditAction.VIEW_AS_ENDED])).order_by(AuditEntry.id))]
        assert get(desk, BrowserSession, session_id).viewing_as_id is None
    assert actions == [(AuditAction.VIEW_AS_STARTED, company['boss'].id, manager.id),
                       (AuditAction.VIEW_AS_ENDED, company['boss'].id, manager.id)]


def test_only_an_admin_starts_view_as(desk: Desk, company: dict[str, Any]) -> None:
    _, session_id = admin_session(desk)
    with pytest.raises(NotAllowed):
        desk.view_as.start(company['manager'], session_id, company['people']['north'].id)
