"""Custom fields from the console, for scripted set-up (the interface side: core checks and audits).

    run.py field add lead KEY --type single_select --label-zh 意向产品 [--label-en Product]
                  [--options "a:甲,b:乙" | "a:甲:Option A,…"] [--required] [--filterable]
    run.py field add opportunity KEY --type … --label-zh … [--required-from STAGE] [--help-zh … --help-en …]
    run.py field add customer KEY --type … --label-zh …
    run.py field list [lead|opportunity|customer]    (every record type when none is named)

`--filterable`: lists filter and sort by it through an expression index (store/custom_indexes.py).

Exit codes: 0 done; 1 refused (a bad key, type, label or option; the key taken); 2 usage."""

from __future__ import annotations

import argparse
import sys

from core.custom_fields.values import Definition, Requirement
from core.desk import Desk
from core.errors import ValidationFailed
from store.models import CustomEntity, CustomFieldType

OK, REFUSED, USAGE = 0, 1, 2
USAGE_TEXT = ('usage: run.py field add ENTITY KEY --type TYPE --label-zh LABEL [--label-en LABEL] '
              '[--options "key:中文[:English],…"] [--required | --required-to-qualify | --required-from STAGE] '
              '[--help-zh TEXT] [--help-en TEXT] [--filterable]\n       run.py field list [ENTITY]\n'
              'ENTITY: lead, opportunity or customer; STAGE: a stage\'s id or its name in either language')
TYPE_ALIASES = {'select': CustomFieldType.SINGLE_SELECT, 'multi': CustomFieldType.MULTI_SELECT,
                'bool': CustomFieldType.YES_NO}
"""Shorter names a script may use for a type (the issue's example says `--type select`)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(message)


def parse_options(text: str) -> list[dict[str, str]]:
    """`a:甲,b:乙` or `a:甲:Option A,…`: each option's key, Chinese label and English label (the
    Chinese one when not given)."""
    options = []
    for item in (part.strip() for part in text.split(',')):
        if not item:
            continue
        key, _, rest = item.partition(':')
        zh, _, en = rest.partition(':')
        options.append({'key': key.strip(), 'label_zh': zh.strip(), 'label_en': (en or zh).strip()})
    return options


def describe(field: Definition) -> str:
    """One line of `field list`: key, type, labels, flags, options."""
    flags = ''.join(f' [{flag}]' for flag, on in (
        ('required', field.is_required), ('required to qualify', field.is_required_to_qualify),
        (f'required from stage {field.required_stage_id}', field.required_stage_id is not None),
        ('filterable', field.is_filterable), ('retired', field.is_retired)) if on)
    options = ', '.join(f'{o.key}:{o.label_zh}:{o.label_en}' for o in field.options)
    return (f'{field.entity}\t{field.key}\t{field.type}\t{field.label_zh}\t{field.label_en}{flags}'
            + (f'\t{options}' if options else ''))


def main(desk: Desk, args: list[str]) -> int:
    """`field add …` or `field list …` (`args`: what follows `field`)."""
    if args[:1] == ['list'] and len(args) <= 2:
        entities = [args[1]] if len(args) == 2 else list(CustomEntity)
        if any(e not in CustomEntity.__members__.values() for e in entities):
            print(f'unknown entity {entities[0]!r} (one of: {", ".join(CustomEntity)})', file=sys.stderr)
            return USAGE
        fields = [f for entity in entities for f in desk.custom_fields.fields(None, entity)]
        for field in fields:
            print(describe(field))
        if not fields:
            print(f'No custom fields for {" or ".join(entities)} yet.', file=sys.stderr)
        return OK
    if args[:1] != ['add']:
        print(USAGE_TEXT, file=sys.stderr)
        return USAGE
    parser = _Parser(prog='run.py field add', add_help=False)
    parser.add_argument('entity')
    parser.add_argument('key')
    parser.add_argument('--type', required=True)
    parser.add_argument('--label-zh', required=True)
    parser.add_argument('--label-en', default='')
    parser.add_argument('--options', default='')
    parser.add_argument('--required', action='store_true')
    parser.add_argument('--required-to-qualify', action='store_true')
    parser.add_argument('--required-from', default=None)
    parser.add_argument('--help-zh', default='')
    parser.add_argument('--help-en', default='')
    parser.add_argument('--filterable', action='store_true')
    try:
        opts = parser.parse_args(args[1:])
    except ValueError as e:
        print(f'{e}\n{USAGE_TEXT}', file=sys.stderr)
        return USAGE
    requirement, stage_id = Requirement.NEVER, None
    if opts.required:
        requirement = Requirement.CAPTURE
    elif opts.required_to_qualify:
        requirement = Requirement.QUALIFICATION
    elif opts.required_from is not None:
        requirement = Requirement.STAGE
        wanted = opts.required_from.strip().lower()
        stage_id = next((sid for sid, zh, en in desk.custom_fields.stages(None)
                         if wanted in (str(sid), zh.lower(), en.lower())), -1)
    try:
        field = desk.custom_fields.define_field(
            None, entity=opts.entity, key=opts.key, type=TYPE_ALIASES.get(opts.type, opts.type),
            label_zh=opts.label_zh, label_en=opts.label_en, options=parse_options(opts.options),
            requirement=requirement, required_stage_id=stage_id, help_zh=opts.help_zh, help_en=opts.help_en,
            filterable=opts.filterable)
    except ValidationFailed as e:
        print('Not added: ' + ', '.join(f'{field} {code}' for field, code in e.errors.items()), file=sys.stderr)
        return REFUSED
    print(f'Added {describe(field)}')
    return OK
