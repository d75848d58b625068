"""A rule's test of one lead custom field ("field <key> is one of <options>"; yes/no: is yes / is
no), checked against the active definitions. Shared by the assignment rules (core/assignment/rules.py)
and the scoring rules (core/capture/scoring_rules.py), so both accept and refuse the same things.

Only single select, multi select and yes/no fields can be tested: their values are a closed set of
option keys, so a rule cannot silently stop matching because of a spelling."""

from __future__ import annotations

from collections.abc import Iterable

from core.assignment.pick import NO, YES
from core.custom_fields.values import CustomFields, Definition
from store.models import CustomFieldType

TESTABLE = frozenset({CustomFieldType.SINGLE_SELECT, CustomFieldType.MULTI_SELECT, CustomFieldType.YES_NO})


def choices(definition: Definition) -> tuple[str, ...]:
    """The values a rule may name for a field: its option keys, or yes / no."""
    if definition.type == CustomFieldType.YES_NO:
        return (YES, NO)
    return tuple(o.key for o in definition.options)


def testable(fields: CustomFields) -> list[Definition]:
    """The active fields a rule may test, in their order."""
    return [d for d in fields.definitions if not d.is_retired and d.type in TESTABLE]


def check_key(fields: CustomFields, key: str, errors: dict[str, str], name: str) -> Definition | None:
    """The definition of a key a rule names, or None with `errors[name]` set: `retired_field`,
    `unknown_field`, or `invalid` (a field of a type no rule tests)."""
    found = next((d for d in fields.definitions if d.key == key), None)
    if found is None:
        errors[name] = 'unknown_field'
    elif found.is_retired:
        errors[name] = 'retired_field'
    elif found.type not in TESTABLE:
        errors[name] = 'invalid'
    else:
        return found
    return None


def check_values(definition: Definition, values: Iterable[str], errors: dict[str, str], name: str) -> list[str]:
    """The option keys named (each once, lower case, in the field's order), or `errors[name]`:
    `required` when none, `invalid` when one is not the field's."""
    wanted = {str(v).strip().lower() for v in values if str(v).strip()}
    allowed = choices(definition)
    if not wanted:
        errors[name] = 'required'
    elif wanted - set(allowed):
        errors[name] = 'invalid'
    return [c for c in allowed if c in wanted]
