"""The page frame: header with navigation, notifications, language switch and account."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from nicegui import run, ui

from core.desk import Desk
from core.permissions import can_assign, can_import, can_manage_integrations, can_manage_webhooks, can_merge
from store.models import UserRef

from . import live
from .i18n import current_language, pin_language, reason, t
from .marks import tid
from .session import ACCOUNT_PAGE
from .toasts import CSS as TOAST_CSS
from .toasts import notification_link

PRIMARY = '#1f5fbf'
POSITIVE = '#1e7b34'
"""Quasar's green (#21ba45) under white text reads 2.6:1; this one 5.3:1 (WCAG AA asks 4.5:1)."""
CONTRAST_CSS = f'''
.nicegui-link {{ color: {PRIMARY}; }}
@layer theme {{ .text-grey-7 {{ color: #616161 !important; }} }}
'''
"""Text colours that pass WCAG AA on the page's and cards' backgrounds (axe's color-contrast): links in the
brand blue rather than NiceGUI's #3b82f6 (3.5:1), secondary text in grey-8's shade rather than grey-7's
#757575 (4.2:1 on the page's grey). Quasar's colour classes are `!important` in NiceGUI's last cascade layer,
which only an `!important` in an earlier layer (NiceGUI's first, `theme`) outranks."""
HEADER_PX = 58
"""The header's height: 8 px padding around the 42 px round notification button. Quasar's layout
pads the page by QHeader's height hint (default 50) until it has measured the header, and
re-renders the page's whole content whenever that changes — before the rows were visible it did
twice, 50 → 74 → 58 px, the 74 being NiceGUI's default 1rem header padding before the Tailwind
runtime had generated `py-2`'s CSS (bench/inbox_paint.py, docs/BENCHMARKS.md). Hence the
padding inline and the hint exact: the first measurement changes nothing. A header that wraps on
a narrow window still costs one re-render."""


def _nav(user: UserRef) -> None:
    """The day's work as links; the set-up pages (rules, playbooks, settings …) behind one "Manage"
    menu, so an admin's header stays on one line."""
    links = [('/', t('nav.inbox')), ('/pool', t('nav.pool')), ('/pipeline', t('nav.pipeline')),
             ('/customers', t('nav.customers'))]
    if can_assign(user):
        links.append(('/team', t('nav.team')))
    links.append(('/reports', t('nav.reports')))  # reps see their own numbers there
    if can_import(user):
        links.append(('/import', t('nav.import')))
    manage: list[tuple[str, str]] = []
    if can_assign(user):
        manage += [('/automation', t('nav.automation')), ('/rules', t('nav.rules')),
                   ('/playbooks', t('playbook.nav'))]
    if can_merge(user):
        manage.append(('/duplicates', t('nav.duplicates')))
    if can_assign(user) or can_manage_integrations(user):
        manage.append(('/settings', t('nav.settings')))
    if can_manage_webhooks(user):
        manage.append(('/webhooks', t('webhook.nav')))
    for href, label in links:
        ui.link(label, href).classes('text-white no-underline hover:underline')
    if manage:
        with tid(ui.button(t('nav.manage')).props('flat dense no-caps color=white icon-right=expand_more')
                 .classes('text-base font-normal'),
                 'nav-manage'):
            with ui.menu():
                for href, label in manage:
                    tid(ui.menu_item(label, on_click=lambda h=href: ui.navigate.to(h)), f'nav{href.replace("/", "-")}')


def _notifications(desk: Desk, user: UserRef) -> None:
    with tid(ui.button(icon='notifications').props(f'flat round color=white aria-label="{t("notifications.title")}"'),
             'notifications') as bell:
        badge = tid(ui.badge('', color='red').props('floating'), 'notification-count')
        with ui.menu() as menu:
            items = ui.column().classes('p-2 gap-1 min-w-72')

    async def load() -> None:
        found = await run.io_bound(desk.team.notifications, user)
        if found is None or badge.is_deleted:  # shutting down, or the page ended meanwhile
            return
        rows, unread = found
        badge.set_text(str(unread))
        badge.set_visibility(unread > 0)
        items.clear()
        with items:
            if not rows:
                ui.label(t('notify.none')).classes('text-grey-7')
            for n in rows:
                text = reason(n.key, n.params)
                href = notification_link(n.lead_id, n.params)
                if href:
                    ui.link(text, href)
                else:
                    ui.label(text)
            with ui.row().classes('w-full justify-between'):
                if rows:
                    ui.button(t('notify.mark_read'), on_click=mark_read).props('flat dense')
                ui.link(t('notify.see_all'), '/notifications').classes('text-sm')

    async def mark_read() -> None:
        await run.io_bound(desk.team.mark_notifications_read, user)
        menu.close()

    def on_notified(user_id: int) -> None:
        if user_id == user.id:
            ui.timer(0, load, once=True)

    bell.on('click', load)
    live.subscribe(desk.events.notified, on_notified)
    ui.timer(0, load, once=True)


def _language_switch(desk: Desk, user: UserRef | None) -> None:
    other = 'en' if current_language() == 'zh-CN' else 'zh-CN'

    client = ui.context.client

    async def switch() -> None:
        if user is not None:
            await run.io_bound(desk.team.set_language, user, other)
        url = client.request.url
        here = url.path + (f'?{url.query}' if url.query else '')
        ui.navigate.to(f'/language?to={other}&next={quote(here, safe="")}')  # sets this browser's cookie

    tid(ui.button('EN' if other == 'en' else '中文', on_click=switch).props('flat dense color=white'),
        'language-switch')


def _user_menu(user: UserRef) -> None:
    """The signed-in user's name (just the icon on a phone) opening their menu: the account page,
    where the password is changed."""
    who = f'{user.name} · {t("role." + user.role)}'
    with tid(ui.button(icon='account_circle').props(f'flat dense no-caps color=white aria-label="{who}"'),
             'current-user'):  # the label: on a phone the name is hidden
        ui.label(who).classes('text-sm ml-1 gt-xs')
        with ui.menu():
            ui.label(who).classes('px-4 pt-3 pb-1 text-sm text-grey-8 xs')  # on a phone the button shows only the icon
            tid(ui.menu_item(t('account.menu'), on_click=lambda: ui.navigate.to(ACCOUNT_PAGE)), 'nav-account')


@contextmanager
def frame(desk: Desk, title: str, user: UserRef | None) -> Iterator[None]:
    """Wrap a page: header, then the page's content in a centred column."""
    pin_language()
    ui.page_title(f'{title} · LeadDesk')
    ui.colors(primary=PRIMARY, positive=POSITIVE)
    ui.query('body').classes('bg-grey-1')
    ui.add_css(TOAST_CSS + CONTRAST_CSS)
    working = user is not None and not user.must_change_password  # temporary password: the account page only
    with ui.header().classes('items-center justify-between') \
            .style(f'background:{PRIMARY}; padding: 8px 16px').props(f'height-hint={HEADER_PX}'):
        with ui.row().classes('items-center gap-6'):
            ui.link('LeadDesk', '/').classes('text-lg font-bold text-white no-underline')
            if user is not None and working:
                _nav(user)
        with ui.row().classes('items-center gap-2'):
            if user is not None and working:
                _notifications(desk, user)
            _language_switch(desk, user)
            if user is not None:
                _user_menu(user)

                # An HTTP route: it ends the session (every other tab of it closes) and clears the cookie.
                tid(ui.button(t('nav.logout'), on_click=lambda: ui.navigate.to('/logout'))
                    .props('flat dense color=white'), 'logout')
    with ui.column().classes('w-full max-w-7xl mx-auto p-4 gap-4'):
        yield

