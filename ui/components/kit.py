"""The design system's building blocks: page header, card, empty state, skeleton. Their look comes
from the tokens in ui/theme.py (CSS variables `--ld-*`), so a page composes these instead of
choosing its own sizes and colours."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nicegui import ui

from ..errors import attempt
from ..i18n import t
from ..marks import tid


@contextmanager
def page_header(title: str, *, subtitle: str | None = None, mark: str = 'page-title') -> Iterator[ui.row]:
    """The page's title (and a line under it); the block's body goes to the right (actions), wrapping
    under the title on a phone."""
    with ui.row().classes('ld-page-header w-full items-center justify-between gap-2'):
        with ui.column().classes('gap-0 min-w-0'):
            tid(ui.label(title).classes('ld-title'), mark)
            if subtitle:
                ui.label(subtitle).classes('ld-muted')
        with ui.row().classes('items-center gap-2') as actions:
            yield actions


@contextmanager
def card(title: str | None = None, *, mark: str | None = None) -> Iterator[ui.card]:
    """A section on a page: a bordered, flat card with an optional title line."""
    with ui.card().classes('ld-card w-full min-w-0').props('flat bordered') as box:
        if mark:
            tid(box, mark)
        if title:
            ui.label(title).classes('ld-card-title')
        yield box


def card_title_row(title: str) -> ui.row:
    """A card's title with room on the right (a pencil, a count): use as `with card_title_row(...):`."""
    with ui.row().classes('w-full items-center justify-between no-wrap') as row:
        ui.label(title).classes('ld-card-title')
    return row


def empty_state(text: str, *, icon: str = 'inbox', mark: str | None = None) -> ui.column:
    """What a list shows when it has nothing: an icon and one sentence, centred and quiet."""
    with ui.column().classes('ld-empty w-full items-center gap-1') as box:
        ui.icon(icon, size='md').classes('text-grey-5')
        ui.label(text).classes('ld-muted text-center')
    if mark:
        tid(box, mark)
    return box


def skeleton(lines: int = 3) -> ui.column:
    """A placeholder while a section loads: `lines` grey bars."""
    with ui.column().classes('w-full gap-2') as box:
        for i in range(lines):
            ui.skeleton('text').classes('w-full' if i < lines - 1 else 'w-2/3')
    return box


def code_block(content: str, *, label: str, language: str | None = 'python') -> ui.code:
    """`ui.code` that a keyboard and a screen reader can use (axe's button-name and
    scrollable-region-focusable): its copy button says what it does, and its box, which scrolls
    sideways when a line is wider than a phone, takes the focus (the arrow keys scroll it) and is
    a region named `label`. Its colours are theme.CODE_COLOURS."""
    code = ui.code(content, language=language)
    code.copy_button.props['aria-label'] = t('common.copy')
    code.markdown.props.update({'tabindex': '0', 'role': 'region', 'aria-label': label})
    return code


def edit_retire_buttons(prefix: str, key: str, *, retired: bool, on_edit: Callable[[], Any],
                        on_retire: Callable[[bool], Any], retire_text: str, restore_text: str) -> ui.row:
    """A definition's row actions (a custom field's, a tag's): Edit, and Retire — or Restore once
    retired. Marks `<prefix>-edit-<key>`, `<prefix>-retire-<key>`, `<prefix>-restore-<key>`."""
    with ui.row().classes('items-center gap-1 no-wrap') as row:
        tid(ui.button(t('common.edit'), icon='edit', on_click=on_edit).props('flat dense no-caps'),
            f'{prefix}-edit-{key}')
        if retired:
            tid(ui.button(restore_text, icon='undo', on_click=lambda: on_retire(False)).props('flat dense no-caps'),
                f'{prefix}-restore-{key}')
        else:
            tid(ui.button(retire_text, icon='archive', on_click=lambda: on_retire(True))
                .props('flat dense no-caps color=negative'), f'{prefix}-retire-{key}')
    return row


def section_title(title: str, *, action: str, on_action: Callable[[], Any], mark: str, icon: str = 'add') -> ui.row:
    """A settings section's title line with its one action on the right (Add field, Define tag)."""
    with ui.row().classes('w-full items-center justify-between') as row:
        ui.label(title).classes('text-h6')
        tid(ui.button(action, icon=icon, on_click=on_action).props('flat'), mark)
    return row


@contextmanager
def list_row(mark: str) -> Iterator[ui.row]:
    """One row of a settings list (a custom field, a tag): wraps on a phone, ruled underneath."""
    with tid(ui.row().classes('w-full items-center gap-x-3 gap-y-1 py-2')
             .style('border-bottom: 1px solid var(--ld-border)'), mark) as row:
        yield row


def dialog_buttons(dialog: ui.dialog, on_save: Callable[[], Any], mark: str) -> ui.row:
    """A form dialog's Cancel and Save, right-aligned (Save marked `mark`)."""
    with ui.row().classes('w-full justify-end') as row:
        ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
        tid(ui.button(t('common.save'), on_click=on_save), mark)
    return row


async def save_and_close(dialog: ui.dialog, action: Callable[[], object], fields: Any,
                         on_saved: Callable[[], Any]) -> bool:
    """A form dialog's save: the core action, then — done — close, say so and redraw (`on_saved`);
    refused, the errors stay under the fields and the dialog stays open with what was typed."""
    if not await attempt(action, fields):
        return False
    dialog.close()
    ui.notify(t('common.saved'), type='positive')
    on_saved()
    return True
