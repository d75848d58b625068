"""The page frame: header with navigation, notifications, language switch and account."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from nicegui import run, ui

from core.desk import Desk
from core.permissions import can_assign, can_import, can_manage_integrations, can_manage_webhooks, can_merge
from store.models import UserRef

from .components.header_search import header_search
from .components.kit import skeleton
from .components.notification_bell import Bell, bells
from .components.view_as_banner import view_as_banner
from .i18n import current_language, pin_language, reason, t
from .marks import tid
from .session import ACCOUNT_PAGE
from .toasts import CSS as TOAST_CSS
from .toasts import notification_link

PRIMARY = '#1f5fbf'
POSITIVE = '#1e7b34'
"""Quasar's green (#21ba45) under white text reads 2.6:1; this one 5.3:1 (WCAG AA asks 4.5:1)."""
CODE_COLOURS = {
    '#387171': ('c', 'ch', 'cm', 'cpf', 'c1', 'cs'), '#915d00': ('cp',), '#d40000': ('gr',), '#007a00': ('gi',),
    '#676767': ('go', 'ni'), '#606f1f': ('na',), '#9c1fea': ('nd', 'ow'), '#bc3a34': ('ne',), '#6c6c00': ('nl',),
    '#9c551c': ('se',), '#98536e': ('si', 'sr'),
}
"""Pygments' default colours that read under 4.5:1 on `ui.code`'s tinted background (#f2f5f9 on a card:
an HTML attribute's olive #687822 4.46:1, a comment's 4.45:1 …), each darkened to 4.7:1 or more, also on
the page's grey; hue kept. Keyed by colour, valued by Pygments' token classes."""
CONTRAST_CSS = f'''
.nicegui-link {{ color: {PRIMARY}; }}
@layer theme {{ .text-grey-7 {{ color: #616161 !important; }} }}
''' + ''.join(', '.join(f'.nicegui-code .codehilite .{token}' for token in tokens) + f' {{ color: {colour}; }}\n'
                for colour, tokens in CODE_COLOURS.items())
"""Text colours that pass WCAG AA on the page's and cards' backgrounds (axe's color-contrast): links in the
brand blue rather than NiceGUI's #3b82f6 (3.5:1), secondary text in grey-8's shade rather than grey-7's
#757575 (4.2:1 on the page's grey), code in `CODE_COLOURS` (one class more than NiceGUI's `.codehilite`
rules, so they win). Quasar's colour classes are `!important` in NiceGUI's last cascade layer, which only
an `!important` in an earlier layer (NiceGUI's first, `theme`) outranks."""
PHONE_MAX_PX = 599.98
"""Below Quasar's `sm` breakpoint (600 px) a page is laid out for a phone (Quasar's `xs`, `lt-sm`, `gt-xs`)."""

TAG_COLOURS: dict[str, tuple[str, str]] = {
    'grey': ('#eceff1', '#37474f'), 'red': ('#fde2e1', '#a4161a'), 'orange': ('#ffe8d6', '#9a3d00'),
    'amber': ('#fff3c4', '#6f4e00'), 'green': ('#dcf5e3', '#1b6b33'), 'teal': ('#d5f3f0', '#0f5f58'),
    'blue': ('#dde9fb', '#1f4fa0'), 'indigo': ('#e3e5fb', '#3730a3'), 'purple': ('#efe1fa', '#6b21a8'),
    'pink': ('#fce1ef', '#9d174d'),
}
"""A tag chip's (background, text) per palette colour (store/models.py `TagColour`; a test checks both
name the same colours): a pale fill with dark text, each pair 4.5:1 or more (WCAG AA)."""

TOKENS: dict[str, str] = {
    # colour
    'primary': PRIMARY, 'surface': '#ffffff', 'page': '#f5f6f8', 'text': '#1d1d1f', 'muted': '#6b7280',
    'border': '#e3e6eb', 'positive': POSITIVE, 'negative': '#c10015', 'warning': '#f2c037',
    # spacing (a 4 px grid)
    'space-1': '4px', 'space-2': '8px', 'space-3': '12px', 'space-4': '16px', 'space-6': '24px', 'space-8': '32px',
    # type scale
    'text-xs': '12px', 'text-sm': '13px', 'text-base': '14px', 'text-lg': '16px', 'text-xl': '20px',
    'text-2xl': '24px',
    # radius
    'radius-sm': '4px', 'radius-md': '8px', 'radius-lg': '12px',
    # density: a row's height in lists, a touch target's minimum on a phone
    'row-dense': '36px', 'touch': '44px',
}
"""The design tokens, as CSS variables `--ld-<name>` on `:root`; components read those, not raw values."""
DENSE = 'dense'
"""Quasar props for inputs and buttons in the desk's compact density."""

