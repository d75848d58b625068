"""The playbook card on the lead and opportunity pages: the current step's checklist (tick to
mark done, required and due/overdue marks, progress) and its talk tracks; and the gate a page
runs a status change or stage move through (open items: confirm first; required: refused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from nicegui import run, ui

from core.desk import Desk
from core.errors import DomainError
from core.playbooks.checklist import ChecklistBlocked, ChecklistOpen
from core.playbooks.working import PlaybookView, StepInfo
from store.models import UserRef

from ..errors import message
from ..format import label, when
from ..i18n import current_language, t
from ..live import ReadOrder
from ..marks import tid

T = TypeVar('T')


def local(en: str, zh: str) -> str:
    """The text users wrote in both languages, in the reader's."""
    return (zh or en) if current_language() == 'zh-CN' else (en or zh)


def step_label(step: StepInfo) -> str:
    if step.stage_id is not None:
        return t('playbook.step_stage', stage_en=step.name_en, stage_zh=step.name_zh)
    return t('playbook.step_lead', status=label('status', step.lead_status))


def _shown(view: PlaybookView) -> tuple[object, ...]:
    """What the card draws from a view, comparable (table rows compare by identity)."""
    return (view.step, view.can_tick,
            [(s.item.model_dump(), s.done, s.due_at, s.overdue) for s in view.items],
            [t.model_dump() for t in view.tracks])


class PlaybookPanel:
    """One page's playbook card for a lead (`lead_id`) or a deal (`opportunity_id`)."""

    def __init__(self, desk: Desk, user: UserRef, view: PlaybookView, *, lead_id: int | None = None,
                 opportunity_id: int | None = None) -> None:
        self.desk, self.user, self.view = desk, user, view
        self.lead_id, self.opportunity_id = lead_id, opportunity_id
        self._reads = ReadOrder()

    def _read(self) -> PlaybookView:
        if self.opportunity_id is not None:
            return self.desk.playbooks.for_opportunity(self.user, self.opportunity_id)
        return self.desk.playbooks.for_lead(self.user, self.lead_id or 0)

    async def reload(self) -> None:
        """Re-read and re-draw only when something shown changed, and never draw an older read over a
        newer one: one save publishes several events, and a card re-drawn under the user's pointer
        swallows the click on the checkbox being replaced."""
        read = self._reads.start()
        try:
            view = await run.io_bound(self._read)
        except DomainError:  # no longer visible: the page itself says so
            return
        if view is None or not self._reads.may_show(read):  # the app is stopping, or a newer read is shown
            return
        if _shown(view) == _shown(self.view):
            return
        self.view = view
        self.render.refresh()

    def open_choices(self) -> dict[int, str]:
        """The open items, for the log-activity form (empty when this user may not tick)."""
        if not self.view.can_tick:
            return {}
        return {i.id or 0: local(i.text_en, i.text_zh) for i in self.view.open_items}

    @ui.refreshable_method
    def render(self) -> None:
        view = self.view
        with tid(ui.card().classes('w-full'), 'playbook-panel'):
            if view.step is None:
                ui.label(t('playbook.no_step')).classes('text-grey-7')
                return
            ui.label(t('playbook.title', step=step_label(view.step))).classes('text-subtitle1 font-bold')
            if view.items:
                total = len(view.items)
                tid(ui.label(t('playbook.progress', done=view.done, total=total)).classes('text-sm text-grey-8'),
                    'playbook-progress')
                ui.linear_progress(value=view.done / total, show_value=False, size='6px') \
                    .props(f'rounded aria-label="{t("playbook.progress", done=view.done, total=total)}"')
            with tid(ui.column().classes('w-full gap-1'), 'playbook-checklist'):
                if not view.items:
                    ui.label(t('playbook.none')).classes('text-grey-7')
                for state in view.items:
                    item_id = state.item.id or 0
                    with ui.row().classes('w-full items-center no-wrap gap-1'):
                        box = tid(ui.checkbox(local(state.item.text_en, state.item.text_zh), value=state.done,
                                              on_change=lambda e, i=item_id: self._toggle(i, bool(e.value)))
                                  .classes('flex-1 break-words'), f'playbook-item-{item_id}')
                        if not view.can_tick:
                            box.disable()
                        if state.item.is_required:
                            tid(ui.badge(t('playbook.required'), color='negative').props('outline'),
                                f'playbook-required-{item_id}')
                    if state.due_at is not None and not state.done:
                        text = t('playbook.overdue' if state.overdue else 'playbook.due', at=when(state.due_at))
                        tid(ui.label(text).classes('text-xs pl-9 ' + ('text-negative' if state.overdue
                                                                        else 'text-grey-7')),
                            f'playbook-due-{item_id}')
            if view.tracks:
                with tid(ui.expansion(t('playbook.talk_tracks'), icon='record_voice_over', value=True)
                         .classes('w-full').props('dense'), 'playbook-tracks'):
                    for track in view.tracks:
                        with ui.column().classes('w-full gap-0 border-l-4 border-indigo-200 pl-2 mb-1'):
                            with ui.row().classes('items-center gap-1'):
                                ui.badge(t(f'playbook.kind.{track.kind}'), color='indigo').props('outline')
                                if track.grade:
                                    ui.badge(t('playbook.grade_only', grade=track.grade), color='grey').props('outline')
                            tid(ui.label(local(track.text_en, track.text_zh)).classes('text-sm whitespace-pre-wrap '
                                                                                      'break-words'),
                                f'playbook-track-{track.id}')

    async def _toggle(self, item_id: int, done: bool) -> None:
        try:
            await run.io_bound(lambda: self.desk.playbooks.tick(self.user, item_id, done=done, lead_id=self.lead_id,
                                                                opportunity_id=self.opportunity_id))
        except DomainError as e:
            ui.notify(message(e), type='negative')
        await self.reload()


