"""The one declaration of what a lead, an opportunity and a customer hold, field by field.

Each `FieldSpec` says what the field is (kind, length limit, required), where it appears (captured by
every channel and offered as an import target; edited on the record's page; filled in by a duplicate
arrival; asked by web forms; shown in the new-lead dialog; exported) and how it is named (its i18n
label key, the column headers an import recognises). Every list the rest of the code uses is derived
from here (`FieldSet`): capture's validation limits (`limits`), the API's `LeadIn` schema
(ui/api.py), the web form's choices and widgets, the lead page's edit form and what a merge
combines, the fields qualifying needs, the new-lead dialog, import targets and header guessing,
export and drill-down columns. A built-in field is added here
(and as a model column, store/models.py, plus the typed `CleanLead` in core/capture/intake.py: a test checks
the three agree). Admin-defined fields (core/custom_fields) are specs too (`custom=True`), in a
`FieldSet` of their own built from their stored definitions; capture checks them by kind.

Where a list has its own order (the web form's choices differ from the edit form's), the spec holds
its place in that list: a number, lists sort by it; None means "not in that list".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter


class Kind(StrEnum):
    TEXT = 'text'
    LONG_TEXT = 'long_text'
    """Shown as a text area."""
    PHONE = 'phone'
    EMAIL = 'email'
    CHOICE = 'choice'
    """One of a fixed set of keys (a lead's source)."""
    NUMBER = 'number'
    MONEY = 'money'
    DATE = 'date'
    DATETIME = 'datetime'
    REF = 'ref'
    """Another record's id (an owner, a stage)."""
    MULTI_CHOICE = 'multi_choice'
    """Some of a fixed set of keys (a custom multi-select field)."""
    URL = 'url'
    YES_NO = 'yes_no'


INPUT_TYPES = {Kind.PHONE: 'tel', Kind.EMAIL: 'email', Kind.URL: 'url'}
"""HTML input types by kind: the right keyboard on a phone (text otherwise)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    key: str
    """The attribute / column name, the API's and the form's field name; never changes."""
    kind: Kind = Kind.TEXT
    max_length: int | None = None
    """Longest accepted text (validation; the API's 422 names it)."""
    required: bool = False
    capture: bool = False
    """Accepted by capture (API, web form, import, manual entry), validated against `max_length`, and
    an import target."""
    edit: int | None = None
    """Place on the record's edit form (None: not editable there); a lead's editable fields are also
    what a merge combines."""
    create: int | None = None
    """Place among the new-lead dialog's text inputs."""
    fill: int | None = None
    """Place among the fields a duplicate arrival fills in when the existing lead has them empty."""
    form: int | None = None
    """Place among the fields a web form may ask, as Settings offers them."""
    qualify: int | None = None
    """Place among the fields a lead must have to be qualified (BANT)."""
    export: int | None = None
    """Column of exports and report drill-downs."""
    aliases: tuple[str, ...] = ()
    """Column headers an import maps to this field (compared folded: core/imports/mapping.py)."""
    description: str | None = None
    """What the API documentation says about the field."""
    options: tuple[str, ...] = ()
    """A choice's keys, when the set is the field's own (an admin-defined select)."""
    custom: bool = False
    """Admin-defined (core/custom_fields): its value lives in the record's `custom` object under `key`."""

    @property
    def label(self) -> str:
        """The i18n key of the field's name (ui/locales)."""
        return f'field.{self.key}'

    @property
    def input_type(self) -> str:
        return INPUT_TYPES.get(self.kind, 'text')

    @property
    def multiline(self) -> bool:
        return self.kind == Kind.LONG_TEXT

    @property
    def column(self) -> str:
        """The stored column: money is kept in cents (`amount` is `amount_cents`)."""
        return f'{self.key}_cents' if self.kind == Kind.MONEY else self.key


def _ordered(specs: Iterable[FieldSpec], place: str) -> tuple[str, ...]:
    chosen = [s for s in specs if getattr(s, place) is not None]
    return tuple(s.key for s in sorted(chosen, key=attrgetter(place)))


class FieldSet:
    """One record type's fields, in declaration order (capture's order), and the lists derived from
    them (computed once: they are read on every capture)."""

    def __init__(self, specs: Iterable[FieldSpec]) -> None:
        self.specs: tuple[FieldSpec, ...] = tuple(specs)
        self.by_key: dict[str, FieldSpec] = {s.key: s for s in self.specs}
        if len(self.by_key) != len(self.specs):
            raise ValueError('a field key is declared twice')
        self.captured: tuple[str, ...] = tuple(s.key for s in self.specs if s.capture)
        self.limits: dict[str, int] = {s.key: s.max_length for s in self.specs
                                       if s.capture and s.max_length is not None}
        self.max_lengths: dict[str, int] = {s.key: s.max_length for s in self.specs if s.max_length is not None}
        """Every text field's cap (`limits`: the captured ones only, what capture validates)."""
        self.required: tuple[str, ...] = tuple(s.key for s in self.specs if s.required)
        self.editable: tuple[str, ...] = _ordered(self.specs, 'edit')
        self.creatable: tuple[str, ...] = _ordered(self.specs, 'create')
        self.fillable: tuple[str, ...] = _ordered(self.specs, 'fill')
        self.form: tuple[str, ...] = _ordered(self.specs, 'form')
        self.to_qualify: tuple[str, ...] = _ordered(self.specs, 'qualify')
        self.export: tuple[str, ...] = _ordered(self.specs, 'export')
        self.export_columns: tuple[str, ...] = tuple(self.by_key[k].column for k in self.export)
        """What a list export and a report drill-down read, in order."""
        self.export_times: tuple[str, ...] = tuple(k for k in self.export if self.by_key[k].kind == Kind.DATETIME)
        self.multiline: frozenset[str] = frozenset(s.key for s in self.specs if s.multiline)

    def __getitem__(self, key: str) -> FieldSpec:
        return self.by_key[key]

    def __contains__(self, key: object) -> bool:
        return key in self.by_key

    def aliases(self) -> dict[str, tuple[str, ...]]:
        """Import header words by field, for the fields an import may fill."""
        return {s.key: s.aliases for s in self.specs if s.capture and s.aliases}


T, LONG, PHONE, EMAIL = Kind.TEXT, Kind.LONG_TEXT, Kind.PHONE, Kind.EMAIL

LEAD = FieldSet([
    FieldSpec('id', Kind.NUMBER, export=0),
    FieldSpec('name', T, 200, required=True, capture=True, edit=0, create=0, form=0, export=1, aliases=(
        'name', 'fullname', 'contact', 'contactname', 'leadname', 'customername', 'person',
        '姓名', '名字', '联系人', '客户姓名', '联系人姓名', '客户名称', '称呼')),
    FieldSpec('phone', PHONE, 50, capture=True, edit=1, create=1, fill=0, form=1, export=3, aliases=(
        'phone', 'mobile', 'mobilephone', 'cell', 'cellphone', 'tel', 'telephone', 'phonenumber',
        'mobilenumber', 'businessphone', 'workphone', '手机', '电话', '手机号', '手机号码', '联系电话',
        '电话号码', '联系方式', '移动电话')),
    FieldSpec('email', EMAIL, 254, capture=True, edit=2, create=2, fill=1, form=2, export=4, aliases=(
        'email', 'e-mail', 'emailaddress', 'mail', '邮箱', '电子邮箱', '电子邮件', '邮件', '邮箱地址')),
    FieldSpec('company', T, 200, capture=True, edit=3, create=3, fill=2, form=3, export=2, aliases=(
        'company', 'companyname', 'account', 'accountname', 'organization', 'organisation', 'employer',
        '公司', '单位', '企业名称', '公司名称', '企业', '单位名称', '客户公司', '工作单位')),
    FieldSpec('title', T, 100, capture=True, edit=4, create=4, fill=3, form=4, aliases=(
        'title', 'jobtitle', 'position', 'role', 'designation', '职位', '职务', '岗位', '头衔')),
    FieldSpec('wechat', T, 100, capture=True, edit=5, create=5, fill=4, form=5, aliases=(
        'wechat', 'weixin', 'wechatid', '微信', '微信号')),
    FieldSpec('region', T, 100, capture=True, edit=6, create=6, fill=5, form=6, export=6, aliases=(
        'region', 'province', 'state', 'stateprovince', 'area', 'territory', 'country',
        '地区', '省份', '省', '区域', '所在地区', '地域')),
    FieldSpec('city', T, 100, capture=True, edit=7, create=7, fill=6, form=7, aliases=(
        'city', 'town', 'mailingcity', '城市', '市', '所在城市')),
    FieldSpec('industry', T, 100, capture=True, edit=8, create=8, fill=7, form=8, export=7, aliases=(
        'industry', 'sector', 'vertical', '行业', '所属行业')),
    FieldSpec('source', Kind.CHOICE, 30, capture=True, export=5, aliases=(
        'source', 'leadsource', 'channel', 'origin', '来源', '渠道', '线索来源', '客户来源', '来源渠道'),
        description='website, trade_show, phone, ads, referral, social, third_party, import, api (default)'),
    FieldSpec('campaign', T, 200, capture=True, edit=9, fill=12, aliases=(
        'campaign', 'campaignname', 'utmcampaign', '活动', '市场活动', '推广活动')),
    FieldSpec('message', LONG, 5000, capture=True, edit=14, form=13, aliases=(
        'message', 'notes', 'note', 'comment', 'comments', 'description', 'remark', 'remarks',
        '备注', '留言', '描述', '说明', '需求描述')),
    FieldSpec('budget', T, 200, capture=True, edit=10, create=9, fill=8, form=11, qualify=1,
              aliases=('budget', '预算')),
    FieldSpec('authority', T, 200, capture=True, edit=11, create=10, fill=9, form=12, qualify=2, aliases=(
        'authority', 'decisionmaker', '决策人', '决策权')),
    FieldSpec('need', LONG, 500, capture=True, edit=12, create=11, fill=10, form=9, qualify=0, aliases=(
        'need', 'needs', 'requirement', 'requirements', '需求', '客户需求')),
    FieldSpec('timeline', T, 200, capture=True, edit=13, create=12, fill=11, form=10, qualify=3, aliases=(
        'timeline', 'timeframe', 'purchasetimeline', '时间', '采购时间', '时间表')),
    FieldSpec('external_id', T, 200, capture=True, fill=13, aliases=(
        'externalid', 'id', 'leadid', 'recordid', 'crmid', '编号', '线索编号', '客户编号'),
        description='Your id: sending it again returns the first answer'),
    FieldSpec('status', Kind.CHOICE, export=8),
    FieldSpec('grade', Kind.CHOICE, export=9),
    FieldSpec('score', Kind.NUMBER, export=10),
    FieldSpec('owner_id', Kind.REF, export=11),
    FieldSpec('created_at', Kind.DATETIME, export=12),
    FieldSpec('assigned_at', Kind.DATETIME, export=13),
    FieldSpec('first_contact_at', Kind.DATETIME, export=14),
])
"""A lead's fields. `capture` order is the order of validation errors, the API schema and import
targets. Not here: what capture derives (`phone_norm`, `company_norm`, `external_key`: the dedupe
identity, store/identity.py) and the workflow's own columns (SLA clocks, protection, counters)."""

OPPORTUNITY = FieldSet([
    FieldSpec('id', Kind.NUMBER, export=0),
    FieldSpec('name', T, 200, required=True, edit=0, export=1),
    FieldSpec('account', Kind.REF, export=2),  # the customer's name (a join: store/report_lists.py)
    FieldSpec('stage_id', Kind.REF, export=3),
    FieldSpec('amount', Kind.MONEY, edit=5, export=4),  # edited in yuan, stored as `amount_cents`
    FieldSpec('expected_close', Kind.DATE, edit=6, export=5),
    FieldSpec('decision_maker', T, 200, edit=1),
    FieldSpec('need', LONG, 500, edit=2),
    FieldSpec('budget', T, 200, edit=3),
    FieldSpec('timeline', T, 200, edit=4),
    FieldSpec('owner_id', Kind.REF, export=6),
    FieldSpec('lost_reason', Kind.CHOICE, export=7),
    FieldSpec('source', Kind.CHOICE, export=8),
    FieldSpec('region', T, export=9),
    FieldSpec('industry', T, export=10),  # source, region and industry: the lead's (a join)
    FieldSpec('created_at', Kind.DATETIME, export=11),
    FieldSpec('closed_at', Kind.DATETIME, export=12),
])
"""An opportunity's fields: its page's edit form (`edit`: text fields in order, then amount and
date) and export columns."""

OPPORTUNITY_TEXT = tuple(k for k in OPPORTUNITY.editable if OPPORTUNITY[k].kind in (T, LONG))
"""The opportunity page's text inputs, in order (amount and expected close have their own widgets)."""

CUSTOMER = FieldSet([
    FieldSpec('id', Kind.NUMBER, export=0),
    FieldSpec('name', T, 200, required=True, export=1),
    FieldSpec('tier', Kind.CHOICE, export=2),
    FieldSpec('owner_id', Kind.REF, export=3),
    FieldSpec('lifetime_value', Kind.MONEY, export=4),
    FieldSpec('won_count', Kind.NUMBER, export=5),
    FieldSpec('last_activity_at', Kind.DATETIME, export=6),
    FieldSpec('created_at', Kind.DATETIME, export=7),
])
"""A customer's fields (store: `Account`): export columns."""
