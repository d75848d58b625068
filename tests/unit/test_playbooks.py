"""Playbooks (issue 11 "Playbooks (SOP + 话术)"): default checklists and talk tracks seeded once,
the managers' editor, ticking (audited, own leads only), deadlines in working hours, the step
gate (open items warn, required ones block) on qualify, convert and forward moves, ticks while
logging an activity, and the checklist report on a small data set worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.playbooks.checklist import ChecklistBlocked, ChecklistOpen
from core.reports.report_filter import ReportFilter
from store.models import (
    Activity,
    AppSetting,
    AuditEntry,
    ChecklistTick,
    Lead,
    LeadStatus,
    Opportunity,
    PlaybookItem,
    Role,
    Stage,
    StepExit,
    TalkTrack,
    UserRef,
)
from tests.factories import make_desk, user

from .db import get, rows
from .test_conversion import CLOSE, contacted_lead, make_opportunity, own_lead, qualified_lead, set_bant


def stage(desk: Desk, name_en: str) -> Stage:
    return next(s for s in desk.pipeline.stages() if s.name_en == name_en)


def _items(desk: Desk, key: str) -> list[PlaybookItem]:
    kind, _, value = key.partition(':')
    where = [PlaybookItem.is_archived == False]  # noqa: E712
    where.append(PlaybookItem.stage_id == int(value) if kind == 'stage' else PlaybookItem.lead_status == value)
    return sorted(rows(desk, PlaybookItem, *where), key=lambda i: i.position)


def move(desk: Desk, actor: UserRef, opportunity_id: int, to: str, **kw: object) -> int:
    return desk.pipeline.move_opportunity(actor, opportunity_id, to_stage_id=stage(desk, to).id or 0,
                                          version=get(desk, Opportunity, opportunity_id).version, **kw)


@pytest.fixture
def manager(desk: Desk) -> UserRef:
    return user(desk, Role.MANAGER, name='Manager Wang')


@pytest.fixture
def rep(desk: Desk) -> UserRef:
    return user(desk, Role.REP, name='Rep Li')


# ----- defaults ----------------------------------------------------------------------------------

def test_defaults_cover_lead_statuses_and_default_stages_in_both_languages(desk: Desk) -> None:
    contacted = _items(desk, 'lead:contacted')
    assert [i.text_en.split(':')[0] for i in contacted] == ['Need', 'Budget', 'Authority', 'Timeline']
    assert all(i.text_zh and i.text_en and not i.is_required for i in rows(desk, PlaybookItem))
    for name in ('Needs confirmed', 'Solution', 'Quotation', 'Negotiation'):
        assert _items(desk, f'stage:{stage(desk, name).id}'), name
    assert 'Send the formal quotation' in [i.text_en for i in _items(desk, f'stage:{stage(desk, "Quotation").id}')]
    assert not rows(desk, PlaybookItem, PlaybookItem.stage_id == stage(desk, 'Won').id)
    tracks = rows(desk, TalkTrack, TalkTrack.lead_status == 'contacted')
    assert len(tracks) == 4 and all(t.text_zh for t in tracks)
    assert get(desk, AppSetting, 'playbooks_seeded').value == '1'


def test_defaults_are_seeded_once_not_again_after_a_manager_removed_them(tmp_path: object, clock: FakeClock) -> None:
    path = f'{tmp_path}/again.db'
    desk = make_desk(path, clock)
    count = len(rows(desk, PlaybookItem))
    admin = desk.team.create_first_admin(email='a@example.com', name='A', password='correct-horse-9')
    for item in rows(desk, PlaybookItem):
        desk.playbooks.archive_item(admin, item.id or 0)
    desk.ctx.engine.dispose()
    again = make_desk(path, clock)
    assert len(rows(again, PlaybookItem)) == count
    assert rows(again, PlaybookItem, PlaybookItem.is_archived == False) == []  # noqa: E712


# ----- the editor --------------------------------------------------------------------------------

def test_manager_adds_edits_reorders_and_archives_items(desk: Desk, manager: UserRef) -> None:
    key = 'lead:qualified'
    first, second, third = _items(desk, key)
    new = desk.playbooks.save_item(manager, None, step_key=key, text_en='Send the case study', text_zh='发送客户案例',
                                   deadline_hours='4', is_required=True)
    saved = get(desk, PlaybookItem, new)
    assert (saved.position, saved.deadline_hours, saved.is_required) == (3, 4, True)
    desk.playbooks.move_item(manager, new, -1)
    assert [i.id for i in _items(desk, key)] == [first.id, second.id, new, third.id]
    desk.playbooks.archive_item(manager, first.id or 0)
    assert [i.id for i in desk.playbooks.editor(manager, key)[0]] == [second.id, new, third.id]
    actions = [a.reason_key for a in rows(desk, AuditEntry, AuditEntry.action == 'playbook_changed')]
    assert actions == ['playbook.reason.item_saved', 'playbook.reason.item_archived']


def test_editor_refuses_bad_input_and_reps(desk: Desk, manager: UserRef, rep: UserRef) -> None:
    before = len(rows(desk, PlaybookItem))
    with pytest.raises(ValidationFailed) as e:
        desk.playbooks.save_item(manager, None, step_key='lead:assigned', text_en='  ', text_zh='x' * 301,
                                 deadline_hours='0')
    assert e.value.errors == {'text_en': 'required', 'text_zh': 'too_long', 'deadline_hours': 'out_of_range'}
    with pytest.raises(ValidationFailed):
        desk.playbooks.save_item(manager, None, step_key='lead:converted', text_en='a', text_zh='b')
    with pytest.raises(ValidationFailed):
        desk.playbooks.save_item(manager, None, step_key=f'stage:{stage(desk, "Won").id}', text_en='a', text_zh='b')
    with pytest.raises(ValidationFailed) as e:
        desk.playbooks.save_track(manager, None, step_key='lead:assigned', text_en='a', text_zh='b', grade='Z')
    assert e.value.errors == {'grade': 'invalid'}
    with pytest.raises(ValidationFailed) as e:  # an item stays in its step
        desk.playbooks.save_item(manager, _items(desk, 'lead:assigned')[0].id, step_key='lead:contacted',
                                 text_en='a', text_zh='b')
    assert e.value.errors == {'playbook_step': 'invalid'}
    with pytest.raises(NotAllowed):
        desk.playbooks.save_item(rep, None, step_key='lead:assigned', text_en='a', text_zh='b')
    with pytest.raises(NotAllowed):
        desk.playbooks.editor(rep, 'lead:assigned')
    assert len(rows(desk, PlaybookItem)) == before


# ----- the lead page: checklist, deadlines, talk tracks, ticks -----------------------------------

def test_lead_view_shows_the_current_step_with_deadlines_in_working_hours(desk: Desk, clock: FakeClock,
                                                                          rep: UserRef) -> None:
    lead_id = own_lead(desk, rep)  # assigned Monday 2 March 17:00 Shanghai (09:00 UTC)
    view = desk.playbooks.for_lead(rep, lead_id)
    assert view.step is not None and view.step.lead_status == 'assigned' and view.can_tick
    research = view.items[1]
    assert research.item.deadline_hours == 2
    # one working hour left on Monday (17–18), the second one Tuesday 09–10 Shanghai = 02:00 UTC
    assert research.due_at == datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    assert not research.overdue
    clock.advance(hours=18)  # Tuesday 11:00 Shanghai
    assert desk.playbooks.for_lead(rep, lead_id).items[1].overdue


def test_talk_tracks_follow_the_lead_grade(desk: Desk, manager: UserRef, rep: UserRef) -> None:
    lead_id = own_lead(desk, rep)
    grade = get(desk, Lead, lead_id).grade
    other = 'A' if grade != 'A' else 'B'
    mine = desk.playbooks.save_track(manager, None, step_key='lead:assigned', text_en=f'For {grade}',
                                     text_zh=f'{grade}级', kind='opening', grade=grade)
    theirs = desk.playbooks.save_track(manager, None, step_key='lead:assigned', text_en=f'For {other}',
                                       text_zh=f'{other}级', grade=other)
    shown = {t.id for t in desk.playbooks.for_lead(rep, lead_id).tracks}
    assert mine in shown and theirs not in shown
    assert all(t.grade in ('', grade) for t in desk.playbooks.for_lead(rep, lead_id).tracks)


def test_tick_and_untick_are_audited_and_kept_per_lead(desk: Desk, rep: UserRef) -> None:
    lead_id = own_lead(desk, rep)
    item = _items(desk, 'lead:assigned')[0]
    desk.playbooks.tick(rep, item.id or 0, done=True, lead_id=lead_id)
    desk.playbooks.tick(rep, item.id or 0, done=True, lead_id=lead_id)  # twice: no second line
    assert [t.done for t in rows(desk, ChecklistTick)] == [True]
    assert desk.playbooks.for_lead(rep, lead_id).done == 1
    desk.playbooks.tick(rep, item.id or 0, done=False, lead_id=lead_id)
    assert [t.done for t in rows(desk, ChecklistTick)] == [False]
    lines = rows(desk, AuditEntry, AuditEntry.action == 'checklist')
    assert [(a.reason_key, a.actor_id, a.lead_id, a.reason_params['item_en']) for a in lines] == [
        ('playbook.reason.ticked', rep.id, lead_id, item.text_en),
        ('playbook.reason.unticked', rep.id, lead_id, item.text_en)]


def test_ticks_are_refused_for_others_leads_and_other_steps(desk: Desk, rep: UserRef) -> None:
    other = user(desk, Role.REP, name='Rep Zhao')
    lead_id = own_lead(desk, rep)
    item = _items(desk, 'lead:assigned')[0]
    with pytest.raises(NotAllowed):
        desk.playbooks.tick(other, item.id or 0, done=True, lead_id=lead_id)
    with pytest.raises(ValidationFailed):
        desk.playbooks.tick(rep, _items(desk, 'lead:contacted')[0].id or 0, done=True, lead_id=lead_id)
    assert rows(desk, ChecklistTick) == []
    assert rows(desk, AuditEntry, AuditEntry.action == 'checklist') == []


def test_logging_an_activity_ticks_items_before_the_first_contact_leaves_the_step(desk: Desk, rep: UserRef) -> None:
    lead_id = own_lead(desk, rep)
    first, second, third = _items(desk, 'lead:assigned')
    activity_id = desk.leads.log_activity(rep, lead_id, kind='call', ticks=[first.id or 0, second.id or 0])
    assert get(desk, Lead, lead_id).status == LeadStatus.CONTACTED
    assert {(t.item_id, t.activity_id) for t in rows(desk, ChecklistTick)} == {(first.id, activity_id),
                                                                              (second.id, activity_id)}
    [exit_] = rows(desk, StepExit)
    assert (exit_.lead_status, exit_.done_ids, exit_.open_ids) == ('assigned', [first.id, second.id], [third.id])
    skipped = rows(desk, AuditEntry, AuditEntry.action == 'checklist_skipped')
    assert [a.reason_params['items_en'] for a in skipped] == [third.text_en]


def test_a_bad_tick_while_logging_writes_nothing(desk: Desk, rep: UserRef) -> None:
    lead_id = own_lead(desk, rep)
    with pytest.raises(ValidationFailed):
        desk.leads.log_activity(rep, lead_id, kind='call', ticks=[_items(desk, 'lead:qualified')[0].id or 0])
    assert rows(desk, Activity, Activity.lead_id == lead_id, Activity.kind == 'call') == []
    assert get(desk, Lead, lead_id).status == LeadStatus.ASSIGNED


# ----- the gate: warn on open items, block on required ones --------------------------------------

def test_qualify_warns_on_open_items_when_asked_and_proceeds_when_confirmed(desk: Desk, clock: FakeClock,
                                                                           rep: UserRef) -> None:
    lead_id = contacted_lead(desk, clock, rep)
    set_bant(desk, rep, lead_id, {'need': 'CRM', 'budget': '100k', 'authority': 'CTO', 'timeline': 'Q2'})
    need = _items(desk, 'lead:contacted')[0]
    desk.playbooks.tick(rep, need.id or 0, done=True, lead_id=lead_id)
    with pytest.raises(ChecklistOpen) as e:
        desk.leads.qualify_lead(rep, lead_id, warn_open=True)
    assert e.value.params['count'] == 3 and 'Budget' in e.value.params['items_en']
    assert get(desk, Lead, lead_id).status == LeadStatus.CONTACTED
    assert [x.lead_status for x in rows(desk, StepExit)] == ['assigned']  # the refusal recorded nothing
    desk.leads.qualify_lead(rep, lead_id)  # the user confirmed
    assert get(desk, Lead, lead_id).status == LeadStatus.QUALIFIED
    exit_ = rows(desk, StepExit)[-1]
    assert exit_.lead_status == 'contacted' and exit_.done_ids == [need.id] and len(exit_.open_ids) == 3


def test_required_item_blocks_qualify_until_ticked(desk: Desk, clock: FakeClock, manager: UserRef,
                                                   rep: UserRef) -> None:
    budget = _items(desk, 'lead:contacted')[1]
    desk.playbooks.save_item(manager, budget.id, step_key='lead:contacted', text_en=budget.text_en,
                             text_zh=budget.text_zh, deadline_hours=budget.deadline_hours, is_required=True)
    lead_id = contacted_lead(desk, clock, rep)
    set_bant(desk, rep, lead_id, {'need': 'CRM', 'budget': '100k', 'authority': 'CTO', 'timeline': 'Q2'})
    for warn in (False, True):
        with pytest.raises(ChecklistBlocked) as e:
            desk.leads.qualify_lead(rep, lead_id, warn_open=warn)
        assert e.value.items == [(budget.id, budget.text_en, budget.text_zh)]
    assert get(desk, Lead, lead_id).status == LeadStatus.CONTACTED
    desk.playbooks.tick(rep, budget.id or 0, done=True, lead_id=lead_id)
    with pytest.raises(ChecklistOpen):  # the others still warn
        desk.leads.qualify_lead(rep, lead_id, warn_open=True)
    desk.leads.qualify_lead(rep, lead_id)
    assert get(desk, Lead, lead_id).status == LeadStatus.QUALIFIED


def test_convert_meets_the_qualified_checklist(desk: Desk, clock: FakeClock, manager: UserRef, rep: UserRef) -> None:
    lead_id = qualified_lead(desk, clock, rep)
    with pytest.raises(ChecklistOpen):
        desk.pipeline.convert_lead(rep, lead_id, amount='1000', expected_close=CLOSE, warn_open=True)
    assert rows(desk, Opportunity) == []
    first = _items(desk, 'lead:qualified')[0]
    desk.playbooks.save_item(manager, first.id, step_key='lead:qualified', text_en=first.text_en,
                             text_zh=first.text_zh, is_required=True)
    with pytest.raises(ChecklistBlocked):
        desk.pipeline.convert_lead(rep, lead_id, amount='1000', expected_close=CLOSE)
    desk.playbooks.tick(rep, first.id or 0, done=True, lead_id=lead_id)
    assert desk.pipeline.convert_lead(rep, lead_id, amount='1000', expected_close=CLOSE)
    assert get(desk, Lead, lead_id).status == LeadStatus.CONVERTED


def test_forward_moves_meet_the_stage_checklist_back_and_lost_do_not(desk: Desk, clock: FakeClock,
                                                                     manager: UserRef, rep: UserRef) -> None:
    opp_id = make_opportunity(desk, clock, rep)
    needs = stage(desk, 'Needs confirmed')
    with pytest.raises(ChecklistOpen):
        move(desk, rep, opp_id, 'Solution', warn_open=True)
    assert get(desk, Opportunity, opp_id).stage_id == needs.id
    move(desk, rep, opp_id, 'Solution')
    view = desk.playbooks.for_opportunity(rep, opp_id)
    assert view.step is not None and view.step.name_en == 'Solution'
    move(desk, rep, opp_id, 'Needs confirmed', warn_open=True)  # back: no warning
    move(desk, rep, opp_id, 'Solution')
    proposal = _items(desk, f'stage:{stage(desk, "Solution").id}')[1]
    desk.playbooks.save_item(manager, proposal.id, step_key=f'stage:{stage(desk, "Solution").id}',
                             text_en=proposal.text_en, text_zh=proposal.text_zh, is_required=True)
    with pytest.raises(ChecklistBlocked):
        move(desk, rep, opp_id, 'Won', won_amount='5000', close_date=date(2026, 3, 2))
    move(desk, rep, opp_id, 'Lost', lost_reason='price', warn_open=True)  # never blocked
    assert get(desk, Opportunity, opp_id).stage_id == stage(desk, 'Lost').id


def test_deal_activity_ticks_the_stage_items(desk: Desk, clock: FakeClock, rep: UserRef) -> None:
    opp_id = make_opportunity(desk, clock, rep)
    first = _items(desk, f'stage:{stage(desk, "Needs confirmed").id}')[0]
    desk.pipeline.log_activity(rep, opp_id, kind='meeting', ticks=[first.id or 0])
    view = desk.playbooks.for_opportunity(rep, opp_id)
    assert [i.done for i in view.items] == [True, False]
    [tick] = rows(desk, ChecklistTick, ChecklistTick.item_id == first.id)
    assert tick.opportunity_id == opp_id


# ----- the report, on a data set worked out by hand ----------------------------------------------

def test_checklist_report_counts_skips_and_win_rates(desk: Desk, clock: FakeClock, manager: UserRef,
                                                    rep: UserRef) -> None:
    needs = stage(desk, 'Needs confirmed')
    stakeholders, pains = _items(desk, f'stage:{needs.id}')
    deals = [make_opportunity(desk, clock, rep) for _ in range(4)]
    leads = {o: get(desk, Opportunity, o).lead_id for o in deals}
    d1, d2, d3, _d4 = deals
    desk.playbooks.tick(rep, stakeholders.id or 0, done=True, opportunity_id=d1)
    desk.playbooks.tick(rep, stakeholders.id or 0, done=True, opportunity_id=d2)
    desk.playbooks.tick(rep, pains.id or 0, done=True, opportunity_id=d2)
    for o in (d1, d2, d3):
        move(desk, rep, o, 'Solution')
    move(desk, rep, d1, 'Won', won_amount='5000', close_date=date(2026, 3, 2))
    move(desk, rep, d2, 'Lost', lost_reason='price')
    move(desk, rep, d3, 'Lost', lost_reason='competitor')
    today = desk.reports.today()
    table = desk.playbooks.checklist_report(manager, ReportFilter(start=today, end=today)).set_index('item_id')
    # stakeholders: left 3 times, open once (d3); done on d1 (won) and d2 (lost), not on d3 (lost)
    row = table.loc[stakeholders.id]
    counts = (row.exits, row.skipped, row.with_done, row.won_with, row.without_done, row.won_without)
    assert counts == (3, 1, 2, 1, 1, 0)
    assert (row.skip_rate, row.win_rate_with, row.win_rate_without) == (pytest.approx(1 / 3), 0.5, 0.0)
    # pain points: open on d1 and d3; done only on d2 (lost)
    row = table.loc[pains.id]
    counts = (row.exits, row.skipped, row.with_done, row.won_with, row.without_done, row.won_without)
    assert counts == (3, 2, 1, 0, 2, 1)
    assert (row.win_rate_with, row.win_rate_without) == (0.0, 0.5)
    # a Solution item: left once (d1 → Won) undone; three closed deals went through Solution, one won
    demo = _items(desk, f'stage:{stage(desk, "Solution").id}')[0]
    row = table.loc[demo.id]
    assert (row.exits, row.skipped, row.with_done, row.without_done, row.won_without) == (1, 1, 0, 3, 1)
    assert pd.isna(row.win_rate_with)  # over nothing
    # a Quotation item: nobody got there
    quote = _items(desk, f'stage:{stage(desk, "Quotation").id}')[0]
    assert (table.loc[quote.id].exits, table.loc[quote.id].without_done) == (0, 0)
    # a lead item: all four leads left `contacted` with every item open; 3 closed deals, 1 won
    need = _items(desk, 'lead:contacted')[0]
    row = table.loc[need.id]
    assert (row.exits, row.skipped, row.without_done, row.won_without) == (4, 4, 3, 1)
    assert set(leads.values()) == {e.lead_id for e in rows(desk, StepExit, StepExit.lead_status == 'contacted')}
    # lead statuses come first, in their order, then the stages in board order
    assert list(table['lead_status'].dropna().unique()) == ['assigned', 'contacted', 'qualified']


def test_checklist_report_is_a_reps_own(desk: Desk, clock: FakeClock, manager: UserRef, rep: UserRef) -> None:
    other = user(desk, Role.REP, name='Rep Zhao')
    for who in (rep, other):
        move(desk, who, make_opportunity(desk, clock, who), 'Solution')
    today = desk.reports.today()
    f = ReportFilter(start=today, end=today)
    needs = stage(desk, 'Needs confirmed')
    first = _items(desk, f'stage:{needs.id}')[0].id
    assert desk.playbooks.checklist_report(manager, f).set_index('item_id').loc[first].exits == 2
    assert desk.playbooks.checklist_report(other, f).set_index('item_id').loc[first].exits == 1
