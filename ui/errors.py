"""Turning core errors into words and field messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from nicegui import run, ui
from nicegui.elements.mixins.validation_element import ValidationElement

from core.errors import DomainError, ValidationFailed

from .i18n import t


def message(error: DomainError) -> str:
    return t(f'err.{error.code}', **error.params)


def show_field_errors(error: ValidationFailed, fields: Mapping[str, ValidationElement]) -> None:
    """Put each field's message under the field; the rest in a toast."""
    rest = []
    for name, code in error.errors.items():
        text = t(f'err.field.{code}')
        if name in fields:
            fields[name].error = text
        else:
            rest.append(f'{t("field." + name)}: {text}')
    if rest:
        ui.notify('; '.join(rest), type='negative')


def clear_field_errors(fields: Mapping[str, ValidationElement]) -> None:
    for element in fields.values():
        element.error = None


async def attempt(action: Callable[[], object], fields: Mapping[str, ValidationElement] | None = None) -> bool:
    """Run a core action in a worker thread; show field errors under `fields` (the rest as a toast)
    or the error's message. True when it succeeded."""
    if fields:
        clear_field_errors(fields)
    try:
        await run.io_bound(action)
    except ValidationFailed as e:
        show_field_errors(e, fields or {})
        return False
    except DomainError as e:
        ui.notify(message(e), type='negative')
        return False
    return True
