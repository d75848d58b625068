"""Races not covered elsewhere (claims, two movers of one card, recycle vs activity and double
conversion have their own tests): each ends in one consistent state, and the loser gets an
error that has words in both languages.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from sqlmodel import func, select

from core.clock import FakeClock
from core.desk import Desk
from core.errors import DomainError, StaleEdit
from core.pipeline.deals import MoveConflict
from store.engine import read_session
from store.models import OPEN_STATUSES, AuditEntry, Lead, Role, StageChange, User
from tests.factories import user

from .db import get, race, rows
from .test_automation import A, capture
from .test_conversion import make_opportunity
from .test_pipeline import opp, stage

LOCALES = Path(__file__).resolve().parents[2] / 'ui' / 'locales'
ROUNDS = 5


def has_words(error: DomainError) -> bool:
    """The loser's message exists in both catalogues."""
    key = f'err.{error.code}'
    return all(key in json.loads((LOCALES / f'{lang}.json').read_text()) for lang in ('en', 'zh_CN'))


def counters_agree(desk: Desk) -> None:
    """users.open_leads equals the open leads each rep really owns."""
    with read_session(desk.ctx.engine) as s:
        for u in s.exec(select(User)):
            actual = s.exec(select(func.count()).select_from(Lead).where(
                Lead.owner_id == u.id, Lead.status.in_(OPEN_STATUSES))).one()  # type: ignore[attr-defined]
            assert u.open_leads == actual, f'{u.name}: counter {u.open_leads}, owns {actual}'


def test_two_managers_saving_one_lead_at_once_one_wins(desk: Desk) -> None:
    first, second, rep = user(desk, Role.MANAGER), user(desk, Role.MANAGER), user(desk)
    for _ in range(ROUNDS):
        lead_id = desk.leads.capture_lead({'name': 'Shared', 'phone': f'1390000{_:04d}'}, channel='manual',
                                          default_source='manual', actor=rep, keep_for_actor=True).lead_id
        version = get(desk, Lead, lead_id).version
        results = race(partial(desk.leads.update_lead, first, lead_id, version=version, changes={'company': 'One Co'}),
                       partial(desk.leads.update_lead, second, lead_id, version=version, changes={'company': 'Two Co'}))
        winners = [i for i, r in enumerate(results) if isinstance(r, int)]
        [loser] = [r for r in results if not isinstance(r, int)]
        assert len(winners) == 1 and isinstance(loser, StaleEdit) and has_words(loser)
        row = get(desk, Lead, lead_id)
        assert row.company == ('One Co', 'Two Co')[winners[0]]
        assert row.version == version + 1
        assert len(rows(desk, AuditEntry, AuditEntry.lead_id == lead_id, AuditEntry.action == 'edited')) == 1


def test_stage_move_racing_a_lost_dialog_ends_in_one_consistent_state(desk: Desk, clock: FakeClock) -> None:
    """The rep opened the Lost dialog (it holds the card's version); a manager drags the card meanwhile."""
    rep, manager = user(desk), user(desk, Role.MANAGER)
    reason = desk.pipeline.lost_reasons()[0][0]
    lost, negotiation = stage(desk, 'Lost').id or 0, stage(desk, 'Negotiation').id or 0
    for _ in range(ROUNDS):
        opportunity_id = make_opportunity(desk, clock, rep)
        version = opp(desk, opportunity_id).version
        results = race(
            partial(desk.pipeline.move_opportunity, rep, opportunity_id, to_stage_id=lost, version=version,
                    lost_reason=reason, lost_note='went with a competitor'),
            partial(desk.pipeline.move_opportunity, manager, opportunity_id, to_stage_id=negotiation,
                    version=version))
        [loser] = [r for r in results if not isinstance(r, int)]
        assert isinstance(loser, MoveConflict) and has_words(loser) and loser.params['by']
        o = opp(desk, opportunity_id)
        if isinstance(results[0], int):  # the Lost dialog won
            assert (o.stage_id, o.lost_reason, o.closed_at is not None) == (lost, reason, True)
            assert loser.params['by'] == rep.name
        else:
            assert (o.stage_id, o.lost_reason, o.lost_note, o.closed_at) == (negotiation, None, None, None)
            assert loser.params['by'] == manager.name
        assert len(rows(desk, StageChange, StageChange.opportunity_id == opportunity_id)) == 2  # created + one move


def test_timer_reassignment_racing_a_manager_assign_leaves_one_owner(desk: Desk, clock: FakeClock) -> None:
    """Past the grace period the timer hands an uncontacted lead to another rep, while a manager
    assigns it by hand: whoever commits second sees the first's owner, never a half of each."""
    manager = user(desk, Role.MANAGER)
    reps = [user(desk, capacity=100) for _ in range(3)]
    for _ in range(ROUNDS):
        lead_id = capture(desk, **A)
        first = get(desk, Lead, lead_id).owner_id
        target = next(r for r in reps if r.id != first)
        due = get(desk, Lead, lead_id).sla_due_at
        assert due is not None
        desk.automation.tick(due)
        grace = get(desk, Lead, lead_id).sla_grace_at
        assert grace is not None
        clock.advance(seconds=(grace - clock.now()).total_seconds())
        results = race(partial(desk.automation.tick, grace),
                       partial(desk.leads.assign_lead, manager, lead_id, rep_id=target.id))
        assert not any(isinstance(r, Exception) for r in results), results
        row = get(desk, Lead, lead_id)
        assert row.status == 'assigned' and row.owner_id in {r.id for r in reps} - {first}
        assert row.sla_status == 'due' and row.assigned_at == grace  # new clocks for the new owner
        counters_agree(desk)


def test_disqualify_racing_the_recycle_ends_disqualified_or_in_the_pool(desk: Desk, clock: FakeClock) -> None:
    user(desk, Role.MANAGER)
    rep = user(desk, capacity=100)
    endings = set()
    for _ in range(ROUNDS):
        lead_id = capture(desk)
        version = get(desk, Lead, lead_id).version
        clock.advance(days=7)  # protection ended: the next tick recycles it
        results = race(desk.automation.tick,
                       partial(desk.leads.disqualify_lead, rep, lead_id, reason='no budget', version=version))
        row = get(desk, Lead, lead_id)
        if results[1] is None:  # disqualified first: the tick found nothing to recycle
            assert (row.status, row.owner_id, row.protected_until) == ('disqualified', rep.id, None)
        else:
            assert isinstance(results[1], DomainError) and has_words(results[1])
            assert (row.status, row.owner_id, row.previous_owner_id) == ('pool', None, rep.id)
        endings.add(row.status)
        counters_agree(desk)
    assert endings <= {'disqualified', 'pool'}
