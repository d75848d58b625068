"""Settings (`/settings`): users (admin; managers steer capacity and leave), departments (admin;
managers their own subtree) and data scopes (admin), API keys (admin,
marketing), web forms (admin, marketing, managers), the demo stream switch (managers)."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core import permissions
from core.capture.webforms import CUSTOM_PREFIX, FORM_FIELDS, offered_custom, renamed_for, shown_custom
from core.custom_fields.admin import INDEXABLE
from core.custom_fields.values import Definition, Requirement
from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from core.workload.departure import DepartureCause
from store.models import (
    ApiScope,
    CustomEntity,
    CustomFieldType,
    FormLanguage,
    Role,
    Source,
    User,
    UserRef,
    WebForm,
)

from ..components.custom_fields import field_label, list_separator, option_labels
from ..components.department_settings import DepartmentsPanel, department_options
from ..components.departure_dialog import offer_departure
from ..components.email_settings import EmailPanel
from ..components.kit import (
    code_block,
    dialog_buttons,
    edit_retire_buttons,
    empty_state,
    list_row,
    save_and_close,
    section_title,
)
from ..components.tag_settings import TagsPanel
from ..errors import attempt, clear_field_errors, message, show_field_errors
from ..format import when
from ..i18n import current_language, t, translate
from ..marks import tid
from ..session import page_session_id, require_user
from ..theme import frame
from ..webform_page import snippet


class UsersPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.is_admin = permissions.can_manage_users(user)
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed list, so a refresh does not delete them."""

    @ui.refreshable_method
    def build(self) -> None:
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(t('users.title')).classes('text-h6')
            if self.is_admin:
                tid(ui.button(t('users.new'), icon='person_add', on_click=self.new_user), 'new-user')
        lines = self.desk.departments.tree(self.user)
        self.departments = department_options(lines, only_managed=True)
        self.root_id = next((line.id for line in lines if line.is_root), None)
        with tid(ui.column().classes('w-full gap-2'), 'users'):
            for u in self.desk.team.users(self.user):
                self.row(u)

    def row(self, u: User) -> None:
        with ui.card().classes('w-full').props('flat bordered'), ui.row().classes('w-full items-center gap-3'):
            ui.label(u.name).classes('font-bold w-40 truncate')
            ui.label(u.email).classes('text-grey-8 w-56 truncate')
            if self.is_admin and u.id != self.user.id:
                ui.select({r.value: t(f'role.{r.value}') for r in Role}, value=u.role,
                          on_change=lambda e, uid=u.id: self.change(uid, role=e.value)).props('dense').classes('w-28')
            else:
                ui.label(t(f'role.{u.role}')).classes('w-28')
            department = u.department_id if u.department_id is not None else self.root_id
            if department in self.departments:  # within what this user may place people in
                tid(ui.select(self.departments, value=department, label=t('users.department'),
                              on_change=lambda e, uid=u.id: self.place(uid or 0, e.value))
                    .props('dense').classes('w-40'), f'user-dept-{u.id}')
            if u.role == Role.REP:
                ui.number(t('users.capacity'), value=u.capacity, min=0, max=10000, precision=0,
                          on_change=lambda e, uid=u.id: self.change(uid, capacity=e.value)) \
                    .props('dense debounce=600').classes('w-24').mark(f'capacity-{u.id}')
                ui.select({1: t('users.seniority_1'), 2: t('users.seniority_2'), 3: t('users.seniority_3')},
                          value=u.seniority, label=t('users.seniority'),
                          on_change=lambda e, uid=u.id: self.change(uid, seniority=e.value)) \
                    .props('dense').classes('w-28')
                ui.input(t('users.regions'), value=u.regions,
                         on_change=lambda e, uid=u.id: self.change(uid, regions=e.value)) \
                    .props('dense debounce=800 maxlength=500').classes('w-40')
                ui.switch(t('users.on_leave'), value=u.is_on_leave,
                          on_change=lambda e, uid=u.id: self.change(uid, is_on_leave=e.value)).mark(f'leave-{u.id}')
            ui.space()
            if self.is_admin and u.id != self.user.id:
                if u.is_active:
                    tid(ui.button(t('view_as.button'), icon='visibility',
                                  on_click=lambda uid=u.id, name=u.name: self.view_as(uid or 0, name))
                        .props('flat dense no-caps'), f'view-as-{u.id}')
                if u.must_change_password:
                    tid(ui.badge(t('users.must_change'), color='orange'), f'must-change-{u.id}')
                tid(ui.button(t('users.reset_password'), icon='lock_reset',
                              on_click=lambda uid=u.id, name=u.name: self.confirm_reset(uid or 0, name))
                    .props('flat dense no-caps'), f'reset-password-{u.id}')
                tid(ui.switch(t('users.active'), value=u.is_active,
                              on_change=lambda e, uid=u.id: self.change(uid, is_active=e.value)), f'active-{u.id}')

    async def change(self, user_id: int | None, **changes: object) -> None:
        try:
            await run.io_bound(self.desk.team.update_user, self.user, user_id or 0, changes)
        except DomainError as e:
            text = message(e) if not isinstance(e, ValidationFailed) else \
                '; '.join(t(f'err.field.{c}') for c in e.errors.values())
            ui.notify(text, type='negative')
            return
        ui.notify(t('common.saved'), type='positive')
        if changes.get('is_active') is False and user_id:
            await offer_departure(self.desk, self.user, user_id, DepartureCause.DEACTIVATED, self.outside)

    async def view_as(self, user_id: int, name: str) -> None:
        """Browse as this user, read-only (core/accounts/view_as.py), from their home page."""
        session_id = page_session_id() or 0  # read on the page's context, not in the worker thread
        if await attempt(lambda: self.desk.view_as.start(self.user, session_id, user_id)):
            ui.notify(t('view_as.started', user=name), type='info')
            ui.navigate.to('/')

    async def place(self, user_id: int, department_id: int) -> None:
        """Move a user to another department (their reach, and who reaches them, follow); then offer to
        hand over what they hold."""
        if await attempt(lambda: self.desk.departments.place_user(self.user, user_id, department_id)):
            ui.notify(t('common.saved'), type='positive')
            await offer_departure(self.desk, self.user, user_id, DepartureCause.MOVED, self.outside)

    def confirm_reset(self, user_id: int, name: str) -> None:
        """Ask first: the user's sessions end at once and their current password stops working."""
        with self.outside, ui.dialog() as dialog, ui.card().classes('w-96 max-w-full'):
            ui.label(t('users.reset_title', user=name)).classes('text-h6')
            ui.label(t('users.reset_explain')).classes('text-grey-8')

            async def reset() -> None:
                try:
                    temporary = await run.io_bound(self.desk.team.reset_password, self.user, user_id)
                except DomainError as e:
                    ui.notify(message(e), type='negative')
                    return
                dialog.clear()
                with dialog, ui.card().classes('w-96 max-w-full'):
                    ui.label(t('users.reset_done', user=name)).classes('text-h6')
                    ui.label(t('users.reset_shown_once')).classes('text-bold')
                    tid(code_block(temporary, label=t('users.temporary_password')).classes('w-full text-lg'),
                        'temporary-password')
                    with ui.row().classes('w-full justify-end'):  # ui.code has its own copy button
                        tid(ui.button(t('common.close'), on_click=dialog.close), 'temporary-close')
                self.build.refresh()

            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
                tid(ui.button(t('users.reset_confirm'), on_click=reset).props('color=negative'),
                    f'reset-confirm-{user_id}')
        dialog.open()

    def new_user(self) -> None:
        with ui.dialog() as dialog, ui.card().classes('w-96'):
            ui.label(t('users.new')).classes('text-h6')
            fields = {
                'name': tid(ui.input(t('field.name')).classes('w-full'), 'user-name'),
                'email': tid(ui.input(t('field.email')).classes('w-full'), 'user-email'),
                'password': tid(ui.input(t('field.password'), password=True).classes('w-full'), 'user-password'),
                'role': tid(ui.select({r.value: t(f'role.{r.value}') for r in Role}, value=Role.REP,
                                      label=t('field.role')).classes('w-full'), 'user-role'),
                'capacity': ui.number(t('users.capacity'), value=30, min=0, precision=0).classes('w-full'),
            }

            async def create() -> None:
                clear_field_errors(fields)
                try:
                    await run.io_bound(lambda: self.desk.team.create_user(
                        self.user, email=fields['email'].value or '', name=fields['name'].value or '',
                        password=fields['password'].value or '', role=fields['role'].value,
                        capacity=int(fields['capacity'].value or 0)))
                except ValidationFailed as e:
                    show_field_errors(e, fields)
                    return
                except DomainError as e:
                    ui.notify(message(e), type='negative')
                    return
                dialog.close()
                self.build.refresh()

            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
                tid(ui.button(t('common.save'), on_click=create), 'user-save')
        dialog.open()


