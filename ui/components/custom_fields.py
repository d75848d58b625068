"""Admin-defined fields on a record page: their values read as text (option labels in the reader's
language, money as money, yes/no as words) and turn into a widget per type on the pencil, as the
built-in sections do (inline_edit.py). A sibling of `InlineSection` rather than an extension of
it: the built-in sections are all text inputs saved as one form, these are typed widgets saved
on their own (`custom` in the update)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from nicegui import ui

from core.custom_fields import text
from core.custom_fields.values import Definition
from core.errors import ValidationFailed
from store.models import CustomFieldType as Type

from ..errors import clear_field_errors, show_field_errors
from ..format import amount_text, money
from ..i18n import current_language, t
from ..marks import tid
from .inline_edit import ReadOrEdit
from .kit import card

YES_NO = ('yes', 'no')


def field_label(field: Definition) -> str:
    """The field's name in the reader's language."""
    return text.label(field, current_language())


def option_labels(field: Definition) -> dict[str, str]:
    """A select's options by key, each in the reader's language."""
    language = current_language()
    return {o.key: text.label_of(o.label_zh, o.label_en, language) for o in field.options}


def help_text(field: Definition) -> str:
    """The field's help line in the reader's language ('' when it has none)."""
    return text.label_of(field.help_zh, field.help_en, current_language()) if field.help_zh or field.help_en else ''


def list_separator() -> str:
    """Between the labels of a list: 、 in Chinese."""
    return text.SEPARATORS.get(current_language(), ', ')


def display(field: Definition, value: Any) -> str:
    """A stored value as it reads ('' when empty): as an export writes it in the reader's language
    (core/custom_fields/text.readable: option labels, 是/否 or Yes/No), money as money."""
    if value is None or value in ('', []):
        return ''
    if field.type == Type.MONEY and isinstance(value, int) and not isinstance(value, bool):
        return money(value)
    shown = text.readable(field, value, current_language())
    return '' if shown is None else str(shown)


def editable_value(field: Definition, value: Any) -> Any:
    """A stored value as its widget holds it."""
    if field.type == Type.MULTI_SELECT:
        return list(value) if isinstance(value, list) else []
    if value is None:
        return None if field.type in (Type.SINGLE_SELECT, Type.YES_NO) else ''
    if field.type == Type.MONEY and isinstance(value, int):
        return amount_text(value)
    if field.type == Type.YES_NO:
        return YES_NO[0] if value is True else YES_NO[1]
    return str(value)


def widget(field: Definition, value: Any, *, starred: bool = False, required: bool | None = None) -> Any:
    """The input for one field's type (a select, a date input, a text input...), its help text
    under it; `starred`: a required field's label says so, as a form's required fields do
    (`required`: whether this form needs it, when that is not "required at capture")."""
    needed = field.is_required if required is None else required
    element = _input(field, value, field_label(field) + (' *' if starred and needed else ''))
    hint = help_text(field)
    if hint:
        element.props['hint'] = hint  # a prop value, not props text: no quoting of the admin's words
        element.props['bottom-slots'] = True
    return element


def _input(field: Definition, value: Any, name: str) -> Any:
    if field.type == Type.SINGLE_SELECT:
        return ui.select(option_labels(field), label=name, value=value, clearable=True)
    if field.type == Type.MULTI_SELECT:
        return ui.select(option_labels(field), label=name, value=value, multiple=True, clearable=True) \
            .props('use-chips')
    if field.type == Type.YES_NO:
        return ui.select({'yes': t('common.yes'), 'no': t('common.no')}, label=name, value=value, clearable=True)
    if field.type == Type.LONG_TEXT:
        return ui.textarea(name, value=value).props('autogrow maxlength=5000')
    props = {Type.DATE: 'type=date', Type.NUMBER: 'inputmode=decimal maxlength=30',
             Type.MONEY: 'inputmode=decimal maxlength=20', Type.EMAIL: 'type=email maxlength=254',
             Type.URL: 'type=url maxlength=500', Type.PHONE: 'type=tel maxlength=50'}.get(field.type, 'maxlength=200')
    return ui.input(name, value=value).props(props)


def filter_selects(fields: tuple[Definition, ...], on_change: Callable[[str, str | None], Awaitable[None]],
                   *, mark: str = 'filter-custom') -> dict[str, ui.select]:
    """A select per active select or yes/no field, as the inbox's custom filters (an option key,
    'yes' / 'no', or None when cleared): the board's and the customer list's. Returned by key, so a
    saved view can set them."""
    selects: dict[str, ui.select] = {}
    for d in fields:
        if d.is_retired or d.type not in (Type.SINGLE_SELECT, Type.MULTI_SELECT, Type.YES_NO):
            continue
        choices = {'yes': t('common.yes'), 'no': t('common.no')} if d.type == Type.YES_NO else option_labels(d)
        selects[d.key] = tid(ui.select(choices, label=field_label(d), clearable=True,
                                       on_change=lambda e, key=d.key: on_change(key, e.value))
                             .props('dense').classes('w-40 max-sm:w-full'), f'{mark}-{d.key}')
    return selects


def set_choice(select: ui.select, value: object) -> bool:
    """Put a saved value into a filter select; False (and the select cleared) when it is not one of
    its options any more (an option or field retired since the view was saved)."""
    options = select.options
    known = value is None or (value in options if isinstance(options, dict) else value in list(options))
    select.set_value(value if known else None)
    return known


def dialog_inputs(fields: tuple[Definition, ...], *, needed: frozenset[str] = frozenset(),
                  mark: str = 'new-custom', values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A creating dialog's inputs for the active fields (two columns from a tablet up), keyed
    `custom.<key>` as errors name them; `needed`: the keys this dialog must get (starred);
    `values`: what they start with (stored form)."""
    values = values or {}
    inputs: dict[str, Any] = {}
    active = [f for f in fields if not f.is_retired]
    if not active:
        return inputs
    with ui.element('div').classes('grid grid-cols-1 sm:grid-cols-2 gap-x-4 gap-y-1 w-full'):
        for field in active:
            element = tid(widget(field, editable_value(field, values.get(field.key)), starred=True,
                                 required=field.is_required or field.key in needed)
                          .props('dense').classes('w-full min-w-0'), f'{mark}-{field.key}')
            if field.type == Type.LONG_TEXT:
                element.classes('sm:col-span-2')
            inputs[f'custom.{field.key}'] = element
    return inputs


