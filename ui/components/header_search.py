"""The header's search box: on a desk a compact field that opens the search page with its term
(Enter), on a phone a search button that opens the page (whose own box has the focus). `/` focuses
the header's box on every page but the inbox, where it keeps focusing the inbox's own search."""

from __future__ import annotations

from urllib.parse import urlencode

from nicegui import ui

from ..i18n import t
from ..marks import tid

SLASH = '''<script>
document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  const target = e.target;
  if (target && target.closest && target.closest('input, textarea, select, [contenteditable=""], '
                                                  + '[contenteditable="true"], .q-dialog')) return;
  if (document.querySelector('[data-testid="inbox-search"]')) return;  // the inbox's own `/`
  for (const name of ['search-input', 'header-search']) {  // (the testid sits on the <input> itself)
    const mark = document.querySelector(`[data-testid="${name}"]`);
    const field = mark && (mark.matches('input') ? mark : mark.querySelector('input'));
    if (field && field.offsetParent !== null) { field.focus(); e.preventDefault(); return; }
  }
});
</script>'''


def header_search() -> None:
    label = t('search.placeholder')

    def go(value: str) -> None:
        term = (value or '').strip()
        ui.navigate.to('/search' + (f'?{urlencode({"q": term})}' if term else ''))

    box = tid(ui.input(placeholder=t('search.short_placeholder')), 'header-search') \
        .props(f'dense standout dark clearable maxlength=100 aria-label="{label}"') \
        .classes('gt-sm w-40 lg:w-56')
    box.on('keydown.enter', lambda: go(box.value))
    with box.add_slot('prepend'):
        ui.icon('search').classes('text-white')
    tid(ui.button(icon='search', on_click=lambda: go(''))
        .props(f'flat round dense color=white aria-label="{label}"').classes('lt-md'), 'header-search-button')
    ui.add_body_html(SLASH)
