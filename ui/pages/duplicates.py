"""Possible duplicates (`/duplicates`, managers and admins): suggested groups with why they
matched, a merge dialog that shows the survivor and asks only about conflicting fields, and
the recent merges with Undo (24 hours)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core import permissions
from core.desk import Desk
from core.leads.merge import MergePlan, SuggestedGroup
from store.models import UserRef

from ..errors import attempt
from ..format import phone, when
from ..i18n import t
from ..marks import tid
from ..session import require_user
from ..theme import frame


class DuplicatesPage:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    def build(self) -> None:
        ui.label(t('dup.title')).classes('text-h5')
        ui.label(t('dup.hint')).classes('text-grey-8')
        self.groups_box = tid(ui.column().classes('w-full gap-3'), 'dup-groups')
        ui.label(t('dup.recent')).classes('text-h6')
        self.recent_box = tid(ui.column().classes('w-full gap-1'), 'dup-recent')
        ui.timer(0, self.refresh, once=True)

    async def refresh(self) -> None:
        groups, ignored = await run.io_bound(self.desk.merges.suggestions, self.user)
        merges = await run.io_bound(self.desk.merges.recent, self.user)
        self.groups_box.clear()
        with self.groups_box:
            if not groups:
                tid(ui.label(t('dup.none')).classes('text-grey-7'), 'dup-none')
            for i, group in enumerate(groups):
                self._group(i, group)
            for probe in ignored:
                tid(ui.label(t('dup.ignored', probe=probe.probe, count=probe.matches)).classes('text-sm text-grey-7'),
                    'dup-ignored')
        self.recent_box.clear()
        with self.recent_box:
            for m in merges:
                with ui.row().classes('items-center gap-3'):
                    merged = ', '.join(f'#{i} {name}' for i, name in m.merged)
                    ui.link(t('dup.merged_line', merged=merged, survivor=f'#{m.survivor_id} {m.survivor_name}'),
                            f'/leads/{m.survivor_id}')
                    ui.label(when(m.created_at)).classes('text-sm text-grey-7')
                    if m.can_undo:
                        tid(ui.button(t('dup.undo'), on_click=lambda mid=m.id: self.undo(mid)).props('flat dense'),
                            f'dup-undo-{m.id}')
                    elif m.undone_at:
                        ui.badge(t('dup.undone')).props('color=grey')

    def _group(self, i: int, group: SuggestedGroup) -> None:
        checks: dict[int, ui.checkbox] = {}
        with tid(ui.card().classes('w-full p-3'), f'dup-group-{i}'):
            reasons = '; '.join(t(f'dup.reason.{r.kind}', detail=r.detail, score=r.score) for r in group.reasons)
            ui.label(reasons).classes('text-sm text-grey-8')
            for lead in group.leads:
                with ui.row().classes('items-center gap-3'):
                    checks[lead.id] = tid(ui.checkbox(value=len(checks) < 5), f'dup-check-{lead.id}')
                    ui.link(f'#{lead.id} {lead.name}', f'/leads/{lead.id}')
                    ui.label(' · '.join(filter(None, [t(f'status.{lead.status}'), lead.company, phone(lead.phone).text,
                                                      lead.email]))).classes('text-sm')
            tid(ui.button(t('dup.merge'), on_click=lambda: self.open_merge([k for k, c in checks.items() if c.value]))
                .props('outline dense'), f'dup-merge-{i}')

    async def open_merge(self, ids: list[int]) -> None:
        if not 2 <= len(ids) <= 5:
            ui.notify(t('dup.select_hint'), type='warning')
            return
        plan: MergePlan = await run.io_bound(self.desk.merges.plan, self.user, ids)
        survivor = next(x for x in plan.leads if x.id == plan.survivor_id)
        choices: dict[str, ui.radio] = {}
        with ui.dialog() as dialog, tid(ui.card().classes('min-w-96'), 'dup-dialog'):
            ui.label(t('dup.merge_title', name=f'#{survivor.id} {survivor.name}')).classes('text-h6')
            ui.label(t('dup.survivor_hint')).classes('text-sm text-grey-8')
            for f in plan.conflicts:
                ui.label(t(f'import.field.{f.field}')).classes('text-weight-medium')
                choices[f.field] = tid(ui.radio({lead_id: value for lead_id, value in f.values}, value=f.chosen),
                                       f'dup-choice-{f.field}')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')

                async def confirm() -> None:
                    picked = {name: radio.value for name, radio in choices.items()}
                    if await attempt(lambda: self.desk.merges.merge(self.user, ids, picked)):
                        dialog.close()
                        ui.notify(t('dup.merged'), type='positive')
                        await self.refresh()

                tid(ui.button(t('dup.confirm'), on_click=confirm), 'dup-confirm')
        dialog.open()

    async def undo(self, merge_id: int) -> None:
        if await attempt(lambda: self.desk.merges.undo(self.user, merge_id)):
            ui.notify(t('dup.undone'), type='positive')
            await self.refresh()


def register(desk: Desk) -> None:
    @ui.page('/duplicates')
    def duplicates_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('nav.duplicates'), user):
            if not permissions.can_merge(user):
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                return None
            DuplicatesPage(desk, user).build()
        return None
