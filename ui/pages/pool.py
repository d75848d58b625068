"""The public pool (`/pool`, 公海) and, for managers, the review queue (待复盘)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core import permissions
from core.automation.pool import PoolRow
from core.desk import Desk
from core.errors import DomainError
from store.models import Role, UserRef

from .. import live
from ..errors import message
from ..format import label, when
from ..i18n import t
from ..marks import tid
from ..session import require_user
from ..theme import frame


def _columns(review: bool) -> list[dict]:
    cols = [
        {'name': 'grade', 'label': t('field.grade'), 'field': 'grade', 'align': 'center'},
        {'name': 'name', 'label': t('field.name'), 'field': 'name', 'align': 'left'},
        {'name': 'company', 'label': t('field.company'), 'field': 'company', 'align': 'left'},
        {'name': 'phone', 'label': t('field.phone'), 'field': 'phone', 'align': 'left'},
        {'name': 'source', 'label': t('field.source'), 'field': 'source', 'align': 'left'},
        {'name': 'previous', 'label': t('pool.previous_owner'), 'field': 'previous', 'align': 'left'},
        {'name': 'recycles', 'label': t('pool.recycles'), 'field': 'recycles', 'align': 'right'},
        {'name': 'created', 'label': t('field.created_at'), 'field': 'created', 'align': 'left'},
        {'name': 'action', 'label': '', 'field': 'action', 'align': 'right'},
    ]
    return cols


def _row(r: PoolRow, action: str) -> dict:
    return {'id': r.id, 'grade': r.grade, 'name': r.name, 'company': r.company or '', 'phone': r.phone_masked,
            'source': label('source', r.source), 'previous': r.previous_owner_name or '',
            'recycles': r.recycle_count, 'created': when(r.created_at), 'action': action}


def claim_message(error: DomainError) -> str:
    params = dict(error.params)
    if 'until' in params:
        params['until'] = when(datetime.fromisoformat(str(params['until'])))
    return t(f'err.{error.code}', **params)


class PoolTable:
    """One list (pool or review) with its actions, refreshed live."""

    def __init__(self, desk: Desk, user: UserRef, *, review: bool) -> None:
        self.desk, self.user, self.review = desk, user, review
        self.manager = permissions.can_assign(user)
        self.action = t('pool.send_back') if review else (t('pool.claim') if user.role == Role.REP else '')
        name = 'review' if review else 'pool'
        if self.manager:
            with ui.row().classes('w-full items-end gap-2'):
                reps = {r.id: r.name for r in desk.team.reps()}
                self.rep = tid(ui.select(reps, label=t('lead.assign_to')).props('dense').classes('w-48'),
                               f'{name}-assign-rep')
                tid(ui.button(t('pool.assign_selected'), on_click=self.assign_selected).props('flat'),
                    f'{name}-assign')
        self.table = tid(ui.table(rows=[], columns=_columns(review), row_key='id',
                                  selection='multiple' if self.manager else None)
                         .classes('w-full').props('flat bordered'), f'{name}-table')
        self.table.props['no-data-label'] = t('pool.empty')
        self.table.add_slot('body-cell-name', '''
            <q-td :props="props"><a v-if="props.row.link" :href="'/leads/' + props.row.id" class="text-primary">
              {{ props.value }}</a><span v-else>{{ props.value }}</span></q-td>''')
        self.table.add_slot('body-cell-action', '''
            <q-td :props="props"><q-btn v-if="props.value" dense flat no-caps color="primary" :label="props.value"
              @click.stop="() => $parent.$emit('act', props.row)" /></q-td>''')
        self.table.on('act', lambda e: self.act(int(e.args['id'])))
        self.total = tid(ui.label(''), f'{name}-total')
        for event in (desk.events.lead_assigned, desk.events.lead_changed, desk.events.lead_captured):
            live.subscribe(event, self._on_event, expect_args=False)
        ui.timer(0, self.refresh, once=True)

    async def refresh(self) -> None:
        rows, total = await run.io_bound(self.desk.pool.pool, self.user, review=self.review)
        self.table.update_rows([_row(r, self.action) | {'link': self.manager} for r in rows])
        self.total.set_text(t('pool.total', total=total))

    async def _on_event(self) -> None:
        await self.refresh()

    async def act(self, lead_id: int) -> None:
        try:
            if self.review:
                await run.io_bound(self.desk.pool.send_back, self.user, lead_id)
                ui.notify(t('pool.sent_back'), type='positive')
            else:
                await run.io_bound(self.desk.pool.claim_lead, self.user, lead_id)
                ui.notify(t('pool.claimed'), type='positive')
        except DomainError as e:
            ui.notify(claim_message(e) if e.code.startswith('claim.') else message(e), type='negative',
                      multi_line=True)
        await self.refresh()

    async def assign_selected(self) -> None:
        ids = [row['id'] for row in self.table.selected]
        if not ids or not self.rep.value:
            ui.notify(t('pool.select_first'), type='warning')
            return
        try:
            moved = await run.io_bound(lambda: self.desk.pool.assign_from_pool(self.user, ids, rep_id=self.rep.value))
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        self.table.selected.clear()
        ui.notify(t('pool.assigned', count=moved), type='positive')
        await self.refresh()


def register(desk: Desk) -> None:
    @ui.page('/pool')
    def pool_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('nav.pool'), user):
            ui.label(t('pool.title')).classes('text-h5')
            ui.label(t('pool.intro')).classes('text-grey-7')
            if permissions.can_assign(user):
                with ui.tabs().classes('w-full') as tabs:
                    pool_tab = ui.tab(t('pool.tab_pool'))
                    review_tab = tid(ui.tab(t('pool.tab_review')), 'review-tab')
                with ui.tab_panels(tabs, value=pool_tab).classes('w-full'):
                    with ui.tab_panel(pool_tab):
                        PoolTable(desk, user, review=False)
                    with ui.tab_panel(review_tab):
                        PoolTable(desk, user, review=True)
            else:
                PoolTable(desk, user, review=False)
        return None
