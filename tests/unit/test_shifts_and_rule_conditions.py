"""Rep shifts (off shift → skipped by assignment, shown on the team page) and the rule conditions
added for the editor: industry, score range, target reps; plus drag-reordering of rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.automation.workhours import WorkCalendar
from core.clock import FakeClock
from core.desk import Desk
from core.errors import ValidationFailed
from store.models import AssignmentRule, Lead, Role, Strategy
from tests import factories
from tests.unit.db import get, rows

CAL = WorkCalendar()  # Asia/Shanghai, Monday–Friday
MON_10 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
MON_23 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00
TUE_02 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # Tuesday 02:00
SAT_02 = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)  # Saturday 02:00 (a Friday-night shift)
SUN_02 = datetime(2026, 3, 7, 18, 0, tzinfo=UTC)  # Sunday 02:00 (Saturday night: no shift)


@pytest.mark.parametrize(('start', 'end', 'at', 'expected'), [
    (None, None, SAT_02, True),  # no shift: always on
    (9 * 60, 18 * 60, MON_10, True),
    (9 * 60, 18 * 60, MON_23, False),
    (22 * 60, 6 * 60, MON_23, True),  # a night shift, evening part
    (22 * 60, 6 * 60, TUE_02, True),  # …and past midnight, belonging to Monday
    (22 * 60, 6 * 60, SAT_02, True),  # Friday's night shift runs into Saturday
    (22 * 60, 6 * 60, SUN_02, False),  # Saturday is no working day: no night shift from it
    (22 * 60, 6 * 60, MON_10, False),
])
def test_on_shift(start: int | None, end: int | None, at: datetime, expected: bool) -> None:
    assert CAL.on_shift(start, end, at) is expected


def test_off_shift_reps_are_skipped_and_shown_so(desk: Desk, clock: FakeClock) -> None:
    clock._now = MON_23
    admin = factories.admin(desk)
    day = factories.user(desk, Role.REP, name='Day', capacity=10)
    night = factories.user(desk, Role.REP, name='Night', capacity=10)
    desk.team.update_user(admin, day.id, {'shift_start': 9 * 60, 'shift_end': 18 * 60})
    desk.team.update_user(admin, night.id, {'shift_start': 22 * 60, 'shift_end': 6 * 60})
    result = desk.leads.capture_lead(factories.lead_data(), channel='manual', default_source='website')
    assert result.owner_id == night.id
    statuses = {r.name: r.status for r in desk.workload.team(admin).reps}
    assert statuses == {'Day': 'off_shift', 'Night': 'active'}
    # nobody on shift: the lead waits in the pool, and the timer hands it out when the day shift starts
    desk.team.update_user(admin, night.id, {'shift_start': None, 'shift_end': None, 'is_on_leave': True})
    waiting = desk.leads.capture_lead(factories.lead_data(), channel='manual', default_source='website')
    assert waiting.owner_id is None and get(desk, Lead, waiting.lead_id).status == 'pool'
    clock._now = datetime(2026, 3, 3, 1, 30, tzinfo=UTC)  # Tuesday 09:30
    desk.automation.tick(clock.now())
    assert get(desk, Lead, waiting.lead_id).owner_id == day.id


def test_a_shift_needs_both_ends_in_range(desk: Desk) -> None:
    admin = factories.admin(desk)
    rep = factories.user(desk, Role.REP)
    with pytest.raises(ValidationFailed) as e:
        desk.team.update_user(admin, rep.id, {'shift_start': 9 * 60})
    assert e.value.errors == {'shift_end': 'required'}
    with pytest.raises(ValidationFailed) as e:
        desk.team.update_user(admin, rep.id, {'shift_start': 9 * 60, 'shift_end': 24 * 60})
    assert e.value.errors == {'shift_end': 'invalid'}


def _only_rule(desk: Desk, **fields: object) -> None:
    """Replace the default rules by one rule with these conditions and a least-loaded fallback."""
    admin = factories.admin(desk)
    with desk.ctx.write() as s:
        for r in s.query(AssignmentRule).all():
            s.delete(r)
    desk.rules.save_rule(admin, None, name='Special', strategy=Strategy.LEAST_LOADED, position=0, **fields)


def test_industry_score_range_and_target_reps(desk: Desk) -> None:
    admin = factories.admin(desk)
    a = factories.user(desk, Role.REP, name='A', capacity=10)
    b = factories.user(desk, Role.REP, name='B', capacity=10)
    _only_rule(desk, match_industries='制造业, Retail', min_score=40, max_score=100, rep_ids=[b.id])
    outcome = desk.rules.test_rule(admin, source='website', grade='B', industry='retail', score=60)
    assert outcome.rep_id == b.id
    assert desk.rules.test_rule(admin, source='website', grade='B', industry='制造业', score=40).rep_id == b.id
    assert desk.rules.test_rule(admin, source='website', grade='B', industry='retail', score=39).pooled
    assert desk.rules.test_rule(admin, source='website', grade='B', industry='finance', score=60).pooled
    view = desk.rules.rules(admin)[0]
    assert (view.match_industries, view.min_score, view.max_score, view.rep_ids) == \
        (['制造业', 'Retail'], 40, 100, [b.id])
    assert a.id not in view.rep_ids


@pytest.mark.parametrize(('fields', 'errors'), [
    ({'min_score': 80, 'max_score': 20}, {'max_score': 'below_min'}),
    ({'min_score': -1}, {'min_score': 'out_of_range'}),
    ({'max_score': 'lots'}, {'max_score': 'invalid'}),
    ({'rep_ids': [999]}, {'rep_ids': 'invalid'}),
    ({'match_industries': ', '.join(f'industry {i}' for i in range(60))}, {'match_industries': 'too_long'}),
])
def test_invalid_conditions_cannot_be_saved(desk: Desk, fields: dict[str, object], errors: dict[str, str]) -> None:
    admin = factories.admin(desk)
    before = len(rows(desk, AssignmentRule))
    with pytest.raises(ValidationFailed) as e:
        desk.rules.save_rule(admin, None, name='Bad', strategy=Strategy.LEAST_LOADED, **fields)  # type: ignore[arg-type]
    assert e.value.errors == errors
    assert len(rows(desk, AssignmentRule)) == before


def test_reorder_by_drag(desk: Desk) -> None:
    admin = factories.admin(desk)
    ids = [r.id for r in desk.rules.rules(admin)]
    desk.rules.reorder_rules(admin, list(reversed(ids)))
    assert [r.id for r in desk.rules.rules(admin)] == list(reversed(ids))
    with pytest.raises(ValidationFailed):
        desk.rules.reorder_rules(admin, ids[:1])  # a stale list (a rule added meanwhile) is refused
