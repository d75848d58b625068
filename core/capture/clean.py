"""An arrival checked and normalised: every field within its declared limit (core/leads/fields.py),
invisible characters gone, phone, email and company folded for the dedupe identity, the custom
fields' values checked by type (core/custom_fields/values.py), or a ValidationFailed naming each bad
field. Pure: no session (the custom field definitions are given)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.capture.external_ids import ExternalScope, external_key
from core.custom_fields.values import FIELD as CUSTOM
from core.custom_fields.values import NO_FIELDS, CustomFields
from core.errors import ValidationFailed
from core.leads.fields import LEAD
from core.leads.normalize import clean_text, normalize_company, normalize_email, normalize_phone
from core.tags.catalog import NO_TAGS, TagSet
from store.models import Source

TAGS = 'tags'
"""The input's list of tags (the API's `tags`, an import's tags column)."""
FIELD_LIMITS: dict[str, int] = LEAD.limits
"""Every field a lead can be captured with, and its maximum length (declared in core/leads/fields.py)."""


@dataclass(frozen=True, slots=True)
class CleanLead:
    """A lead's captured fields (core/leads/fields.py `LEAD.captured`, typed here: a test checks they agree)
    as validated, and what capture derives from them for the dedupe identity (store/identity.py)."""

    name: str
    source: str
    phone: str | None = None
    phone_norm: str | None = None
    email: str | None = None
    company: str | None = None
    company_norm: str | None = None
    title: str | None = None
    wechat: str | None = None
    region: str | None = None
    city: str | None = None
    industry: str | None = None
    campaign: str | None = None
    message: str | None = None
    budget: str | None = None
    authority: str | None = None
    need: str | None = None
    timeline: str | None = None
    external_id: str | None = None
    external_key: str | None = None
    """`external_id` within the sender's scope (`external_key`): what dedupe by id compares."""
    custom: Mapping[str, Any] | None = None
    """The custom fields' values, normalised (None: none given); stored as the lead's `custom`."""
    tags: tuple[int, ...] = ()
    """The ids of the active tags `data['tags']` named (by key or name); stored in `record_tags`."""


def validate(data: Mapping[str, Any], *, default_source: str, region: str = 'CN',
             external_scope: str = ExternalScope.IMPORT, custom_fields: CustomFields = NO_FIELDS,
             require_custom: bool = False, tags: TagSet = NO_TAGS) -> CleanLead:
    """Clean and check raw input; raises ValidationFailed naming every bad field at once.
    `external_scope`: whose id an `external_id` is (`api_scope` of the sending key for the API).
    `custom_fields`: what `data['custom']` is checked against (none defined: every key is unknown);
    `require_custom`: the channel can send custom values, so a required one missing is an error.
    `tags`: what `data['tags']` (a list of tag keys or names; an import's cell is split before) is
    resolved against: an unknown or retired tag is `{'tags': 'unknown_tag' | 'retired_tag'}`."""
    errors: dict[str, str] = {}
    values: dict[str, str | None] = {}
    for name, limit in FIELD_LIMITS.items():
        raw = data.get(name)
        if raw is None:
            values[name] = None
            continue
        if not isinstance(raw, str | int | float):
            errors[name] = 'invalid'
            continue
        text = clean_text(str(raw), max_length=limit + 1)
        if text is not None and len(text) > limit:
            errors[name] = 'too_long'
        values[name] = text
    for name in LEAD.required:
        if not values.get(name) and name not in errors:
            errors[name] = 'required'
    phone_norm = normalize_phone(values.get('phone'), region)
    if values.get('phone') and not phone_norm and 'phone' not in errors:
        errors['phone'] = 'invalid_phone'
    email = normalize_email(values.get('email'))
    if values.get('email') and not email and 'email' not in errors:
        errors['email'] = 'invalid_email'
    if not values.get('phone') and not values.get('email') and not ({'phone', 'email'} & errors.keys()):
        errors['phone'] = 'phone_or_email'
    source = values.get('source') or default_source
    if source not in Source.__members__.values():
        errors['source'] = 'invalid_source'
    custom: dict[str, Any] = {}
    if CUSTOM in data or require_custom:
        try:
            custom = custom_fields.check(data.get(CUSTOM), region=region, require=require_custom)
        except ValidationFailed as e:
            errors.update(e.errors)
    tag_ids: tuple[int, ...] = ()
    detail = ''
    if data.get(TAGS) is not None:
        try:
            tag_ids = tags.resolve(data.get(TAGS))
        except ValidationFailed as e:
            errors.update(e.errors)
            detail = e.detail
    if errors:
        raise ValidationFailed(errors, detail=detail)
    values.update(source=source, email=email)
    ext = values.get('external_id')
    # Any: the required fields (`name`, `source`) are str here, which the checks above ensured
    captured: dict[str, Any] = {k: v for k, v in values.items() if k in CleanLead.__slots__}
    return CleanLead(**captured, custom=custom or None, tags=tag_ids,
                     phone_norm=phone_norm, company_norm=normalize_company(values.get('company')),
                     external_key=external_key(external_scope, ext) if ext else None)


