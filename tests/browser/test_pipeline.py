"""The pipeline board in real browsers: a real drag persists and shows up live in a second
browser; a drop on Lost asks for the reason; two people moving one card: one lands, the
other is told and sees where the card really is."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from core.desk import Desk
from tests.ui.test_pipeline_page import make_opportunity

from .support import Server, choose, login

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    stages = {s.name_en: s.id for s in desk.pipeline.stages()}
    deals = {name: make_opportunity(desk, team.rep, company=name, amount='12000', expected_close=date(2026, 12, 1))
             for name in ('Dragon Tea', 'Lotus Labs')}
    server.seeded.update(stages=stages, deals=deals)


SORTABLE_BOUND = """() => {
    const boxes = [...document.querySelectorAll('[data-testid^="cards-"]')];
    return boxes.length > 0 && boxes.every(el => Object.keys(el).some(key => key.startsWith('Sortable')));
}"""
"""SortableJS binds each column after its module loads: a drag before that does nothing."""


class Board:
    """The pipeline page as a user sees it."""

    def __init__(self, page: Page, server: Server) -> None:
        self.page, self.server = page, server
        self.stages: dict[str, int] = server.seeded['stages']

    def open(self) -> Board:
        self.page.goto(self.server.url('/pipeline'))
        expect(self.page.get_by_test_id('board')).to_be_visible()
        self.page.wait_for_function(SORTABLE_BOUND)
        return self

    def card(self, deal: int) -> Locator:
        return self.page.get_by_test_id(f'opp-{deal}')

    def cards(self, stage: str) -> Locator:
        return self.page.get_by_test_id(f'cards-{self.stages[stage]}')

    def card_in(self, stage: str, deal: int) -> Locator:
        return self.cards(stage).get_by_test_id(f'opp-{deal}')

    def drag(self, deal: int, stage: str) -> None:
        self.card(deal).drag_to(self.cards(stage))

    def move_via_menu(self, deal: int, stage: str) -> None:
        self.page.get_by_test_id(f'move-{deal}').click()
        self.page.get_by_test_id(f'move-{deal}-{self.stages[stage]}').click()

    def proceed(self) -> None:
        """A forward move with the default playbook's items open asks once first (issue 11)."""
        self.page.get_by_test_id('playbook-open-proceed').click()
        expect(self.page.get_by_test_id('playbook-open-dialog')).to_have_count(0)


def stage_of(server: Server, deal: int) -> tuple[int, str | None]:
    with sqlite3.connect(server.db_path) as db:
        return db.execute('SELECT stage_id, lost_reason FROM opportunities WHERE id = ?', (deal,)).fetchone()


