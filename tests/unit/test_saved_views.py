"""Saved views: own and shared ones per page, who may share and delete, the view a page opens on,
and what a view may hold."""

from __future__ import annotations

import pytest

from core.desk import Desk
from core.errors import NotAllowed, NotFound, ValidationFailed
from store.models import Role, ViewPage
from tests import factories

A_LEADS = {'grade': 'A', 'status': None, 'custom': {'product': 'crm'}, 'unassigned': False}


def test_a_rep_saves_a_view_and_reads_it_back_with_its_columns(desk: Desk) -> None:
    rep = factories.user(desk, Role.REP)
    saved = desk.views.save_view(rep, ViewPage.INBOX, '  My  A-leads ', A_LEADS, columns=('name', 'phone'))
    [view] = desk.views.views(rep, ViewPage.INBOX)
    assert (view.id, view.name, view.filters, view.columns, view.shared, view.mine) == (
        saved.id, 'My A-leads', A_LEADS, ('name', 'phone'), False, True)
    assert desk.views.views(rep, ViewPage.POOL) == []  # each page its own


def test_own_views_stay_own_and_shared_ones_reach_the_team(desk: Desk) -> None:
    manager = factories.user(desk, Role.MANAGER)
    rep, other = factories.user(desk, Role.REP), factories.user(desk, Role.REP)
    desk.views.save_view(rep, ViewPage.INBOX, 'Mine', {'grade': 'B'})
    desk.views.save_view(manager, ViewPage.INBOX, 'Trade show follow-up', {'source': 'trade_show'}, shared=True)
    desk.views.save_view(manager, ViewPage.INBOX, 'Boss only', {'grade': 'C'})
    assert [(v.name, v.mine, v.shared) for v in desk.views.views(other, ViewPage.INBOX)] == [
        ('Trade show follow-up', False, True)]
    assert [v.name for v in desk.views.views(rep, ViewPage.INBOX)] == ['Mine', 'Trade show follow-up']


def test_only_managers_share_and_only_owners_change_or_delete(desk: Desk) -> None:
    manager, rep = factories.user(desk, Role.MANAGER), factories.user(desk, Role.REP)
    with pytest.raises(NotAllowed):
        desk.views.save_view(rep, ViewPage.INBOX, 'For all', {'grade': 'A'}, shared=True)
    shared = desk.views.save_view(manager, ViewPage.INBOX, 'Team', {'grade': 'A'}, shared=True)
    with pytest.raises(NotAllowed):
        desk.views.save_view(rep, ViewPage.INBOX, 'Taken over', {'grade': 'B'}, view_id=shared.id)
    with pytest.raises(NotAllowed):
        desk.views.delete_view(rep, shared.id)
    renamed = desk.views.save_view(manager, ViewPage.INBOX, 'Team A', {'grade': 'A'}, shared=True, view_id=shared.id)
    assert renamed.id == shared.id and [v.name for v in desk.views.views(rep, ViewPage.INBOX)] == ['Team A']
    other_manager = factories.user(desk, Role.MANAGER)
    desk.views.delete_view(other_manager, shared.id)  # a shared view is the team's: any manager tidies up
    assert desk.views.views(rep, ViewPage.INBOX) == []
    with pytest.raises(NotFound):
        desk.views.delete_view(manager, shared.id)


def test_a_page_opens_on_the_chosen_view_until_it_is_gone(desk: Desk) -> None:
    manager, rep = factories.user(desk, Role.MANAGER), factories.user(desk, Role.REP)
    assert desk.views.opening_view(rep, ViewPage.INBOX) is None
    shared = desk.views.save_view(manager, ViewPage.INBOX, 'Team', {'grade': 'A'}, shared=True)
    desk.views.open_on(rep, ViewPage.INBOX, shared.id)
    opening = desk.views.opening_view(rep, ViewPage.INBOX)
    assert opening is not None and opening.id == shared.id
    assert desk.views.opening_view(rep, ViewPage.POOL) is None
    desk.views.save_view(manager, ViewPage.INBOX, 'Team', {'grade': 'A'}, view_id=shared.id)  # no longer shared
    assert desk.views.opening_view(rep, ViewPage.INBOX) is None
    desk.views.delete_view(manager, shared.id)
    assert desk.views.opening_view(rep, ViewPage.INBOX) is None
    desk.views.open_on(rep, ViewPage.INBOX, None)
    mine = desk.views.save_view(rep, ViewPage.INBOX, 'Mine', {'grade': 'B'})
    with pytest.raises(NotFound):
        desk.views.open_on(rep, ViewPage.POOL, mine.id)  # a view opens only its own page
    private = desk.views.save_view(manager, ViewPage.INBOX, 'Private', {})
    with pytest.raises(NotFound):
        desk.views.open_on(rep, ViewPage.INBOX, private.id)  # nor someone else's own view


@pytest.mark.parametrize('filters', [
    {'no_such_filter': 1},  # not one of the page's controls
    {'grade': {'nested': {'deeper': 1}}},  # a document, not a filter value
    {'custom': {'product': ['a', ['b']]}},
    ['grade', 'A'],
])
def test_a_view_holds_the_pages_filter_values_only(desk: Desk, filters: object) -> None:
    rep = factories.user(desk, Role.REP)
    with pytest.raises(ValidationFailed) as refused:
        desk.views.save_view(rep, ViewPage.INBOX, 'Odd', filters)  # type: ignore[arg-type]
    assert refused.value.errors == {'filters': 'invalid'}
    assert desk.views.views(rep, ViewPage.INBOX) == []


def test_names_are_required_short_and_views_per_page_are_bounded(desk: Desk) -> None:
    rep = factories.user(desk, Role.REP)
    for name, error in (('   ', 'required'), ('x' * 61, 'too_long')):
        with pytest.raises(ValidationFailed) as refused:
            desk.views.save_view(rep, ViewPage.POOL, name, {'q': ''})
        assert refused.value.errors == {'name': error}
    with pytest.raises(ValidationFailed) as huge:
        desk.views.save_view(rep, ViewPage.POOL, 'Huge', {'q': 'x' * 5000})
    assert huge.value.errors == {'filters': 'too_long'}
    for i in range(50):
        desk.views.save_view(rep, ViewPage.POOL, f'View {i:02}', {'q': str(i)})
    with pytest.raises(ValidationFailed) as full:
        desk.views.save_view(rep, ViewPage.POOL, 'One more', {'q': ''})
    assert full.value.errors == {'name': 'too_many_views'}
