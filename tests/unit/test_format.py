"""ui/format.py: phones as people read them, money exact or rounded to 万/亿 and K/M/B."""

from __future__ import annotations

import pytest

from ui.format import Phone, money, money_short, phone


@pytest.mark.parametrize(('yuan', 'zh', 'en'), [
    (0, '¥0', '¥0'),
    (1, '¥1', '¥1'),
    (999, '¥999', '¥999'),
    (9_999, '¥9,999', '¥10K'),
    (10_000, '¥1万', '¥10K'),
    (12_345, '¥1.2万', '¥12.3K'),
    (123_456, '¥12.3万', '¥123K'),
    (999_999, '¥100万', '¥1M'),
    (13_730_000, '¥1,373万', '¥13.7M'),
    (99_999_999, '¥1亿', '¥100M'),
    (100_000_000, '¥1亿', '¥100M'),
    (150_000_000, '¥1.5亿', '¥150M'),
    (1_500_000_000, '¥15亿', '¥1.5B'),
    (123_456_789_012, '¥1,235亿', '¥123B'),
])
def test_money_short_rounds_to_the_largest_unit_reached(yuan: int, zh: str, en: str) -> None:
    assert money_short(yuan * 100, 'zh-CN') == zh
    assert money_short(yuan * 100, 'en') == en


def test_money_short_keeps_the_sign_of_a_negative_figure() -> None:
    assert money_short(-13_730_000_00, 'zh-CN') == '-¥1,373万'
    assert money_short(-13_730_000_00, 'en') == '-¥13.7M'
    assert money_short(-9_999_00, 'zh-CN') == '-¥9,999'


def test_money_short_rounds_half_up_on_fen_without_a_minus_zero() -> None:
    assert money_short(99_950, 'zh-CN') == '¥1,000'  # 999.50 yuan
    assert money_short(99_950, 'en') == '¥1K'
    assert money_short(1_234_50, 'en') == '¥1.2K'
    assert money_short(-40, 'zh-CN') == '¥0'
    assert money_short(1_049_999, 'zh-CN') == '¥1万'  # 10,499.99 → 1.04999万 → 1.0
    assert money_short(1_050_000, 'zh-CN') == '¥1.1万'  # 10,500 → 1.05万 → half up


def test_money_short_follows_the_page_language_when_none_given() -> None:
    assert money_short(13_730_000_00) in ('¥1,373万', '¥13.7M')


@pytest.mark.parametrize(('cents', 'shown'), [
    (0, '¥0'), (1, '¥0.01'), (1_250_050, '¥12,500.50'), (123_456_700, '¥1,234,567'),
    (-123_456_700, '-¥1,234,567'), (-5, '-¥0.05'), (999_999_900, '¥9,999,999'),
])
def test_money_is_exact_without_zero_fen(cents: int, shown: str) -> None:
    assert money(cents) == shown


@pytest.mark.parametrize(('raw', 'shown'), [
    ('13900001234', Phone('139 0000 1234', 'tel:+8613900001234')),
    ('130-0621-9832', Phone('130 0621 9832', 'tel:+8613006219832')),
    ('+8615994903672', Phone('159 9490 3672', 'tel:+8615994903672')),
    ('+86 139 0000 1234', Phone('139 0000 1234', 'tel:+8613900001234')),
    ('010-12345678', Phone('010 1234 5678', 'tel:+861012345678')),
    ('+16502530000', Phone('+1 650-253-0000', 'tel:+16502530000')),
    ('+44 20 7123 4567', Phone('+44 20 7123 4567', 'tel:+442071234567')),
])
def test_phone_national_in_china_international_elsewhere_with_a_tel_link(raw: str, shown: Phone) -> None:
    assert phone(raw) == shown


@pytest.mark.parametrize('raw', ['138****1234', '138****1234 ', 'call the front desk', '12', '139••••1234'])
def test_phone_that_is_masked_or_no_number_stays_as_typed_without_a_link(raw: str) -> None:
    assert phone(raw) == Phone(raw, None)


def test_no_phone_shows_nothing() -> None:
    assert phone(None) == Phone('', None)
    assert phone('') == Phone('', None)
