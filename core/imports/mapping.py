"""Which column fills which lead field: headers matched in Chinese and English (and the column
names other CRMs export), First/Last Name joined, source values translated. Pure functions.

The leads' active custom fields are targets too (`custom.<key>`, core/custom_fields/text.py), given
as the capture configuration's `CustomFields`: a header naming a field's key or either label maps to
it, and its cells go to the row's `custom` object, checked by type with the rest of the row.
A required custom field is not enforced on import (as for manual entry and web forms; only the
API, whose sender knows the fields, requires them): a file from before the field would fail whole."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from core.capture.clean import TAGS
from core.custom_fields import text as custom_text
from core.custom_fields.values import FIELD as CUSTOM
from core.custom_fields.values import NO_FIELDS, CustomFields
from core.leads.fields import LEAD
from core.tags.catalog import SEPARATORS
from store.models import Source

NAME_PARTS = ('first_name', 'last_name')
TARGETS: tuple[str, ...] = ('name', *NAME_PARTS, *(f for f in LEAD.captured if f != 'name'), TAGS)
"""Every field a column can be mapped to (the captured fields, core/leads/fields.py, and the lead's tags:
names or keys in either language, several per cell); first and last name are joined into `name`."""

_SYNONYMS: dict[str, tuple[str, ...]] = {
    'name': LEAD['name'].aliases,
    'first_name': ('firstname', 'givenname', 'forename', '名'),
    'last_name': ('lastname', 'surname', 'familyname', '姓'),
    **{field: words for field, words in LEAD.aliases().items() if field != 'name'},
    TAGS: ('tags', 'tag', 'labels', '标签', '客户标签', '线索标签'),
}
"""Header words by target: each field's `aliases` (core/leads/fields.py) and the name parts'."""
_CONTAINS: tuple[tuple[str, str], ...] = (
    ('邮箱', 'email'), ('邮件', 'email'), ('手机', 'phone'), ('电话', 'phone'), ('微信', 'wechat'),
    ('公司', 'company'), ('单位', 'company'), ('企业', 'company'), ('姓名', 'name'), ('联系人', 'name'),
    ('来源', 'source'), ('渠道', 'source'), ('省', 'region'), ('地区', 'region'), ('城市', 'city'),
    ('行业', 'industry'), ('职位', 'title'), ('职务', 'title'), ('备注', 'message'), ('预算', 'budget'),
    ('email', 'email'), ('phone', 'phone'), ('mobile', 'phone'), ('company', 'company'),
)
"""Chinese exports decorate headers (客户手机号, 公司全称): a known word inside a header, in this order
(across fields: the first word found wins, so it is one list, not part of each field's declaration)."""

_SOURCES: dict[str, str] = {
    **{s.value: s.value for s in Source},
    **dict.fromkeys(('官网', '网站', '官网表单', '网站表单', '官方网站', 'web', 'webform', 'website', 'online', '网络',
                     '在线'), 'website'),
    **dict.fromkeys(('展会', '会展', '展览', 'tradeshow', 'exhibition', 'event', 'conference', '会议'), 'trade_show'),
    **dict.fromkeys(('电话', '来电', '电销', 'phoneinquiry', 'coldcall', 'call', 'telemarketing'), 'phone'),
    **dict.fromkeys(('广告', '推广', '百度推广', '信息流', 'ads', 'ad', 'advertisement', 'advertising', 'sem', 'ppc',
                     'googleads', 'paidsearch'), 'ads'),
    **dict.fromkeys(('推荐', '转介绍', '介绍', '老客户推荐', 'referral', 'referred', 'wordofmouth',
                     'employeereferral', 'customerreferral', 'partnerreferral'), 'referral'),
    **dict.fromkeys(('社交媒体', '社交', '微信', '抖音', '小红书', '微博', '知乎', 'social', 'socialmedia', 'linkedin',
                     'wechat', 'facebook', 'twitter', 'weibo', 'douyin'), 'social'),
    **dict.fromkeys(('第三方', '合作伙伴', '代理', '渠道商', 'thirdparty', 'partner', 'reseller', 'purchasedlist',
                     'list'), 'third_party'),
    **dict.fromkeys(('导入', 'import', 'imported'), 'import'),
    **dict.fromkeys(('手动', '手工', '手工录入', 'manual', 'manualentry'), 'manual'),
}
_FOLD = re.compile(r'[\s_\-\.:：*#/()（）\[\]【】]+')
_REQUIRED_MARKS = ('(必填)', '（必填）', '必填', '*', '(required)', 'required')
_PHONE_SPLIT = re.compile(r'[/,;，；、|]| or |或')


def fold_header(header: str) -> str:
    """Width-, case- and punctuation-folded header without "required" marks: ` E-Mail *` → `email`."""
    text = unicodedata.normalize('NFKC', header).strip().lower()
    for mark in _REQUIRED_MARKS:
        text = text.replace(mark, '')
    return _FOLD.sub('', text)


_BY_HEADER = {fold_header(word): target for target, words in _SYNONYMS.items() for word in words}


def targets(custom: CustomFields = NO_FIELDS) -> tuple[str, ...]:
    """Every target a column may have: the built-in ones, then each active custom field's."""
    return (*TARGETS, *(custom_text.target(k) for k in custom.active.captured))


def _custom_headers(custom: CustomFields) -> dict[str, str]:
    """Folded key and labels → `custom.<key>`, for the active fields (the first field wins a tie)."""
    found: dict[str, str] = {}
    for d in custom.definitions:
        if not d.is_retired:
            for word in (d.key, d.label_zh, d.label_en):
                found.setdefault(fold_header(word), custom_text.target(d.key))
    return found


def guess_field(header: str, custom: CustomFields = NO_FIELDS) -> str | None:
    """The lead field a header names, or None when we cannot tell: a built-in field's own header
    words first, then a custom field's key or label, then a known word inside the header."""
    folded = fold_header(header)
    if not folded:
        return None
    if folded in _BY_HEADER:
        return _BY_HEADER[folded]
    if custom.definitions:
        by_custom = _custom_headers(custom)
        if folded in by_custom:
            return by_custom[folded]
    for word, target in _CONTAINS:
        if word in folded:
            return target
    return None


def suggest_mapping(headers: Sequence[str], template: Mapping[str, str | None] | None = None,
                    custom: CustomFields = NO_FIELDS) -> list[str | None]:
    """One target per column: the template's choice for a header it knows, else the guess.
    Each field is suggested once (the leftmost column wins); the user corrects the rest."""
    known = set(targets(custom))
    taken: set[str] = set()
    mapping: list[str | None] = []
    for header in headers:
        if template is not None and header in template:
            target = template[header]
        else:
            target = guess_field(header, custom)
            if target in taken:
                target = None
        if target is not None and target not in known:
            target = None
        if target is not None:
            taken.add(target)
        mapping.append(target)
    return mapping


def source_value(text: str) -> str | None:
    """`官网`, `Trade Show`, `Web` … → a source key; None when unknown."""
    return _SOURCES.get(fold_header(text).replace('&', ''))


def join_name(first: str, last: str) -> str:
    """`Ada` + `Lovelace` → `Ada Lovelace`; `明` + `李` → `李明` (Chinese: family name first, no space)."""
    if not first or not last:
        return first or last
    if any('\u4e00' <= ch <= '\u9fff' for ch in first + last):
        return last + first
    return f'{first} {last}'


def row_data(cells: Sequence[str], mapping: Sequence[str | None],
             custom: CustomFields = NO_FIELDS) -> tuple[dict[str, Any], list[str]]:
    """The capture input one row gives, and warnings that do not stop it (an unknown source is
    kept in `campaign` and the default source used; of several phones the first is taken).
    Custom columns fill `data['custom']` (only when one has a value), read as core/custom_fields/text.py
    reads a cell; the capture path checks them by type."""
    data: dict[str, Any] = {}
    notes: list[str] = []
    for value, target in zip(cells, mapping, strict=False):
        if target is None or not value:
            continue
        if target.startswith(custom_text.PREFIX):
            field = target[len(custom_text.PREFIX):]
            data.setdefault(CUSTOM, {})[field] = custom_text.cells(custom).value(field, value)
        elif target == TAGS:
            data.setdefault(TAGS, []).extend(w.strip() for w in SEPARATORS.split(value) if w.strip())
        elif target == 'message' and 'message' in data:
            data['message'] += '\n' + value
        elif target not in data:
            data[target] = value
    first, last = data.pop('first_name', ''), data.pop('last_name', '')
    if not data.get('name') and (first or last):
        data['name'] = join_name(first, last)
    if data.get('phone') and _PHONE_SPLIT.search(data['phone']):
        data['phone'] = _PHONE_SPLIT.split(data['phone'])[0].strip()
        notes.append('first_phone')
    if 'source' in data:
        raw = data.pop('source')
        key = source_value(raw)
        if key is not None:
            data['source'] = key
        else:
            notes.append('source_unknown')
            data.setdefault('campaign', raw)
    return data, notes
