"""The pools editor on the automation page (issue 22): every pool with its departments and own
numbers; admins add, change and delete one (only when nothing waits in it: core refuses otherwise
and says how many wait). A number left empty follows the policy above, shown as its hint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from core.automation.policy import Policy
from core.automation.pool_admin import NUMBERS, PoolCard
from core.automation.pools import PoolInfo
from core.desk import Desk
from store.models import Role, UserRef

from ..components.department_settings import department_options
from ..components.kit import dialog_buttons, list_row, save_and_close, section_title
from ..errors import attempt
from ..i18n import t
from ..marks import tid

UNITS = {'protection_days': 'unit.days', 'warn_hours': 'unit.hours', 'cooldown_days': 'unit.days',
         'claim_limit': 'unit.leads', 'hold_limit': 'unit.leads'}


def pool_label(pool: PoolInfo) -> str:
    """The default pool's stored name is shown in the reader's language; a name an admin typed as typed."""
    return t('pools.default_name') if pool.shows_default_name else pool.name


def pool_facts(pool: PoolInfo, policy: Policy) -> str:
    """One line of what the pool applies (its own numbers, else the policy's)."""
    p = pool.policy(policy)
    parts = [t('pools.fact_claims', n=p.claim_limit), t('pools.fact_protection', n=f'{p.protection_days:g}'),
             t('pools.fact_cooldown', n=f'{p.cooldown_days:g}')]
    if pool.hold_limit is not None:
        parts.append(t('pools.fact_hold', n=pool.hold_limit))
    if not pool.masked:
        parts.append(t('pools.fact_unmasked'))
    return ' · '.join(parts)


class PoolsEditor:
    def __init__(self, desk: Desk, user: UserRef, on_saved: Callable[[], Awaitable[None]] | None = None) -> None:
        self.desk, self.user, self.on_saved = desk, user, on_saved
        self.admin = user.role == Role.ADMIN
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed list."""

    def build(self) -> None:
        with tid(ui.card().classes('w-full'), 'pools-editor'):
            self.body()

    @ui.refreshable_method
    def body(self) -> None:
        cards = self.desk.pools.cards(self.user)
        policy = self.desk.policy()
        departments = department_options(self.desk.departments.tree(None), indent=False)
        if self.admin:
            section_title(t('pools.title'), action=t('pools.add'), on_action=lambda: self._dialog(None, departments),
                          mark='pools-add')
        else:
            ui.label(t('pools.title')).classes('text-h6')
        ui.label(t('pools.hint')).classes('text-sm text-grey-8')
        with tid(ui.column().classes('w-full gap-0'), 'pools-list'):
            for card in cards:
                self._row(card, policy, departments)

    def _row(self, card: PoolCard, policy: Policy, departments: dict[int, str]) -> None:
        pool = card.pool
        with list_row(f'pools-row-{pool.id}'):
            with ui.column().classes('gap-0 min-w-0 flex-1'):
                with ui.row().classes('items-center gap-2'):
                    tid(ui.label(pool_label(pool)).classes('font-medium break-words'), f'pools-name-{pool.id}')
                    if pool.is_default:
                        ui.badge(t('pools.default_badge')).props('outline')
                    ui.label(t('pools.waiting', n=card.waiting)).classes('text-sm text-grey-7')
                who = ', '.join(departments.get(d, '?') for d in pool.department_ids) or t('pools.everyone')
                ui.label(t('pools.who', who=who)).classes('text-sm text-grey-8 break-words')
                tid(ui.label(pool_facts(pool, policy)).classes('text-sm text-grey-8 break-words'),
                    f'pools-facts-{pool.id}')
            if self.admin:
                tid(ui.button(icon='edit', on_click=lambda p=pool: self._dialog(p, departments))
                    .props(f'flat dense round aria-label="{t("common.edit")}"'), f'pools-edit-{pool.id}')
                if not pool.is_default:
                    tid(ui.button(icon='delete', on_click=lambda p=pool: self.remove(p))
                        .props(f'flat dense round aria-label="{t("pools.delete")}"'), f'pools-delete-{pool.id}')

    async def remove(self, pool: PoolInfo) -> None:
        if await attempt(lambda: self.desk.pools.delete(self.user, pool.id)):
            ui.notify(t('pools.deleted'), type='positive')
            await self._saved()

    async def _saved(self) -> None:
        self.body.refresh()
        if self.on_saved is not None:
            await self.on_saved()

    def _dialog(self, pool: PoolInfo | None, departments: dict[int, str]) -> None:
        """Add a pool (`pool` None) or change one: name, departments, its own numbers, masking."""
        policy = self.desk.policy()
        self.outside.clear()
        with self.outside, ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full'):
            ui.label(t('pools.add') if pool is None else t('pools.edit_title', name=pool_label(pool))) \
                .classes('text-h6')
            shown = pool_label(pool) if pool else ''
            inputs: dict[str, Any] = {
                'name': tid(ui.input(t('pools.name'), value=shown).props('maxlength=100').classes('w-full'),
                            'pools-name'),
                'department_ids': tid(ui.select(departments, multiple=True, label=t('pools.departments'),
                                                value=list(pool.department_ids) if pool else [])
                                      .props('use-chips clearable').classes('w-full'), 'pools-departments')}
            ui.label(t('pools.departments_hint')).classes('text-xs text-grey-7')
            defaults = policy.to_dict()
            with ui.row().classes('w-full gap-3'):
                for key in NUMBERS:
                    value = getattr(pool, key) if pool else None
                    hint = (t('pools.follows_policy', n=f'{defaults[key]:g}') if key in defaults
                            else t('pools.no_limit'))
                    inputs[key] = tid(ui.number(t(f'pools.{key}'), value=value, suffix=t(UNITS[key]))
                                      .props(f'dense outlined clearable hint="{hint}"').classes('w-44'),
                                      f'pools-{key}')
            inputs['masked'] = tid(ui.switch(t('pools.masked'), value=pool.masked if pool else True), 'pools-masked')

            async def save() -> None:
                name = inputs['name'].value or ''
                if pool is not None and pool.shows_default_name and name == shown:
                    name = pool.name  # the default keeps its translated stored name
                values = {key: inputs[key].value for key in NUMBERS} | {
                    'name': name, 'department_ids': list(inputs['department_ids'].value or []),
                    'masked': bool(inputs['masked'].value)}
                fields = {k: v for k, v in inputs.items() if k != 'masked'}
                if await save_and_close(dialog, lambda: self.desk.pools.save(self.user, pool.id if pool else None,
                                                                              values), fields, self.body.refresh):
                    if self.on_saved is not None:
                        await self.on_saved()

            dialog_buttons(dialog, save, 'pools-save')
        dialog.open()