class StagesPanel:
    """Admins edit the pipeline's stages: both names, order, probability, type, staleness, archive."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    @ui.refreshable_method
    def build(self) -> None:
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(t('stages.title')).classes('text-h6')
            tid(ui.button(t('stages.add'), icon='add', on_click=self.add).props('flat'), 'stage-add')
        ui.label(t('stages.hint')).classes('text-sm text-grey-7')
        kinds = {k: t(f'stages.kind_{k}') for k in ('open', 'won', 'lost')}
        for stage in self.desk.pipeline.all_stages(self.user):
            with tid(ui.row().classes('w-full items-end gap-2'), f'stage-{stage.id}'):
                fields = {
                    'position': ui.number(t('stages.position'), value=stage.position, min=0, precision=0)
                    .props('dense').classes('w-20'),
                    'name_zh': ui.input(t('stages.name_zh'), value=stage.name_zh).props('dense maxlength=60')
                    .classes('w-36'),
                    'name_en': ui.input(t('stages.name_en'), value=stage.name_en).props('dense maxlength=60')
                    .classes('w-40'),
                    'probability': ui.number(t('stages.probability'), value=stage.probability, min=0, max=100,
                                             precision=0).props('dense').classes('w-24'),
                    'kind': ui.select(kinds, value=stage.kind, label=t('stages.kind')).props('dense').classes('w-28'),
                    'rot_days': ui.number(t('stages.rot_days'), value=stage.rot_days, min=0, precision=0)
                    .props('dense').classes('w-44'),
                    'is_archived': ui.switch(t('stages.archived'), value=stage.is_archived),
                }
                tid(ui.button(icon='save', on_click=lambda f=fields, sid=stage.id: self.save(sid, f))
                    .props(f'flat dense aria-label="{t("common.save")}"'), f'stage-save-{stage.id}')

    async def save(self, stage_id: int | None, fields: dict) -> None:
        values = {k: v.value for k, v in fields.items()}
        if not await attempt(lambda: self.desk.pipeline.save_stage(self.user, stage_id, **values),
                             {k: v for k, v in fields.items() if k != 'is_archived'}):
            return
        ui.notify(t('common.saved'), type='positive')
        self.build.refresh()

    async def add(self) -> None:
        stages = self.desk.pipeline.all_stages(self.user)
        if await attempt(lambda: self.desk.pipeline.save_stage(
                self.user, None, name_en='New stage', name_zh='新阶段', kind='open', rot_days=14,
                position=max((s.position for s in stages if s.kind == 'open'), default=0) + 1, probability=50)):
            self.build.refresh()


class LostReasonsPanel:
    """Admins keep the list of reasons a deal is lost (both languages; switched off, never deleted)."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    @ui.refreshable_method
    def build(self) -> None:
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(t('lost_reasons.title')).classes('text-h6')
            tid(ui.button(t('lost_reasons.add'), icon='add', on_click=lambda: self.save(None, None)).props('flat'),
                'lost-reason-add')
        for reason in self.desk.pipeline.all_lost_reasons(self.user):
            with tid(ui.row().classes('items-end gap-2'), f'lost-reason-{reason.id}'):
                fields = {'label_zh': ui.input(t('stages.name_zh'), value=reason.label_zh).props('dense maxlength=100'),
                          'label_en': ui.input(t('stages.name_en'), value=reason.label_en).props('dense maxlength=100'),
                          'is_active': ui.switch(t('users.active'), value=reason.is_active)}
                ui.button(icon='save', on_click=lambda f=fields, rid=reason.id: self.save(rid, f)) \
                    .props(f'flat dense aria-label="{t("common.save")}"')

    async def save(self, reason_id: int | None, fields: dict | None) -> None:
        values = {k: v.value for k, v in fields.items()} if fields else \
            {'label_en': 'New reason', 'label_zh': '新原因', 'is_active': True}
        if not await attempt(lambda: self.desk.pipeline.save_lost_reason(self.user, reason_id, **values),
                             {k: v for k, v in (fields or {}).items() if k != 'is_active'}):
            return
        ui.notify(t('common.saved'), type='positive')
        self.build.refresh()


