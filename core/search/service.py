"""`SearchService.search`: what the search box shows for a term, grouped by record type.

Who finds what is the record pages' own rule (core/permissions.py): whoever's data scope is
everything (by default managers, marketing and admins) every record; a department's scope its
owners' records; a rep their own leads, deals and customers, and the pool's leads — those only as the
pool page shows them (name or company, or up to four last digits of the phone; the phone masked),
so a search cannot answer "is 13812345678 in the pool?" either.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from core import permissions
from core.automation.pool import mask_phone
from core.context import Context
from store.models import SearchHit, UserRef
from store.queries import search as found

MAX_TERM = 100
PER_KIND = 8
POOL_TAIL = 4
"""The most phone digits a rep may search the pool by (the digits a masked phone shows)."""


@dataclass(frozen=True, slots=True)
class SearchResults:
    """Hits per record type (at most `PER_KIND` each, newest first where the index gives it free)."""

    term: str
    short: bool = False
    """One character, or two that are not both Chinese: only names starting with them were searched."""
    leads: list[SearchHit] = field(default_factory=list)
    opportunities: list[SearchHit] = field(default_factory=list)
    customers: list[SearchHit] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.leads or self.opportunities or self.customers)


class SearchService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def search(self, actor: UserRef, text: str, *, per_kind: int = PER_KIND) -> SearchResults:
        """The records `actor` may see whose name, company, phone, email or searchable custom
        field holds `text` (two Chinese characters anywhere; other one- or two-character terms a
        name's start)."""
        term = found.normalise((text or '').strip()[:MAX_TERM])
        if not term:
            return SearchResults(term='')
        reach = permissions.reach(actor)
        sees_all = reach.everyone
        scope = found.Scope(reach=permissions.list_reach(actor), pool=not sees_all)
        with self.ctx.read() as session:
            leads = found.find_leads(session, term, scope, limit=per_kind * (1 if sees_all else 3))
            deals = found.find_opportunities(session, term, scope, limit=per_kind)
            customers = found.find_customers(session, term, scope, limit=per_kind)
        leads = [_as_pool_shows(h) for h in leads if not h.in_pool or _pool_shows(h, term)][:per_kind]
        return SearchResults(term=term, short=found.is_short(term), leads=leads, opportunities=deals,
                             customers=customers)


def _pool_shows(hit: SearchHit, term: str) -> bool:
    """A pool lead matched on what the pool page shows a rep (not the email or the full phone)."""
    shown = (hit.title or '').lower(), (hit.detail or '').lower()
    if any(term in text for text in shown):
        return True
    digits = ''.join(c for c in hit.phone or '' if c.isdigit())
    return term.isdigit() and len(term) <= POOL_TAIL and digits.endswith(term)


def _as_pool_shows(hit: SearchHit) -> SearchHit:
    return replace(hit, phone=mask_phone(hit.phone)) if hit.in_pool else hit

