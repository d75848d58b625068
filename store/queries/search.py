"""Search over `search_docs` (store/search_index.py): which records' documents hold a term, for the
header's search and the inbox's free-text filter alike.

A term of three characters or more is a substring of the document: SQLite asks FTS5's trigram index
(`search_fts MATCH '"term"'`, within the kind's rowid range, newest first for free), PostgreSQL
pg_trgm's GIN index (`body LIKE '%term%'`). Two CJK characters (李娜, a surname and one character)
are a substring too, through the document's `pairs` (SQLite FTS5 `search_pairs`, PostgreSQL a GIN on
`string_to_array(pairs, ' ')`). Other terms of one or two characters (王, "li", "13") have no
trigram: they match the start of the record's name through `ix_search_docs_name_key`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col

from ..models import (
    SEARCH_KIND_BASE,
    Account,
    Lead,
    LeadStatus,
    Opportunity,
    Reach,
    RecordKind,
    SearchDoc,
    SearchHit,
    SearchKind,
    User,
)
from ..search_index import CJK
from . import reach_filter

MIN_SUBSTRING = 3
"""A trigram's length: shorter terms match a name's start only."""
_PHONE_LIKE = re.compile(r'^\+?[\d\s\-().]+$')
_PAIR = re.compile(f'^[{CJK}]{{2}}$')
_TOP = 0x10FFFF


def like_pattern(term: str) -> str:
    """`%term%` with the user's own % and _ matched literally (use with escape='\\')."""
    return '%' + term.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'


def normalise(raw: str) -> str:
    """The text a document is searched for: lower-cased; a phone in any spelling (`+86 130 0621
    9832`, `130-0621-9832`) as its digits, which is how documents hold phones."""
    term = ' '.join(raw.split()).lower()
    if _PHONE_LIKE.match(term) and sum(c.isdigit() for c in term) >= MIN_SUBSTRING:
        return ''.join(c for c in term if c.isdigit())
    return term


def is_pair(term: str) -> bool:
    """Two CJK characters: found anywhere in a document through its `pairs`."""
    return bool(_PAIR.match(term))


def is_short(term: str) -> bool:
    """Too short for any substring index: the start of a name only."""
    return len(term) < MIN_SUBSTRING and not is_pair(term)


def _fts(term: str) -> str:
    """SQLite's FTS5 table that finds `term` (not a short one)."""
    return 'search_pairs' if is_pair(term) else 'search_fts'


def _prefix(term: str, dialect: str) -> sa.ColumnElement[bool]:
    key = col(SearchDoc.name_key)
    if dialect == 'postgresql':  # (varchar_pattern_ops: LIKE 'x%' is an index range)
        return key.like(like_pattern(term)[1:], escape='\\')
    return sa.and_(key >= term, key < term + chr(_TOP))


def matching_ids(term: str, kind: str, dialect: str) -> sa.Select[Any]:
    """The ids of `kind`'s records whose document holds `term` (normalised), as a subquery."""
    base = SEARCH_KIND_BASE[kind]
    record_id: sa.Label[int] = col(SearchDoc.record_id).label('rid')
    if is_short(term):
        return sa.select(record_id).where(_prefix(term, dialect), col(SearchDoc.kind) == kind)
    if is_pair(term):
        return _pair_ids(term, kind, dialect)
    if dialect == 'postgresql':  # (the GIN index serves the tail; strpos, which it cannot, checks the whole)
        body = col(SearchDoc.body)
        query = sa.select(record_id).where(col(SearchDoc.kind) == kind,
                                           body.like(like_pattern(_selective(term)), escape='\\'))
        return query.where(sa.func.strpos(body, term) > 0) if _selective(term) != term else query
    rowid: sa.ColumnClause[int] = sa.literal_column('search_fts.rowid')
    query = (sa.select((rowid - base).label('rid')).select_from(sa.table('search_fts'))
             .where(sa.text('search_fts MATCH :fts').bindparams(fts=fts_phrase(_selective(term))),
                    rowid.between(base, base + (1 << 40) - 1)))
    if _selective(term) != term:  # (the index found the tail: the document must hold the whole)
        query = query.join(SearchDoc, col(SearchDoc.id) == rowid).where(
            col(SearchDoc.body).like(like_pattern(term), escape='\\'))
    return query