def parse_options(text: str | None) -> list[dict[str, str]]:
    """A select's options as typed, one a line: `key:中文:English` (a full-width colon too; the
    English label may be left out). Core checks them; a malformed line reaches it as such."""
    options = []
    for line in (text or '').splitlines():
        if line.strip():
            parts = [p.strip() for p in line.replace('：', ':').split(':', 2)] + ['', '']
            options.append({'key': parts[0], 'label_zh': parts[1], 'label_en': parts[2]})
    return options


def options_text(field: Definition) -> str:
    return '\n'.join(f'{o.key}:{o.label_zh}:{o.label_en}' for o in field.options)


class CustomFieldsPanel:
    """Admins define the own fields (自定义字段) of leads, opportunities and customers, one record
    type at a time: add one, relabel it and its options, say when it is required and what its help
    line says, retire and restore it. The key and the type are final (values are stored under the key)."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.entity: str = CustomEntity.LEAD
        """The record type shown (the switch above the list)."""
        self.stage_names: dict[int, str] = {}
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed list, so a refresh does not delete them."""

    def _set_entity(self, value: str | None) -> None:
        if value and value != self.entity:
            self.entity = value
            self.build.refresh()

    def _stages(self) -> dict[int, str]:
        """The stages an opportunity field may be required from, by id, in the reader's language."""
        zh = current_language() == 'zh-CN'
        stages = self.desk.custom_fields.stages(self.user)
        return {sid: (name_zh if zh else name_en) for sid, name_zh, name_en in stages}

    def _requirement_text(self, field: Definition) -> str:
        if field.requirement == Requirement.STAGE:
            return t('custom.required_from', stage=self.stage_names.get(field.required_stage_id or 0, '?'))
        return t(f'custom.required_{field.requirement.value}') if field.requirement != Requirement.NEVER else ''

    @ui.refreshable_method
    def build(self) -> None:
        section_title(t('custom.title'), action=t('custom.add'), on_action=self.add, mark='custom-field-add')
        tid(ui.toggle({e.value: t(f'custom.entity_{e.value}') for e in CustomEntity}, value=self.entity,
                      on_change=lambda e: self._set_entity(e.value))
            .props('no-caps dense spread').classes('max-sm:w-full'), 'custom-entity')
        ui.label(t(f'custom.hint_{self.entity}')).classes('text-sm text-grey-7')
        fields = self.desk.custom_fields.fields(self.user, self.entity)
        self.stage_names = self._stages() if self.entity == CustomEntity.OPPORTUNITY else {}
        if not fields:
            empty_state(t('custom.none'), icon='tune', mark='custom-fields-empty')
        with tid(ui.column().classes('w-full gap-0'), 'custom-fields'):
            for field in fields:
                self.row(field)

    def row(self, field: Definition) -> None:
        with list_row(f'custom-field-{field.key}'):
            with ui.column().classes('gap-0 min-w-0 flex-1'):
                ui.label(field_label(field)).classes('font-bold break-words' + (' text-grey-6' if field.is_retired
                                                                                  else ''))
                with ui.row().classes('items-center gap-2'):
                    ui.label(field.key).classes('font-mono text-sm text-grey-8')
                    ui.label(t(f'custom.type_{field.type}')).classes('text-sm text-grey-8')
                    if field.options:
                        ui.label(list_separator().join(option_labels(field).values())) \
                            .classes('text-sm text-grey-7 break-words')
            required = self._requirement_text(field)
            if required:
                tid(ui.badge(required, color='orange'), f'custom-required-{field.key}')
            if field.is_filterable:
                tid(ui.badge(t('custom.filterable_badge'), color='teal'), f'custom-filterable-{field.key}')
            if field.is_retired:
                tid(ui.badge(t('custom.retired'), color='grey'), f'custom-retired-{field.key}')
            edit_retire_buttons('custom', field.key, retired=field.is_retired, on_edit=lambda f=field: self.edit(f),
                                on_retire=lambda on, f=field: self.retire(f, on), retire_text=t('custom.retire'),
                                restore_text=t('custom.restore'))

    async def retire(self, field: Definition, retired: bool) -> None:
        action = self.desk.custom_fields.retire_field if retired else self.desk.custom_fields.restore_field
        if await attempt(lambda: action(self.user, entity=field.entity, key=field.key)):
            ui.notify(t('common.saved'), type='positive')
            self.build.refresh()

    def _dialog(self, title: str, field: Definition | None) -> None:
        """The add dialog (`field` None) or the relabel one (key and type shown, fixed)."""
        selects = (CustomFieldType.SINGLE_SELECT, CustomFieldType.MULTI_SELECT)
        with self.outside, ui.dialog() as dialog, ui.card().classes('w-[36rem] max-w-full'):
            ui.label(title).classes('text-h6')
            inputs: dict[str, Any] = {}
            if field is None:
                inputs['key'] = tid(ui.input(t('custom.key')).props('maxlength=40').classes('w-full'),
                                    'custom-key')
                ui.label(t('custom.key_hint')).classes('text-sm text-grey-7 -mt-2')
            else:
                with ui.row().classes('items-center gap-2 text-sm text-grey-8'):
                    ui.label(f'{t("custom.key")}:')
                    ui.label(field.key).classes('font-mono')
                    ui.label(f'· {t(f"custom.type_{field.type}")}')
            inputs['label_zh'] = tid(ui.input(t('custom.label_zh'), value=field.label_zh if field else '')
                                     .props('maxlength=100').classes('w-full'), 'custom-label-zh')
            inputs['label_en'] = tid(ui.input(t('custom.label_en'), value=field.label_en if field else '')
                                     .props('maxlength=100').classes('w-full'), 'custom-label-en')
            if field is None:
                inputs['type'] = tid(ui.select({k.value: t(f'custom.type_{k.value}') for k in CustomFieldType},
                                               value=CustomFieldType.TEXT.value, label=t('custom.type'))
                                     .classes('w-full'), 'custom-type')
            inputs['options'] = tid(ui.textarea(t('custom.options'), value=options_text(field) if field else '')
                                    .props('autogrow').classes('w-full'), 'custom-options')
            hint = ui.label(t('custom.options_hint')).classes('text-sm text-grey-7 -mt-2')
            if field is None:
                for element in (inputs['options'], hint):
                    element.bind_visibility_from(inputs['type'], 'value', backward=lambda v: v in selects)
            elif field.type not in selects:
                inputs['options'].set_visibility(False)
                hint.set_visibility(False)
            entity = field.entity if field else self.entity
            required = self._requirement_select(entity, field)
            if required is not None:
                inputs['required'] = required
            inputs['help_zh'] = tid(ui.input(t('custom.help_zh'), value=field.help_zh if field else '')
                                    .props('maxlength=300').classes('w-full'), 'custom-help-zh')
            inputs['help_en'] = tid(ui.input(t('custom.help_en'), value=field.help_en if field else '')
                                    .props('maxlength=300').classes('w-full'), 'custom-help-en')
            # an expression index per filterable field (store/custom_indexes.py): filters and sorts stay fast
            inputs['filterable'] = tid(ui.checkbox(t('custom.filterable'), value=bool(field and field.is_filterable)),
                                       'custom-filterable')
            filterable_hint = ui.label(t('custom.filterable_hint')).classes('text-sm text-grey-7 -mt-2')
            for element in (inputs['filterable'], filterable_hint):
                if field is None:
                    element.bind_visibility_from(inputs['type'], 'value', backward=lambda v: v in INDEXABLE)
                else:
                    element.set_visibility(field.type in INDEXABLE)

            async def save() -> None:
                values = {k: v.value for k, v in inputs.items()}
                is_select = (field.type if field else values['type']) in selects
                options = parse_options(values['options']) if is_select else []
                picked = values.get('required')  # a Requirement (leads) or a stage id, 0 for never (deals)
                requirement = (Requirement.STAGE if picked else Requirement.NEVER) if isinstance(picked, int) \
                    else picked or Requirement.NEVER
                stage_id = picked if isinstance(picked, int) and picked else None
                texts = {'help_zh': values['help_zh'] or '', 'help_en': values['help_en'] or '',
                         'requirement': requirement, 'required_stage_id': stage_id,
                         'filterable': bool(values['filterable']) and (field.type if field else values['type'])
                         in INDEXABLE}
                if field is None:
                    def act() -> object:
                        return self.desk.custom_fields.define_field(
                            self.user, entity=entity, key=(values['key'] or '').strip(),
                            type=values['type'], label_zh=values['label_zh'] or '',
                            label_en=values['label_en'] or '', options=options, **texts)
                else:
                    def act() -> object:
                        return self.desk.custom_fields.relabel_field(
                            self.user, entity=field.entity, key=field.key, label_zh=values['label_zh'] or '',
                            label_en=values['label_en'] or '', options=options if is_select else None, **texts)
                await save_and_close(dialog, act, inputs, self.build.refresh)

            dialog_buttons(dialog, save, 'custom-save')
        dialog.open()

    def _requirement_select(self, entity: str, field: Definition | None) -> Any:
        """When the field is required: leads never / at capture / at qualification; opportunities
        never or from a stage on (the select's value: the stage's id, 0 for never); customers: no select."""
        if entity == CustomEntity.LEAD:
            choices: dict[Any, str] = {r.value: t(f'custom.required_{r.value}') for r in
                                       (Requirement.NEVER, Requirement.CAPTURE, Requirement.QUALIFICATION)}
            value: Any = field.requirement.value if field else Requirement.NEVER.value
        elif entity == CustomEntity.OPPORTUNITY:
            choices = {0: t('custom.required_never')} | {
                sid: t('custom.required_from', stage=name) for sid, name in self._stages().items()}
            value = (field.required_stage_id or 0) if field else 0
        else:
            return None
        return tid(ui.select(choices, value=value, label=t('custom.required')).classes('w-full'), 'custom-required')

    def add(self) -> None:
        self._dialog(t(f'custom.add_{self.entity}'), None)

    def edit(self, field: Definition) -> None:
        self._dialog(t('custom.edit_title', label=field_label(field)), field)