def wait_for_db(server: Server, deal: int, expected: tuple[int, str | None], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (found := stage_of(server, deal)) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert found == expected


def test_drag_persists_and_a_second_browser_sees_it_live(
        page: Page, new_context: Callable[..., BrowserContext], start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    deal = server.seeded['deals']['Dragon Tea']

    login(page, server, team.rep)
    rep = Board(page, server).open()
    expect(rep.card_in('Needs confirmed', deal)).to_be_visible()

    other = new_context().new_page()
    login(other, server, team.manager)
    manager = Board(other, server).open()
    expect(manager.card_in('Needs confirmed', deal)).to_be_visible()

    rep.drag(deal, 'Solution')
    rep.proceed()
    wait_for_db(server, deal, (server.seeded['stages']['Solution'], None))
    expect(rep.card_in('Solution', deal)).to_be_visible()
    expect(manager.card_in('Solution', deal)).to_be_visible()  # live, no reload
    expect(manager.card_in('Needs confirmed', deal)).to_have_count(0)
    expect(manager.page.get_by_test_id(f'count-{server.seeded["stages"]["Solution"]}')).to_have_text('1')


def test_drop_on_lost_asks_for_the_reason(page: Page, start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    deal = server.seeded['deals']['Lotus Labs']
    login(page, server, team.rep)
    board = Board(page, server).open()
    expect(board.card_in('Needs confirmed', deal)).to_be_visible()

    board.drag(deal, 'Lost')
    dialog = page.get_by_test_id('lost-dialog')
    expect(dialog).to_be_visible()
    choose(page, 'lost-reason', 'Chose a competitor')
    page.get_by_test_id('lost-note').fill('They bundled hardware')
    page.get_by_test_id('lost-confirm').click()
    expect(dialog).to_have_count(0)
    wait_for_db(server, deal, (server.seeded['stages']['Lost'], 'competitor'))
    expect(board.card_in('Lost', deal)).to_be_visible()


def test_dismissing_the_lost_dialog_puts_the_card_back(page: Page, start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    deal = server.seeded['deals']['Lotus Labs']
    login(page, server, team.rep)
    board = Board(page, server).open()
    expect(board.card_in('Needs confirmed', deal)).to_be_visible()

    board.drag(deal, 'Lost')
    expect(page.get_by_test_id('lost-dialog')).to_be_visible()
    page.keyboard.press('Escape')
    expect(page.get_by_test_id('lost-dialog')).to_have_count(0)
    expect(board.card_in('Needs confirmed', deal)).to_be_visible()
    expect(board.card_in('Lost', deal)).to_have_count(0)
    assert stage_of(server, deal) == (server.seeded['stages']['Needs confirmed'], None)


def test_concurrent_move_one_lands_the_other_is_told(
        page: Page, new_context: Callable[..., BrowserContext], start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    deal = server.seeded['deals']['Dragon Tea']

    login(page, server, team.rep)
    rep = Board(page, server).open()
    expect(rep.card_in('Needs confirmed', deal)).to_be_visible()
    other = new_context().new_page()
    login(other, server, team.manager)
    manager = Board(other, server).open()
    expect(manager.card_in('Needs confirmed', deal)).to_be_visible()

    rep.drag(deal, 'Lost')  # the rep is choosing a reason…
    expect(page.get_by_test_id('lost-dialog')).to_be_visible()
    manager.move_via_menu(deal, 'Quotation')  # …while the manager moves the same card
    manager.proceed()
    wait_for_db(server, deal, (server.seeded['stages']['Quotation'], None))
    expect(manager.card_in('Quotation', deal)).to_be_visible()

    choose(page, 'lost-reason', 'Price')
    page.get_by_test_id('lost-confirm').click()
    expect(page.get_by_text('Mia Manager changed this deal just now (it is in Quotation)')).to_be_visible()
    expect(rep.card_in('Quotation', deal)).to_be_visible()  # where it really is
    expect(rep.card_in('Lost', deal)).to_have_count(0)
    assert stage_of(server, deal) == (server.seeded['stages']['Quotation'], None)  # nothing overwritten


def test_a_live_update_does_not_cancel_a_drag_in_progress(
        page: Page, new_context: Callable[..., BrowserContext], start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    dragged, other_deal = server.seeded['deals']['Dragon Tea'], server.seeded['deals']['Lotus Labs']
    login(page, server, team.rep)
    rep = Board(page, server).open()
    expect(rep.card_in('Needs confirmed', dragged)).to_be_visible()
    other = new_context().new_page()
    login(other, server, team.manager)
    manager = Board(other, server).open()
    expect(manager.card_in('Needs confirmed', other_deal)).to_be_visible()

    source, target = rep.card(dragged).bounding_box(), rep.cards('Negotiation').bounding_box()
    assert source is not None and target is not None
    page.mouse.move(source['x'] + source['width'] / 2, source['y'] + source['height'] / 2)
    page.mouse.down()
    page.mouse.move(target['x'] + target['width'] / 2, target['y'] + 20, steps=10)
    manager.move_via_menu(other_deal, 'Solution')  # the rep's source column changes mid-drag
    manager.proceed()
    wait_for_db(server, other_deal, (server.seeded['stages']['Solution'], None))
    page.wait_for_timeout(500)  # the push reaches the rep's board while the drag is held
    page.mouse.move(target['x'] + target['width'] / 2, target['y'] + 30, steps=3)
    page.mouse.up()
    rep.proceed()
    wait_for_db(server, dragged, (server.seeded['stages']['Negotiation'], None))
    expect(rep.card_in('Negotiation', dragged)).to_be_visible()
    expect(rep.card_in('Solution', other_deal)).to_be_visible()  # the deferred update lands after the drop


def test_tick_cards_and_move_them_in_bulk_then_drag_still_works(page: Page,
                                                                 start_server: Callable[..., Server]) -> None:
    """The tick box on a card is a real click that neither drags nor opens the deal; the bar's bulk
    move lands both cards; the boxes leave dragging as it was."""
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    deals = server.seeded['deals']
    stages = server.seeded['stages']
    login(page, server, team.rep)
    board = Board(page, server).open()
    for deal in deals.values():
        expect(board.card_in('Needs confirmed', deal)).to_be_visible()
    expect(page.get_by_test_id('bulk-bar')).to_be_hidden()
    for deal in deals.values():
        page.get_by_test_id(f'pick-{deal}').check()
    expect(page.get_by_test_id('bulk-count')).to_have_text('2 selected')
    assert page.url.endswith('/pipeline')  # the box is not the deal's link
    page.get_by_test_id('bulk-action').click()
    page.get_by_test_id('bulk-kind').click()
    page.get_by_role('option', name='Move to a stage').click()
    expect(page.get_by_test_id('bulk-won-hint')).to_be_visible()
    page.get_by_test_id('bulk-stage').click()
    page.get_by_role('option', name='Solution').click()
    page.get_by_test_id('bulk-do-preview').click()
    expect(page.get_by_test_id('bulk-preview')).to_have_text('2 will change')
    page.get_by_test_id('bulk-apply').click()
    for deal in deals.values():
        wait_for_db(server, deal, (stages['Solution'], None))
        expect(board.card_in('Solution', deal)).to_be_visible()
    expect(page.get_by_test_id('bulk-bar')).to_be_hidden()
    board.drag(deals['Lotus Labs'], 'Needs confirmed')  # back: no checklist to confirm
    wait_for_db(server, deals['Lotus Labs'], (stages['Needs confirmed'], None))
