"""What a hosted web form may ask and who may embed it: pure rules, no session, no request.

The form page itself (ui/webform.py) is plain HTML served outside NiceGUI; the capture goes
through the API's path (core/capture/api_access.py `capture_via_form`, group commit). These functions decide
what a form's owner may configure and whether a submission's origin is welcome."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from core.custom_fields.values import NO_FIELDS, CustomFields, Definition
from core.errors import ValidationFailed
from core.leads.fields import LEAD
from core.leads.normalize import clean_text
from store.models import WEB_FORM_DEFAULT_FIELDS, CustomFieldType, FormLanguage, Source

FORM_FIELDS = LEAD.form
"""Lead fields a visitor may fill in, in the order Settings offers them (core/leads/fields.py). Not
`source` (the form's own), `campaign` or `external_id` (for systems, through the API)."""

DEFAULT_FIELDS = WEB_FORM_DEFAULT_FIELDS
MULTILINE = frozenset(f for f in FORM_FIELDS if LEAD[f].multiline)
"""Shown as a text area."""
INPUT_TYPES = {f: LEAD[f].input_type for f in FORM_FIELDS if LEAD[f].input_type != 'text'}
"""HTML input types: the right keyboard on a phone."""
REQUIRED = frozenset(f for f in FORM_FIELDS if LEAD[f].required)
"""Marked required on the form (capture refuses a lead without them)."""
MAX_ORIGINS = 50
HONEYPOT = 'website'
"""The field people never see (moved off-screen) and bots fill in: a submission with it is thanked
and dropped."""
CONSENT = 'consent'
CUSTOM_PREFIX = 'custom.'
"""A custom lead field on a form: `custom.<key>` in the form's ordered `fields`, the posted name
and the error's name alike (as imports and the API's 422 name it)."""
CHOICES_SEPARATOR = '\x1f'
"""How the post's parse joins the boxes ticked of a multi select (one name, posted once per box)
into one value; `posted_custom` splits it again. A visitor who posts it inside a value only
splits that value into keys the field's check then refuses."""
MAX_CUSTOM_VALUE = 5000
"""The longest posted custom value read at all (a long text's limit); longer is refused unread."""


def custom_key(field: str) -> str | None:
    """The custom field's key a form field names (`custom.budget` → `budget`), None for a built-in one."""
    return field[len(CUSTOM_PREFIX):] if field.startswith(CUSTOM_PREFIX) else None


def offered_custom(custom: CustomFields) -> list[Definition]:
    """The custom lead fields a form may show: the active ones, in the fields' own order."""
    return [d for d in custom.definitions if not d.is_retired]


def shown_custom(form_fields: Iterable[str], custom: CustomFields) -> dict[str, Definition]:
    """The form's custom fields that are still offered, by form field name, in the form's order (a
    field retired since the form was saved is skipped; the form's next save drops it)."""
    offered = {CUSTOM_PREFIX + d.key: d for d in offered_custom(custom)}
    return {f: offered[f] for f in form_fields if f in offered}


def maxlength(field: str) -> int:
    return LEAD.limits[field]


def normalize_origin(text: str) -> str | None:
    """`https://Example.com:443/` → `https://example.com`; None when it is not an http(s) origin
    (a path, query, user or wildcard is not part of an origin)."""
    text = text.strip()
    if not text or len(text) > 300 or any(ch.isspace() for ch in text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or '').lower()
    if parts.scheme.lower() not in ('http', 'https') or not host or parts.username or parts.password \
            or parts.path not in ('', '/') or parts.query or parts.fragment or '*' in host:
        return None
    scheme = parts.scheme.lower()
    if port is not None and port != {'http': 80, 'https': 443}[scheme]:
        host = f'[{host}]:{port}' if ':' in host else f'{host}:{port}'
    elif ':' in host:
        host = f'[{host}]'
    return f'{scheme}://{host}'


def check_redirect(url: str | None) -> str | None:
    """A thank-you redirect: an absolute http(s) URL with a host, or None (no redirect)."""
    text = clean_text(url, max_length=501)
    if text is None:
        return None
    parts = urlsplit(text)
    if len(text) > 500 or parts.scheme.lower() not in ('http', 'https') or not parts.hostname \
            or any(ch.isspace() for ch in text):
        raise ValidationFailed({'redirect_url': 'invalid_url'})
    return text


DEFAULT_NAMES: dict[str, dict[str, str]] = {
    'contact': {FormLanguage.ZH_CN: '网站联系表单', FormLanguage.EN: 'Website contact form'},
    'new': {FormLanguage.ZH_CN: '新网页表单', FormLanguage.EN: 'New web form'},
}
"""The names LeadDesk gives a form (the seeded contact form, a new one) in each form language. The
name is the hosted page's title, so while nobody renamed a form it follows the form's language."""


def renamed_for(name: str | None, old: str, new: str) -> str | None:
    """`name` after the form's language changed from `old` to `new`: one of our own names in the old
    language becomes the same name in the new one; a name someone chose stays."""
    for names in DEFAULT_NAMES.values():
        if name == names.get(old) and new in names:
            return names[new]
    return name


def posted_custom(form_fields: Iterable[str], custom: CustomFields,
                  data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """From a visitor's post, the custom values of the fields the form shows (anything else posted
    is never read) and the errors found before the type check: a value over `MAX_CUSTOM_VALUE` or
    not text (`too_long` / `invalid`, unread), a required field shown and left empty (`required`;
    a required field the form does not show is not the visitor's to fill)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, definition in shown_custom(form_fields, custom).items():
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = 'invalid'
        elif value is not None and len(value) > MAX_CUSTOM_VALUE:
            errors[name] = 'too_long'
        elif value is None or not value.strip(CHOICES_SEPARATOR + ' '):
            if definition.is_required:
                errors[name] = 'required'
        elif definition.type == CustomFieldType.MULTI_SELECT:
            values[definition.key] = [v for v in value.split(CHOICES_SEPARATOR) if v]
        else:
            values[definition.key] = value
    return values, errors


def clean_settings(values: Mapping[str, Any], custom: CustomFields = NO_FIELDS) -> dict[str, Any]:
    """A form's settings as its owner entered them → the values stored; ValidationFailed names each
    bad one. The fields must include the name and a phone or an email (the capture requires them,
    so a form without them could never be sent); besides the built-in ones, any custom lead field
    `custom` offers (`custom.<key>`), placed anywhere in the order."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    name = clean_text(values.get('name'), max_length=101)
    if not name:
        errors['name'] = 'required'
    elif len(name) > 100:
        errors['name'] = 'too_long'
    out['name'] = name
    language = values.get('language')
    if language not in FormLanguage.__members__.values():
        errors['language'] = 'invalid'
    out['language'] = language
    source = values.get('source') or Source.WEBSITE
    if source not in Source.__members__.values():
        errors['source'] = 'invalid_source'
    out['source'] = source
    fields = list(dict.fromkeys(values.get('fields') or ()))
    offered = {CUSTOM_PREFIX + d.key for d in offered_custom(custom)}
    if any(not isinstance(f, str) or (f not in FORM_FIELDS and f not in offered) for f in fields):
        errors['fields'] = 'invalid'
    elif not REQUIRED <= set(fields) or not {'phone', 'email'} & set(fields):
        errors['fields'] = 'form_needs_contact'
    out['fields'] = fields
    for key, limit in (('consent_text', 2000), ('thanks_text', 1000)):
        text = clean_text(values.get(key), max_length=limit + 1)
        if text is not None and len(text) > limit:
            errors[key] = 'too_long'
        out[key] = text
    try:
        out['redirect_url'] = check_redirect(values.get('redirect_url'))
    except ValidationFailed as e:
        errors.update(e.errors)
    origins = [o for o in (values.get('allowed_origins') or ()) if str(o).strip()]
    cleaned = [normalize_origin(str(o)) for o in origins]
    if None in cleaned:
        errors['allowed_origins'] = 'invalid_origin'
    elif len(cleaned) > MAX_ORIGINS:
        errors['allowed_origins'] = 'too_many_origins'
    out['allowed_origins'] = list(dict.fromkeys(o for o in cleaned if o))
    out['is_active'] = bool(values.get('is_active', True))
    if errors:
        raise ValidationFailed(errors)
    return out


def origin_of(origin_header: str | None, referer_header: str | None) -> str | None:
    """The page a submission came from, as an origin: the `Origin` header, else the `Referer`'s
    origin. `'null'` (a sandboxed frame, a `file:` page) stays `'null'`; None: neither was sent."""
    if origin_header:
        text = origin_header.strip()
        return 'null' if text == 'null' else (normalize_origin(text) or 'null')
    if referer_header:
        try:
            parts = urlsplit(referer_header.strip())
        except ValueError:
            return 'null'
        return normalize_origin(f'{parts.scheme}://{parts.netloc}') or 'null'
    return None


def origin_allowed(origin: str | None, own: Iterable[str], allowed: Iterable[str]) -> bool:
    """May a form be posted from `origin`? No origin (curl, a browser that sent none): yes — the
    list keeps other sites' pages from posting, and a script can forge any header anyway. This
    app's own pages (`own`: host[:port] it is reached at): yes. An empty allow-list: any site
    (the form is meant to be embedded anywhere). Otherwise only a listed origin (`'null'` never)."""
    if origin is None:
        return True
    allowed = list(allowed)
    if not allowed:
        return True
    if origin == 'null':
        return False
    netloc = origin.split('://', 1)[1]
    return origin in allowed or netloc in {o.lower() for o in own}


def frame_ancestors(allowed: Iterable[str]) -> str:
    """The form's `Content-Security-Policy: frame-ancestors` value: its own pages and the listed
    sites; an empty list lets any site frame it (as every form could before the list existed)."""
    listed = list(allowed)
    return "frame-ancestors 'self' " + ' '.join(listed) if listed else 'frame-ancestors *'
