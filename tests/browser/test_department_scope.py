"""A department manager scoped "department and below" watches their inbox in a real browser: a lead
the rules give to a rep of their subtree appears without a reload; one given to a rep of another
department never does (issue 22: "a department manager sees only their subtree live")."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from core.accounts.reach import DataScope
from core.desk import Desk
from store.models import Role

from .support import Server, login
from .test_leads import wait_for_inbox

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    """Company > North (the manager; Rita in North Shanghai below it) and Company > South (Otto);
    referrals go to North's subtree, trade-show leads to South, each by a department rule."""
    team = server.team
    assert team is not None
    north = desk.departments.add(None, 'North')
    below = desk.departments.add(None, 'North Shanghai', parent_id=north)
    south = desk.departments.add(None, 'South')
    for who, where in ((team.manager, north), (team.rep, below), (team.other_rep, south)):
        desk.departments.place_user(None, who.id, where)
    desk.departments.set_scopes(team.admin, {Role.MANAGER: DataScope.DEPARTMENT_TREE})
    desk.rules.save_rule(team.admin, None, name='North referrals', strategy='round_robin', position=0,
                         match_sources=['referral'], department_id=north)
    desk.rules.save_rule(team.admin, None, name='South trade shows', strategy='round_robin', position=1,
                         match_sources=['trade_show'], department_id=south)
    server.seeded['api_key'] = desk.access.create_api_key(None, name='Scope test')


def capture(server: Server, name: str, phone: str, source: str) -> None:
    r = httpx.post(server.url('/api/v1/leads'), headers={'X-API-Key': server.seeded['api_key']},
                   json={'name': name, 'phone': phone, 'source': source}, timeout=30)
    assert r.status_code in (200, 201), r.text


def test_a_department_manager_sees_only_their_subtrees_leads_live(
        page: Page, start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    login(page, server, team.manager)
    wait_for_inbox(page)
    table = page.get_by_test_id('inbox-table')

    capture(server, 'South Sam', '13900005555', 'trade_show')  # Otto's, outside the subtree: first
    capture(server, 'North Nora', '13900004444', 'referral')  # Rita's, two levels inside

    expect(table.get_by_text('North Nora', exact=True)).to_be_visible(timeout=10_000)
    expect(table.get_by_text('South Sam', exact=True)).to_have_count(0)  # captured before Nora: it never came
    expect(page).to_have_url(server.url('/'))  # no reload, no navigation
    with sqlite3.connect(server.db_path) as db:  # and Sam was not simply pooled: Otto has him
        owners = dict(db.execute("SELECT name, owner_id FROM leads WHERE name IN ('North Nora', 'South Sam')"))
    assert owners == {'North Nora': team.rep.id, 'South Sam': team.other_rep.id}
