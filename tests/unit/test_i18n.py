"""Every key the code uses exists in both languages, and both catalogues agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

from core import errors
from store.models import ActivityKind, LeadStatus, Role, Source, Strategy, Temperature
from ui.i18n import from_accept_language

ROOT = Path(__file__).resolve().parents[2]
LOCALES = {name: json.loads((ROOT / 'ui' / 'locales' / f'{name}.json').read_text('utf-8'))
           for name in ('en', 'zh_CN')}


def _sources(folder: str) -> str:
    return '\n'.join(p.read_text('utf-8') for p in (ROOT / folder).rglob('*.py'))


def used_keys() -> set[str]:
    ui_code, core_code = _sources('ui'), _sources('core')
    keys = set(re.findall(r"\bt\('([a-z_.0-9]+)'", ui_code))
    keys |= set(re.findall(r"reason_key='([a-z_.]+)'", core_code))
    keys |= set(re.findall(r"key='(notify\.[a-z_]+)'", core_code))
    keys |= {f'status.{s}' for s in LeadStatus} | {f'source.{s}' for s in Source} | {f'role.{r}' for r in Role}
    keys |= {f'activity.{a}' for a in ActivityKind} | {f'temperature.{t}' for t in Temperature}
    keys |= {f'reason.assigned.{s}' for s in Strategy}
    keys |= {f'channel.{c}' for c in re.findall(r"channel='([a-z_]+)'", ui_code + core_code)}
    codes = {cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.DomainError)}
    keys |= {f'err.{c}' for c in codes}
    raised = r"(?:InvalidState|NotAllowed|LoginFailed|NotFound)\('([a-z_]+)'"
    keys |= {f'err.{c}' for c in re.findall(raised, core_code)}
    field_codes = set(re.findall(r"errors\[[^\]]+\] = '([a-z_]+)'", core_code))
    field_codes |= set(re.findall(r"ValidationFailed\(\{'[a-z_]+': '([a-z_]+)'\}\)", core_code))
    keys |= {f'err.field.{c}' for c in field_codes}
    return keys


def test_every_used_key_exists_in_english() -> None:
    assert sorted(used_keys() - LOCALES['en'].keys()) == []


def test_every_used_key_exists_in_chinese() -> None:
    assert sorted(used_keys() - LOCALES['zh_CN'].keys()) == []


def test_both_languages_have_the_same_keys() -> None:
    assert sorted(LOCALES['en'].keys() ^ LOCALES['zh_CN'].keys()) == []


def test_placeholders_match_between_languages() -> None:
    def names(text: str) -> set[str]:
        return set(re.findall(r'\{([a-z_]+)\}', text))

    mismatched = [k for k, en in LOCALES['en'].items() if names(en) != names(LOCALES['zh_CN'].get(k, ''))]
    assert mismatched == []


def test_chinese_catalogue_is_chinese() -> None:
    chinese = [v for v in LOCALES['zh_CN'].values() if re.search(r'[\u4e00-\u9fff]', v)]
    assert len(chinese) > 0.9 * len(LOCALES['zh_CN'])


def test_browser_language_picks_chinese_or_english() -> None:
    assert from_accept_language('zh-TW,zh;q=0.9') == 'zh-CN'
    assert from_accept_language('en-GB,en;q=0.8') == 'en'
    assert from_accept_language('de-DE') == 'zh-CN'
    assert from_accept_language(None) == 'zh-CN'


PLACEHOLDER = re.compile(r'\{[a-z_]*\}')


def test_every_field_message_the_api_sends_is_filled_in_both_languages() -> None:
    """A 422 carries each field's message: none may show an unfilled `{placeholder}` (the one field
    message with a value, the too-long limit, is filled from the field's limit)."""
    from core.capture.clean import FIELD_LIMITS
    from ui.api import field_message

    for language in ('en', 'zh-CN'):
        catalogue = LOCALES['en' if language == 'en' else 'zh_CN']
        codes = [k.removeprefix('err.field.') for k in catalogue if k.startswith('err.field.')]
        assert len(codes) > 20
        for code in codes:
            for field in (*FIELD_LIMITS, '', 'url'):
                text = field_message(field, code, language)
                assert not PLACEHOLDER.search(text), (language, code, field, text)
        assert field_message('name', 'too_long', language) == catalogue['err.field.too_long_limit'].replace(
            '{limit}', '200')
        assert field_message('url', 'too_long', language) == catalogue['err.field.too_long']
        with_values = sorted(k for k in catalogue if k.startswith('err.field.') and PLACEHOLDER.search(catalogue[k]))
        assert with_values == ['err.field.too_long_limit']  # a new one needs its values filled by the API


def test_every_error_the_api_answers_is_filled_in_both_languages() -> None:
    from ui.api import MAX_JSON_DEPTH, text

    params = {'fields': 'name, phone', 'limit': '64 KiB', 'depth': MAX_JSON_DEPTH, 'seconds': 2.0}
    for language in ('en', 'zh-CN'):
        for code in ('api_key', 'bad_json', 'too_deep', 'too_large', 'validation', 'rate_limited', 'not_allowed',
                     'not_found', 'internal'):
            assert not PLACEHOLDER.search(text(f'err.{code}', language, **params)), (language, code)
        for reason in ('busy', 'read_only', 'unwritable'):
            assert not PLACEHOLDER.search(text(f'ready.{reason}', language, **params)), (language, reason)
