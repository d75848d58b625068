"""A phone as people read it (ui/format.py `phone`): tap to call (`tel:`), a button to copy it."""

from __future__ import annotations

import json

from nicegui import ui

from ..format import phone
from ..i18n import t
from ..marks import tid

COPY_FUNCTION = """(text) => {
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select(); document.execCommand('copy'); area.remove();
  };
  if (navigator.clipboard) navigator.clipboard.writeText(text).catch(fallback); else fallback();
}"""
"""Copies in the browser, within the tap (no round trip: a phone refuses a write that comes later).
Over plain http on a LAN `navigator.clipboard` does not exist: the old `execCommand('copy')` then."""
COPY_SCRIPT = f'<script>window.ldCopy = {COPY_FUNCTION};</script>'
"""For pages that copy from plain HTML (the inbox's rows): `ldCopy(text)`."""


def phone_link(raw: str | None, mark: str = 'phone') -> None:
    """The phone as a `tel:` link (`mark`) and a copy button (`mark`-copy); a masked or unreadable
    phone as text, still copyable; nothing for no phone."""
    shown = phone(raw)
    if not shown.text:
        return
    with ui.row().classes('items-center gap-1 no-wrap'):
        if shown.href:
            tid(ui.link(shown.text, shown.href).classes('text-primary no-underline hover:underline'), mark)
        else:
            tid(ui.label(shown.text), mark)
        tid(ui.button(icon='content_copy').props(f'flat dense round size=sm aria-label="{t("phone.copy")}"')
            .tooltip(t('phone.copy')), f'{mark}-copy') \
            .on('click', js_handler=f'() => ({COPY_FUNCTION})({json.dumps(shown.text)})')
