"""A section of a record that reads as text and turns into inputs on its pencil: the lead page's
contact and qualification blocks (instead of every field an always-open input). The inputs exist
from the start (hidden while reading), so an action that saves the whole form first (qualifying)
still finds what was typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from nicegui import ui

from ..i18n import t
from ..marks import tid
from .kit import card


class ReadOrEdit:
    """A section that shows either its read view (with the pencil) or its form: the switch shared by
    the built-in sections (InlineSection) and the custom fields' (components/custom_fields.py)."""

    editable: bool
    editing: bool
    reading: ui.column
    form: ui.column
    pencil: ui.button

    def can_edit(self) -> bool:
        return self.editable

    def open(self) -> None:
        if not self.can_edit():
            return
        self.editing = True
        self.reading.set_visibility(False)
        self.pencil.set_visibility(False)
        self.form.set_visibility(True)

    def close(self) -> None:
        self.editing = False
        self.form.set_visibility(False)
        self.reading.set_visibility(True)
        self.pencil.set_visibility(self.can_edit())


class InlineSection(ReadOrEdit):
    """`fields`: names in order; `label(name)` and `display(name, value)` say how each reads;
    `multiline(name)` picks a textarea; `on_save()` stores the page's form (True when stored)."""

    def __init__(self, title: str, fields: Sequence[str], *, mark: str, label: Callable[[str], str],
                 display: Callable[[str, str], str], multiline: Callable[[str], bool],
                 on_save: Callable[[], Awaitable[bool]], editable: bool,
                 props: Callable[[str], str] = lambda _name: 'maxlength=5000',
                 marker: Callable[[str], str] = lambda name: f'field-{name}') -> None:
        """`props(name)`: the input's own Quasar props (length, type=date, inputmode); `marker(name)`:
        its test id."""
        self.title, self.names, self.mark = title, list(fields), mark
        self.label, self.display, self.multiline, self.on_save = label, display, multiline, on_save
        self.props, self.marker = props, marker
        self.editable = editable
        self.editing = False
        self.inputs: dict[str, Any] = {}
        self.values: dict[str, str] = {}

    def render(self, values: Mapping[str, str | None]) -> None:
        self.values = {n: values.get(n) or '' for n in self.names}
        with card(mark=f'section-{self.mark}'):
            with ui.row().classes('w-full items-center justify-between no-wrap'):
                ui.label(self.title).classes('ld-card-title')
                self.pencil = tid(ui.button(icon='edit', on_click=self.open)
                                  .props(f'flat round dense aria-label="{t("common.edit")}"')
                                  .tooltip(t('common.edit')), f'edit-{self.mark}')
                self.pencil.set_visibility(self.editable)
            with ui.column().classes('w-full gap-2') as self.reading:
                self.read = tid(ui.element('div').classes('ld-fields'), f'read-{self.mark}')
                self.empty = ui.element('div').classes('w-full')
            self._fill_read()
            with ui.column().classes('w-full gap-2') as self.form:
                with ui.element('div').classes('grid grid-cols-1 sm:grid-cols-2 gap-x-4 gap-y-1 w-full'):
                    for name in self.names:
                        widget = ui.textarea if self.multiline(name) else ui.input
                        element = tid(widget(self.label(name), value=self.values[name])
                                      .props(f'dense {self.props(name)}'
                                             + (' autogrow' if self.multiline(name) else '')), self.marker(name))
                        if self.multiline(name):
                            element.classes('sm:col-span-2')
                        if not self.editable:
                            element.props('readonly')
                        self.inputs[name] = element
                with ui.row().classes('w-full justify-end gap-2'):
                    tid(ui.button(t('common.cancel'), on_click=self.cancel).props('flat'), f'cancel-{self.mark}')
                    tid(ui.button(t('common.save'), on_click=self.save), f'save-{self.mark}')
            self.form.set_visibility(False)

    def _fill_read(self) -> None:
        """The filled fields as label and text; the empty ones named on one quiet line that opens the form."""
        self.read.clear()
        empty = [name for name in self.names if not self.values[name]]
        with self.read:
            for name in self.names:
                value = self.values[name]
                if value:
                    wide = ' ld-wide' if self.multiline(name) or len(value) > 40 else ''  # long text: a whole row
                    with ui.column().classes('gap-0 min-w-0' + wide):
                        ui.label(self.label(name)).classes('ld-caption')
                        tid(ui.label(self.display(name, value)).classes('ld-value'), f'value-{name}')
        self.empty.clear()
        if empty:
            with self.empty:
                text = t('common.not_filled', fields=', '.join(self.label(n) for n in empty))
                hint = tid(ui.label(text).classes('ld-caption'), f'empty-{self.mark}')
                if self.editable:
                    hint.classes('cursor-pointer hover:underline').on('click', self.open)

    def cancel(self) -> None:
        for name, element in self.inputs.items():
            element.error = None
            element.value = self.values[name]
        self.close()

    async def save(self) -> None:
        if await self.on_save():
            self.close()

    def show(self, values: Mapping[str, str | None], *, editable: bool) -> None:
        """The record as stored now: the read view follows; inputs not being edited too."""
        self.values = {n: values.get(n) or '' for n in self.names}
        self.editable = editable
        self._fill_read()
        if not self.editing:
            for name, element in self.inputs.items():
                element.value = self.values[name]
        if not editable:
            for element in self.inputs.values():
                element.props('readonly')
            self.close()

    def holds(self, names: Sequence[str]) -> bool:
        return any(n in self.inputs for n in names)
