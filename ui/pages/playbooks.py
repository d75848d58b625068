"""The playbook editor (`/playbooks`, managers and admins): pick a step (a lead status or an open
stage), then edit its ordered checklist (both languages, a deadline in working hours, required
or not) and its talk tracks (opening lines and questions, both languages, for a grade or all)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from core import permissions
from core.desk import Desk
from core.playbooks.editor import TRACK_KINDS
from store.models import Grade, PlaybookItem, TalkTrack, UserRef

from ..components.playbook_panel import step_label
from ..errors import attempt
from ..i18n import t
from ..marks import tid
from ..session import require_user
from ..theme import frame


class PlaybookEditor:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.steps = desk.playbooks.steps()
        self.step_key = self.steps[0].key

    def build(self) -> None:
        ui.label(t('playbook.editor_title')).classes('text-h5')
        ui.label(t('playbook.editor_hint')).classes('text-sm text-grey-7')
        tid(ui.select({s.key: step_label(s) for s in self.steps}, value=self.step_key, label=t('playbook.step'),
                      on_change=self._step_changed).classes('w-72'), 'playbook-step')
        self.body()

    def _step_changed(self, e: Any) -> None:
        self.step_key = e.value
        self.body.refresh()

    @ui.refreshable_method
    def body(self) -> None:
        items, tracks = self.desk.playbooks.editor(self.user, self.step_key)
        with tid(ui.card().classes('w-full'), 'playbook-items'):
            ui.label(t('playbook.checklist')).classes('text-subtitle1 font-bold')
            if not items:
                ui.label(t('playbook.no_items')).classes('text-grey-7')
            for i, item in enumerate(items):
                with tid(ui.row().classes('w-full items-end gap-2 pb-2').style('border-bottom: 1px solid #e0e0e0'),
                         f'item-{item.id}'):
                    self._order_buttons('item', item.id or 0, i, len(items))
                    fields = self._item_fields(item, f'item-{item.id}')
                    self._row_buttons('item', item.id or 0, fields)
            ui.label(t('playbook.add_item')).classes('text-subtitle2 pt-2')
            with ui.row().classes('w-full items-end gap-2'):
                fields = self._item_fields(None, 'new-item')
                tid(ui.button(t('playbook.add'), icon='add', on_click=lambda f=fields: self.save('item', None, f))
                    .props('outline'), 'new-item-add')
        with tid(ui.card().classes('w-full'), 'playbook-tracks'):
            ui.label(t('playbook.talk_tracks')).classes('text-subtitle1 font-bold')
            if not tracks:
                ui.label(t('playbook.no_tracks')).classes('text-grey-7')
            for i, track in enumerate(tracks):
                with tid(ui.row().classes('w-full items-end gap-2 pb-2').style('border-bottom: 1px solid #e0e0e0'),
                         f'track-{track.id}'):
                    self._order_buttons('track', track.id or 0, i, len(tracks))
                    fields = self._track_fields(track, f'track-{track.id}')
                    self._row_buttons('track', track.id or 0, fields)
            ui.label(t('playbook.add_track')).classes('text-subtitle2 pt-2')
            with ui.row().classes('w-full items-end gap-2'):
                fields = self._track_fields(None, 'new-track')
                tid(ui.button(t('playbook.add'), icon='add', on_click=lambda f=fields: self.save('track', None, f))
                    .props('outline'), 'new-track-add')

    @staticmethod
    def _item_fields(item: PlaybookItem | None, prefix: str) -> dict[str, Any]:
        return {
            'text_en': tid(ui.input(t('playbook.text_en'), value=item.text_en if item else '')
                           .props('dense maxlength=300').classes('w-80'), f'{prefix}-text-en'),
            'text_zh': tid(ui.input(t('playbook.text_zh'), value=item.text_zh if item else '')
                           .props('dense maxlength=300').classes('w-72'), f'{prefix}-text-zh'),
            'deadline_hours': tid(ui.number(t('playbook.deadline'), value=item.deadline_hours if item else None,
                                            min=1, max=2000, precision=0).props('dense clearable').classes('w-40'),
                                  f'{prefix}-deadline'),
            'is_required': tid(ui.switch(t('playbook.required_switch'), value=item.is_required if item else False),
                               f'{prefix}-required'),
        }

    @staticmethod
    def _track_fields(track: TalkTrack | None, prefix: str) -> dict[str, Any]:
        kinds = {k: t(f'playbook.kind.{k}') for k in TRACK_KINDS}
        grades = {'': t('playbook.all_grades')} | {g.value: g.value for g in Grade}
        return {
            'kind': tid(ui.select(kinds, value=track.kind if track else 'question', label=t('playbook.kind'))
                        .props('dense').classes('w-32'), f'{prefix}-kind'),
            'grade': tid(ui.select(grades, value=track.grade if track else '', label=t('playbook.grade'))
                         .props('dense').classes('w-32'), f'{prefix}-grade'),
            'text_en': tid(ui.textarea(t('playbook.text_en'), value=track.text_en if track else '')
                           .props('dense autogrow maxlength=1000').classes('w-80'), f'{prefix}-text-en'),
            'text_zh': tid(ui.textarea(t('playbook.text_zh'), value=track.text_zh if track else '')
                           .props('dense autogrow maxlength=1000').classes('w-80'), f'{prefix}-text-zh'),
        }

    def _order_buttons(self, what: str, row_id: int, index: int, count: int) -> None:
        with ui.column().classes('gap-0'):
            tid(ui.button(icon='arrow_upward', on_click=lambda: self.move(what, row_id, -1))
                .props(f'flat dense size=sm aria-label="{t("playbook.up")}"')
                .tooltip(t('playbook.up')), f'{what}-up-{row_id}').set_enabled(index > 0)
            tid(ui.button(icon='arrow_downward', on_click=lambda: self.move(what, row_id, 1))
                .props(f'flat dense size=sm aria-label="{t("playbook.down")}"')
                .tooltip(t('playbook.down')), f'{what}-down-{row_id}') \
                .set_enabled(index < count - 1)

    def _row_buttons(self, what: str, row_id: int, fields: dict[str, Any]) -> None:
        tid(ui.button(icon='save', on_click=lambda: self.save(what, row_id, fields))
            .props(f'flat dense aria-label="{t("common.save")}"')
            .tooltip(t('common.save')), f'{what}-save-{row_id}')
        tid(ui.button(icon='delete', on_click=lambda: self.archive(what, row_id))
            .props(f'flat dense color=negative aria-label="{t("playbook.archive")}"')
            .tooltip(t('playbook.archive')), f'{what}-archive-{row_id}')

    async def save(self, what: str, row_id: int | None, fields: dict[str, Any]) -> None:
        values = {name: element.value for name, element in fields.items()}
        shown = {k: v for k, v in fields.items() if k in ('text_en', 'text_zh', 'deadline_hours', 'kind', 'grade')}
        if what == 'item':
            action = lambda: self.desk.playbooks.save_item(self.user, row_id, step_key=self.step_key,  # noqa: E731
                                                           **values)
        else:
            action = lambda: self.desk.playbooks.save_track(self.user, row_id, step_key=self.step_key,  # noqa: E731
                                                            **values)
        if await attempt(action, shown):
            ui.notify(t('common.saved'), type='positive')
            self.body.refresh()

    async def archive(self, what: str, row_id: int) -> None:
        fn = self.desk.playbooks.archive_item if what == 'item' else self.desk.playbooks.archive_track
        if await attempt(lambda: fn(self.user, row_id)):
            self.body.refresh()

    async def move(self, what: str, row_id: int, delta: int) -> None:
        fn = self.desk.playbooks.move_item if what == 'item' else self.desk.playbooks.move_track
        if await attempt(lambda: fn(self.user, row_id, delta)):
            self.body.refresh()


def register(desk: Desk) -> None:
    @ui.page('/playbooks')
    def playbooks_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('playbook.nav'), user):
            if not permissions.can_assign(user):
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                return None
            PlaybookEditor(desk, user).build()
        return None
