"""The "New lead" dialog: every field of a lead, the active custom fields too (a widget per type,
required ones asked: the dialog can send them), with messages next to the fields."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import run, ui

from core.capture.intake import CaptureResult
from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from core.leads.fields import LEAD
from store.models import Source, UserRef

from ..errors import clear_field_errors, message, show_field_errors
from ..i18n import t
from ..marks import tid
from .custom_fields import editable_value, widget

TEXT_FIELDS = LEAD.creatable
"""The dialog's text inputs, in order (core/leads/fields.py); the source and the message have their own."""
MANUAL_SOURCES = [s.value for s in Source if s not in (Source.API, Source.DEMO, Source.IMPORT)]


def open_new_lead(desk: Desk, user: UserRef, on_done: Callable[[CaptureResult], Awaitable[None] | None]) -> None:
    defined = [f for f in desk.leads.custom_fields().definitions if not f.is_retired]
    with ui.dialog() as dialog, ui.card().classes('w-[40rem] max-w-full'):
        ui.label(t('lead.new')).classes('text-h6')
        fields: dict[str, Any] = {}
        with ui.grid(columns=2).classes('w-full gap-2'):
            for name in TEXT_FIELDS:
                label = t(LEAD[name].label) + (' *' if LEAD[name].required else '')
                fields[name] = tid(ui.input(label).props('dense maxlength=500'), f'new-{name}')
            fields['source'] = tid(ui.select({s: t(f'source.{s}') for s in MANUAL_SOURCES}, value=Source.MANUAL,
                                             label=t('field.source')).props('dense'), 'new-source')
        custom: dict[str, Any] = {}
        if defined:
            with ui.grid(columns=2).classes('w-full gap-2'):
                for field in defined:
                    custom[field.key] = tid(widget(field, editable_value(field, None), starred=True)
                                            .props('dense').classes('min-w-0'), f'new-custom-{field.key}')
        fields['message'] = tid(ui.textarea(t('field.message')).props('dense maxlength=5000').classes('w-full'),
                                'new-message')
        ui.label(t('lead.phone_or_email_hint')).classes('text-xs text-grey-7')
        busy = {'on': False}

        async def save() -> None:
            if busy['on']:
                return  # a second click while the first is saving does nothing
            busy['on'] = True
            marked = fields | {f'custom.{key}': element for key, element in custom.items()}
            clear_field_errors(marked)
            data = {k: v.value for k, v in fields.items()}
            if custom:
                data['custom'] = {k: v.value for k, v in custom.items()}
            try:
                result = await run.io_bound(lambda: desk.leads.capture_lead(
                    data, channel='manual', default_source=Source.MANUAL, actor=user, keep_for_actor=True,
                    require_custom=bool(custom)))
            except ValidationFailed as e:
                show_field_errors(e, marked)
                return
            except DomainError as e:
                ui.notify(message(e), type='negative')
                return
            finally:
                busy['on'] = False
            dialog.close()
            if result.created:
                ui.notify(t('lead.created', name=data['name']), type='positive')
            else:
                ui.notify(t('lead.joined_existing', id=result.lead_id), type='info')
            outcome = on_done(result)
            if outcome is not None:
                await outcome

        with ui.row().classes('w-full justify-end'):
            ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
            tid(ui.button(t('common.save'), on_click=save), 'new-save')
    dialog.open()
