"""How values read on screen: times in the team's zone, enum labels in the user's language,
phones as people write them, money exact or rounded to 万/亿 (zh) or K/M/B (en)."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import phonenumbers

from core.leads.normalize import normalize_phone
from store.models import Stage

from .i18n import current_language, t_opt

_zone: ZoneInfo = ZoneInfo('Asia/Shanghai')


def set_zone(name: str) -> None:
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone


def when(value: datetime | None) -> str:
    return value.astimezone(_zone).strftime('%Y-%m-%d %H:%M') if value else ''


def label(prefix: str, value: str | None) -> str:
    return t_opt(prefix, value)


def money(cents: int) -> str:
    """An exact amount from integer cents (no float on the way): ¥12,500, or ¥12,500.50 when there
    are fen — never ".00" for whole yuan."""
    yuan, fen = divmod(abs(cents), 100)
    return f'{"-" if cents < 0 else ""}¥{yuan:,}' + (f'.{fen:02d}' if fen else '')


_UNITS = {'zh-CN': ((10 ** 4, '万'), (10 ** 8, '亿')),
          'en': ((10 ** 3, 'K'), (10 ** 6, 'M'), (10 ** 9, 'B'))}
"""Smallest first: a figure takes the largest unit it reaches once rounded."""


def money_short(cents: int, language: str | None = None) -> str:
    """A big figure rounded to read at a glance: ¥1,373万 / ¥1.5亿 in Chinese, ¥13.7M / ¥1.5B in
    English (`language`, else the page's). Below the smallest unit whole yuan (¥9,999 in Chinese,
    ¥999 in English); in a unit one decimal under 100 of it (¥1.2万, ¥12.3万), whole units from
    there (¥123万); a figure that rounds up to the next unit takes it (99,999,999 → ¥1亿, never
    ¥10,000万). Half rounds up, in decimals (no float on the way)."""
    units = _UNITS['en' if (language or current_language()) == 'en' else 'zh-CN']
    yuan = Decimal(abs(cents)) / 100
    shown, size, name = yuan.quantize(Decimal(1), ROUND_HALF_UP), 1, ''
    for unit_size, unit_name in units:
        if shown * size < unit_size:
            break
        shown, size, name = _round(yuan / unit_size), unit_size, unit_name
    sign = '-' if cents < 0 and shown else ''
    return f'{sign}¥{_grouped(shown)}{name}'


def _round(scaled: Decimal) -> Decimal:
    """One decimal below 100 units, whole units from there (99.96 → 100, then whole)."""
    one = scaled.quantize(Decimal('0.1'), ROUND_HALF_UP)
    return one if one < 100 else scaled.quantize(Decimal(1), ROUND_HALF_UP)


def _grouped(value: Decimal) -> str:
    """1373 → 1,373; 12.3 → 12.3; 12.0 → 12."""
    whole, tenths = divmod(int(value * 10), 10)
    return f'{whole:,}' + (f'.{tenths}' if tenths else '')


MASKS = frozenset('*•●xX')
"""Characters that hide digits (the pool's 138****1234): such a phone is shown as it is."""


class Phone(NamedTuple):
    """A phone as shown: `text` to read, `href` to call (`tel:+86…`, None when it is no number)."""

    text: str
    href: str | None


@lru_cache(maxsize=4096)
def phone(raw: str | None) -> Phone:
    """Chinese numbers in national format (139 0000 1234, 010 1234 5678), others international
    (+1 650-253-0000), with a `tel:` link; anything that is not a number (a masked 138****1234,
    an extension note) stays as typed, without a link."""
    if not raw:
        return Phone('', None)
    if any(ch in MASKS for ch in raw):  # phonenumbers would read 138****1234 as 1381234
        return Phone(raw, None)
    e164 = normalize_phone(raw)
    if e164 is None:
        return Phone(raw, None)
    number = phonenumbers.parse(e164)
    style = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 86 \
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return Phone(phonenumbers.format_number(number, style), f'tel:{e164}')


def amount_text(cents: int) -> str:
    """The editable form of an amount: 12500.00."""
    return f'{cents // 100}.{cents % 100:02d}'


def stage_name(stage: Stage | None) -> str:
    if stage is None:
        return ''
    return stage.name_zh if current_language() == 'zh-CN' else stage.name_en
