"""Normalisers used by dedupe: the same person written two ways must match.

All are total (never raise on any string) and idempotent, so they can run on
hostile input and on already-normalised values alike.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

_EMAIL = re.compile(r'^[^@\s<>()\[\],;:"\\]+@[^@\s<>()\[\],;:"\\]+\.[^@\s<>()\[\],;:"\\]{2,}$')

_COMPANY_SUFFIXES = (
    '股份有限公司', '有限责任公司', '集团有限公司', '有限公司', '集团', '公司', '工作室',
    'co ltd', 'co., ltd.', 'co.,ltd.', 'co., ltd', 'company limited', 'limited', 'ltd',
    'incorporated', 'inc', 'corporation', 'corp', 'llc', 'gmbh', 'group', 'company', 'co',
)
_PUNCT = re.compile(r'[\s\.,，。·\-_()（）&/\'"]+')
_CN_MOBILE = re.compile(r'1(?:[3-689][0-9]|7[0-8])[0-9]{8}')
"""Mainland mobile numbers written as 11 plain digits: `phonenumbers` gives `+86` + the digits for
every one of them (checked for every 5-digit prefix: tests/unit/test_normalize.py), and parsing is
~0.2 ms — the largest cost of validating an import row. 179xx is left out: `phonenumbers` reads it
as a carrier prefix."""


INVISIBLE = frozenset(
    '\u00ad'                                # soft hyphen
    '\u061c'                                # Arabic letter mark (a bidi control)
    '\u180e'                                # Mongolian vowel separator (once a space)
    '\u200b\u200c\u200d'                    # zero-width space, non-joiner, joiner
    '\u200e\u200f'                          # left-to-right / right-to-left marks
    '\u202a\u202b\u202c\u202d\u202e'          # bidi embeddings and overrides
    '\u2060\u2061\u2062\u2063\u2064'          # word joiner, invisible operators
    '\u2066\u2067\u2068\u2069'               # bidi isolates
    '\ufeff'                                # BOM / zero-width no-break space
)
"""Characters that show nothing: `zw\u200b@x.com` looks like `zw@x.com` and must dedupe with it, and a
bidi override can make a name read backwards in the inbox (Trojan-Source style). Dropped from every
captured text by `clean_text`, and by the normalisers themselves (they also run on raw input)."""


def strip_invisible(text: str) -> str:
    """`text` without the `INVISIBLE` characters (printable text has none: no walk)."""
    if text.isprintable():
        return text
    return ''.join(ch for ch in text if ch not in INVISIBLE)


def clean_text(value: str | None, *, max_length: int = 500) -> str | None:
    """Trim, drop control characters (NUL included), invisible ones (`INVISIBLE`: zero-width, BOM,
    bidi controls, soft hyphen) and lone surrogates (JSON can carry "\\ud800"; no database can
    store it, so it would fail the whole write) and cap the length; empty → None."""
    if value is None:
        return None
    text = str(value)
    if not text.isprintable():  # printable text has no control or format characters: skip the walk
        kept: list[str] = []
        for i, ch in enumerate(text):
            if ch == ZWJ:
                if kept and _pictographic(kept[-1]) and i + 1 < len(text) and _pictographic(text[i + 1]):
                    kept.append(ch)  # inside an emoji sequence (👨‍👩‍👧): it shows, as one picture
            elif ch in '\n\t' or (ch not in INVISIBLE and unicodedata.category(ch) not in ('Cc', 'Cs')):
                kept.append(ch)
        text = ''.join(kept)
    text = text.strip()[:max_length].rstrip(ZWJ).strip()
    return text or None


ZWJ = '\u200d'


def _pictographic(ch: str) -> bool:
    """An emoji or a part of one (a skin tone, the emoji presentation selector)."""
    return ord(ch) >= 0x1F000 or ch == '\ufe0f' or unicodedata.category(ch) == 'So'


def normalize_phone(raw: str | None, region: str = 'CN') -> str | None:
    """E.164 (`+8613812345678`), or None when it is not a possible number."""
    if not raw:
        return None
    if region == 'CN' and isinstance(raw, str) and _CN_MOBILE.fullmatch(raw):
        return '+86' + raw
    text = unicodedata.normalize('NFKC', strip_invisible(str(raw)))
    if len(text) > 50:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # A run of zeros (`000000000`) formats to a string that parses to a shorter number: no
    # real number does that, and a key that changes when normalised again would split dedupe.
    if phonenumbers.format_number(phonenumbers.parse(e164, region), phonenumbers.PhoneNumberFormat.E164) != e164:
        return None
    return e164


def normalize_email(raw: str | None) -> str | None:
    """Lower-cased address, or None when it is not shaped like one."""
    if not raw:
        return None
    text = unicodedata.normalize('NFKC', strip_invisible(str(raw))).strip().lower()
    if len(text) > 254 or not _EMAIL.match(text):
        return None
    return text


def normalize_company(raw: str | None) -> str | None:
    """Case-, width- and punctuation-folded name without legal suffixes:
    `深圳腾达科技有限公司` and `深圳腾达科技` match, as do `Acme Co., Ltd.` and `ACME`."""
    if not raw:
        return None
    # NFKC again after lower(): lower-casing can leave a decomposed pair ('T̈' → 't' + U+0308)
    # that the next pass would compose, and the key must not change on a second pass.
    text = unicodedata.normalize('NFKC', unicodedata.normalize('NFKC', strip_invisible(str(raw))).lower()).strip()
    while True:  # fold until stable: removing punctuation or cutting can expose another suffix
        # removing punctuation can bring a letter and a combining mark together: compose them again
        folded = unicodedata.normalize('NFKC', _PUNCT.sub('', _strip_suffixes(text)))[:200]
        if folded == text:
            return folded or None
        text = folded


def _strip_suffixes(text: str) -> str:
    changed = True
    while changed:
        changed = False
        stripped = text.rstrip(' .,')
        if not stripped.endswith(_COMPANY_SUFFIXES):
            break  # no suffix at all (most names once their one suffix is gone): skip the loop
        for suffix in _COMPANY_SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                before = stripped[: -len(suffix)]
                if suffix.isascii() and before and before[-1].isalnum() and before[-1].isascii():
                    continue  # 'disco' must not lose its 'co'
                text = before
                stripped = text.rstrip(' .,')
                changed = True
    return text
