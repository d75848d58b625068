"""The search page and the header's box: grouped results as you type, each linking to its record,
the hints for an empty or short term and the empty state; a rep finds only what a rep may open."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from tests import factories
from tests.ui.conftest import Team, login


def capture(team: Team, **fields: str) -> int:
    return team.desk.leads.capture_lead(factories.lead_data(**fields), channel='api', default_source='api').lead_id


async def test_typing_shows_leads_grouped_and_linked_to_their_pages(user: User, team: Team) -> None:
    wang = capture(team, name='王芳', phone='130-0621-9832', company='深圳华为技术有限公司')
    capture(team, name='李娜', phone='13500001111')
    await login(user, team.manager.email)
    await user.open('/search')
    await user.should_see(marker='search-hint')
    user.find(marker='search-input').type('+86 130 0621 9832')
    await user.should_see(marker='search-group-lead', retries=50)
    await user.should_see(marker=f'search-hit-lead-{wang}')
    await user.should_not_see('李娜')
    link = user.find(marker=f'search-hit-lead-{wang}').elements.pop()
    assert isinstance(link, ui.link) and link.props['href'] == f'/leads/{wang}'


async def test_the_header_box_opens_the_search_with_its_term(user: User, team: Team) -> None:
    wang = capture(team, name='王芳', company='深圳华为技术有限公司')
    await login(user, team.manager.email)
    await user.open('/search?q=华为技术')
    await user.should_see(marker=f'search-hit-lead-{wang}', retries=50)
    await user.should_see(marker='header-search')


async def test_a_short_term_says_what_it_searched_and_nothing_found_says_so(user: User, team: Team) -> None:
    capture(team, name='王芳')
    await login(user, team.manager.email)
    await user.open('/search?q=王')
    await user.should_see(marker='search-short', retries=50)
    await user.should_see('王芳')
    await user.open('/search?q=nobody-at-all')
    await user.should_see(marker='search-empty', retries=50)


async def test_a_rep_does_not_find_another_reps_lead(user: User, team: Team) -> None:
    lead = capture(team, name='赵敏敏', company='北京星光传媒')
    owner = team.desk.leads.lead_view(team.manager, lead).lead.owner_id
    other = team.rep_b if owner == team.rep_a.id else team.rep_a
    await login(user, other.email)
    await user.open('/search?q=星光传媒')
    await user.should_see(marker='search-empty', retries=50)