# ----- the gate ----------------------------------------------------------------------------------

def _items_text(error: ChecklistOpen | ChecklistBlocked) -> list[str]:
    return [local(en, zh) for _id, en, zh in error.items]


def blocked_text(error: ChecklistBlocked) -> str:
    return t('playbook.blocked', items='; '.join(_items_text(error)))


async def confirm_open(error: ChecklistOpen) -> bool:
    """Ask whether to move on with items open; True to go ahead."""
    with ui.dialog() as dialog, tid(ui.card().classes('w-[28rem] max-w-full'), 'playbook-open-dialog'):
        ui.label(t('playbook.open_title')).classes('text-h6')
        ui.label(t('playbook.open_text', count=len(error.items)))
        with ui.column().classes('gap-0 pl-2'):
            for text in _items_text(error):
                ui.label(f'• {text}').classes('text-sm break-words')
        with ui.row().classes('w-full justify-end gap-2'):
            tid(ui.button(t('common.cancel'), on_click=lambda: dialog.submit(False)).props('flat'),
                'playbook-open-cancel')
            tid(ui.button(t('playbook.open_proceed'), on_click=lambda: dialog.submit(True)).props('color=warning'),
                'playbook-open-proceed')
    try:
        return bool(await dialog)
    finally:
        dialog.delete()


async def gated(call: Callable[[bool], T]) -> tuple[bool, T | None]:
    """Run `call(warn_open)` in a worker thread: first asking to be warned about open items; when
    there are some, the user confirms and it runs again without the warning. Required items
    refuse with a message. (False, None) when it did not happen; other errors propagate."""
    for warn in (True, False):
        try:
            return True, await run.io_bound(call, warn)
        except ChecklistBlocked as e:
            ui.notify(blocked_text(e), type='negative', multi_line=True)
            return False, None
        except ChecklistOpen as e:
            if not await confirm_open(e):
                return False, None
    return False, None