CSS = ':root {' + ' '.join(f'--ld-{k}: {v};' for k, v in TOKENS.items()) + '}\n' + f"""
body {{ color: var(--ld-text); font-size: var(--ld-text-base); }}
.ld-title {{ font-size: var(--ld-text-2xl); font-weight: 600; line-height: 1.25; overflow-wrap: anywhere; }}
.ld-card {{ border-radius: var(--ld-radius-md); border-color: var(--ld-border); padding: var(--ld-space-4); }}
.ld-card-title {{ font-size: var(--ld-text-lg); font-weight: 600; }}
.ld-muted {{ color: var(--ld-muted); font-size: var(--ld-text-sm); }}
.ld-caption {{ color: var(--ld-muted); font-size: var(--ld-text-xs); }}
.ld-empty {{ padding: var(--ld-space-6) var(--ld-space-4); }}
.ld-fields {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr));
              gap: var(--ld-space-3) var(--ld-space-4); width: 100%; }}
.ld-fields > .ld-wide {{ grid-column: 1 / -1; }}
.ld-value {{ overflow-wrap: anywhere; white-space: pre-wrap; min-height: 1.25rem; }}
.ld-header .q-btn {{ min-height: 36px; }}
.ld-table-scroll {{ overflow-x: auto; max-width: 100%; border-radius: var(--ld-radius-sm); }}
.ld-table-scroll > .q-table__container {{ width: max-content; min-width: 100%; }}
.ld-table-scroll .q-table__middle {{ overflow: visible; }}
.ld-tag {{ display: inline-flex; align-items: center; gap: 2px; border-radius: 999px; padding: 0 8px;
           font-size: var(--ld-text-xs); line-height: 20px; white-space: nowrap; max-width: 12rem;
           overflow: hidden; text-overflow: ellipsis; }}
.ld-tags {{ display: flex; flex-wrap: wrap; gap: 4px; align-items: center; min-width: 0; }}
.ld-table-scroll:focus-visible {{ outline: 2px solid var(--ld-primary); outline-offset: -2px; }}
@media (max-width: {PHONE_MAX_PX}px) {{
  .ld-header {{ padding: 4px 8px !important; }}
  .ld-title {{ font-size: var(--ld-text-xl); }}
  .ld-card {{ padding: var(--ld-space-3); }}
  .nicegui-content {{ padding: 0 !important; }}
  .ld-content {{ padding: var(--ld-space-3) !important; }}
}}
"""
HEADER_PX = 58
"""The header's height: 8 px padding around the 42 px round notification button. Quasar's layout
pads the page by QHeader's height hint (default 50) until it has measured the header, and
re-renders the page's whole content whenever that changes — before the rows were visible it did
twice, 50 → 74 → 58 px, the 74 being NiceGUI's default 1rem header padding before the Tailwind
runtime had generated `py-2`'s CSS (bench/inbox_paint.py, docs/BENCHMARKS.md). Hence the
padding inline and the hint exact: the first measurement changes nothing. Below 600 px the header
is one line of ☰, name, bell, language and account (the links in a drawer, Log out in the account
menu) with 4 px padding: 44 px, one re-render on a phone."""


def _nav(user: UserRef) -> None:
    """The day's work as links; the set-up pages (rules, playbooks, settings …) behind one "Manage"
    menu, so an admin's header stays on one line."""
    links, manage = _nav_links(user)
    for href, label in links:
        ui.link(label, href).classes('text-white no-underline hover:underline')
    _manage_menu(manage)


