"""The "custom field is one of …" condition of a rule, as two selects: the field (single select,
multi select or yes/no lead fields) and its options; choosing a field offers its options. Used by
the assignment rules, their sample box and the scoring rules (ui/pages/rules.py, scoring_rules.py)."""

from __future__ import annotations

from collections.abc import Sequence

from nicegui import ui

from core.custom_fields.conditions import TESTABLE
from core.custom_fields.values import Definition
from store.models import CustomFieldType

from ..i18n import t
from ..marks import tid
from .custom_fields import field_label, option_labels


def testable(fields: Sequence[Definition]) -> list[Definition]:
    return [f for f in fields if f.type in TESTABLE]


def value_labels(field: Definition | None) -> dict[str, str]:
    """The values a rule may name for `field`, labelled in the reader's language."""
    if field is None:
        return {}
    if field.type == CustomFieldType.YES_NO:
        return {'yes': t('common.yes'), 'no': t('common.no')}
    return option_labels(field)


class CustomCondition:
    """A field select and a values select (multiple unless `single`)."""

    def __init__(self, fields: Sequence[Definition], *, key: str = '', values: Sequence[str] = (),
                 prefix: str, single: bool = False, width: str = 'w-44') -> None:
        self.fields = {f.key: f for f in testable(fields)}
        names = {f.key: field_label(f) for f in self.fields.values()}
        if key and key not in names:
            names[key] = key  # a retired field a rule still names: shown by key
        self.key = tid(ui.select(names, value=key or None, label=t('rules.custom_field'), clearable=True,
                                 on_change=lambda e: self._changed(e.value))
                       .props('dense').classes(width), f'{prefix}-custom-key')
        choices = {v: v for v in values} | value_labels(self.fields.get(key))
        chosen: str | list[str] | None = (values[0] if values else None) if single else list(values)
        self.values = tid(ui.select(choices, value=chosen, multiple=not single, label=t('rules.custom_values'))
                          .props('dense' if single else 'dense use-chips').classes(width), f'{prefix}-custom-values')

    def _changed(self, key: str | None) -> None:
        self.values.set_options(value_labels(self.fields.get(key or '')), value=[] if self.values.multiple else None)
