"""The Digest page in a real browser: a rep reads the digest the timer sent (its lines linking their
records), adds their own two lines for the next one, and the page fits a 390 px phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from core.digests.content import DigestKind
from core.digests.schedule import Due
from store.models import Lead

from .support import Server, login

pytestmark = pytest.mark.browser

DAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2 March, 10:00 in Shanghai


def sent_digest(desk: Desk, server: Server) -> None:
    """Digests on, a lead of the rep's on Monday, and Monday's digest sent on Tuesday morning."""
    assert server.team is not None
    rep = server.team.rep
    desk.digests.set_team_settings(server.team.admin, {'kinds': ['daily']})
    with desk.ctx.write() as s:
        lead = Lead(name='Wang Fang', owner_id=rep.id, status='contacted', created_at=DAY, assigned_at=DAY,
                    first_contact_at=DAY + timedelta(minutes=25))
        s.add(lead)
        s.flush()
        server.seeded['lead_id'] = lead.id
    assert desk.automation.digests.send(Due(rep.id, DigestKind.DAILY, DAY.date()), DAY + timedelta(days=1)) == 1


def test_a_rep_reads_the_sent_digest_and_adds_own_lines(start_server: Callable[..., Server],
                                                        new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=sent_digest)
    assert server.team is not None
    page = new_context(locale='en-US').new_page()
    login(page, server, server.team.rep)
    page.get_by_role('link', name='Digests').first.click()
    page.wait_for_url(server.url('/digests'))
    history = page.get_by_test_id('digest-history')
    expect(history.get_by_text('Daily digest 2026-03-02')).to_be_visible()
    links = history.get_by_role('link', name='Wang Fang')  # received, then first contacted
    expect(links).to_have_count(2)
    expect(links.first).to_have_attribute('href', f'/leads/{server.seeded["lead_id"]}')
    expect(history.get_by_text('First contacts (1)')).to_be_visible()
    expect(history.get_by_text('Wang Fang (Rita Rep) 25 min')).to_be_visible()

    page.get_by_test_id('digest-own-0').fill('Visited the Suzhou plant')
    page.get_by_test_id('digest-own-save').click()
    expect(page.get_by_text('Saved: they go out with the digest')).to_be_visible()
    page.reload()
    expect(page.get_by_test_id('digest-own-0')).to_have_value('Visited the Suzhou plant')


def test_the_digest_page_fits_a_phone_in_chinese(start_server: Callable[..., Server],
                                                 new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=sent_digest)
    assert server.team is not None
    page = new_context(locale='zh-CN', viewport={'width': 390, 'height': 844}).new_page()
    login(page, server, server.team.rep)
    page.goto(server.url('/digests'))
    expect(page.get_by_test_id('digest-history').get_by_text('日报 2026-03-02')).to_be_visible()
    expect(page.get_by_test_id('digest-history').get_by_text('首次联系（1）')).to_be_visible()
    assert page.evaluate('document.documentElement.scrollWidth') <= 390