def _nav_links(user: UserRef) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The day's pages, and the set-up pages for the "Manage" menu, as the user's role allows."""
    links = [('/', t('nav.inbox')), ('/pool', t('nav.pool')), ('/pipeline', t('nav.pipeline')),
             ('/customers', t('nav.customers'))]
    if can_assign(user):
        links.append(('/team', t('nav.team')))
    links.append(('/reports', t('nav.reports')))  # reps see their own numbers there
    links.append(('/digests', t('nav.digests')))
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
    return links, manage


def _manage_menu(manage: list[tuple[str, str]]) -> None:
    if manage:
        with tid(ui.button(t('nav.manage')).props('flat dense no-caps color=white icon-right=expand_more')
                 .classes('text-base font-normal'),
                 'nav-manage'):
            with ui.menu():
                for href, label in manage:
                    tid(ui.menu_item(label, on_click=lambda h=href: ui.navigate.to(h)), f'nav{href.replace("/", "-")}')


def _drawer(user: UserRef) -> ui.left_drawer:
    """A phone's navigation: every page of the header's links and "Manage" menu, one per line,
    in a drawer the header's ☰ opens."""
    links, manage = _nav_links(user)
    here = ui.context.client.request.url.path if ui.context.client.request else ''
    with tid(ui.left_drawer(value=False).props('behavior=mobile overlay bordered width=260'), 'nav-drawer') as drawer:
        with ui.list().props('padding').classes('w-full'):
            for group, items in ((None, links), (t('nav.manage'), manage)):
                if group and items:
                    ui.separator()
                    ui.item_label(group).props('header').classes('text-grey-7')
                for href, label in items:
                    active = 'active' if href == here else ''
                    with tid(ui.item(on_click=lambda h=href: ui.navigate.to(h)).props(f'clickable {active}'),
                             f'drawer-nav{href.replace("/", "-") if href != "/" else "-inbox"}'):
                        with ui.item_section():
                            ui.item_label(label)
    return drawer


def _notifications(desk: Desk, user: UserRef) -> None:
    with tid(ui.button(icon='notifications').props(f'flat round color=white aria-label="{t("notifications.title")}"'),
             'notifications') as bell:
        badge = tid(ui.badge('', color='red').props('floating'), 'notification-count')
        with ui.menu() as menu:
            items = ui.column().classes('p-2 gap-1 min-w-72 max-w-[90vw]')
            with items:
                skeleton(3)  # until the first read answers

    def render(rows: list) -> None:
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

    shown = Bell(desk, user, badge, items, render)
    bell.on('click', shown.load)
    bells(desk).join(shown)  # a `notified` event for this user marks it; the shared tick reads and shows
    ui.timer(0, shown.load, once=True)


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
            # on a phone Log out lives here, keeping the header on one line
            tid(ui.menu_item(t('nav.logout'), on_click=lambda: ui.navigate.to('/logout')).classes('xs'),
                'menu-logout')


@contextmanager
def frame(desk: Desk, title: str, user: UserRef | None) -> Iterator[None]:
    """Wrap a page: header, then the page's content in a centred column."""
    pin_language()
    ui.page_title(f'{title} · LeadDesk')
    ui.colors(primary=PRIMARY, positive=POSITIVE)
    ui.query('body').classes('bg-grey-1')
    ui.add_css(TOAST_CSS + CONTRAST_CSS)
    ui.add_css(CSS)
    working = user is not None and not user.must_change_password  # temporary password: the account page only
    drawer = _drawer(user) if user is not None and working else None
    with ui.header().classes('ld-header items-center justify-between no-wrap') \
            .style(f'background:{PRIMARY}; padding: 8px 16px').props(f'height-hint={HEADER_PX}'):
        with ui.row().classes('items-center gap-6 no-wrap max-sm:gap-1'):
            if drawer is not None:
                tid(ui.button(icon='menu', on_click=drawer.toggle)
                    .props(f'flat round dense color=white aria-label="{t("nav.menu")}"').classes('lt-sm'), 'nav-menu')
            ui.link('LeadDesk', '/').classes('text-lg font-bold text-white no-underline whitespace-nowrap')
            if user is not None and working:
                with ui.row().classes('items-center gap-6 no-wrap gt-xs'):
                    _nav(user)
        with ui.row().classes('items-center gap-2 no-wrap max-sm:gap-0'):
            if user is not None and working:
                header_search()
                _notifications(desk, user)
            _language_switch(desk, user)
            if user is not None:
                _user_menu(user)

                # An HTTP route: it ends the session (every other tab of it closes) and clears the cookie.
                tid(ui.button(t('nav.logout'), on_click=lambda: ui.navigate.to('/logout'))
                    .props('flat dense color=white').classes('gt-xs'), 'logout')
    with ui.column().classes('ld-content w-full max-w-7xl mx-auto p-4 gap-4 min-w-0'):
        if user is not None and user.viewed_by is not None:
            view_as_banner(desk, user)
        yield
