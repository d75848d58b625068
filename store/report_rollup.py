"""`report_days`: the reports' daily roll-up, so a year of a million leads is summed from a few
thousand rows instead of walking a million index entries and sorting them for every panel.

What a lead (with its deal) contributes is one pure function, `contributions()`: the rebuild
sums it over every lead, and an ORM `after_flush` hook adds the difference between a touched
lead's contribution before and after each flush — in the same transaction as the write, like
store/counters.py. Audit lines are written once and only ever added.

Families (figures n1…n5), each per team-local day, for the team (scope 0) and for the owner:
- cohort (day captured; dimension source | region | industry | owner_id): captured, contacted,
  qualified, opportunity, won — each "by now", which equals "by the end of the range" for any
  range that ends now or later (so the reports use the roll-up only for those).
- closed (day the deal closed; the owner is the deal's): won, lost, won cents.
- sla (day assigned; dimension owner_id): met, missed, assigned.
- automation (day of the audit line; dimension = action, reason, by-the-system; value = subject).
Values are '' for none and '=' + the value otherwise, so '' and None never collide.

The roll-up is built for one time zone (the team's days); `ensure()` at start-up rebuilds it
when the zone differs or it was never built, and until then the hook leaves it alone.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession

from .models import AppSetting, AuditEntry, Lead, Opportunity, ReportDay, Stage

ZONE_KEY = 'report_rollup_zone'
AUTOMATION_ACTIONS = ('assigned', 'sla_breached', 'recycled', 'sent_to_review')
CONTACTED_STATUSES = ('contacted', 'qualified', 'converted')
QUALIFIED_STATUSES = ('qualified', 'converted')
DIMENSIONS = ('source', 'region', 'industry', 'owner_id')
FIGURES = ('n1', 'n2', 'n3', 'n4', 'n5')

Key = tuple[str, int, date, str, str]
"""(family, scope, day, dimension, value)."""

_zones: weakref.WeakKeyDictionary[Engine, str | None] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class LeadFacts:
    created_at: datetime | None
    source: str | None
    region: str | None
    industry: str | None
    owner_id: int | None
    status: str | None
    first_contact_at: datetime | None
    assigned_at: datetime | None
    sla_status: str | None
    is_deleted: bool


@dataclass(frozen=True, slots=True)
class DealFacts:
    kind: str | None
    """The stage's kind: open, won or lost."""
    closed_at: datetime | None
    amount_cents: int
    owner_id: int | None
    is_deleted: bool


LEAD_FIELDS = tuple(LeadFacts.__dataclass_fields__)
DEAL_FIELDS = ('stage_id', 'closed_at', 'amount_cents', 'owner_id', 'is_deleted')


def encode(value: Any) -> str:
    return '' if value is None else f'={value}'


def decode(value: str, dimension: str) -> Any:
    if value == '':
        return None
    return int(value[1:]) if dimension == 'owner_id' else value[1:]


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


Figures = Iterator[tuple[Key, tuple[int, ...]]]


def contributions(lead: LeadFacts | None, deal: DealFacts | None, zone: ZoneInfo) -> Figures:
    """What one lead and its deal add to the roll-up (see the module's docstring)."""
    if lead is None or lead.is_deleted:
        return
    scopes = (0, lead.owner_id) if lead.owner_id else (0,)
    values = {'source': encode(lead.source), 'region': encode(lead.region), 'industry': encode(lead.industry),
              'owner_id': encode(lead.owner_id)}
    live_deal = deal if deal is not None and not deal.is_deleted else None
    if lead.created_at is not None:
        day = _day(lead.created_at, zone)
        won = live_deal is not None and live_deal.kind == 'won' and live_deal.closed_at is not None
        figures = (1, int(lead.first_contact_at is not None or lead.status in CONTACTED_STATUSES),
                   int(lead.status in QUALIFIED_STATUSES), int(live_deal is not None), int(won))
        for scope in scopes:
            for dimension, value in values.items():
                yield ('cohort', scope, day, dimension, value), figures
    if lead.owner_id and lead.assigned_at is not None:
        figures = (int(lead.sla_status == 'fulfilled'), int(lead.sla_status == 'failed'), 1)
        for scope in scopes:
            yield ('sla', scope, _day(lead.assigned_at, zone), 'owner_id', values['owner_id']), figures
    if live_deal is not None and live_deal.kind in ('won', 'lost') and live_deal.closed_at is not None:
        won = live_deal.kind == 'won'
        figures = (int(won), int(not won), live_deal.amount_cents if won else 0)
        day = _day(live_deal.closed_at, zone)
        deal_values = values | {'owner_id': encode(live_deal.owner_id)}
        for scope in (0, live_deal.owner_id) if live_deal.owner_id else (0,):
            for dimension, value in deal_values.items():
                yield ('closed', scope, day, dimension, value), figures