def carried_values(source: tuple[Definition, ...], values: Mapping[str, Any],
                   target: tuple[Definition, ...]) -> dict[str, Any]:
    """What a converted lead's values start the deal's fields with: a lead field of the same key and
    type carries its value (a select only the options the deal's field has too)."""
    types = {f.key: f.type for f in source}
    carried: dict[str, Any] = {}
    for field in target:
        value = values.get(field.key)
        if value is None or types.get(field.key) != field.type:
            continue
        keys = {o.key for o in field.options}
        if field.type == Type.SINGLE_SELECT and value not in keys:
            continue
        if field.type == Type.MULTI_SELECT:
            value = [v for v in value if v in keys] if isinstance(value, list) else []
        carried[field.key] = value
    return carried


def dialog_values(inputs: dict[str, Any]) -> dict[str, Any]:
    """What a dialog's inputs hold, by key (empty ones left for the check to drop)."""
    return {name.removeprefix('custom.'): element.value for name, element in inputs.items()}


class CustomSection(ReadOrEdit):
    """The record's custom fields: the active ones (read, and edited on the pencil) and the retired
    ones that still hold a value (read only). `on_save(values)` stores `{key: value}` (True when
    stored; ValidationFailed names `custom.<key>`)."""

    def __init__(self, fields: tuple[Definition, ...], *, on_save: Callable[[dict[str, Any]], Awaitable[bool]],
                 editable: bool) -> None:
        self.fields = fields
        self.on_save, self.editable = on_save, editable
        self.editing = False
        self.inputs: dict[str, Any] = {}
        self.values: dict[str, Any] = {}

    def _shown(self) -> list[Definition]:
        return [f for f in self.fields if not f.is_retired or self.values.get(f.key) not in (None, '', [])]

    def render(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)
        if not self._shown():
            return
        with card(mark='section-custom'):
            with ui.row().classes('w-full items-center justify-between no-wrap'):
                ui.label(t('lead.section_custom')).classes('ld-card-title')
                self.pencil = tid(ui.button(icon='edit', on_click=self.open)
                                  .props(f'flat round dense aria-label="{t("common.edit")}"')
                                  .tooltip(t('common.edit')), 'edit-custom')
                self.pencil.set_visibility(self.editable and any(not f.is_retired for f in self.fields))
            with ui.column().classes('w-full gap-2') as self.reading:
                self.read = tid(ui.element('div').classes('ld-fields'), 'read-custom')
                self.empty = ui.element('div').classes('w-full')
            self._fill_read()
            with ui.column().classes('w-full gap-2') as self.form:
                with ui.element('div').classes('grid grid-cols-1 sm:grid-cols-2 gap-x-4 gap-y-1 w-full'):
                    for field in self.fields:
                        if field.is_retired:
                            continue
                        element = tid(widget(field, editable_value(field, self.values.get(field.key)))
                                      .props('dense').classes('w-full min-w-0'), f'custom-{field.key}')
                        if field.type == Type.LONG_TEXT:
                            element.classes('sm:col-span-2')
                        self.inputs[field.key] = element
                with ui.row().classes('w-full justify-end gap-2'):
                    tid(ui.button(t('common.cancel'), on_click=self.cancel).props('flat'), 'cancel-custom')
                    tid(ui.button(t('common.save'), on_click=self.save), 'save-custom')
            self.form.set_visibility(False)

    def _fill_read(self) -> None:
        """Filled fields as label and text (a retired one marked so); the empty active ones on one
        quiet line that opens the form."""
        self.read.clear()
        with self.read:
            for field in self._shown():
                text = display(field, self.values.get(field.key))
                if not text:
                    continue
                wide = ' ld-wide' if field.type == Type.LONG_TEXT or len(text) > 40 else ''
                with ui.column().classes('gap-0 min-w-0' + wide):
                    caption = field_label(field) + (f' ({t("custom.retired")})' if field.is_retired else '')
                    ui.label(caption).classes('ld-caption')
                    tid(ui.label(text).classes('ld-value break-words'), f'value-custom-{field.key}')
        self.empty.clear()
        empty = [f for f in self.fields if not f.is_retired and not display(f, self.values.get(f.key))]
        if empty:
            with self.empty:
                hint = tid(ui.label(t('common.not_filled', fields=', '.join(field_label(f) for f in empty)))
                           .classes('ld-caption'), 'empty-custom')
                if self.editable:
                    hint.classes('cursor-pointer hover:underline').on('click', self.open)

    def mark_needed(self, errors: Mapping[str, str]) -> None:
        """Open the form with the fields a step needs marked (`custom.<key>`: an error code)."""
        if not self.can_edit():
            return
        self.open()
        at = self._errors_at()
        for name, code in errors.items():
            if name in at:
                at[name].error = t(f'err.field.{code}')

    def _errors_at(self) -> dict[str, Any]:
        return {f'custom.{key}': element for key, element in self.inputs.items()}

    def can_edit(self) -> bool:
        return self.editable and bool(self.inputs)  # nothing to edit: only retired fields, read-only

    def cancel(self) -> None:
        clear_field_errors(self._errors_at())
        self._reset_inputs()
        self.close()

    def _reset_inputs(self) -> None:
        by_key = {f.key: f for f in self.fields}
        for key, element in self.inputs.items():
            element.value = editable_value(by_key[key], self.values.get(key))

    async def save(self) -> None:
        clear_field_errors(self._errors_at())
        by_key = {f.key: f for f in self.fields}
        changes = {key: element.value for key, element in self.inputs.items()  # only what changed: an
                   if (element.value or None) != (editable_value(by_key[key], self.values.get(key)) or None)}
        # untouched required field left empty by another channel is not this edit's to refuse
        try:
            stored = await self.on_save(changes)
        except ValidationFailed as e:
            show_field_errors(e, self._errors_at())
            return
        if stored:
            self.close()

    def show(self, values: Mapping[str, Any], *, editable: bool) -> None:
        """The record as stored now: the read view follows; the inputs too unless being edited."""
        if not hasattr(self, 'read'):  # nothing was shown (no field); a new field shows on reload
            return
        self.values = dict(values)
        self.editable = editable
        self._fill_read()
        if not self.editing:
            self._reset_inputs()
        if not editable:
            self.close()
