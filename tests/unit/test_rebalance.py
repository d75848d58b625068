"""The pure planners: rebalance evens load without overfilling anyone; handover empties a leaving rep."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from core.workload.rebalance import Candidate, RepSlot, plan_handover, plan_rebalance

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def leads(owner: int, n: int, start: int = 0, *, worked: bool = False, grade: str = 'B') -> list[Candidate]:
    return [Candidate(lead_id=owner * 1000 + start + i, name=f'L{owner}-{i}', grade=grade, owner_id=owner,
                      last_activity_at=T0 - timedelta(days=2, minutes=i) if worked else None) for i in range(n)]


def test_moves_from_the_overloaded_to_the_idle_until_even() -> None:
    reps = [RepSlot(1, 'Li', 10, 10, True), RepSlot(2, 'Zhao', 0, 10, True)]
    plan = plan_rebalance(reps, {1: leads(1, 10)})
    assert len(plan.moves) == 5
    assert plan.after == {1: 5, 2: 5}
    assert {m.to_id for m in plan.moves} == {2}
    assert plan.losers() == {1: 5} and plan.gainers() == {2: 5}


def test_relative_to_capacity_not_raw_counts() -> None:
    # Li 12 of 20 (0.6), Zhao 3 of 5 (0.6): already even though the counts differ
    reps = [RepSlot(1, 'Li', 12, 20, True), RepSlot(2, 'Zhao', 3, 5, True)]
    assert plan_rebalance(reps, {1: leads(1, 12), 2: leads(2, 3)}).moves == []
    # Li 20 of 20, Zhao 0 of 5: Zhao takes 4 (16/20 = 0.8 ≥ 4/5 = 0.8), not 10
    reps = [RepSlot(1, 'Li', 20, 20, True), RepSlot(2, 'Zhao', 0, 5, True)]
    plan = plan_rebalance(reps, {1: leads(1, 20)})
    assert plan.after == {1: 16, 2: 4}


def test_never_fills_anyone_past_capacity() -> None:
    rng = random.Random(7)
    for _ in range(200):
        reps = []
        movable = {}
        for rid in range(1, rng.randint(2, 8)):
            cap = rng.randint(0, 15)
            count = rng.randint(0, 25)
            reps.append(RepSlot(rid, f'R{rid}', count, cap, rng.random() > 0.2))
            movable[rid] = leads(rid, rng.randint(0, count))
        plan = plan_rebalance(reps, movable)
        caps = {r.id: r.capacity for r in reps}
        for rid, gained in plan.gainers().items():
            before = next(r.open_count for r in reps if r.id == rid)
            assert before + gained <= max(caps[rid], before), (reps, plan)
            assert plan.after[rid] <= caps[rid] or gained == 0
        # only available reps give or take, only leads offered as movable move
        offered = {c.lead_id for cs in movable.values() for c in cs}
        available = {r.id for r in reps if r.available}
        assert all(m.lead_id in offered and m.from_id in available and m.to_id in available for m in plan.moves)
        assert len({m.lead_id for m in plan.moves}) == len(plan.moves)


def test_deterministic_for_the_same_inputs_whatever_their_order() -> None:
    reps = [RepSlot(1, 'Li', 9, 10, True), RepSlot(2, 'Zhao', 1, 10, True), RepSlot(3, 'Wu', 1, 10, True)]
    movable = {1: leads(1, 9, worked=True)}
    first = plan_rebalance(reps, movable)
    shuffled = plan_rebalance(list(reversed(reps)), {1: list(reversed(movable[1]))})
    assert first.moves == shuffled.moves
    assert [m.to_id for m in first.moves] == [2, 3, 2, 3, 2]  # ties go to the lower id, alternating
    assert first.after == {1: 4, 2: 4, 3: 3}


def test_only_offered_leads_move_and_least_recently_worked_first() -> None:
    """The service offers only leads quiet for 24 h; the planner moves never-worked ones first."""
    worked = leads(1, 3, worked=True)
    fresh = leads(1, 2, start=10)
    reps = [RepSlot(1, 'Li', 10, 10, True), RepSlot(2, 'Zhao', 0, 10, True)]
    plan = plan_rebalance(reps, {1: worked + fresh}, held_back=5)
    assert [m.lead_id for m in plan.moves] == [1010, 1011, 1002, 1001, 1000]
    assert plan.held_back == 5


def test_reps_on_leave_neither_give_nor_take() -> None:
    reps = [RepSlot(1, 'Li', 10, 10, False), RepSlot(2, 'Zhao', 0, 10, True), RepSlot(3, 'Wu', 0, 10, False)]
    assert plan_rebalance(reps, {1: leads(1, 10)}).moves == []


def test_handover_spreads_a_leaving_reps_leads_and_pools_what_does_not_fit() -> None:
    reps = [RepSlot(1, 'Li', 6, 10, True), RepSlot(2, 'Zhao', 8, 10, True), RepSlot(3, 'Wu', 9, 10, True),
            RepSlot(4, 'Sun', 0, 10, False)]
    mine = leads(1, 4, grade='C') + leads(1, 2, start=50, grade='A')
    plan = plan_handover(1, reps, mine)
    assert [m.grade for m in plan.moves][:2] == ['A', 'A']  # A leads choose first
    assert [m.to_id for m in plan.moves] == [2, 2, 3, None, None, None]  # Zhao 8→10, Wu 9→10, then full
    assert plan.to_pool == 3
    assert plan.after[1] == 0 and plan.after[2] == 10 and plan.after[3] == 10 and plan.after[4] == 0