def automation_dimension(action: str, reason_key: str | None, by_system: bool) -> str:
    return f'{action}\t{reason_key or ""}\t{int(by_system)}'


def audit_contributions(entry: tuple[str, str | None, int | None, int | None, datetime | None],
                        zone: ZoneInfo) -> Figures:
    """What one audit line (action, reason key, actor, subject, written at) adds."""
    action, reason_key, actor_id, subject, created_at = entry
    if action not in AUTOMATION_ACTIONS or created_at is None:
        return
    dimension = automation_dimension(action, reason_key, actor_id is None)
    for scope in (0, subject) if subject else (0,):
        yield ('automation', scope, _day(created_at, zone), dimension, encode(subject)), (1,)


Counted = Counter[tuple[Key, tuple[int, ...]]]
"""How many times each (key, figures) pair was added (negative: taken away). Counting the pairs and
folding them once is ~3× cheaper than adding figure by figure into a list per key: a key's
figures are mostly the same few tuples (a new lead is (1, 0, 0, 0, 0) in eight keys)."""


def _add(counts: Counted, items: Iterable[tuple[Key, tuple[int, ...]]], sign: int) -> None:
    for item in items:
        counts[item] += sign


def _fold(counts: Counted) -> dict[Key, list[int]]:
    totals: dict[Key, list[int]] = {}
    for (key, figures), n in counts.items():
        if n:
            total = totals.setdefault(key, [0] * 5)
            for i, value in enumerate(figures):
                total[i] += n * value
    return totals


# ----- keeping it current ------------------------------------------------------------------------------

def _zone_of(session: OrmSession) -> ZoneInfo | None:
    engine = session.get_bind()
    engine = getattr(engine, 'engine', engine)
    if engine not in _zones:
        row = session.connection().execute(sa.select(AppSetting.value).where(AppSetting.key == ZONE_KEY)).first()
        _zones[engine] = row[0] if row else None
    name = _zones[engine]
    return ZoneInfo(name) if name else None


def _lead_facts(values: Mapping[str, Any]) -> LeadFacts:
    return LeadFacts(**{f: values[f] for f in LEAD_FIELDS})


def _deal_facts(values: Mapping[str, Any], kinds: Mapping[int, str]) -> DealFacts:
    return DealFacts(kind=kinds.get(values['stage_id']), closed_at=values['closed_at'],
                     amount_cents=int(values['amount_cents'] or 0), owner_id=values['owner_id'],
                     is_deleted=bool(values['is_deleted']))


def _stored(connection: sa.Connection, lead_ids: Iterable[int]) -> dict[int, tuple[LeadFacts, DealFacts | None]]:
    """What the database holds now for these leads and their deals (one query)."""
    ids = sorted(set(lead_ids))
    if not ids:
        return {}
    kinds = dict(connection.execute(sa.select(Stage.id, Stage.kind)).all())  # type: ignore[arg-type]
    query = (sa.select(Lead.id, *(getattr(Lead, f) for f in LEAD_FIELDS), Opportunity.id,
                       *(getattr(Opportunity, f) for f in DEAL_FIELDS))
             .select_from(Lead).outerjoin(Opportunity, Opportunity.lead_id == Lead.id)  # type: ignore[arg-type]
             .where(Lead.id.in_(ids)))  # type: ignore[union-attr]
    width = len(LEAD_FIELDS)
    out = {}
    for row in connection.execute(query):
        lead = _lead_facts(dict(zip(LEAD_FIELDS, row[1:1 + width], strict=True)))
        deal = None if row[1 + width] is None else _deal_facts(
            dict(zip(DEAL_FIELDS, row[2 + width:], strict=True)), kinds)
        out[row[0]] = (lead, deal)
    return out


