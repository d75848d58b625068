"""The hosted public web form (`/f/<key>`): no login, a honeypot, a per-IP and a per-form limit.

Size limits: every field is checked by `capture.validate` on the server (the inputs' `maxlength`
only helps honest browsers; a crafted websocket message bypasses it), and the websocket transport
refuses messages over 1 MB (engine.io's `max_http_buffer_size`)."""

from __future__ import annotations

from fastapi import Request
from nicegui import run, ui

from core.desk import Desk
from core.errors import ValidationFailed
from core.ratelimit import RateLimiter

from ..errors import clear_field_errors, show_field_errors
from ..i18n import pin_language, t
from ..marks import tid
from ..session import remember_language

FORM_FIELDS = ('name', 'phone', 'email', 'company', 'title', 'region', 'city', 'need', 'timeline', 'budget')


def client_ip(request: Request) -> str:
    return request.client.host if request.client else 'unknown'


def register(desk: Desk, limiter: RateLimiter, per_form: RateLimiter | None = None) -> None:
    """`limiter` counts submissions per client IP, `per_form` per form across all IPs."""
    @ui.page('/f/{form_key}')
    def web_form_page(request: Request, form_key: str) -> None:
        remember_language(request)
        pin_language()
        ui.page_title('LeadDesk')
        form = desk.access.web_form(form_key)
        with ui.card().classes('w-[32rem] max-w-full mx-auto mt-6'):
            if form is None:
                tid(ui.label(t('form.not_found')).classes('text-h6'), 'form-missing')
                return
            ui.label(form.name).classes('text-h6')
            ui.label(t('form.intro')).classes('text-grey-7')
            body = ui.column().classes('w-full gap-2')
            with body:
                fields = {name: tid(ui.input(t(f'field.{name}') + (' *' if name == 'name' else ''))
                                    .props('maxlength=500').classes('w-full'), f'form-{name}')
                          for name in FORM_FIELDS}
                fields['message'] = tid(ui.textarea(t('field.message')).props('maxlength=5000').classes('w-full'),
                                        'form-message')
                # Hidden from people, filled by bots: a filled honeypot is thanked and dropped.
                trap = ui.input('website').props('tabindex=-1 autocomplete=off aria-hidden=true') \
                    .classes('absolute -left-[9999px] opacity-0').mark('form-honeypot')
                ip = client_ip(request)

                async def submit() -> None:
                    clear_field_errors(fields)
                    if trap.value:
                        thank()
                        return
                    if not limiter.allow(f'form:{ip}') or (per_form and not per_form.allow(f'form-key:{form.id}')):
                        ui.notify(t('err.rate_limited'), type='negative')
                        return
                    data = {k: v.value for k, v in fields.items()}
                    try:
                        await run.io_bound(desk.leads.capture_lead, data, channel='web_form',
                                           default_source=form.source)
                    except ValidationFailed as e:
                        show_field_errors(e, fields)
                        return
                    thank()

                def thank() -> None:
                    body.clear()
                    with body:
                        tid(ui.label(t('form.thanks')).classes('text-h6 text-positive'), 'form-thanks')

                tid(ui.button(t('form.submit'), on_click=submit).classes('w-full'), 'form-submit')
