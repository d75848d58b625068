"""An inbox's filter on custom fields, checked against the definitions before any query: which
types can filter (a select by an option, a yes/no field by true / false) and what reaches the store
(store/queries/leads.py `CustomTest`, applied as JSON expressions on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import ValidationFailed
from store import queries
from store.models import CustomFieldType

from .values import FIELD as CUSTOM
from .values import CustomFields, yes_no


def custom_tests(fields: CustomFields, raw: Mapping[str, Any]) -> tuple[queries.CustomTest, ...]:
    """An inbox's custom filter checked against the definitions, or ValidationFailed naming each bad
    key as `custom.<key>`: an unknown or retired key, a type that cannot be filtered (only selects
    and yes/no can), an option the field does not have, a yes/no value that is not one. The key and
    value that reach the query are the definition's own key and option key, never the user's text
    turned into SQL (store/queries/leads.py binds both as parameters)."""
    by_key = {d.key: d for d in fields.definitions if not d.is_retired}
    errors: dict[str, str] = {}
    tests: list[queries.CustomTest] = []
    for key, value in raw.items():
        name = f'{CUSTOM}.{str(key)[:50]}'
        field = by_key.get(key) if isinstance(key, str) else None
        if field is None:
            errors[name] = 'retired_field' if key in fields.retired else 'unknown_field'
        elif field.type in (CustomFieldType.SINGLE_SELECT, CustomFieldType.MULTI_SELECT):
            option = next((o.key for o in field.options if o.key == value), None)
            if option is None:
                errors[name] = 'invalid_option'
            else:
                test = (queries.CustomTestKind.EQUALS if field.type == CustomFieldType.SINGLE_SELECT
                        else queries.CustomTestKind.CONTAINS)
                tests.append(queries.CustomTest(field.key, test, option))
        elif field.type == CustomFieldType.YES_NO:
            try:
                tests.append(queries.CustomTest(field.key, queries.CustomTestKind.YES_NO, yes_no(value)))
            except ValueError:
                errors[name] = 'not_yes_no'
        else:
            errors[name] = 'not_filterable'
    if errors:
        raise ValidationFailed(errors)
    return tuple(tests)