def _touched(session: OrmSession) -> set[int]:
    """Leads whose contribution a flush may change: touched leads and the leads of touched deals."""
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Lead) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, Opportunity) and obj.lead_id is not None:
            ids.add(obj.lead_id)
    return ids


@event.listens_for(OrmSession, 'before_flush')
def _remember(session: OrmSession, _context: Any, _instances: Any) -> None:
    """The touched leads as the database holds them before the flush: exact whatever the objects'
    attribute histories hold (an attribute set without being loaded has none)."""
    ids = _touched(session)
    if not ids or _zone_of(session) is None:
        session.info.pop('report_rollup_before', None)
        return
    session.info['report_rollup_before'] = _stored(session.connection(), ids)


@event.listens_for(OrmSession, 'after_flush')
def _keep_current(session: OrmSession, _context: Any) -> None:
    before: dict[int, tuple[LeadFacts, DealFacts | None]] = session.info.pop('report_rollup_before', None) or {}
    ids = _touched(session) | set(before)
    audits = [o for o in session.new if isinstance(o, AuditEntry) and o.action in AUTOMATION_ACTIONS]
    if not (ids or audits):
        return
    zone = _zone_of(session)
    if zone is None:
        return
    connection = session.connection()
    totals: Counted = Counter()
    for entry in audits:
        _add(totals, audit_contributions((entry.action, entry.reason_key, entry.actor_id,
                                                  entry.subject_user_id, entry.created_at), zone), 1)
    after = _stored(connection, ids)
    for lead_id in ids:
        _add(totals, contributions(*before.get(lead_id, (None, None)), zone), -1)
        _add(totals, contributions(*after.get(lead_id, (None, None)), zone), 1)
    _apply(connection, _fold(totals))


def add_inserted(session: OrmSession, leads: Iterable[Any], audits: Iterable[Mapping[str, Any]]) -> None:
    """Leads and audit lines written with Core bulk inserts (capture's batches), which the flush
    hooks above never see: their contribution, added in the same transaction. `leads` are the
    objects the batch inserted (every column an attribute; a new lead has no deal yet), so nothing
    is read back."""
    zone = _zone_of(session)
    if zone is None:
        return
    totals: Counted = Counter()
    for a in audits:
        if a.get('action') in AUTOMATION_ACTIONS:
            _add(totals, audit_contributions((a['action'], a.get('reason_key'), a.get('actor_id'),
                                              a.get('subject_user_id'), a.get('created_at')), zone), 1)
    for lead in leads:
        _add(totals, contributions(LeadFacts(*(getattr(lead, f) for f in LEAD_FIELDS)), None, zone), 1)
    _apply(session.connection(), _fold(totals))


def _apply(connection: sa.Connection, totals: Mapping[Key, list[int]]) -> None:
    # Key order: two transactions upserting overlapping days lock those rows in one order, never in a circle.
    rows = [{'family': k[0], 'scope_id': k[1], 'day': k[2], 'dimension': k[3], 'value': k[4],
             **dict(zip(FIGURES, v, strict=True))} for k, v in sorted(totals.items()) if any(v)]
    if not rows:
        return
    connection.execute(_upsert(connection.dialect.name), rows)


_upserts: dict[str, Any] = {}


def _upsert(dialect_name: str) -> Any:
    """`INSERT … ON CONFLICT DO UPDATE` adding the figures, built once per dialect: building its
    SET expressions took ~1 ms, and every capture runs it (SQLAlchemy then reuses its compiled form)."""
    statement = _upserts.get(dialect_name)
    if statement is None:
        table = ReportDay.__table__  # type: ignore[attr-defined]
        if dialect_name == 'postgresql':
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        statement = insert(table)
        statement = _upserts[dialect_name] = statement.on_conflict_do_update(
            index_elements=['family', 'scope_id', 'day', 'dimension', 'value'],
            set_={f: table.c[f] + statement.excluded[f] for f in FIGURES})
    return statement


