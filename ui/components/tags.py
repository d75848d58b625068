"""Tags in the UI: a coloured chip (`chip`, `chips`), a record's tags with add and remove (`RecordTags`,
on the lead, opportunity and customer pages), the lists' tag filter (`tag_filter`), and the chips
of a list row for the row templates (`row_tags`, `ROW_CHIPS`). Colours come from ui/theme.py
`TAG_COLOURS` (the palette a tag's `colour` names)."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from nicegui import run, ui

from core.desk import Desk
from core.errors import DomainError
from core.tags.catalog import NO_TAGS, TagInfo, TagSet
from store.models import UserRef

from .. import live
from ..errors import message
from ..i18n import current_language, t
from ..marks import tid
from ..theme import TAG_COLOURS


def colours(tag: TagInfo) -> tuple[str, str]:
    """(background, text) of a tag's chip."""
    return TAG_COLOURS.get(tag.colour, TAG_COLOURS['grey'])


def chip(tag: TagInfo, *, on_remove: Callable[[], Awaitable[None]] | None = None,
         mark: str | None = None) -> ui.element:
    """One tag: its name in the page's language on its colour; with `on_remove`, an × that takes it off."""
    background, text = colours(tag)
    name = tag.name(current_language())
    with ui.element('span').classes('ld-tag').style(f'background:{background};color:{text}') as box:
        ui.label(name).classes('ellipsis').props(f'title="{html.escape(name)}"')
        if on_remove is not None:
            tid(ui.button(icon='close', on_click=on_remove)
                .props(f'flat round dense size=xs aria-label="{html.escape(t("tags.remove", tag=name))}"')
                .style(f'color:{text}'), f'tag-remove-{tag.key}')
    if mark:
        tid(box, mark)
    return box


def chips(tags: Iterable[TagInfo], *, mark: str = 'tag') -> ui.element:
    """Several tags in a wrapping row (read only)."""
    with ui.element('div').classes('ld-tags') as row:
        for tag in tags:
            chip(tag, mark=f'{mark}-{tag.key}')
    return row


def row_tags(ids: Iterable[int], tags: TagSet) -> list[dict[str, str]]:
    """A list row's tags for a row template (`k` key, `n` name in the page's language, `s` its
    colours as a style), drawn there by a `v-for` of text: one component per row, no element per chip."""
    language = current_language()
    shown = []
    for tag_id in ids:
        tag = tags.by_id.get(tag_id)
        if tag is not None:
            background, text = colours(tag)
            shown.append({'k': tag.key, 'n': tag.name(language), 's': f'background:{background};color:{text}'})
    return shown


def chips_html(ids: Iterable[int], tags: TagSet) -> str:
    """Chips as escaped HTML, for a card drawn as one HTML block (the board's)."""
    return '<div class="ld-tags">' + ''.join(
        f'<span class="ld-tag" data-tag="{html.escape(g["k"])}" style="{g["s"]}">{html.escape(g["n"])}</span>'
        for g in row_tags(ids, tags)) + '</div>'


ROW_CHIPS = ('<span v-if="props.row.tags && props.row.tags.length" class="ld-tags" style="display:inline-flex">'
             '<span v-for="g in props.row.tags" :key="g.k" class="ld-tag" :data-tag="g.k" :style="g.s">{{ g.n }}'
             '</span></span>')
"""A row template's chips (the row's `tags`, from `row_tags`); names go through `{{ }}`, so as text."""


def tag_filter(tags: TagSet, on_change: Callable[[list[int]], Any], *, mark: str = 'filter-tags',
               value: Iterable[int] = ()) -> ui.select:
    """The lists' tag filter: the active tags to choose from (any of them matches)."""
    language = current_language()
    options = {tag.id: tag.name(language) for tag in tags.active}
    chosen = [i for i in value if i in options]
    return tid(ui.select(options, multiple=True, value=chosen, label=t('tags.filter'), clearable=True,
                         on_change=lambda e: on_change([int(v) for v in (e.value or [])]))
               .props('dense use-chips').classes('w-48'), mark)


class RecordTags:
    """A record's tags on its page: chips, an × on each and an "add tag" menu of the active tags it
    lacks when the viewer may change them. Redrawn when any page tags this record or the catalogue
    changes (`record_tagged`, `tags_changed`)."""

    def __init__(self, desk: Desk, user: UserRef, entity: str, record_id: int, *, editable: bool,
                 read: tuple[TagSet, list[TagInfo]] | None = None) -> None:
        """`read`: what `read` returned before the page was built (else `build` reads it)."""
        self.desk, self.user, self.entity, self.record_id = desk, user, entity, record_id
        self.editable = editable
        self.catalog, self.held = read or (NO_TAGS, [])
        self.loaded = read is not None

    @staticmethod
    def read(desk: Desk, user: UserRef, entity: str, record_id: int) -> tuple[TagSet, list[TagInfo]]:
        """The catalogue and the record's tags (a worker thread's call)."""
        return desk.record_tags.tag_set(), desk.record_tags.tags_of(user, entity, record_id)

    def load(self) -> None:
        self.catalog, self.held = self.read(self.desk, self.user, self.entity, self.record_id)
        self.loaded = True

    async def reload(self) -> None:
        try:
            await run.io_bound(self.load)
        except DomainError:  # no longer visible: the page's own reload says so
            return
        self.render.refresh()

    def build(self) -> None:
        """Draw (reading first if the page did not); the page calls this once (it subscribes to the events)."""
        if not self.loaded:
            self.load()
        self.render()
        events = self.desk.events
        live.subscribe(events.record_tagged, self._on_tagged)
        live.subscribe(events.tags_changed, self.reload)

    async def _on_tagged(self, entity: str, record_id: int) -> None:
        if entity == self.entity and record_id == self.record_id:
            await self.reload()

    @ui.refreshable_method
    def render(self) -> None:
        with tid(ui.element('div').classes('ld-tags w-full'), 'record-tags'):
            for tag in self.held:
                remove = (lambda tag_id=tag.id: self.change(tag_id, add=False)) if self.editable else None
                chip(tag, on_remove=remove, mark=f'tag-chip-{tag.key}')
            if not self.editable:
                return
            held = {tag.id for tag in self.held}
            offer = [tag for tag in self.catalog.active if tag.id not in held]
            with tid(ui.button(t('tags.add'), icon='sell').props('flat dense no-caps'), 'tag-add'):
                with ui.menu(), ui.list().props('dense'):
                    if not offer:
                        ui.item(t('tags.none_left')).props('disable')
                    for tag in offer:
                        background, text = colours(tag)
                        with tid(ui.item(on_click=lambda tag_id=tag.id: self.change(tag_id, add=True)),
                                 f'tag-option-{tag.key}'):
                            with ui.item_section().props('avatar'):
                                ui.icon('circle').style(f'color:{text}; background:{background}; border-radius:50%')
                            ui.item_section(tag.name(current_language()))

    async def change(self, tag_id: int, *, add: bool) -> None:
        action = self.desk.record_tags.add_tag if add else self.desk.record_tags.remove_tag
        try:
            await run.io_bound(action, self.user, self.entity, self.record_id, tag_id)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        await self.reload()
