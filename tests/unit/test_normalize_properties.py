"""Property tests of the capture normalisers: on any string they return, never raise, and a
second pass changes nothing (dedupe compares stored keys with freshly normalised ones)."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.leads.normalize import INVISIBLE, clean_text, normalize_company, normalize_email, normalize_phone

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTILE = st.sampled_from(['\x00', '\u200f', '\u202e', '\u200b', '\ufeff', '😀', '👨‍👩‍👧', '<script>', '\r\n', '\t',
                           'Ｃｏ．', '（', '）', '有限公司', ' Co., Ltd.', ' Inc', '@', '+', '-', '.', ' '])
ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec='utf-8'), max_size=300),
    st.lists(st.one_of(HOSTILE, st.text(max_size=5)), max_size=30).map(''.join),
)
PHONES = st.one_of(
    ANY_TEXT,
    st.from_regex(r'\A(\+?86)?[ -]?1[3-9]\d[ -]?\d{4}[ -]?\d{4}\Z'),
    st.from_regex(r'\A\+\d{1,3}[ ()\-]{0,3}\d{2,14}\Z'),
    st.from_regex(r'\A[０-９]{11}\Z'),
)
EMAILS = st.one_of(ANY_TEXT, st.emails().map(str), st.emails().map(lambda e: f'  {str(e).upper()}  '))
COMPANIES = st.one_of(
    ANY_TEXT,
    st.tuples(st.text(min_size=1, max_size=30),
              st.sampled_from(['有限公司', '股份有限公司', ' Co., Ltd.', ' Inc.', ' LLC', ' GmbH', '集团', ' co', ''])
              ).map(''.join),
)


@SETTINGS
@given(PHONES, st.sampled_from(['CN', 'US', 'DE', 'ZZ']))
@example('１３８１２３４５６７８', 'CN')
@example('\x00' * 60, 'CN')
@example('000000000', 'CN')  # found by this test: formatted to +8600000000, which parsed to +860000000
def test_phone_is_total_and_idempotent(raw: str, region: str) -> None:
    once = normalize_phone(raw, region)
    if once is not None:
        assert once.startswith('+') and once[1:].isdigit()
        assert normalize_phone(once, region) == once


@SETTINGS
@given(EMAILS)
def test_email_is_total_and_idempotent(raw: str) -> None:
    once = normalize_email(raw)
    if once is not None:
        assert once == once.lower().strip() and '@' in once and len(once) <= 254
        assert normalize_email(once) == once


@SETTINGS
@given(COMPANIES)
@example('co co co')
@example('Inc Inc.')
@example('T\u0308')  # found by this test: lower() left t + U+0308, which the next pass composed
@example('t.\u0308')  # and so did removing the dot between a letter and its mark
def test_company_is_total_and_idempotent(raw: str) -> None:
    once = normalize_company(raw)
    if once is not None:
        assert len(once) <= 200 and once == once.lower()
        assert normalize_company(once) == once


@SETTINGS
@given(ANY_TEXT, st.integers(min_value=1, max_value=600))
def test_clean_text_drops_control_characters_caps_length_and_is_idempotent(raw: str, limit: int) -> None:
    once = clean_text(raw, max_length=limit)
    if once is not None:
        assert len(once) <= limit and once == once.strip()
        assert not any(unicodedata.category(c) == 'Cc' and c not in '\n\t' for c in once)
        assert not (INVISIBLE - {'\u200d'}) & set(once)  # a joiner stays only inside an emoji sequence
        assert clean_text(once, max_length=limit) == once


def test_a_run_of_zeros_is_no_phone_number() -> None:
    assert normalize_phone('000000000') is None


def _sprinkled(text: str, marks: list[tuple[int, str]]) -> str:
    """`text` with invisible characters inserted at the given positions (taken modulo its length)."""
    chars = list(text)
    for at, mark in marks:
        chars.insert(at % (len(chars) + 1), mark)
    return ''.join(chars)


MARKS = st.lists(st.tuples(st.integers(min_value=0, max_value=400), st.sampled_from(sorted(INVISIBLE))),
                 max_size=8)


@SETTINGS
@given(st.one_of(EMAILS, PHONES, COMPANIES), MARKS)
@example('zw@x.com', [(2, '\u200b')])
@example('13812345678', [(0, '\ufeff'), (5, '\u202e')])
def test_invisible_characters_never_change_a_dedupe_key(raw: str, marks: list[tuple[int, str]]) -> None:
    """`zw\u200b@x.com` and `zw@x.com` are one person: every key dedupe compares (and the cleaned text a
    lead is stored with) is the same with invisible characters sprinkled anywhere in the input."""
    hidden = _sprinkled(raw, marks)
    assert normalize_email(clean_text(hidden)) == normalize_email(clean_text(raw))
    assert normalize_phone(clean_text(hidden), 'CN') == normalize_phone(clean_text(raw), 'CN')
    assert normalize_company(clean_text(hidden)) == normalize_company(clean_text(raw))
    assert normalize_email(hidden) == normalize_email(raw)
    assert normalize_phone(hidden, 'CN') == normalize_phone(raw, 'CN')
    assert normalize_company(hidden) == normalize_company(raw)