def assigned_since(session: OrmSession, day_start: datetime, rep_ids: Iterable[int]) -> dict[int, int] | None:
    """Per rep, the 'assigned' audit lines naming them from `day_start` on — the same count as
    `created_at >= day_start` over the audit trail, read from the 'automation' family (a few rows
    per rep and day instead of one index entry per assignment). None when the roll-up is not kept
    or `day_start` is not a midnight of its zone (its days would not line up with the count)."""
    zone = _zone_of(session)
    if zone is None:
        return None
    local = day_start.astimezone(zone)
    if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
        return None
    rows = session.execute(_ASSIGNED_SINCE, {'ids': sorted(set(rep_ids)), 'day': local.date()})
    return {int(scope): int(n) for scope, n in rows}


_DAYS = ReportDay.__table__  # type: ignore[attr-defined]
_ASSIGNED_SINCE = (
    sa.select(_DAYS.c.scope_id, sa.func.sum(_DAYS.c.n1))
    .where(_DAYS.c.family == 'automation', _DAYS.c.scope_id.in_(sa.bindparam('ids', expanding=True)),
           _DAYS.c.day >= sa.bindparam('day'), _DAYS.c.dimension.like('assigned\t%'))
    .group_by(_DAYS.c.scope_id))
"""Built once: building the statement cost ~10× running it."""


# ----- building it -------------------------------------------------------------------------------------

def built_zone(connection: sa.Connection) -> str | None:
    row = connection.execute(sa.select(AppSetting.value).where(AppSetting.key == ZONE_KEY)).first()
    return row[0] if row else None


def rebuild(connection: sa.Connection, zone_name: str) -> None:
    """Recompute the whole roll-up from the leads, deals and audit trail (start-up after the
    migration, a change of time zone, or bulk writes that bypassed the ORM)."""
    zone = ZoneInfo(zone_name)
    totals: Counted = Counter()
    kinds = dict(connection.execute(sa.select(Stage.id, Stage.kind)).all())  # type: ignore[arg-type]
    lead_columns = [getattr(Lead, f) for f in LEAD_FIELDS]
    deal_columns = [getattr(Opportunity, f) for f in DEAL_FIELDS]
    query = (sa.select(*lead_columns, Opportunity.id, *deal_columns)
             .select_from(Lead).outerjoin(Opportunity, Opportunity.lead_id == Lead.id)  # type: ignore[arg-type]
             .where(Lead.is_deleted == False))  # noqa: E712
    width = len(LEAD_FIELDS)
    for row in connection.execute(query).yield_per(20_000):
        lead = _lead_facts(dict(zip(LEAD_FIELDS, row[:width], strict=True)))
        deal = None if row[width] is None else _deal_facts(dict(zip(DEAL_FIELDS, row[width + 1:], strict=True)),
                                                            kinds)
        _add(totals, contributions(lead, deal, zone), 1)
    audit = sa.select(AuditEntry.action, AuditEntry.reason_key, AuditEntry.actor_id, AuditEntry.subject_user_id,
                      AuditEntry.created_at).where(AuditEntry.action.in_(AUTOMATION_ACTIONS))  # type: ignore[attr-defined]
    for entry in connection.execute(audit).yield_per(20_000):
        _add(totals, audit_contributions(tuple(entry), zone), 1)  # type: ignore[arg-type]
    connection.execute(sa.delete(ReportDay))
    _apply(connection, _fold(totals))
    settings = AppSetting.__table__  # type: ignore[attr-defined]
    connection.execute(sa.delete(settings).where(settings.c.key == ZONE_KEY))
    connection.execute(sa.insert(settings).values(key=ZONE_KEY, value=zone_name))
    _zones[connection.engine] = zone_name


def ensure(engine: Engine, zone_name: str) -> None:
    """Build the roll-up if it was never built or was built for another time zone."""
    with engine.begin() as connection:
        if built_zone(connection) != zone_name:
            rebuild(connection, zone_name)
        _zones[engine] = zone_name


def forget(engine: Engine) -> None:
    """Drop the cached zone (after a bulk rebuild elsewhere)."""
    _zones.pop(engine, None)
