"""Every UI string goes through `t(key, **params)`, in Simplified Chinese or English.

The language is the user's saved choice, else the `ld_lang` cookie the header's switch sets,
else the browser's Accept-Language — decided once when a page is built (ui/session.py) and
kept on that page's client, so callbacks read the same without a request and nothing is
stored per browser on the server. Keys live in ui/locales/<lang>.json; a test fails when a
key used in the code is missing in either file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from nicegui import app, ui

LANGUAGES = {'zh-CN': 'zh_CN', 'en': 'en'}
QUASAR = {'zh-CN': 'zh-CN', 'en': 'en-US'}
"""Quasar's own strings (table pagination, date pickers, "no data") come from its language packs."""
DEFAULT = 'zh-CN'
_DIR = Path(__file__).parent / 'locales'


@cache
def catalog(language: str) -> dict[str, str]:
    return json.loads((_DIR / f'{LANGUAGES[language]}.json').read_text(encoding='utf-8'))


def from_accept_language(header: str | None) -> str:
    """The first of the browser's languages we speak; Chinese of any region reads zh-CN."""
    for part in (header or '').split(','):
        tag = part.split(';')[0].strip().lower()
        if tag.startswith('zh'):
            return 'zh-CN'
        if tag.startswith('en'):
            return 'en'
    return DEFAULT


_task_language: ContextVar[str | None] = ContextVar('leaddesk_page_language', default=None)
"""The page's language for work it started that runs outside its slots: a background task made
while the page was built (a report panel computing on its own) inherits it, as tasks inherit
context variables."""


def current_language() -> str:
    """The language of the page being built or whose callback runs (`set_page_language`)."""
    try:
        lang = app.storage.client.get('lang')
    except (RuntimeError, AssertionError):  # outside any page's slot (a background task), or its element is gone
        lang = _task_language.get()
    return lang if lang in LANGUAGES else DEFAULT


def set_page_language(language: str) -> None:
    """Fix the language of the page being built: its `t()` calls, and its callbacks later."""
    chosen = language if language in LANGUAGES else DEFAULT
    app.storage.client['lang'] = chosen
    _task_language.set(chosen)


def pin_language() -> None:
    """Have Quasar speak the page's language too (table pagination, date pickers): NiceGUI fixes
    Quasar's language for the whole app, so the page names its own for the start-up script
    (`use_page_languages`); and `<html lang>` (NiceGUI writes the app's) says the page's."""
    language = current_language()
    ui.add_head_html(f'<script>window.leaddeskLang = "{QUASAR[language]}";'
                     f' document.documentElement.lang = "{language}";</script>')  # screen readers, axe


def use_page_languages() -> None:
    """Start Quasar in the page's language rather than the app's (zh-CN, whose pack NiceGUI loads;
    en-US is Quasar's built-in default, so an English page sets nothing). If a NiceGUI upgrade
    changed this line of its start-up script, Quasar stays in the app's language."""
    script = app.config.vue_config_script
    app.config.vue_config_script = script.replace(
        "Quasar.lang.set(Quasar.lang[language.replace('-', '')]);",
        "{const pack = Quasar.lang[(window.leaddeskLang || language).replace('-', '')];"
        " if (pack) Quasar.lang.set(pack);}")


class _Safe(dict):
    def __missing__(self, key: str) -> str:
        return '{' + key + '}'


def t(key: str, /, **params: Any) -> str:
    """The text for `key` in the current language (the key itself if missing, never an error)."""
    language = current_language()
    text = catalog(language).get(key) or catalog('en').get(key) or key
    return text.format_map(_Safe(_bilingual(params, language))) if params else text


def translate(language: str, key: str, params: Mapping[str, Any]) -> str:
    """`t` in a given language, outside any page: the chat robots' messages (core/integrations/formats.py)."""
    language = language if language in LANGUAGES else DEFAULT
    text = catalog(language).get(key) or catalog('en').get(key) or key
    return text.format_map(_Safe(_bilingual(dict(params), language))) if params else text


def _bilingual(params: dict[str, Any], language: str) -> dict[str, Any]:
    """`stage_en` + `stage_zh` (names users gave in both languages) read as `stage` in the reader's."""
    suffix = 'zh' if language == 'zh-CN' else 'en'
    out = dict(params)
    for name, value in params.items():
        if name.endswith(f'_{suffix}'):
            out.setdefault(name[:-3], value)
    return out


def t_opt(prefix: str, value: str | None) -> str:
    """Label of an enumerated value (`status.assigned`), or the raw value if unknown."""
    if not value:
        return ''
    key = f'{prefix}.{value}'
    text = catalog(current_language()).get(key)
    return text if text is not None else value


_PARAM_LABELS = {'status': 'status', 'source': 'source', 'channel': 'channel', 'kind': 'activity', 'tier': 'tier',
                 'cause': 'handover.cause'}


def reason(key: str | None, params: dict[str, Any] | None) -> str:
    """An audit-trail reason in the reader's language."""
    if not key:
        return ''
    shown = {k: t_opt(_PARAM_LABELS[k], v) if k in _PARAM_LABELS and isinstance(v, str) else v
             for k, v in (params or {}).items()}
    return t(key, **shown)
