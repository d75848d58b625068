"""Search (`/search?q=…`, 搜索): one box finding leads, opportunities and customers as you type,
grouped by type, each linking to its page (a rep's pool leads: to the pool, searched for the name).
The header's box (ui/theme.py) opens this page with its term; `desk.search` decides what each user
finds (core/search/service.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.desk import Desk
from core.search.service import MAX_TERM, SearchResults
from store.models import SearchHit, SearchKind, UserRef

from ..components.kit import card, empty_state
from ..format import phone
from ..i18n import t
from ..marks import tid
from ..session import require_user
from ..theme import frame

GROUPS = ((SearchKind.LEAD, 'search.leads', 'person'), (SearchKind.OPPORTUNITY, 'search.opportunities', 'handshake'),
          (SearchKind.CUSTOMER, 'search.customers', 'business'))
PAGES = {SearchKind.LEAD: '/leads/', SearchKind.OPPORTUNITY: '/opportunities/', SearchKind.CUSTOMER: '/customers/'}


def search_address(term: str) -> str:
    return '/search' + (f'?{urlencode({"q": term})}' if term else '')


class SearchPage:
    """The box and the grouped results, redrawn on every (debounced) keystroke."""

    def __init__(self, desk: Desk, user: UserRef, term: str) -> None:
        self.desk, self.user, self.term = desk, user, term

    def build(self) -> None:
        field = tid(ui.input(t('search.placeholder'), value=self.term, on_change=self._changed)
                    .props(f'autofocus clearable debounce=250 maxlength={MAX_TERM} outlined')
                    .classes('w-full'), 'search-input')
        field.props(f'aria-label="{t("search.placeholder")}"')
        self.results = ui.column().classes('w-full gap-3 min-w-0')
        self._draw(None)
        ui.timer(0, self.refresh, once=True)

    async def _changed(self, e: object) -> None:
        term = (getattr(e, 'value', '') or '').strip()
        if term == self.term:
            return
        self.term = term
        ui.navigate.history.replace(search_address(self.term))
        await self.refresh()

    async def refresh(self) -> None:
        term = self.term
        found = await run.io_bound(self.desk.search.search, self.user, term) if term else None
        if term == self.term:  # (a later keystroke has its own refresh)
            self._draw(found)

    def _draw(self, found: SearchResults | None) -> None:
        self.results.clear()
        with self.results:
            if found is None or not found.term:
                empty_state(t('search.hint'), icon='search', mark='search-hint')
                return
            if found.short:
                tid(ui.label(t('search.hint_short')).classes('ld-muted'), 'search-short')
            if found.empty:
                empty_state(t('search.nothing', term=self.term), icon='search_off', mark='search-empty')
                return
            for kind, title, icon in GROUPS:
                hits = {SearchKind.LEAD: found.leads, SearchKind.OPPORTUNITY: found.opportunities,
                        SearchKind.CUSTOMER: found.customers}[kind]
                if hits:
                    with card(f'{t(title)} ({len(hits)})', mark=f'search-group-{kind}'):
                        for hit in hits:
                            self._hit(hit, icon)

    def _hit(self, hit: SearchHit, icon: str) -> None:
        href = (f'/pool?{urlencode({"q": hit.title})}' if hit.in_pool else f'{PAGES[hit.kind]}{hit.id}')
        details = [hit.detail, phone(hit.phone).text if hit.kind == SearchKind.LEAD and hit.phone else None,
                   t('status.pool') if hit.in_pool else hit.owner_name]
        with tid(ui.link(target=href), f'search-hit-{hit.kind}-{hit.id}') \
                .classes('block w-full min-w-0 no-underline text-inherit rounded hover:bg-grey-2 px-1 py-1'):
            with ui.row().classes('w-full items-center gap-3 no-wrap min-w-0'):
                ui.icon(icon).classes('text-grey-6')
                with ui.column().classes('gap-0 min-w-0 flex-1'):
                    ui.label(hit.title).classes('text-primary font-medium ellipsis w-full')
                    line = ' · '.join(str(d) for d in details if d)
                    if line:
                        ui.label(line).classes('ld-muted text-sm ellipsis w-full')


def register(desk: Desk) -> None:
    @ui.page('/search')
    def search_page(request: Request, q: str = '') -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('search.title'), user):
            SearchPage(desk, user, q.strip()[:MAX_TERM]).build()
        return None
