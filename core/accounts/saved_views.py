"""Saved views: a list's filter and sort — and, for the inbox, its columns — kept under a name, so a rep
opens "My A-leads this week" in one tap and a manager shares "Trade show follow-up" with the team.

A view stores the page's own filter state (what the page's controls hold), checked here for shape
and size only: its values reach the same checks as a filter set by hand when the page applies it
(an option since retired, say, is refused there and the page says so). Each user may choose one
view per page that the page opens on (kept as an `AppSetting` under `view:open:<page>:<user>`, as
the inbox's columns are)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, or_, select

from core import permissions
from core.context import Context
from core.errors import NotAllowed, NotFound, ValidationFailed
from store.config_version import VIEW_PREFIX
from store.models import AppSetting, SavedView, UserRef, ViewPage

FILTER_KEYS: Mapping[ViewPage, frozenset[str]] = {
    ViewPage.INBOX: frozenset({'search', 'status', 'grade', 'source', 'unassigned', 'include_pool', 'agenda',
                               'custom', 'tags', 'sort'}),
    ViewPage.POOL: frozenset({'q', 'region', 'industry', 'grade', 'recycled', 'sort', 'tags'}),
    ViewPage.BOARD: frozenset({'owner_id', 'close_month', 'min_amount', 'max_amount', 'custom', 'tags', 'sort'}),
    ViewPage.CUSTOMERS: frozenset({'search', 'tier', 'custom', 'tags', 'sort'}),
}
"""What each page's filter state may hold (its controls' names)."""
MAX_NAME = 60
MAX_SPEC = 4000
"""Characters of a view's JSON: a filter is a handful of values, never a document."""
MAX_VIEWS = 50
"""Views one user may keep per page (their own; shared ones by managers count for them)."""


@dataclass(frozen=True, slots=True)
class View:
    id: int
    page: ViewPage
    name: str
    owner_id: int
    shared: bool
    filters: dict[str, Any]
    columns: tuple[str, ...]
    mine: bool
    """Whether the reader owns it (may rename, share and delete it)."""


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def check_filters(page: ViewPage, filters: Any) -> dict[str, Any]:
    """The filter state to store, or ValidationFailed: known keys only; each value a scalar, a list
    of scalars, or (custom fields) a mapping of text keys to scalars."""
    if not isinstance(filters, Mapping) or not set(filters) <= FILTER_KEYS[page]:
        raise ValidationFailed({'filters': 'invalid'})
    for value in filters.values():
        ok = (_scalar(value) or (isinstance(value, list) and all(map(_scalar, value)))
              or (isinstance(value, Mapping) and all(isinstance(k, str) and _scalar(v) for k, v in value.items())))
        if not ok:
            raise ValidationFailed({'filters': 'invalid'})
    return dict(filters)


def _name(name: Any) -> str:
    text = ' '.join(str(name or '').split())
    if not text or len(text) > MAX_NAME:
        raise ValidationFailed({'name': 'required' if not text else 'too_long'})
    return text


def _view(row: SavedView, reader: UserRef) -> View:
    spec = row.spec if isinstance(row.spec, dict) else {}
    stored = spec.get('filters')
    filters: dict[str, Any] = stored if isinstance(stored, dict) else {}
    columns = tuple(c for c in spec.get('columns') or () if isinstance(c, str))
    return View(id=row.id or 0, page=ViewPage(row.page), name=row.name, owner_id=row.owner_id, shared=row.is_shared,
                filters=dict(filters), columns=columns, mine=row.owner_id == reader.id)


def _default_key(page: ViewPage, user_id: int) -> str:
    return f'{VIEW_PREFIX}open:{page}:{user_id}'


class SavedViewService:
    """`desk.views`: each user's saved views and shared ones, and the view each page opens on."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def views(self, actor: UserRef, page: ViewPage) -> list[View]:
        """The actor's own views of `page` and those shared with the team, by name."""
        with self.ctx.read() as session:
            rows = session.exec(select(SavedView).where(
                SavedView.page == page, or_(col(SavedView.owner_id) == actor.id, col(SavedView.is_shared) == True)  # noqa: E712
            ).order_by(col(SavedView.name), col(SavedView.id))).all()
        return [_view(r, actor) for r in rows]

    def save_view(self, actor: UserRef, page: ViewPage, name: str, filters: Mapping[str, Any], *,
                  columns: tuple[str, ...] = (), shared: bool = False, view_id: int | None = None) -> View:
        """A new view (or, with `view_id`, the actor's own view overwritten). Only managers and
        admins share a view with the team."""
        page = ViewPage(page)
        if shared and not permissions.can_assign(actor):
            raise NotAllowed()
        spec = {'filters': check_filters(page, filters), 'columns': [str(c) for c in columns]}
        if len(repr(spec)) > MAX_SPEC:
            raise ValidationFailed({'filters': 'too_long'})
        clean = _name(name)
        now = self.ctx.now()
        with self.ctx.write() as session:
            if view_id is None:
                own = session.exec(select(SavedView.id).where(SavedView.page == page,
                                                               SavedView.owner_id == actor.id)).all()
                if len(own) >= MAX_VIEWS:
                    raise ValidationFailed({'name': 'too_many_views'})
                row = SavedView(page=page, name=clean, owner_id=actor.id, created_at=now)
            else:
                found = session.get(SavedView, view_id)
                if found is None or found.page != page:
                    raise NotFound()
                if found.owner_id != actor.id:
                    raise NotAllowed()
                row = found
            row.name, row.is_shared, row.spec, row.updated_at = clean, shared, spec, now
            session.add(row)
            session.flush()
            return _view(row, actor)

    def delete_view(self, actor: UserRef, view_id: int) -> None:
        """The owner deletes a view; a manager or admin also a shared one."""
        with self.ctx.write() as session:
            row = session.get(SavedView, view_id)
            if row is None:
                raise NotFound()
            if row.owner_id != actor.id and not (row.is_shared and permissions.can_assign(actor)):
                raise NotAllowed()
            session.delete(row)

    def opening_view(self, actor: UserRef, page: ViewPage) -> View | None:
        """The view `page` opens on for the actor (None: the page's own default); a chosen view
        since deleted, or no longer shared, counts as none."""
        with self.ctx.read() as session:
            chosen = session.get(AppSetting, _default_key(ViewPage(page), actor.id))
            if chosen is None or not chosen.value.isdigit():
                return None
            row = session.get(SavedView, int(chosen.value))
            if row is None or row.page != page or not (row.owner_id == actor.id or row.is_shared):
                return None
            return _view(row, actor)

    def open_on(self, actor: UserRef, page: ViewPage, view_id: int | None) -> None:
        """Open `page` on this view from now on (None: on the page's own default)."""
        page = ViewPage(page)
        with self.ctx.write() as session:
            if view_id is not None:
                row = session.get(SavedView, view_id)
                if row is None or row.page != page or not (row.owner_id == actor.id or row.is_shared):
                    raise NotFound()
            key = _default_key(page, actor.id)
            if view_id is None:
                existing = session.get(AppSetting, key)
                if existing is not None:
                    session.delete(existing)
            else:
                session.merge(AppSetting(key=key, value=str(view_id)))
