"""Digests (`/digests`): the signed-in user's digest history as sent (newest first), today's so far,
the rep's own two lines for the next one, and the digest settings (their own; managers also the
team's). Desk and phone alike: one column of cards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core import permissions
from core.desk import Desk
from core.digests.content import Digest, DigestKind
from core.digests.render import markdown, title
from core.digests.service import SentDigest
from core.digests.settings import OWN_LINES, Channel, DigestSettings
from store.models import UserRef

from .. import live
from ..errors import attempt
from ..format import when
from ..i18n import current_language, t, translate
from ..marks import tid
from ..session import require_user
from ..theme import frame


def _text(digest: Digest) -> str:
    return markdown(digest, current_language(), translate).split('\n\n', 1)[-1]


class DigestPage:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    def build(self) -> None:
        ui.label(t('digest.page.title')).classes('text-h5')
        self._own_lines()
        with tid(ui.row().classes('w-full gap-2 flex-wrap'), 'digest-actions'):
            tid(ui.button(t('digest.page.today'), icon='today', on_click=self.show_today).props('outline'),
                'digest-today')
        self.today = tid(ui.column().classes('w-full'), 'digest-today-body')
        self.shown = self.user.id
        with ui.row().classes('w-full items-center gap-4 flex-wrap'):
            ui.label(t('digest.page.history')).classes('text-h6')
            people = self.desk.digests.readers(self.user)
            if len(people) > 1:  # a manager: a rep's history within their scope
                tid(ui.select(dict(people), value=self.user.id, label=t('digest.page.whose'),
                              on_change=self._pick).classes('w-56'), 'digest-whose')
        self.history = tid(ui.column().classes('w-full gap-2'), 'digest-history')
        self._settings()
        ui.timer(0, self.load, once=True)
        live.subscribe(self.desk.events.digest_sent, self._on_sent)

    async def _pick(self, e: Any) -> None:
        self.shown = int(e.value or self.user.id)
        await self.load()

    async def _on_sent(self, user_id: int) -> None:
        if user_id == self.shown:
            await self.load()

    # ---- history ----------------------------------------------------------------------------------------

    async def load(self) -> None:
        rows: list[SentDigest] | None = await run.io_bound(self.desk.digests.history, self.user, self.shown)
        if rows is None:  # the app is stopping
            return
        self.history.clear()
        with self.history:
            if not rows:
                tid(ui.label(t('digest.page.none')).classes('text-grey-7'), 'digest-none')
            for i, row in enumerate(rows):
                head = title(row.digest, current_language(), translate)
                with tid(ui.expansion(head, value=i == 0).classes('w-full bg-white rounded-borders'),
                         f'digest-{row.id}'):
                    ui.label(t('digest.page.sent', at=when(row.sent_at))).classes('text-sm text-grey-7')
                    tid(ui.markdown(_text(row.digest)).classes('digest-body'), f'digest-body-{row.id}')

    async def show_today(self) -> None:
        today = self.desk.ctx.now().astimezone(self._zone()).date()
        digest = await run.io_bound(self.desk.digests.compose, self.user, DigestKind.DAILY, today)
        self.today.clear()
        with self.today, ui.card().classes('w-full'):
            ui.label(title(digest, current_language(), translate)).classes('text-subtitle1')
            ui.label(t('digest.page.so_far')).classes('text-sm text-grey-7')
            ui.markdown(_text(digest))

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.desk.ctx.settings.timezone)

    # ---- own lines --------------------------------------------------------------------------------------

    def _own_lines(self) -> None:
        own = self.desk.digests.own_lines(self.user)
        with tid(ui.card().classes('w-full'), 'digest-own'):
            ui.label(t('digest.page.own', day=own.day.isoformat())).classes('text-subtitle1')
            fields = [tid(ui.input(t('digest.page.own_line', n=i + 1),
                                   value=own.lines[i] if i < len(own.lines) else '')
                          .props('maxlength=200 counter').classes('w-full'), f'digest-own-{i}')
                      for i in range(OWN_LINES)]

            async def save() -> None:
                lines = [str(f.value or '') for f in fields]
                if await attempt(lambda: self.desk.digests.set_own_lines(self.user, lines),
                                 {'lines': fields[0], '0': fields[0], '1': fields[1]}):
                    ui.notify(t('digest.page.own_saved'), type='positive')
            tid(ui.button(t('digest.page.save'), on_click=save), 'digest-own-save')

    # ---- settings ---------------------------------------------------------------------------------------

    def _settings(self) -> None:
        team, mine = self.desk.digests.settings(self.user)
        with tid(ui.expansion(t('digest.page.settings'), icon='tune').classes('w-full bg-white rounded-borders'),
                 'digest-settings'):
            self._settings_form(mine, 'mine', lambda v: self.desk.digests.set_my_settings(self.user, v))
            if permissions.can_assign(self.user):
                ui.separator()
                ui.label(t('digest.page.team_settings')).classes('text-subtitle2')
                self._settings_form(team, 'team', lambda v: self.desk.digests.set_team_settings(self.user, v))

    def _settings_form(self, current: DigestSettings, name: str,
                       save_with: Callable[[dict[str, Any]], DigestSettings]) -> None:
        with ui.row().classes('w-full gap-4 flex-wrap items-center'):
            kinds = {k: tid(ui.checkbox(t(f'digest.kind.{k}'), value=k in current.kinds), f'digest-{name}-kind-{k}')
                     for k in DigestKind}
            channels = {c: tid(ui.checkbox(t(f'digest.channel.{c}'), value=c in current.channels),
                               f'digest-{name}-channel-{c}') for c in (Channel.EMAIL, Channel.ROBOT)}
            send = tid(ui.input(t('digest.page.send_time'), value=current.send_time.strftime('%H:%M'))
                       .props('mask="##:##" dense').classes('w-28'), f'digest-{name}-time')

        async def save() -> None:
            values = {'kinds': [k for k, box in kinds.items() if box.value],
                      'channels': ['app', *(c for c, box in channels.items() if box.value)],
                      'send_time': send.value}
            if await attempt(lambda: save_with(values), {'send_time': send}):
                ui.notify(t('digest.page.settings_saved'), type='positive')
        tid(ui.button(t('digest.page.save'), on_click=save).props('outline'), f'digest-{name}-save')


def register(desk: Desk) -> None:
    @ui.page('/digests')
    def digests_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('digest.page.title'), user):
            DigestPage(desk, user).build()
        return None
