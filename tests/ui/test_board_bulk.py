"""Bulk edit on the pipeline board (ui/components/board_bulk.py, ui/components/bulk_edit.py): tick
boxes on cards, the bar, "select all N matching", the action dialog's stage move and Lost with the
preview, and Undo from the recent bulk edits."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from store.models import Opportunity
from tests.ui.conftest import Team
from tests.ui.test_pipeline_page import column_of, make_opportunity, open_board, opportunity, stages, wait_for
from tests.unit.db import rows


def element(user: User, marker: str) -> ui.element:
    return user.find(marker=marker).elements.pop()


def tick(user: User, deal: int) -> None:
    """A card's tick box (inside the card's HTML: its column forwards the change with the card id)."""
    user.find(marker=f'cards-{column_of(user, deal)}').trigger('change', [deal, True])


def choose(user: User, marker: str, value: object) -> None:
    select = element(user, marker)
    assert isinstance(select, ui.select)
    select.set_value(value)


async def test_a_rep_moves_ticked_deals_to_a_stage_then_undoes_it(user: User, team: Team) -> None:
    desk = team.desk
    deals = [make_opportunity(desk, team.rep_a, company=name) for name in ('Acme', 'Beta', 'Gamma')]
    solution, needs = stages(desk)['Solution'], stages(desk)['Needs confirmed']
    await open_board(user, team.rep_a, *deals)
    await user.should_not_see(marker='bulk-bar')
    assert 'data-pick' in element(user, f'opp-{deals[0]}').content  # type: ignore[attr-defined]
    tick(user, deals[0])
    tick(user, deals[1])
    await user.should_see('2 selected', retries=100)
    await user.should_see('Select all 3 matching', retries=100)
    user.find(marker='bulk-action').click()
    await user.should_see('Bulk edit 2 opportunities', retries=100)
    choose(user, 'bulk-kind', 'move_stage')
    await user.should_see('Won is one deal at a time: it takes the final amount and creates a customer.', retries=100)
    choose(user, 'bulk-stage', solution.id)
    user.find(marker='bulk-do-preview').click()
    await user.should_see('2 will change', retries=100)
    user.find(marker='bulk-apply').click()
    await user.should_see('2 opportunities changed (0 skipped)', retries=100)
    assert [opportunity(desk, d).stage_id for d in deals] == [solution.id, solution.id, needs.id]
    await wait_for(lambda: column_of(user, deals[0]) == solution.id)
    await user.should_not_see(marker='bulk-bar')

    user.find(marker='bulk-recent').click()
    await user.should_see('Move to a stage: 2 opportunities', retries=100)
    batch = max(b.id for b in desk.bulk.recent(team.rep_a))
    user.find(marker=f'bulk-undo-{batch}').click()
    await user.should_see('2 opportunities restored; 0 skipped because they changed since', retries=100)
    assert [opportunity(desk, d).stage_id for d in deals] == [needs.id] * 3
    await wait_for(lambda: column_of(user, deals[0]) == needs.id)


async def test_a_manager_marks_all_matching_deals_lost_with_a_reason(user: User, team: Team) -> None:
    desk = team.desk
    deals = [make_opportunity(desk, rep, company=name) for rep, name in
             ((team.rep_a, 'Acme'), (team.rep_b, 'Beta'), (team.rep_a, 'Gamma'))]
    await open_board(user, team.manager, *deals)
    tick(user, deals[0])
    await user.should_see('Select all 3 matching', retries=100)
    user.find(marker='bulk-select-all').click()
    await user.should_see('All 3 matching opportunities selected', retries=100)
    user.find(marker='bulk-action').click()
    await user.should_see(marker='bulk-dialog', retries=100)
    choose(user, 'bulk-kind', 'lose')
    user.find(marker='bulk-do-preview').click()
    await user.should_see('Lost reason: Required', retries=100)  # nothing lost without a reason
    choose(user, 'bulk-lost-reason', 'price')
    user.find(marker='bulk-apply').click()
    await user.should_see('3 opportunities changed (0 skipped)', retries=100)
    lost = stages(desk)['Lost']
    assert {(o.stage_id, o.lost_reason) for o in rows(desk, Opportunity)} == {(lost.id, 'price')}