def _pair_ids(term: str, kind: str, dialect: str) -> sa.Select[Any]:
    """Documents whose `pairs` hold the two CJK characters `term` (a token: no substring test)."""
    if dialect == 'postgresql':  # (the expression ix_search_docs_pairs indexes: the same literal ' ')
        listed = sa.func.string_to_array(col(SearchDoc.pairs), sa.literal_column("' '"))
        return sa.select(col(SearchDoc.record_id).label('rid')).where(
            col(SearchDoc.kind) == kind, listed.op('@>')(postgresql.array([sa.cast(term, sa.Text)])))
    base = SEARCH_KIND_BASE[kind]
    rowid: sa.ColumnClause[int] = sa.literal_column('search_pairs.rowid')
    return (sa.select((rowid - base).label('rid')).select_from(sa.table('search_pairs'))
            .where(sa.text('search_pairs MATCH :fts').bindparams(fts=fts_phrase(term)),
                   rowid.between(base, base + (1 << 40) - 1)))


PHONE_TAIL = 8
DIGIT_RUN = 6
"""A term with a run of this many digits and more besides (`contact500000`, `qq12345678`) is looked
up in the index by that run (its last PHONE_TAIL) and checked whole."""
_DIGIT_RUNS = re.compile(r'\d+')


def _selective(term: str) -> str:
    """What the trigram index is asked for: a long run of digits by its last PHONE_TAIL — every
    phone starts 86 13…, whose trigrams are in nearly every document, and both FTS5's phrase and
    pg_trgm's GIN scan read each trigram's list. A word around a long digit run (an email's local
    part `contact500000`) likewise: its letters' trigrams can be in every document (a GIN scan at
    300k documents read 468 buffers for `contact123456`, 20 for `123456`), its digits' are rare."""
    if term.isdigit():
        return term[-PHONE_TAIL:] if len(term) > PHONE_TAIL else term
    run = max(_DIGIT_RUNS.findall(term), key=len, default='')
    return run[-PHONE_TAIL:] if len(run) >= DIGIT_RUN else term


def holds(term: str, kind: str, record_id: Any) -> sa.ColumnElement[bool]:
    """This record's document holds `term`, read by primary key: for a query that walks another
    index past many matching rows (one read and a substring test per row)."""
    doc = sa.select(sa.literal(1)).where(col(SearchDoc.id) == record_id + SEARCH_KIND_BASE[kind])
    if is_short(term):
        key = col(SearchDoc.name_key)
        return sa.exists(doc.where(key.like(like_pattern(term)[1:], escape='\\')))
    return sa.exists(doc.where(col(SearchDoc.body).like(like_pattern(term), escape='\\')))


FEW = 20_000
"""Below this many matches a list is read from the matches (each a primary-key read, then sorted);
from it on, the list walks its own order index and tests each row against the matches (read once:
the cost of a term found in most leads)."""


def count_capped(session: Session, term: str, kind: str) -> int:
    """How many of `kind`'s documents hold `term`, counted up to FEW."""
    dialect = session.get_bind().dialect.name
    found = matching_ids(term, kind, dialect).limit(FEW).subquery()
    return int(session.execute(sa.select(sa.func.count()).select_from(found)).scalar_one())


def fts_phrase(term: str) -> str:
    """FTS5 query text matching `term` as one substring (a quoted phrase: no operators)."""
    return '"' + term.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class Scope:
    """What an actor may find: everything (`reach` None) or what their data scope reaches (owners and
    records shared with them, read by store/queries/reach_filter.py `visible`), and the pool's leads."""

    reach: Reach | None
    pool: bool = False

    @property
    def everything(self) -> bool:
        return self.reach is None

    def owns(self, owner: Any, kind: RecordKind, record_id: Any) -> sa.ColumnElement[bool]:
        """The records within the scope."""
        clause = reach_filter.visible(self.reach, owner, kind, record_id) if self.reach is not None else None
        return sa.true() if clause is None else clause

    def held(self, kind: RecordKind, record_id: int | None, owner_id: int | None) -> bool:
        return self.reach is None or self.reach.sees(kind, record_id, owner_id)


