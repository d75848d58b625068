"""The hosted web form's HTML: the form, the thank-you page, a short message page, and the
copy-paste `<form>` snippet Settings offers. Plain server-rendered HTML, no script at all (it works
with JavaScript off and needs no NiceGUI client), every value through `html.escape`, styles inline
so one request draws it, readable from a 320 px phone up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from core.capture.webforms import CHOICES_SEPARATOR, CONSENT, HONEYPOT, INPUT_TYPES, MULTILINE, REQUIRED, maxlength
from core.custom_fields import text as custom_text
from core.custom_fields.values import MAX_LENGTHS, Definition
from core.leads.fields import Kind
from store.models import CustomFieldType, WebForm

from .i18n import translate
from .theme import PRIMARY as PRIMARY_COLOR

AUTOCOMPLETE = {'name': 'name', 'phone': 'tel', 'email': 'email', 'company': 'organization',
                'title': 'organization-title', 'region': 'address-level1', 'city': 'address-level2'}
"""What a browser may fill in for the visitor (`autocomplete` tokens)."""

STYLE = f"""
*{{box-sizing:border-box}}
body{{margin:0;background:#f5f6f8;color:#1d1d1f;font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",
"PingFang SC","Hiragino Sans GB","Microsoft YaHei",Roboto,sans-serif}}
main{{max-width:34rem;margin:0 auto;padding:1.25rem 1rem 2rem;background:#fff;min-height:100vh}}
@media(min-width:36rem){{main{{margin:1.5rem auto;min-height:0;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.12);padding:1.5rem 1.75rem 2rem}}}}
h1{{font-size:1.35rem;margin:0 0 .25rem;overflow-wrap:anywhere}}
.intro{{color:#555;margin:0 0 1.25rem}}
.field{{margin:0 0 1rem}}
label{{display:block;font-weight:600;margin:0 0 .3rem}}
input[type=text],input[type=tel],input[type=email],input[type=url],input[type=date],select,textarea{{display:block;width:100%;font:inherit;
padding:.6rem .7rem;border:1px solid #b8bcc4;border-radius:6px;background:#fff;color:inherit}}
textarea{{min-height:6.5rem;resize:vertical}}
select{{min-height:2.85rem}}
input:focus,select:focus,textarea:focus{{outline:2px solid {PRIMARY_COLOR};outline-offset:1px;
border-color:{PRIMARY_COLOR}}}
.req{{color:#b00020}}
.invalid input,.invalid select,.invalid textarea{{border-color:#b00020}}
.error{{color:#b00020;margin:.3rem 0 0;font-size:.95rem}}
.alert{{background:#fdecea;color:#7a0014;border-radius:6px;padding:.7rem .9rem;margin:0 0 1rem}}
.hint{{color:#555;font-size:.95rem;margin:-.25rem 0 1rem}}
.help{{color:#555;font-size:.9rem;margin:.3rem 0 0;overflow-wrap:anywhere}}
fieldset.multi{{border:0;padding:0;min-width:0}}
fieldset.multi legend{{font-weight:600;margin:0 0 .3rem;padding:0}}
.choice{{display:flex;gap:.6rem;align-items:center;font-weight:400;min-height:2.75rem;margin:0;
overflow-wrap:anywhere}}
.choice input{{width:1.25rem;height:1.25rem;margin:0;flex:none}}
.consent label{{display:flex;gap:.6rem;align-items:flex-start;font-weight:400;white-space:pre-line;
overflow-wrap:anywhere}}
.consent input{{width:1.25rem;height:1.25rem;margin:.15rem 0 0;flex:none}}
button{{display:block;width:100%;font:inherit;font-weight:600;padding:.75rem;border:0;border-radius:6px;
background:{PRIMARY_COLOR};color:#fff;cursor:pointer}}
button:focus{{outline:3px solid #9bbcf0;outline-offset:2px}}
.hp{{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}}
.thanks{{font-size:1.15rem;color:#1b5e20;white-space:pre-line;overflow-wrap:anywhere}}
"""


def words(language: str) -> Callable[..., str]:
    """`t(key, **params)` in the form's language (not the visitor's session: a form has none)."""
    def t(key: str, /, **params: Any) -> str:
        return translate(language, key, params)
    return t


def _page(language: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="robots" content="noindex">'
            f'<title>{escape(title)}</title><style>{STYLE}</style></head>'
            f'<body><main>{body}</main></body></html>')


def _field(field: str, value: str, error: str | None, t: Callable[..., str], *,
           test_ids: bool = True) -> str:
    """One labelled input (or text area) with its error under it."""
    required = field in REQUIRED
    attrs = [f'id="f-{field}"', f'name="{field}"', f'maxlength="{maxlength(field)}"']
    if required:
        attrs.append('required')
    if field in AUTOCOMPLETE:
        attrs.append(f'autocomplete="{AUTOCOMPLETE[field]}"')
    if error:
        attrs += ['aria-invalid="true"', f'aria-describedby="e-{field}"']
    if test_ids:
        attrs.append(f'data-testid="form-{field}"')
    label = escape(t(f'field.{field}')) + (' <span class="req" aria-hidden="true">*</span>' if required else '')
    if field in MULTILINE:
        control = f'<textarea {" ".join(attrs)} rows="4">{escape(value)}</textarea>'
    else:
        kind = INPUT_TYPES.get(field, 'text')
        control = f'<input type="{kind}" {" ".join(attrs)} value="{escape(value)}">'
    problem = f'<p class="error" id="e-{field}" data-testid="form-error-{field}">{escape(error)}</p>' if error else ''
    return f'<div class="field{" invalid" if error else ""}"><label for="f-{field}">{label}</label>' \
           f'{control}{problem}</div>'


CUSTOM_INPUTS = {CustomFieldType.DATE: ('date', 10, ''), CustomFieldType.NUMBER: ('text', 30, 'decimal'),
                 CustomFieldType.MONEY: ('text', 20, 'decimal'), CustomFieldType.EMAIL: ('email', 254, ''),
                 CustomFieldType.URL: ('url', 500, ''), CustomFieldType.PHONE: ('tel', 50, '')}
"""A custom field's HTML input per type: (type, maxlength, inputmode); other text types: text, 200."""


def _custom_control(name: str, field: Definition, value: str, language: str, attrs: list[str]) -> str:
    """A custom field's control for its type, labels in the form's language: a `<select>` for a
    single select and yes/no (an empty first choice: nothing picked), a text area for long text,
    else an input of the type's kind (a date picker, the right phone keyboard)."""
    if field.type in (CustomFieldType.SINGLE_SELECT, CustomFieldType.YES_NO):
        if field.type == CustomFieldType.YES_NO:
            yes, no = custom_text.YES_NO.get(language, custom_text.YES_NO['en'])
            choices = [('yes', yes), ('no', no)]
        else:
            choices = [(o.key, custom_text.label_of(o.label_zh, o.label_en, language)) for o in field.options]
        options = ['<option value=""></option>'] + [
            f'<option value="{escape(k)}"{" selected" if k == value else ""}>{escape(label)}</option>'
            for k, label in choices]
        return f'<select {" ".join(attrs)}>{"".join(options)}</select>'
    if field.type == CustomFieldType.LONG_TEXT:
        return f'<textarea {" ".join(attrs)} maxlength="{MAX_LENGTHS[Kind.LONG_TEXT]}" rows="4">' \
               f'{escape(value)}</textarea>'
    kind, limit, mode = CUSTOM_INPUTS.get(field.type, ('text', MAX_LENGTHS[Kind.TEXT], ''))
    extra = f' inputmode="{mode}"' if mode else ''
    return f'<input type="{kind}" {" ".join(attrs)} maxlength="{limit}"{extra} value="{escape(value)}">'


def _choices(name: str, field: Definition, value: str, language: str, *, test_ids: bool = True) -> str:
    """A multi select's boxes, one per option, all posting under the field's name (the parse joins
    the ticked ones); a required one is checked on the server: HTML cannot ask for "at least one"."""
    ticked = set(value.split(CHOICES_SEPARATOR)) if value else set()
    boxes = []
    for o in field.options:
        mark = f' data-testid="form-{escape(name)}-{escape(o.key)}"' if test_ids else ''
        boxes.append(f'<label class="choice"><input type="checkbox" name="{escape(name)}" value="{escape(o.key)}"'
                     f'{" checked" if o.key in ticked else ""}{mark}> '
                     f'{escape(custom_text.label_of(o.label_zh, o.label_en, language))}</label>')
    return ''.join(boxes)


def _help(field: Definition, language: str) -> str:
    """The field's help line in the form's language ('' when it has none)."""
    return custom_text.label_of(field.help_zh, field.help_en, language) if field.help_zh or field.help_en else ''


def _custom_field(name: str, field: Definition, value: str, error: str | None, language: str) -> str:
    """One custom field, labelled in the form's language, with its help line and its error under it."""
    ident = 'f-' + name.replace('.', '-')
    attrs = [f'id="{ident}"', f'name="{escape(name)}"', f'data-testid="form-{escape(name)}"']
    if field.is_required:
        attrs.append('required')
    help_text = _help(field, language)
    described = ([f'h-{ident}'] if help_text else []) + ([f'e-{ident}'] if error else [])
    if error:
        attrs.append('aria-invalid="true"')
    if described:
        attrs.append(f'aria-describedby="{" ".join(described)}"')
    label = escape(custom_text.label(field, language)) + \
        (' <span class="req" aria-hidden="true">*</span>' if field.is_required else '')
    problem = f'<p class="error" id="e-{ident}" data-testid="form-error-{escape(name)}">{escape(error)}</p>' \
        if error else ''
    helped = f'<p class="help" id="h-{ident}" data-testid="form-help-{escape(name)}">{escape(help_text)}</p>' \
        if help_text else ''
    if field.type == CustomFieldType.MULTI_SELECT:  # a group of boxes: a fieldset named by its legend
        described_by = f' aria-describedby="{" ".join(described)}"' if described else ''
        return f'<fieldset class="field multi{" invalid" if error else ""}" id="{ident}" ' \
               f'data-testid="form-{escape(name)}"{described_by}><legend>{label}</legend>' \
               f'{_choices(name, field, value, language)}{helped}{problem}</fieldset>'
    return f'<div class="field{" invalid" if error else ""}"><label for="{ident}">{label}</label>' \
           f'{_custom_control(name, field, value, language, attrs)}{helped}{problem}</div>'


def _contact_hint(form: WebForm, t: Callable[..., str]) -> str:
    asks = {'phone', 'email'} & set(form.fields)
    return f'<p class="hint">{escape(t("form.contact_hint"))}</p>' if asks == {'phone', 'email'} else ''


def form_page(form: WebForm, action: str, *, values: Mapping[str, str] | None = None,
              errors: Mapping[str, str] | None = None, alert: str | None = None,
              custom: Mapping[str, Definition] | None = None) -> str:
    """The form; after a refused submission with the typed values kept, each error (an
    `err.field.*` code) under its field and `alert` (a message key) above them. `custom`: the
    custom fields the form shows, by form field name (core/capture/webforms.py `shown_custom`); a
    `custom.<key>` in the form's list that is not there (retired since) is left out."""
    t = words(form.language)
    values, errors = values or {}, errors or {}
    parts = [f'<h1 data-testid="form-heading">{escape(form.name)}</h1>',
             f'<p class="intro">{escape(t("form.intro"))}</p>']
    if alert:
        parts.append(f'<p class="alert" role="alert" data-testid="form-alert">{escape(t(alert))}</p>')
    elif errors:
        parts.append(f'<p class="alert" role="alert" data-testid="form-alert">{escape(t("form.fix_errors"))}</p>')
    parts.append(f'<form method="post" action="{escape(action)}" accept-charset="UTF-8">')
    parts.append(_contact_hint(form, t))
    custom = custom or {}
    for field in form.fields:
        code = errors.get(field)
        error = t(f'err.field.{code}') if code else None
        if field in custom:
            parts.append(_custom_field(field, custom[field], values.get(field, ''), error, form.language))
        elif not field.startswith('custom.'):
            parts.append(_field(field, values.get(field, ''), error, t))
    parts.append(_honeypot())
    if form.consent_text:
        code = errors.get(CONSENT)
        parts.append(_consent(form.consent_text, bool(values.get(CONSENT)),
                              t(f'err.field.{code}') if code else None))
    parts.append(f'<button type="submit" data-testid="form-submit">{escape(t("form.submit"))}</button></form>')
    return _page(form.language, form.name, ''.join(parts))


def _honeypot(test_ids: bool = True) -> str:
    """Off-screen, out of the tab order, hidden from screen readers: only a bot fills it in."""
    mark = ' data-testid="form-honeypot"' if test_ids else ''
    return (f'<div class="hp" aria-hidden="true"><label for="f-{HONEYPOT}">Website</label>'
            f'<input type="text" id="f-{HONEYPOT}" name="{HONEYPOT}" tabindex="-1" autocomplete="off"{mark}></div>')


def _consent(text: str, checked: bool, error: str | None, test_ids: bool = True) -> str:
    mark = ' data-testid="form-consent"' if test_ids else ''
    problem = f'<p class="error" id="e-{CONSENT}">{escape(error)}</p>' if error else ''
    return (f'<div class="field consent{" invalid" if error else ""}"><label>'
            f'<input type="checkbox" name="{CONSENT}" value="yes" required{" checked" if checked else ""}{mark}>'
            f'<span>{escape(text)}</span></label>{problem}</div>')


def thanks_page(form: WebForm) -> str:
    t = words(form.language)
    text = form.thanks_text or t('form.thanks')
    return _page(form.language, form.name, f'<h1>{escape(form.name)}</h1>'
                 f'<p class="thanks" role="status" data-testid="form-thanks">{escape(text)}</p>')


def message_page(language: str, key: str, test_id: str, title: str = 'LeadDesk') -> str:
    """A page that only says something (form missing, site refused, body too large)."""
    t = words(language)
    return _page(language, title, f'<h1>{escape(title)}</h1><p data-testid="{escape(test_id)}">{escape(t(key))}</p>')


def snippet(form: WebForm, action: str, custom: Mapping[str, Definition] | None = None) -> str:
    """A `<form>` for the customer's own page, posting here: the same field names, labels in the
    form's language, the honeypot and consent box; unstyled so it takes the site's look."""
    t = words(form.language)
    lines = [f'<form method="post" action="{escape(action)}" accept-charset="UTF-8">']
    custom = custom or {}
    for field in form.fields:
        if field.startswith('custom.'):
            if field in custom:
                spec = custom[field]
                ident = 'ld-' + field.replace('.', '-')
                attrs = [f'id="{ident}"', f'name="{escape(field)}"'] + (['required'] if spec.is_required else [])
                label = escape(custom_text.label(spec, form.language)) + (' *' if spec.is_required else '')
                help_text = _help(spec, form.language)
                helped = f'<br><small>{escape(help_text)}</small>' if help_text else ''
                if spec.type == CustomFieldType.MULTI_SELECT:
                    boxes = _choices(field, spec, '', form.language, test_ids=False).replace('</label>', '</label><br>')
                    lines.append(f'  <fieldset><legend>{label}</legend>{boxes}{helped}</fieldset>')
                    continue
                lines.append(f'  <p><label for="{ident}">{label}</label><br>')
                lines.append(f'    {_custom_control(field, spec, "", form.language, attrs)}{helped}</p>')
            continue
        required = ' required' if field in REQUIRED else ''
        label = escape(t(f'field.{field}')) + (' *' if required else '')
        limit = maxlength(field)
        lines.append(f'  <p><label for="ld-{field}">{label}</label><br>')
        if field in MULTILINE:
            lines.append(f'    <textarea id="ld-{field}" name="{field}" maxlength="{limit}" rows="4"{required}>'
                         '</textarea></p>')
        else:
            kind = INPUT_TYPES.get(field, 'text')
            lines.append(f'    <input type="{kind}" id="ld-{field}" name="{field}" maxlength="{limit}"{required}></p>')
    lines.append(f'  <div style="position:absolute;left:-10000px" aria-hidden="true"><input type="text" '
                 f'name="{HONEYPOT}" tabindex="-1" autocomplete="off"></div>')
    if form.consent_text:
        lines.append(f'  <p><label><input type="checkbox" name="{CONSENT}" value="yes" required> '
                     f'{escape(form.consent_text)}</label></p>')
    lines.append(f'  <p><button type="submit">{escape(t("form.submit"))}</button></p>')
    lines.append('</form>')
    return '\n'.join(lines)
