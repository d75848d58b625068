"""The goals leaderboard normalised for lead volume and grade mix (core/goals/leaderboard.py): on
hand-built months where the rep with the most A-leads has the most conversions yet is ranked below
a rep who did better with harder leads; read through the desk from the roll-up's grade rows."""

from __future__ import annotations

from datetime import date

import pytest

from core.desk import Desk
from core.errors import NotAllowed
from core.goals.leaderboard import MIN_LEADS, Step, group_rates, standings
from store.models import Role
from tests.factories import user
from tests.unit.test_reports import add_deal, add_lead, at


def grade(captured: int, converted: int, contacted: int | None = None, won: int = 0) -> tuple[int, int, int, int, int]:
    return (captured, captured if contacted is None else contacted, converted, converted, won)


# Ann and Cy work A-leads (the group converts 60 % of them), Bo and Dee C-leads (20 %).
MONTH = {
    1: {'A': grade(10, 5, won=2)},             # Ann: 5 of 10 A → expected 6.0 → 0.83
    2: {'C': grade(10, 3, contacted=8)},       # Bo: 3 of 10 C  → expected 2.0 → 1.50
    3: {'A': grade(10, 7, won=2)},             # Cy: 7 of 10 A  → expected 6.0 → 1.17
    4: {'C': grade(10, 1, contacted=6)},       # Dee: 1 of 10 C → expected 2.0 → 0.50
}
NAMES = {1: 'Ann', 2: 'Bo', 3: 'Cy', 4: 'Dee'}


def test_the_group_rate_is_per_grade() -> None:
    rates = group_rates(MONTH)
    assert rates['A'][Step.CONVERTED] == pytest.approx(0.6) and rates['C'][Step.CONVERTED] == pytest.approx(0.2)
    assert rates['C'][Step.CONTACTED] == pytest.approx(0.7) and rates['C'][Step.WON] == 0


def test_a_rep_with_harder_leads_outranks_one_with_more_conversions() -> None:
    board = standings(MONTH, NAMES)
    assert [s.name for s in board] == ['Bo', 'Cy', 'Ann', 'Dee']  # normalised
    assert [s.raw_rank for s in board] == [3, 1, 2, 4]  # the raw count: Cy 7, Ann 5, Bo 3, Dee 1
    bo = board[0]
    assert (bo.scores[Step.CONVERTED].actual, bo.scores[Step.CONVERTED].expected) == (3, 2.0)
    assert [s.scores[Step.CONVERTED].index for s in board] == [1.5, pytest.approx(1.1667, abs=1e-4),
                                                                pytest.approx(0.8333, abs=1e-4), 0.5]
    assert [s.rank for s in board] == [1, 2, 3, 4]
    # contacted: C-leads are contacted 70 % of the time in this group; Bo's 8 of 10 beat it
    assert bo.scores[Step.CONTACTED].index == pytest.approx(8 / 7, abs=1e-4)
    # nobody in C won anything: nothing expected, no index
    assert bo.scores[Step.WON].expected == 0 and bo.scores[Step.WON].index is None
    # over the group the expected sums to the actual
    assert sum(s.scores[Step.CONVERTED].expected for s in board) == pytest.approx(16)


def test_a_mixed_rep_is_expected_by_their_own_mix() -> None:
    month = {**MONTH, 5: {'A': grade(2, 1), 'C': grade(8, 3)}}  # Eve: half the A rate, well over the C rate
    eve = next(s for s in standings(month, {**NAMES, 5: 'Eve'}) if s.name == 'Eve')
    rates = group_rates(month)
    assert eve.scores[Step.CONVERTED].expected == pytest.approx(2 * rates['A'][Step.CONVERTED]
                                                              + 8 * rates['C'][Step.CONVERTED], abs=1e-4)
    assert eve.leads == 10


def test_too_few_leads_are_listed_but_not_ranked() -> None:
    month = {**MONTH, 5: {'A': grade(MIN_LEADS - 1, MIN_LEADS - 1)}}
    board = standings(month, {**NAMES, 5: 'Eve', 6: 'Fay'})  # Fay: no leads at all
    assert [(s.name, s.rank) for s in board][-2:] == [('Eve', None), ('Fay', None)]
    assert board[-1].scores[Step.CONVERTED].index is None and board[-1].leads == 0


def test_the_desk_reads_the_grade_mix_from_the_roll_up(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    reps = {name: user(desk, name=name) for name in ('Ann', 'Bo', 'Cy', 'Dee')}
    plan = {'Ann': ('A', 3), 'Bo': ('C', 1), 'Cy': ('A', 5), 'Dee': ('C', 0)}  # 5 leads each, this many deals
    for name, (g, deals) in plan.items():
        for i in range(5):
            lead = add_lead(desk, reps[name], at('03-02', 1 + i), grade=g,
                            status='converted' if i < deals else 'contacted')
            if i < deals:
                add_deal(desk, lead, reps[name], created=at('03-02', 8 + i), moves=[], amount_cents=100,
                         expected_close=date(2026, 3, 31))
    add_lead(desk, reps['Bo'], at('02-27'), grade='C', status='converted')  # February's: not this month
    board = desk.goals.leaderboard(manager)
    # A converts 8 of 10 in this group, C 1 of 10: Bo's one deal from C-leads beats Cy's five from A
    assert [(s.name, s.scores[Step.CONVERTED].actual, s.scores[Step.CONVERTED].expected) for s in board] == [
        ('Bo', 1, 0.5), ('Cy', 5, 4.0), ('Ann', 3, 4.0), ('Dee', 0, 0.5)]
    assert [s.raw_rank for s in board] == [3, 1, 2, 4]
    february = desk.goals.leaderboard(manager, date(2026, 2, 1))
    assert [(s.name, s.leads, s.rank) for s in february][:2] == [('Ann', 0, None), ('Bo', 1, None)]
    with pytest.raises(NotAllowed):
        desk.goals.leaderboard(reps['Ann'])
