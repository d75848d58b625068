"""Live toasts that stay calm: placed clear of the header (bottom right; on a phone the bottom,
above any bottom navigation), short, never folded into one that stays up, and a burst of
arrivals grouped into one toast ("12 new leads") instead of a stack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from .i18n import t

POSITION = 'bottom-right'
"""Quasar's bottom-right: the header's bell, user menu and Log out are never under a toast.
theme.py's CSS keeps phones' toasts above a bottom navigation."""
CSS = """
.q-notifications__list--bottom { padding-bottom: var(--ld-bottom-nav, 0px); }
@media (max-width: 599.98px) { .q-notifications__list--bottom { align-items: center !important; } }
"""
"""Toasts at the bottom stay above a bottom navigation (a page sets `--ld-bottom-nav` to its
height); on a phone they sit at the bottom centre, where a thumb does not need them gone."""
TIMEOUT_MS = 3000
BURST_SECONDS = 1.5
"""Arrivals this close together make one toast."""


def toast(text: str, **kwargs: Any) -> None:
    """A live (not user-caused) toast: short, clear of the header, never grouped by Quasar (its
    grouping keeps one toast up with a counter as repeats arrive)."""
    ui.notify(text, type='info', position=POSITION, timeout=TIMEOUT_MS, group=False, **kwargs)


def notification_link(lead_id: int | None, params: dict[str, Any]) -> str | None:
    """Where a stored notification leads: its lead, or the page it names (in-app paths only)."""
    if lead_id:
        return f'/leads/{lead_id}'
    link = params.get('link')
    return link if isinstance(link, str) and link.startswith('/') and not link.startswith('//') else None


async def _always() -> bool:
    return True


class Burst:
    """Counts arrivals of one kind and shows one toast per burst: `one` for a single arrival,
    `many` (with `count`) for several. `allowed` (the user's toast preference, quiet hours and
    muted kinds) is asked when the toast would show."""

    def __init__(self, one: str, many: str, *, allowed: Callable[[], Awaitable[bool]] = _always,
                 seconds: float = BURST_SECONDS) -> None:
        self.one, self.many, self.allowed, self.seconds = one, many, allowed, seconds
        self.count = 0

    def add(self) -> None:
        self.count += 1
        if self.count == 1:
            ui.timer(self.seconds, self.flush, once=True)

    async def flush(self) -> None:
        count, self.count = self.count, 0
        if count and await self.allowed():
            toast(t(self.one) if count == 1 else t(self.many, count=count))