def _newest(ids: sa.Select[Any], term: str, dialect: str) -> sa.Select[Any]:
    """Newest first where it is free: FTS5 walks a match backwards by rowid, a name prefix does not."""
    if dialect == 'sqlite' and not is_short(term):
        return ids.order_by(sa.literal_column(f'{_fts(term)}.rowid').desc())
    return ids


def find_leads(session: Session, term: str, scope: Scope, *, limit: int) -> list[SearchHit]:
    dialect = session.get_bind().dialect.name
    ids = _newest(matching_ids(term, SearchKind.LEAD, dialect), term, dialect).subquery()
    visible: list[sa.ColumnElement[bool]] = [col(Lead.is_deleted) == False]  # noqa: E712
    if not scope.everything:
        mine = scope.owns(col(Lead.owner_id), RecordKind.LEAD, col(Lead.id))
        visible.append(sa.or_(mine, col(Lead.status) == LeadStatus.POOL) if scope.pool else mine)
    query = (sa.select(col(Lead.id), col(Lead.name), col(Lead.company), col(Lead.phone), col(Lead.status),
                       col(Lead.owner_id), col(User.name))
             .select_from(ids).join(Lead, col(Lead.id) == ids.c.rid)
             .outerjoin(User, col(User.id) == Lead.owner_id).where(*visible).limit(limit))
    hits = []
    for lead_id, name, company, phone, status, owner_id, owner_name in session.execute(query):
        pooled = not scope.held(RecordKind.LEAD, lead_id, owner_id)
        hits.append(SearchHit(SearchKind.LEAD, lead_id, name, company, status, owner_name, phone, in_pool=pooled))
    return hits


def find_opportunities(session: Session, term: str, scope: Scope, *, limit: int) -> list[SearchHit]:
    dialect = session.get_bind().dialect.name
    ids = _newest(matching_ids(term, SearchKind.OPPORTUNITY, dialect), term, dialect).subquery()
    visible: list[sa.ColumnElement[bool]] = [col(Opportunity.is_deleted) == False]  # noqa: E712
    if not scope.everything:
        visible.append(scope.owns(col(Opportunity.owner_id), RecordKind.OPPORTUNITY, col(Opportunity.id)))
    query = (sa.select(col(Opportunity.id), col(Opportunity.name), col(Account.name), col(User.name))
             .select_from(ids).join(Opportunity, col(Opportunity.id) == ids.c.rid)
             .join(Account, col(Account.id) == Opportunity.account_id)
             .outerjoin(User, col(User.id) == Opportunity.owner_id).where(*visible).limit(limit))
    return [SearchHit(SearchKind.OPPORTUNITY, i, name, account, owner_name=owner)
            for i, name, account, owner in session.execute(query)]


def find_customers(session: Session, term: str, scope: Scope, *, limit: int) -> list[SearchHit]:
    dialect = session.get_bind().dialect.name
    ids = _newest(matching_ids(term, SearchKind.CUSTOMER, dialect), term, dialect).subquery()
    visible: list[sa.ColumnElement[bool]] = [col(Account.is_deleted) == False,  # noqa: E712
                                             col(Account.is_customer) == True]  # noqa: E712
    if not scope.everything:
        visible.append(scope.owns(col(Account.owner_id), RecordKind.CUSTOMER, col(Account.id)))
    query = (sa.select(col(Account.id), col(Account.name), col(Account.tier), col(User.name))
             .select_from(ids).join(Account, col(Account.id) == ids.c.rid)
             .outerjoin(User, col(User.id) == Account.owner_id).where(*visible).limit(limit))
    return [SearchHit(SearchKind.CUSTOMER, i, name, status=tier, owner_name=owner)
            for i, name, tier, owner in session.execute(query)]