class IntegrationsPanel:
    """API keys (admins, marketing)."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed part, so a refresh does not delete them."""

    @ui.refreshable_method
    def build(self) -> None:
        ui.label(t('keys.title')).classes('text-h6')
        with ui.row().classes('items-end gap-2'):
            name = tid(ui.input(t('keys.name')).props('dense maxlength=100'), 'key-name')
            scope = ui.select({ApiScope.CAPTURE.value: t('keys.scope_capture'),
                               ApiScope.READ.value: t('keys.scope_read')}, value=ApiScope.CAPTURE).props('dense')

            async def create() -> None:
                try:
                    raw = await run.io_bound(self.desk.access.create_api_key, self.user, name=name.value or '',
                                             scope=scope.value)
                except DomainError as e:
                    ui.notify(message(e) if not isinstance(e, ValidationFailed) else t('err.field.required'),
                              type='negative')
                    return
                self.build.refresh()
                with self.outside, ui.dialog() as shown, ui.card():
                    ui.label(t('keys.shown_once')).classes('text-bold')
                    tid(code_block(raw, label=t('keys.new_key')).classes('w-full'), 'new-key')
                    ui.button(t('common.close'), on_click=shown.close)
                shown.open()

            tid(ui.button(t('keys.create'), on_click=create), 'key-create')
        for key in self.desk.access.api_keys(self.user):
            with ui.row().classes('items-center gap-3'):
                ui.label(key.name).classes('font-bold')
                ui.label(f'{key.prefix}…').classes('font-mono text-grey-8')
                ui.label(t(f'keys.scope_{key.scope}'))
                ui.label(when(key.created_at)).classes('text-grey-7 text-sm')
                if key.is_revoked:
                    ui.badge(t('keys.revoked'), color='grey')
                else:
                    ui.button(t('keys.revoke'), on_click=lambda k=key.id: self.revoke(k)) \
                        .props('flat dense color=negative')

    async def revoke(self, key_id: int | None) -> None:
        await run.io_bound(self.desk.access.revoke_api_key, self.user, key_id or 0)
        self.build.refresh()


