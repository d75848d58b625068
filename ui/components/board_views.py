"""Saved views on the pipeline board: its filter (owner, close month, amount range, custom selects,
tags) and its cards' sort as a view holds it, read back into the board before it is built (the page opens on the
user's chosen view) or applied from the list. Part of ui/pages/pipeline.py's `PipelineBoard`
(mixed in); the control itself is ui/components/saved_views.py."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from nicegui import ui

from core.accounts.saved_views import View
from core.pipeline.money import parse_money

from ..i18n import t
from .board_sort import DEFAULT_SORT
from .custom_fields import set_choice

if TYPE_CHECKING:
    from core.tags.catalog import TagSet


def _month(text: Any) -> date | None:
    try:
        return date.fromisoformat(f'{text}-01') if isinstance(text, str) and len(text) == 7 else None
    except ValueError:
        return None


def _amount(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parse_money(text)
    except ValueError:
        return None
    return text.strip()


class BoardViews:
    """Part of the board: see the module docstring."""

    filters: Any
    """The board's `Filters` (ui/pages/pipeline.py)."""
    controls: dict[str, Any]
    applying: bool
    manager: bool
    tags: TagSet

    if TYPE_CHECKING:
        async def reload(self) -> None: ...

    def current_view(self) -> tuple[dict[str, Any], tuple[str, ...]]:
        f = self.filters
        return {'owner_id': f.owner_id, 'close_month': f.close_month.strftime('%Y-%m') if f.close_month else None,
                'min_amount': f.min_amount, 'max_amount': f.max_amount, 'custom': dict(f.custom),
                'tags': list(f.tags), 'sort': f.sort}, ()

    def preset_view(self, view: View) -> None:
        """Open on this view: its filter becomes the board's before the first read (the controls
        are set once they are built: `show_view_controls`)."""
        f, saved = self.filters, view.filters
        f.owner_id = saved.get('owner_id') if self.manager and isinstance(saved.get('owner_id'), int) else None
        f.close_month = _month(saved.get('close_month'))
        f.min_amount, f.max_amount = _amount(saved.get('min_amount')), _amount(saved.get('max_amount'))
        custom = saved.get('custom') if isinstance(saved.get('custom'), dict) else {}
        f.custom = {k: v for k, v in custom.items() if isinstance(k, str) and isinstance(v, str)}
        f.tags = [i for i in saved.get('tags') or () if isinstance(i, int)]
        f.sort = str(saved.get('sort') or DEFAULT_SORT)  # a view saved before sorts existed: the default order

    def show_view_controls(self) -> bool:
        """Set the built controls to the board's filter; False when part of it no longer fits (an
        owner, option or tag gone), which is then left out of the filter too."""
        f, fitted = self.filters, True
        self.applying = True
        try:
            for key, control in self.controls.items():
                if key.startswith('custom.'):
                    name = key[len('custom.'):]
                    if not set_choice(control, f.custom.get(name)):
                        f.custom.pop(name, None)
                        fitted = False
                elif key == 'owner_id':
                    if not set_choice(control, f.owner_id):
                        f.owner_id, fitted = None, False
                elif key == 'tags':
                    kept = [i for i in f.tags if i in control.options]
                    fitted &= len(kept) == len(f.tags)
                    f.tags = kept
                    control.set_value(kept)
                elif key == 'sort':
                    if not set_choice(control, f.sort):  # a sort field retired or no longer filterable
                        f.sort, fitted = DEFAULT_SORT, False
                        control.set_value(DEFAULT_SORT)
                elif key == 'close_month':
                    control.set_value(f.close_month.strftime('%Y-%m') if f.close_month else None)
                else:
                    control.set_value(getattr(f, key))
            extra = set(f.custom) - {k[len('custom.'):] for k in self.controls if k.startswith('custom.')}
            for name in extra:  # a field retired since
                f.custom.pop(name)
            fitted &= not extra
        finally:
            self.applying = False
        return fitted

    async def apply_view(self, view: View) -> None:
        self.preset_view(view)
        if not self.show_view_controls():
            ui.notify(t('views.not_applied', name=view.name, reason=t('views.changed_fields')), type='warning')
        await self.reload()
