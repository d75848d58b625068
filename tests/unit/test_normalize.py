"""core/leads/normalize.py: the keys dedupe matches on."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from core.leads.normalize import _CN_MOBILE, clean_text, normalize_company, normalize_email, normalize_phone

TRICKY = [
    '',
    ' ',
    '\x00',
    'Acme\x00 Inc',
    '\x00Acme Co., Ltd.\x00',
    '138\x001234\x005678',
    '😀 Emoji Corp 😀',
    'Acme Co., Ltd. 😀',
    '\u200fشركة أكمي\u200f',
    '\u202eAcme Inc\u202c',
    'Acme Inc\u200b',
    'x' * 10_000,
    ('深圳' * 5_000) + '有限公司',
    'a@b.co' * 2_000,
    '1' * 10_000,
    'Ａｃｍｅ　Ｉｎｃ．',
    'ACME CO LTD',
    'co co co',
    'Inc Inc.',
    'ltd.',
    '有限公司',
    '集团公司',
    'Disco',
    'Foo-Co',
    'abc&co',
    'Acme (Ltd.)',
    'FOO@EXAMPLE.COM',
    '  Foo@Example.com  ',
    '+86 138-1234-5678',
    '１３８１２３４５６７８',
    '\t\n',
]


# ----- phone -------------------------------------------------------------------------------------

@pytest.mark.parametrize('raw', [
    '13812345678',
    '138 1234 5678',
    '138-1234-5678',
    ' 138 - 1234 - 5678 ',
    '１３８１２３４５６７８',
    '+86 138 1234 5678',
    '0086 138 1234 5678',
    '+8613812345678',
])
def test_phone_normalizes_cn_mobile_written_any_way_to_e164(raw: str) -> None:
    assert normalize_phone(raw) == '+8613812345678'


@pytest.mark.parametrize('raw', ['+1 650-253-0000', '+1 (650) 253 0000', '+16502530000'])
def test_phone_keeps_explicit_us_country_code(raw: str) -> None:
    assert normalize_phone(raw) == '+16502530000'


def test_phone_uses_given_region_for_national_numbers() -> None:
    assert normalize_phone('(650) 253-0000', region='US') == '+16502530000'


@pytest.mark.parametrize('raw', [None, '', 'abc', 'not a phone', '12', '+', '---', '+1 123', '1' * 60,
                                 '138\x001234\x005678'])
def test_phone_garbage_returns_none(raw: str | None) -> None:
    assert normalize_phone(raw) is None


# ----- email -------------------------------------------------------------------------------------

@pytest.mark.parametrize(('raw', 'expected'), [
    ('Foo@Example.COM', 'foo@example.com'),
    ('  Zhang.San@QQ.com ', 'zhang.san@qq.com'),
    ('Ａ@ｂ.com', 'a@b.com'),
])
def test_email_is_lower_cased_and_trimmed(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize('raw', [None, '', 'bad', 'a@b', 'a@@b.com', 'a b@c.com', '@b.com', 'a@.c',
                                 'a@b.c', '<a@b.com>', ('x' * 250) + '@b.com'])
def test_email_invalid_returns_none(raw: str | None) -> None:
    assert normalize_email(raw) is None


# ----- company -----------------------------------------------------------------------------------

@pytest.mark.parametrize('raw', [
    '深圳腾达科技有限公司',
    '深圳腾达科技股份有限公司',
    '深圳腾达科技有限责任公司',
    '深圳腾达科技',
    ' 深圳腾达科技公司 ',
])
def test_company_folds_chinese_legal_suffixes(raw: str) -> None:
    assert normalize_company(raw) == '深圳腾达科技'


@pytest.mark.parametrize('raw', [
    'Acme Co., Ltd.',
    'Acme Co.,Ltd.',
    'ACME CO LTD',
    'Acme Co. Ltd.',
    'Acme Inc',
    'Acme, Inc.',
    'Acme Ltd',
    'Acme Company Limited',
    'acme',
    'ＡＣＭＥ',
])
def test_company_folds_english_suffixes_case_and_width(raw: str) -> None:
    assert normalize_company(raw) == 'acme'


def test_company_does_not_strip_suffix_letters_inside_a_word() -> None:
    assert normalize_company('Disco') == 'disco'
    assert normalize_company('Zinc') == 'zinc'


def test_company_that_is_only_a_suffix_is_kept() -> None:
    assert normalize_company('Ltd') == 'ltd'


def test_company_empty_returns_none() -> None:
    assert normalize_company('') is None
    assert normalize_company(None) is None
    assert normalize_company(' .,- ') is None


def test_company_is_capped_at_200_chars() -> None:
    assert len(normalize_company('x' * 10_000) or '') == 200


# ----- idempotence and totality ------------------------------------------------------------------

NORMALIZERS = [normalize_phone, normalize_email, normalize_company, clean_text]


@pytest.mark.parametrize('fn', NORMALIZERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize('raw', TRICKY, ids=lambda s: repr(s[:20]))
def test_normalizers_are_total_and_idempotent(fn, raw: str) -> None:
    once = fn(raw)
    assert once is None or isinstance(once, str)
    if once is not None:
        assert fn(once) == once


@pytest.mark.parametrize('raw', [
    pytest.param('深圳腾达科技有限公司。', id='trailing-fullwidth-period'),
    pytest.param('深圳（有限公司）', id='suffix-in-parentheses'),
    pytest.param('字' * 198 + '公司x', id='suffix-exposed-by-200-cap'),
])
def test_company_normalization_is_idempotent_when_punctuation_hides_a_suffix(raw: str) -> None:
    once = normalize_company(raw)
    assert normalize_company(once) == once


# ----- clean_text --------------------------------------------------------------------------------

def test_clean_text_drops_control_chars_but_keeps_newline_and_tab() -> None:
    assert clean_text('a\x00b\x07c\x1b[0m\nd\te\x7f') == 'abc[0m\nd\te'


def test_clean_text_keeps_the_joiner_inside_an_emoji_sequence_only() -> None:
    assert clean_text('家 👨\u200d👩\u200d👧 a\u200db') == '家 👨\u200d👩\u200d👧 ab'
    assert clean_text('😀\u200d') == '😀'


def test_clean_text_trims_and_caps_length() -> None:
    assert clean_text('  hello  ') == 'hello'
    assert clean_text('x' * 10_000, max_length=50) == 'x' * 50


def test_clean_text_blank_returns_none() -> None:
    assert clean_text(None) is None
    assert clean_text(' \x00 \t ') is None


def test_cn_mobile_shortcut_gives_what_phonenumbers_gives_for_every_prefix() -> None:
    """The plain-digits shortcut (no parsing) must agree with `phonenumbers` for every 5-digit
    prefix it takes; those `phonenumbers` reads otherwise (179xx, 11x, 12x) are not taken."""
    rng = random.Random(5)
    taken = 0
    for prefix in range(10_000, 20_000):
        number = f'{prefix}{rng.randrange(10**6):06d}'
        if not _CN_MOBILE.fullmatch(number):
            continue
        taken += 1
        parsed = phonenumbers.parse(number, 'CN')
        assert phonenumbers.is_possible_number(parsed), number
        expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        assert expected == '+86' + number == normalize_phone(number), number
    assert taken == 6_900
