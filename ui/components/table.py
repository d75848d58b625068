"""Tables a keyboard and a screen reader can use: a wide table's scroll box is a named region in the
tab order, and a table's selection checkboxes say what they select.

A table wider than its box (on a phone, most are) scrolls sideways inside it. A person without a
pointer can only scroll what can take the focus, so the box does (`tabindex=0`), and says what it
holds (`role=region` with a name), as axe's scrollable-region-focusable rule asks. QTable renders
its own scroll box (`.q-table__middle`) with no way to give it attributes, so the region is a box
of ours around the table, the one that scrolls; QTable's stays open (theme CSS `.ld-table-scroll`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from html import escape

from nicegui import ui

from ..i18n import t


@contextmanager
def table_region(name: str, *, classes: str = '') -> Iterator[ui.element]:
    """The box to build a table in: `with table_region(t('opp.history')): ui.table(...)`. `name` is
    what the table lists (a card's title does); `classes` go on the box (`gt-xs` hides it, table and
    tab stop together, on a phone)."""
    with ui.element('div').classes(f'ld-table-scroll w-full {classes}'.strip()) as box:
        box.props['tabindex'] = '0'
        box.props['role'] = 'region'
        box.props['aria-label'] = t('table.region', name=name)
        yield box


def label_selection(table: ui.table, *, all_label: str, row_label_field: str) -> None:
    """Name a multiple-selection table's checkboxes (axe's aria-toggle-field-name): the header's by
    `all_label`, each row's by its row's `row_label_field` (e.g. "Select Lena Li"). Quasar's own
    checkboxes have no name; these are the same checkboxes, selection and all, with one."""
    table.add_slot('header-selection', f'''
        <q-checkbox v-model="props.selected" dense aria-label="{escape(all_label)}" />''')
    table.add_slot('body-selection', f'''
        <q-checkbox v-model="props.selected" dense :aria-label="props.row.{row_label_field}" />''')
