"""The admin's actions on custom fields: define one, relabel it (its options too), retire it and
bring it back, list them. Each is one transaction, audited like every settings change; the key and
the type never change (the stored values are kept under the key, in the type's form).

Saving a definition changes the capture configuration's token (store/config_version.py watches
`custom_fields`), so the next capture in any process checks against the new definitions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from core import permissions
from core.context import Context, audit, retry_conflicts
from core.custom_fields.values import KEY, Definition, Requirement, definition
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.leads.normalize import clean_text
from store import queries
from store.audit_actions import AuditAction
from store.custom_indexes import INDEXABLE, ensure_custom_indexes
from store.models import CustomEntity, CustomField, CustomFieldType, Stage, UserRef

SELECTS = (CustomFieldType.SINGLE_SELECT, CustomFieldType.MULTI_SELECT)
OPTION_KEY = re.compile(r'[a-z0-9][a-z0-9_]{0,39}')
MAX_OPTIONS = 200
LABEL_LENGTH = 100
HELP_LENGTH = 300
ALLOWED: dict[str, tuple[Requirement, ...]] = {
    CustomEntity.LEAD: (Requirement.NEVER, Requirement.CAPTURE, Requirement.QUALIFICATION),
    CustomEntity.OPPORTUNITY: (Requirement.NEVER, Requirement.STAGE),
    CustomEntity.CUSTOMER: (Requirement.NEVER,)}
"""What "required" may mean per record type (customers come from won deals: no step asks them)."""


def check_labels(label_zh: Any, label_en: Any) -> tuple[str, str]:
    """Both labels cleaned; an English label left empty is the Chinese one."""
    zh = clean_text(label_zh if isinstance(label_zh, str) else None, max_length=LABEL_LENGTH + 1)
    en = clean_text(label_en if isinstance(label_en, str) else None, max_length=LABEL_LENGTH + 1) or zh
    errors: dict[str, str] = {}
    if not zh:
        errors['label_zh'] = 'required'
    elif len(zh) > LABEL_LENGTH:
        errors['label_zh'] = 'too_long'
    if en and len(en) > LABEL_LENGTH:
        errors['label_en'] = 'too_long'
    if errors:
        raise ValidationFailed(errors)
    assert zh is not None and en is not None
    return zh, en


def check_options(raw: Iterable[Mapping[str, Any]], *, keep: Iterable[str] = ()) -> list[dict[str, str]]:
    """A select's options as stored: each a key (`[a-z0-9][a-z0-9_]*`, unique) and two labels.
    `keep`: the keys already stored, which must all still be there (values name them)."""
    options: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in raw:
        key = item.get('key')
        if not isinstance(key, str) or not OPTION_KEY.fullmatch(key) or key in seen:
            raise ValidationFailed({'options': 'invalid_options'})
        try:
            zh, en = check_labels(item.get('label_zh'), item.get('label_en'))
        except ValidationFailed:
            raise ValidationFailed({'options': 'invalid_options'}) from None
        seen.add(key)
        options.append({'key': key, 'label_zh': zh, 'label_en': en})
    if not options or len(options) > MAX_OPTIONS:
        raise ValidationFailed({'options': 'invalid_options'})
    if not set(keep) <= seen:
        raise ValidationFailed({'options': 'option_removed'})
    return options


def check_help(help_zh: Any, help_en: Any) -> tuple[str, str]:
    """The help line in both languages (either may be empty; an empty English one is the Chinese)."""
    zh = clean_text(help_zh if isinstance(help_zh, str) else None, max_length=HELP_LENGTH + 1) or ''
    en = clean_text(help_en if isinstance(help_en, str) else None, max_length=HELP_LENGTH + 1) or ''
    errors = {name: 'too_long' for name, text in (('help_zh', zh), ('help_en', en)) if len(text) > HELP_LENGTH}
    if errors:
        raise ValidationFailed(errors)
    return zh, en or zh


def apply_filterable(session: Any, row: CustomField, filterable: Any) -> bool:
    """Mark `row` filterable (or not) and make the database's expression indexes match, in the
    caller's transaction (store/custom_indexes.py). ValidationFailed `filterable: not_indexable` for a
    type no single index serves (a multi select, a long text). Returns whether the flag changed."""
    wanted = bool(filterable)
    if wanted and row.type not in INDEXABLE:
        raise ValidationFailed({'filterable': 'not_indexable'})
    changed = row.is_filterable != wanted
    row.is_filterable = wanted
    session.add(row)
    session.flush()  # the index follows the row, in the same transaction
    ensure_custom_indexes(session.connection())
    return changed


def apply_requirement(session: Any, row: CustomField, requirement: Any, stage_id: Any) -> None:
    """Set when `row` is required (see `Requirement`); ValidationFailed `required: invalid` for one
    its record type does not have, `required_stage_id: invalid` for a stage that is not there."""
    if requirement not in ALLOWED.get(row.entity, ()):
        raise ValidationFailed({'required': 'invalid'})
    stage = None
    if requirement == Requirement.STAGE:
        stage = session.get(Stage, stage_id) if isinstance(stage_id, int) and not isinstance(stage_id, bool) else None
        if stage is None or stage.is_archived:
            raise ValidationFailed({'required_stage_id': 'invalid'})
    row.is_required = requirement == Requirement.CAPTURE
    row.is_required_to_qualify = requirement == Requirement.QUALIFICATION
    row.required_stage_id = stage.id if stage is not None else None


class CustomFieldService:
    """The custom field definitions (`desk.custom_fields`). `actor` None: the console (`run.py field`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _allow(self, actor: UserRef | None) -> None:
        if actor is not None and not permissions.can_define_fields(actor):
            raise NotAllowed()

    def fields(self, actor: UserRef | None, entity: str = CustomEntity.LEAD) -> list[Definition]:
        """Every field of `entity`, retired ones too, in their order."""
        self._allow(actor)
        with self.ctx.read() as session:
            return [definition(row) for row in queries.custom_fields(session, entity)]

    def stages(self, actor: UserRef | None) -> list[tuple[int, str, str]]:
        """The stages an opportunity field may be required from: (id, Chinese, English), in order."""
        self._allow(actor)
        with self.ctx.read() as session:
            return [(s.id or 0, s.name_zh, s.name_en) for s in queries.stages(session)]

    @retry_conflicts
    def define_field(self, actor: UserRef | None, *, entity: str, key: str, type: str, label_zh: str,
                     label_en: str = '', options: Iterable[Mapping[str, Any]] = (),
                     required: bool = False, requirement: str | None = None, required_stage_id: int | None = None,
                     help_zh: str = '', help_en: str = '', filterable: bool = False) -> Definition:
        """A new field, last in the order. Its key (`[a-z][a-z0-9_]{0,39}`, unique per entity) and
        its type are final; a select needs its options. `requirement` (a `Requirement`; `required`:
        at capture, the older spelling) and `required_stage_id` (from that stage on); help text;
        `filterable`: an expression index serves filters and sorts on it (store/custom_indexes.py)."""
        self._allow(actor)
        errors: dict[str, str] = {}
        if entity not in CustomEntity.__members__.values():
            errors['entity'] = 'invalid'
        if not isinstance(key, str) or not KEY.fullmatch(key):
            errors['key'] = 'invalid_key'
        if type not in CustomFieldType.__members__.values():
            errors['type'] = 'invalid_type'
        if errors:
            raise ValidationFailed(errors)
        zh, en = check_labels(label_zh, label_en)
        help_texts = check_help(help_zh, help_en)
        requirement = requirement or (Requirement.CAPTURE if required else Requirement.NEVER)
        stored = check_options(options) if type in SELECTS else []
        if type not in SELECTS and list(options):
            raise ValidationFailed({'options': 'invalid_options'})
        if filterable and type not in INDEXABLE:
            raise ValidationFailed({'filterable': 'not_indexable'})
        now = self.ctx.now()
        with self.ctx.write() as session:
            if queries.custom_field(session, entity, key) is not None:
                raise ValidationFailed({'key': 'taken'})
            last = max((row.position for row in queries.custom_fields(session, entity)), default=-1)
            row = CustomField(entity=entity, key=key, label_zh=zh, label_en=en, type=type, options=stored,
                              position=last + 1, created_at=now, help_zh=help_texts[0], help_en=help_texts[1])
            apply_requirement(session, row, requirement, required_stage_id)
            session.add(row)
            audit(session, AuditAction.CUSTOM_FIELD_DEFINED, now=now, actor_id=actor.id if actor else None,
                  reason_key='reason.custom_field_defined', entity=entity, key=key, type=type, label=zh)
            session.flush()
            if filterable:
                apply_filterable(session, row, True)
            return definition(row)

    @retry_conflicts
    def relabel_field(self, actor: UserRef | None, *, entity: str, key: str, label_zh: str, label_en: str = '',
                      options: Iterable[Mapping[str, Any]] | None = None, requirement: str | None = None,
                      required_stage_id: int | None = None, help_zh: str | None = None,
                      help_en: str | None = None, filterable: bool | None = None) -> Definition:
        """New labels, and for a select its options' labels and order (options may be added, none
        removed: stored values name them); when given, when it is required and its help text. The
        key and the type stay. Values already stored are not re-checked against a new requirement:
        the next step that needs the field asks for it. `filterable` (when given) adds or drops its
        expression index in the same transaction."""
        self._allow(actor)
        zh, en = check_labels(label_zh, label_en)
        help_texts = check_help(help_zh, help_en) if help_zh is not None or help_en is not None else None
        now = self.ctx.now()
        with self.ctx.write() as session:
            row = self._row(session, entity, key)
            if options is not None:
                if row.type not in SELECTS:
                    raise ValidationFailed({'options': 'invalid_options'})
                row.options = check_options(options, keep=[o['key'] for o in row.options])
            row.label_zh, row.label_en = zh, en
            if help_texts is not None:
                row.help_zh, row.help_en = help_texts
            if requirement is not None:
                apply_requirement(session, row, requirement, required_stage_id)
            session.add(row)
            audit(session, AuditAction.CUSTOM_FIELD_CHANGED, now=now, actor_id=actor.id if actor else None,
                  reason_key='reason.custom_field_changed', entity=entity, key=key, label=zh)
            if filterable is not None:
                apply_filterable(session, row, filterable)
            return definition(row)

    def retire_field(self, actor: UserRef | None, *, entity: str, key: str) -> Definition:
        """Hidden and refused on input from now on; every value already stored is kept."""
        return self._set_retired(actor, entity, key, retired=True)

    def restore_field(self, actor: UserRef | None, *, entity: str, key: str) -> Definition:
        """A retired field back in use, with the values it had."""
        return self._set_retired(actor, entity, key, retired=False)

    @retry_conflicts
    def _set_retired(self, actor: UserRef | None, entity: str, key: str, *, retired: bool) -> Definition:
        self._allow(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            row = self._row(session, entity, key)
            if row.is_retired != retired:
                row.is_retired = retired
                session.add(row)
                session.flush()
                ensure_custom_indexes(session.connection())  # a retired field's index goes, and comes back
                action = AuditAction.CUSTOM_FIELD_RETIRED if retired else AuditAction.CUSTOM_FIELD_RESTORED
                audit(session, action, now=now, actor_id=actor.id if actor else None,
                      reason_key=f'reason.{action.value}', entity=entity, key=key, label=row.label_zh)
            return definition(row)

    @staticmethod
    def _row(session: Any, entity: str, key: str) -> CustomField:
        row = queries.custom_field(session, entity, key) if isinstance(key, str) else None
        if row is None:
            raise NotFound()
        return row
