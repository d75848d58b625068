"""Saved views on the inbox: what a view holds (the filter controls' values and the columns shown),
reading a stored one back into the page, and applying one picked from the list. Part of
ui/pages/inbox.py's `Inbox` (mixed in); the control itself is ui/components/saved_views.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import ui

from core.accounts.saved_views import View
from core.custom_fields.sorting import INBOX
from core.custom_fields.values import Definition
from store.models import CustomFieldType

from ..i18n import t
from .custom_fields import set_choice
from .list_sort import default_value

if TYPE_CHECKING:
    from core.tags.catalog import TagSet

    from ..components.care_panel import MyDayRevisits

DEFAULT_SORT = default_value(INBOX)
FLAGS = ('unassigned', 'include_pool')
CHOICES = ('status', 'grade', 'source')


class InboxViews:
    """Part of the inbox page: see the module docstring."""

    filters: dict[str, object]
    custom: tuple[Definition, ...]
    tags: TagSet
    chosen: list[str]
    all_columns: list[dict]
    manager_view: bool
    controls: dict[str, Any]
    """The filter controls by filter key (set by `build`); `custom.<key>` for a custom field's."""
    applying: bool
    page: int
    table: ui.table
    cards: ui.table
    revisits: MyDayRevisits
    column_ticks: dict[str, ui.checkbox]
    sorts: dict[str, str]
    """The sort control's choices (ui/components/list_sort.py)."""

    if TYPE_CHECKING:
        async def refresh(self) -> None: ...
        def _mark_filters(self) -> None: ...
        def _shown_columns(self) -> list[dict]: ...

    def current_view(self) -> tuple[dict[str, Any], tuple[str, ...]]:
        return dict(self.filters), tuple(self.chosen)

    def _fitted(self, saved: dict[str, Any]) -> tuple[dict[str, object], bool]:
        """A view's filter as this page can hold it now, and whether all of it fitted (a field,
        option or tag gone since the view was saved is left out)."""
        fitted = True
        out: dict[str, object] = {'search': str(saved.get('search') or '')[:100], 'agenda': None,
                                  'custom': {}, 'tags': []}
        for key in CHOICES:
            out[key] = saved.get(key) if isinstance(saved.get(key), str) else None
        for key in FLAGS:
            out[key] = bool(saved.get(key)) and self.manager_view
        if saved.get('agenda') in ('my_day', 'due_today', 'overdue'):
            out['agenda'] = saved['agenda']
        sort = saved.get('sort') or DEFAULT_SORT  # a view saved before sorts existed: the default order
        out['sort'] = sort if sort in self.sorts else DEFAULT_SORT
        fitted &= sort in self.sorts  # a sort field retired or no longer filterable
        filters = {d.key: d for d in self.custom if d.type in (CustomFieldType.SINGLE_SELECT,
                                                                 CustomFieldType.MULTI_SELECT, CustomFieldType.YES_NO)}
        custom = saved.get('custom') if isinstance(saved.get('custom'), dict) else {}
        for key, value in custom.items():
            d = filters.get(key)
            known = d is not None and (value in ('yes', 'no') if d.type == CustomFieldType.YES_NO
                                       else value in {o.key for o in d.options})
            if known:
                out['custom'][key] = value  # type: ignore[index]
            fitted &= known
        active = {tag.id for tag in self.tags.active}
        tags = [i for i in saved.get('tags') or () if isinstance(i, int)]
        out['tags'] = [i for i in tags if i in active]
        fitted &= len(out['tags']) == len(tags)  # type: ignore[arg-type]
        return out, fitted

    def preset_view(self, view: View) -> None:
        """Open on this view: its filter and columns become the page's before it is built."""
        self.filters, _ = self._fitted(view.filters)
        known = {c['name'] for c in self.all_columns}
        self.chosen = [c for c in view.columns if c in known] or self.chosen

    async def apply_view(self, view: View) -> None:
        """A view picked on the page: set every control to it (their handlers stand aside), show
        its columns, read once."""
        filters, fitted = self._fitted(view.filters)
        self.applying = True
        try:
            for key, control in self.controls.items():
                if key.startswith('custom.'):
                    set_choice(control, filters['custom'].get(key[len('custom.'):]))  # type: ignore[union-attr]
                elif key == 'agenda':
                    control.set_value(filters['agenda'] or 'all')
                else:
                    control.set_value(filters[key])
            known = {c['name'] for c in self.all_columns}
            chosen = [c for c in view.columns if c in known]
            if chosen:
                self.chosen = chosen
                for name, tick in self.column_ticks.items():
                    tick.set_value(name in chosen)
                self.table.columns = self._shown_columns()
                self.cards.columns = self._shown_columns()
        finally:
            self.applying = False
        self.filters = filters
        if not fitted:
            ui.notify(t('views.not_applied', name=view.name, reason=t('views.changed_fields')), type='warning')
        self.page = 1
        self._mark_filters()
        await self.revisits.show(filters['agenda'] == 'my_day')
        await self.refresh()
