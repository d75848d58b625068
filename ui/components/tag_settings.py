"""Settings' tags section (admins and managers): the team's tags with their colours; add one,
rename or recolour it, retire it (hidden from pickers, kept on records) and bring it back."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from core.desk import Desk
from core.tags.catalog import TagInfo
from store.models import TagColour, UserRef

from ..errors import attempt
from ..i18n import t
from ..marks import tid
from ..theme import TAG_COLOURS
from .kit import dialog_buttons, edit_retire_buttons, empty_state, list_row, save_and_close, section_title
from .tags import chip


class TagsPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed list, so a refresh does not delete them."""

    @ui.refreshable_method
    def build(self) -> None:
        section_title(t('tags.title'), action=t('tags.define'), on_action=lambda: self._dialog(None),
                      mark='tag-define')
        ui.label(t('tags.hint')).classes('text-sm text-grey-7')
        tags = self.desk.tags.tag_set().all
        if not tags:
            empty_state(t('tags.none'), icon='sell', mark='tags-empty')
        with tid(ui.column().classes('w-full gap-0'), 'tags-list'):
            for tag in tags:
                self.row(tag)

    def row(self, tag: TagInfo) -> None:
        with list_row(f'tag-row-{tag.key}'):
            with ui.row().classes('items-center gap-2 min-w-0 flex-1'):
                chip(tag, mark=f'tag-{tag.key}')
                ui.label(f'{tag.name_zh} · {tag.name_en}').classes('text-sm text-grey-8 break-words')
                ui.label(tag.key).classes('font-mono text-sm text-grey-8')
            if tag.is_retired:
                tid(ui.badge(t('tags.retired'), color='grey'), f'tag-retired-{tag.key}')
            edit_retire_buttons('tag', tag.key, retired=tag.is_retired, on_edit=lambda x=tag: self._dialog(x),
                                on_retire=lambda on, x=tag: self.retire(x, on), retire_text=t('tags.retire'),
                                restore_text=t('tags.restore'))

    async def retire(self, tag: TagInfo, retired: bool) -> None:
        action = self.desk.tags.retire_tag if retired else self.desk.tags.restore_tag
        if await attempt(lambda: action(self.user, tag.id)):
            ui.notify(t('common.saved'), type='positive')
            self.build.refresh()

    def _dialog(self, tag: TagInfo | None) -> None:
        """Define a tag (`tag` None) or rename and recolour one (its key shown, fixed)."""
        with self.outside, ui.dialog() as dialog, ui.card().classes('w-[28rem] max-w-full'):
            ui.label(t('tags.define') if tag is None else t('tags.edit_title', tag=tag.name_zh)).classes('text-h6')
            if tag is not None:
                ui.label(f'{t("tags.key")}: {tag.key}').classes('text-sm text-grey-8 font-mono')
            inputs: dict[str, Any] = {
                'name_zh': tid(ui.input(t('tags.name_zh'), value=tag.name_zh if tag else '')
                               .props('maxlength=40').classes('w-full'), 'tag-name-zh'),
                'name_en': tid(ui.input(t('tags.name_en'), value=tag.name_en if tag else '')
                               .props('maxlength=40').classes('w-full'), 'tag-name-en'),
            }
            colours = {c.value: t(f'tags.colour_{c.value}') for c in TagColour}
            inputs['colour'] = tid(ui.select(colours, value=tag.colour if tag else TagColour.BLUE.value,
                                             label=t('tags.colour')).classes('w-full'), 'tag-colour')
            with ui.row().classes('gap-1'):
                for name, (background, text) in TAG_COLOURS.items():
                    ui.element('span').classes('ld-tag').style(f'background:{background};color:{text}') \
                        .props(f'title="{t(f"tags.colour_{name}")}"').on(
                            'click', lambda _e, c=name: inputs['colour'].set_value(c)).classes('cursor-pointer') \
                        .props('aria-hidden=true')

            async def save() -> None:
                values = {k: v.value or '' for k, v in inputs.items()}

                def act() -> object:
                    if tag is None:
                        return self.desk.tags.define_tag(self.user, name_zh=values['name_zh'],
                                                         name_en=values['name_en'], colour=values['colour'])
                    return self.desk.tags.change_tag(self.user, tag.id, name_zh=values['name_zh'],
                                                     name_en=values['name_en'], colour=values['colour'])

                await save_and_close(dialog, act, inputs, self.build.refresh)

            dialog_buttons(dialog, save, 'tag-save')
        dialog.open()