class FormsPanel:
    """The hosted web forms (managers, marketing, admins): each form's link, its two embed snippets
    (an `<iframe>`, or a `<form>` that posts from the customer's own page), and an editor for what
    it asks, in which language, and which sites may embed it."""

    def __init__(self, desk: Desk, user: UserRef, base_url: str) -> None:
        self.desk, self.user, self.base_url = desk, user, base_url
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed part, so a refresh does not delete them."""

    @ui.refreshable_method
    def build(self) -> None:
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(t('forms.title')).classes('text-h6')
            tid(ui.button(t('forms.new'), icon='add', on_click=self.new_form).props('flat'), 'form-new')
        for form in self.desk.access.web_forms(self.user):
            url = f'{self.base_url}f/{form.key}'
            with ui.column().classes('gap-1 w-full'):
                with ui.row().classes('items-center gap-3'):
                    ui.label(form.name).classes('font-bold')
                    ui.link(url, url, new_tab=True).mark(f'form-link-{form.key}')
                    ui.label(t(f"forms.language_{form.language.replace('-', '_')}")).classes('text-grey-7')
                    if not form.is_active:
                        ui.badge(t('forms.inactive'), color='grey')
                    tid(ui.button(t('forms.edit'), icon='edit', on_click=lambda f=form: self.edit(f))
                        .props('flat dense'), f'form-edit-{form.key}')
                ui.label(t('forms.embed')).classes('text-sm text-grey-7')
                tid(code_block(f'<iframe src="{url}" width="100%" height="760" style="border:0" '
                               f'title="{escape(form.name)}"></iframe>', language='html',
                               label=t('forms.frame_code', name=form.name)).classes('w-full'),
                    f'form-iframe-{form.key}')
                ui.label(t('forms.embed_form')).classes('text-sm text-grey-7')
                custom = shown_custom(form.fields, self.desk.access.form_custom_fields(form))
                tid(code_block(snippet(form, url, custom), language='html', label=t('forms.form_code', name=form.name))
                    .classes('w-full'), f'form-snippet-{form.key}')
            ui.separator()

    async def new_form(self) -> None:
        if await attempt(lambda: self.desk.access.create_web_form(self.user)):
            self.build.refresh()

    def edit(self, form: WebForm) -> None:
        # the active custom lead fields, as `custom.<key>`: chosen and ordered like the built-in ones
        # (read now, not the capture's recent copy: a field defined a moment ago is offered at once)
        offered = {CUSTOM_PREFIX + d.key: d for d in offered_custom(self.desk.leads.custom_fields())}
        names = [*FORM_FIELDS, *offered]
        order = [f for f in form.fields if f in names] + [f for f in names if f not in form.fields]
        chosen = set(form.fields) & set(names)

        def caption(field: str) -> str:
            return field_label(offered[field]) if field in offered else t(f'field.{field}')

        def move(index: int, step: int) -> None:
            other = index + step
            if 0 <= other < len(order):
                order[index], order[other] = order[other], order[index]
                field_list.refresh()

        def pick(field: str, on: bool) -> None:
            (chosen.add if on else chosen.discard)(field)

        @ui.refreshable
        def field_list() -> None:
            for i, field in enumerate(order):
                with ui.row().classes('items-center gap-1 no-wrap'):
                    tid(ui.checkbox(caption(field), value=field in chosen,
                                    on_change=lambda e, f=field: pick(f, e.value)).classes('w-40'),
                        f'form-field-{field}')
                    tid(ui.button(icon='arrow_upward', on_click=lambda i=i: move(i, -1))
                        .props(f'flat dense round size=sm aria-label="{t("forms.move_up")}"'), f'form-up-{field}')
                    ui.button(icon='arrow_downward', on_click=lambda i=i: move(i, 1)) \
                        .props(f'flat dense round size=sm aria-label="{t("forms.move_down")}"')

        with self.outside, ui.dialog() as dialog, ui.card().classes('w-[40rem] max-w-full'):
            ui.label(t('forms.edit_title', name=form.name)).classes('text-h6')
            def hint(key: str) -> None:
                ui.label(t(key)).classes('text-sm text-grey-7 -mt-2')

            inputs = {
                'name': tid(ui.input(t('field.name'), value=form.name).props('maxlength=100').classes('w-full'),
                            'form-set-name'),
                'language': tid(ui.select({lang.value: t(f"forms.language_{lang.value.replace('-', '_')}")
                                           for lang in FormLanguage}, value=form.language,
                                          label=t('field.language'), on_change=lambda e: follow(e.value))
                                .classes('w-full'), 'form-set-language'),
                'source': ui.select({s.value: t(f'source.{s.value}') for s in Source}, value=form.source,
                                    label=t('field.source')).classes('w-full'),
                'consent_text': tid(ui.textarea(t('forms.consent_text'), value=form.consent_text or '')
                                    .props('maxlength=2000 autogrow').classes('w-full'), 'form-set-consent'),
            }
            hint('forms.consent_hint')
            shown = {'language': form.language}

            def follow(language: str) -> None:
                """The name LeadDesk gave (the page's title) and the thank-you hint follow the language."""
                inputs['name'].set_value(renamed_for(inputs['name'].value, shown['language'], language))
                inputs['thanks_text'].props['placeholder'] = translate(language, 'form.thanks', {})
                inputs['thanks_text'].update()
                shown['language'] = language
            inputs['thanks_text'] = tid(ui.textarea(t('forms.thanks_text'), value=form.thanks_text or '',
                                                    placeholder=translate(form.language, 'form.thanks', {}))
                                        .props('maxlength=1000 autogrow').classes('w-full'), 'form-set-thanks')
            inputs['redirect_url'] = tid(ui.input(t('forms.redirect_url'), value=form.redirect_url or '')
                                         .props('maxlength=500').classes('w-full'), 'form-set-redirect')
            hint('forms.redirect_hint')
            inputs['allowed_origins'] = tid(ui.textarea(t('forms.origins'), value='\n'.join(form.allowed_origins))
                                            .props('autogrow').classes('w-full'), 'form-set-origins')
            hint('forms.origins_hint')
            ui.label(t('forms.fields')).classes('font-bold mt-2')
            ui.label(t('forms.fields_hint')).classes('text-sm text-grey-7')
            field_list()
            active = tid(ui.switch(t('forms.active'), value=form.is_active), 'form-set-active')

            async def save() -> None:
                values = {k: v.value for k, v in inputs.items()}
                values['allowed_origins'] = (values['allowed_origins'] or '').splitlines()
                values['fields'] = [f for f in order if f in chosen]
                values['is_active'] = active.value
                if await attempt(lambda: self.desk.access.update_web_form(self.user, form.id or 0, values),
                                 {k: v for k, v in inputs.items() if k not in ('language', 'source')}):
                    dialog.close()
                    ui.notify(t('common.saved'), type='positive')
                    self.build.refresh()

            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
                tid(ui.button(t('common.save'), on_click=save), 'form-save')
        dialog.open()


def register(desk: Desk, *, demo: bool) -> None:
    @ui.page('/settings')
    def settings_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('nav.settings'), user):
            if not (permissions.can_assign(user) or permissions.can_manage_integrations(user)):
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                return None
            if permissions.can_assign(user):
                if demo:
                    tid(ui.switch(t('settings.demo_stream'), value=desk.demo_stream_on(),
                                  on_change=lambda e: desk.set_demo_stream(user, e.value)), 'demo-stream')
                with ui.card().classes('w-full'):
                    UsersPanel(desk, user).build()
                with tid(ui.card().classes('w-full'), 'departments-card'):
                    DepartmentsPanel(desk, user, can_scope=permissions.can_manage_users(user)).build()
            if permissions.can_manage_users(user):
                with ui.card().classes('w-full'):
                    StagesPanel(desk, user).build()
                with ui.card().classes('w-full'):
                    LostReasonsPanel(desk, user).build()
            if permissions.can_define_fields(user):
                with tid(ui.card().classes('w-full'), 'custom-fields-card'):
                    CustomFieldsPanel(desk, user).build()
            if permissions.can_define_tags(user):
                with tid(ui.card().classes('w-full'), 'tags-card'):
                    TagsPanel(desk, user).build()
            if permissions.can_manage_integrations(user):
                with ui.card().classes('w-full'):
                    IntegrationsPanel(desk, user).build()
            if permissions.can_manage_webhooks(user):  # (talks to an outside server: admins)
                with tid(ui.card().classes('w-full'), 'email-card'):
                    EmailPanel(desk, user).build()
            if permissions.can_manage_web_forms(user):
                with ui.card().classes('w-full'):
                    public = desk.ctx.settings.public_url.rstrip('/')  # the snippets name the public address
                    FormsPanel(desk, user, f'{public}/' if public else str(request.base_url)).build()
        return None
