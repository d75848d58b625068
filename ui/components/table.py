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


def show_rows(table: ui.table, rows: list[dict]) -> None:
    """Replace a live list's rows with one update of the element. `update_rows` wraps every row dict
    (and each list or dict inside it) in NiceGUI's change-observing collections, to re-send the table
    when a row is mutated in place: for a hundred live inboxes refreshed a few times a second that
    wrapping was 17 % of the event loop (py-spy, `bench/load.py --clients 100`). Rows set here are
    plain: whoever changes one in place calls `table.update()` (ui/components/bulk_edit.py does)."""
    dict.__setitem__(table.props, 'rows', rows)
    table.selected.clear()
    table.update()
