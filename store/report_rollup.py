"""`report_days`: the reports' daily roll-up, so a year of a million leads is summed from a few
thousand rows instead of walking a million index entries and sorting them for every panel.

What a lead (with its deal) contributes is one pure function, `contributions()`: the rebuild
sums it over every lead, and core's unit of work (core/projections.py) adds, in the same
transaction as the write, the difference between a touched lead's contribution when the
transaction first touched it and at its end (`apply_changes`). Audit lines are written once and
only ever added.

Families (figures n1…n5), each per team-local day, for the team (scope 0) and for the owner:
- cohort (day captured; dimension source | region | industry | owner_id | grade): captured, contacted,
  qualified, opportunity, won — each "by now", which equals "by the end of the range" for any
  range that ends now or later (so the reports use the roll-up only for those).
- closed (day the deal closed; the owner is the deal's): won, lost, won cents.
- sla (day assigned; dimension owner_id): met, missed, assigned.
- automation (day of the audit line; dimension = action, reason, by-the-system; value = subject).
Values are '' for none and '=' + the value otherwise, so '' and None never collide.

The checklist report's families (dimension = an id, value ''), see core/playbooks/report.py; a
deleted lead contributes nothing, like above:
- steps (day of the step exit; scope 0 and the lead's owner; dimension = item): exits of a step
  listing the item (done or open), of them with it open (skipped).
- entered (day the deal closed; scope 0 and the deal's owner; dimension = stage): closed and won of
  the deals ever moved into the stage.
- ticked (the same days and scopes; dimension = item): closed and won of the deals whose lead has
  the item ticked done — for a stage item only if the deal was ever moved into its stage.
Their closed deals are the 'closed' family's. What a lead adds to them is `checklist_contributions()`
over its exits, its deal's moves and its ticks (`ChecklistFacts`). Writing a lead, a deal, a tick,
an exit or a move touches the lead (`touched_leads`); its moves and done ticks are read before and
after only while its deal is closed, its exits only when its owner or liveness changed (else only
the exits the transaction inserted are added: the app never rewrites one) — see `_exits_moved`.

The roll-up is built for one time zone (the team's days); `ensure()` at start-up rebuilds it
when the zone differs or it was never built, and until then nothing keeps it.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import SQLModel, col

from .models import (
    AppSetting,
    AuditEntry,
    ChecklistTick,
    Lead,
    Opportunity,
    PlaybookItem,
    ReportDay,
    Stage,
    StageChange,
    StepExit,
)
from .report_figures import (  # what each figure counts: one declaration, shared with the raw queries
    AUTOMATION_ACTIONS,
    CLOSED_KINDS,
    CONTACTED_STATUSES,
    QUALIFIED_STATUSES,
    SLA_MET,
    SLA_MISSED,
    WON,
)

ZONE_KEY = 'report_rollup_zone'
FIGURES = ('n1', 'n2', 'n3', 'n4', 'n5')

Key = tuple[str, int, date, str, str]
"""(family, scope, day, dimension, value)."""

_zones: weakref.WeakKeyDictionary[Engine, str | None] = weakref.WeakKeyDictionary()
_DAYS = SQLModel.metadata.tables[ReportDay.__tablename__]  # = `.__table__` (undeclared in SQLModel)
_SETTINGS = SQLModel.metadata.tables[AppSetting.__tablename__]


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
    grade: str | None
    """Only the cohort's `grade` dimension reads it (the goals leaderboard's grade mix)."""


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
        won = live_deal is not None and live_deal.kind == WON and live_deal.closed_at is not None
        figures: tuple[int, ...] = (1, int(lead.first_contact_at is not None or lead.status in CONTACTED_STATUSES),
                   int(lead.status in QUALIFIED_STATUSES), int(live_deal is not None), int(won))
        for scope in scopes:
            for dimension, value in values.items():
                yield ('cohort', scope, day, dimension, value), figures
            yield ('cohort', scope, day, 'grade', encode(lead.grade)), figures
    if lead.owner_id and lead.assigned_at is not None:
        figures = (int(lead.sla_status == SLA_MET), int(lead.sla_status == SLA_MISSED), 1)
        for scope in scopes:
            yield ('sla', scope, _day(lead.assigned_at, zone), 'owner_id', values['owner_id']), figures
    if live_deal is not None and live_deal.kind in CLOSED_KINDS and live_deal.closed_at is not None:
        won = live_deal.kind == WON
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


CHECKLIST_FAMILIES = ('steps', 'entered', 'ticked')

Exit = tuple[datetime | None, tuple[int, ...], tuple[int, ...]]
"""(written at, done item ids, open item ids) of one step exit."""


@dataclass(frozen=True, slots=True)
class ChecklistFacts:
    """What the checklist families need of one lead besides its `LeadFacts` and `DealFacts`."""

    exits: tuple[Exit, ...] = ()
    entered: frozenset[int] = frozenset()
    """The stages its deal was ever moved into."""
    done: tuple[tuple[int, int | None], ...] = ()
    """(item, the item's stage) of its ticks that are done."""


NO_CHECKLIST = ChecklistFacts()


def exit_contributions(owner_id: int | None, exit_: Exit, zone: ZoneInfo) -> Figures:
    """What one step exit of a live lead adds: per item listed, one exit, and one skip if open."""
    created_at, done_ids, open_ids = exit_
    if created_at is None:
        return
    day, opened = _day(created_at, zone), set(open_ids)
    for scope in (0, owner_id) if owner_id else (0,):
        for item in set(done_ids) | opened:
            yield ('steps', scope, day, str(item), ''), (1, int(item in opened))


def closed_checklist_contributions(deal: DealFacts | None, entered: frozenset[int],
                                   done: Iterable[tuple[int, int | None]], zone: ZoneInfo) -> Figures:
    """What a live lead's closed deal adds to 'entered' and 'ticked'."""
    if deal is None or deal.closed_at is None or not _is_closed(deal):  # (the first two for the type checker)
        return
    figures = (1, int(deal.kind == WON))
    day = _day(deal.closed_at, zone)
    items = [item for item, stage in done if stage is None or stage in entered]
    for scope in (0, deal.owner_id) if deal.owner_id else (0,):
        for stage in entered:
            yield ('entered', scope, day, str(stage), ''), figures
        for item in items:
            yield ('ticked', scope, day, str(item), ''), figures


def checklist_contributions(lead: LeadFacts | None, deal: DealFacts | None, facts: ChecklistFacts,
                            zone: ZoneInfo) -> Figures:
    """What one lead adds to the checklist families (see the module's docstring)."""
    if lead is None or lead.is_deleted:
        return
    for exit_ in facts.exits:
        yield from exit_contributions(lead.owner_id, exit_, zone)
    yield from closed_checklist_contributions(deal, facts.entered, facts.done, zone)


def _is_closed(deal: DealFacts | None) -> bool:
    return deal is not None and not deal.is_deleted and deal.kind in CLOSED_KINDS and deal.closed_at is not None


def _exit(created_at: datetime | None, done_ids: Any, open_ids: Any) -> Exit:
    return created_at, tuple(int(i) for i in done_ids or ()), tuple(int(i) for i in open_ids or ())


def _stored_exits(connection: sa.Connection, where: sa.ColumnElement[bool]) -> dict[int, list[tuple[int, Exit]]]:
    """Lead → [(exit id, exit)] of the step exits matching `where`."""
    out: dict[int, list[tuple[int, Exit]]] = {}
    for exit_id, lead_id, at, done_ids, open_ids in connection.execute(
            sa.select(col(StepExit.id), col(StepExit.lead_id), col(StepExit.created_at), col(StepExit.done_ids),
                      col(StepExit.open_ids))
            .where(where)):
        assert exit_id is not None  # a primary key
        out.setdefault(lead_id, []).append((exit_id, _exit(at, done_ids, open_ids)))
    return out


def closed_stored(connection: sa.Connection,
                   stored: Mapping[int, tuple[LeadFacts, DealFacts | None]]) -> dict[int, ChecklistFacts]:
    """The moves and done ticks the database holds now for those of these leads that are live with
    a closed deal — nothing else adds them, so most flushes read nothing here."""
    closed = sorted(i for i, (lead, deal) in stored.items() if not lead.is_deleted and _is_closed(deal))
    if not closed:
        return {}
    entered: dict[int, set[int]] = {}
    done: dict[int, list[tuple[int, int | None]]] = {}
    for lead_id, stage in connection.execute(
            sa.select(col(Opportunity.lead_id), col(StageChange.to_stage_id)).distinct()
            .select_from(StageChange).join(Opportunity, col(Opportunity.id) == StageChange.opportunity_id)
            .where(col(Opportunity.lead_id).in_(closed))):
        entered.setdefault(lead_id, set()).add(stage)
    for lead_id, item, item_stage in connection.execute(
            sa.select(col(ChecklistTick.lead_id), col(ChecklistTick.item_id), col(PlaybookItem.stage_id))
            .join(PlaybookItem, col(PlaybookItem.id) == ChecklistTick.item_id)
            .where(col(ChecklistTick.lead_id).in_(closed), col(ChecklistTick.done) == True)):  # noqa: E712
        done.setdefault(lead_id, []).append((item, item_stage))
    return {i: ChecklistFacts(entered=frozenset(entered.get(i, ())), done=tuple(sorted(done.get(i, ()))))
            for i in closed}


def _exits_counted_as(pair: tuple[LeadFacts, DealFacts | None] | None) -> tuple[bool, int | None]:
    """What a lead's exits are counted under: whether at all (a live lead), and for which owner."""
    if pair is None or pair[0].is_deleted:
        return False, None
    return True, pair[0].owner_id


Counted = Counter[tuple[Key, tuple[int, ...]]]
"""How many times each (key, figures) pair was added (negative: taken away). Counting the pairs and
folding them once is ~3× cheaper than adding figure by figure into a list per key: a key's
figures are mostly the same few tuples (a new lead is (1, 0, 0, 0, 0) in eight keys)."""


def _add(counts: Counted, items: Iterable[tuple[Key, tuple[int, ...]]], sign: int) -> None:
    if sign == 1:
        counts.update(items)  # (counted in C: an import adds ~16 pairs a lead)
    else:
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

def zone_of(session: OrmSession) -> ZoneInfo | None:
    """The zone the roll-up is kept in (None: not built yet, nothing is kept)."""
    engine = session.get_bind().engine  # (an Engine's `engine` is itself)
    if engine not in _zones:
        row = session.connection().execute(sa.select(col(AppSetting.value))
                                           .where(col(AppSetting.key) == ZONE_KEY)).first()
        _zones[engine] = row[0] if row else None
    name = _zones[engine]
    return ZoneInfo(name) if name else None


def _lead_facts(values: Mapping[str, Any]) -> LeadFacts:
    return LeadFacts(**{f: values[f] for f in LEAD_FIELDS})


def _stage_kinds(connection: sa.Connection) -> dict[int, str]:
    rows = connection.execute(sa.select(col(Stage.id), col(Stage.kind))).tuples()
    return {stage_id: kind for stage_id, kind in rows if stage_id is not None}  # (a primary key: never None)


def _deal_facts(values: Mapping[str, Any], kinds: Mapping[int, str]) -> DealFacts:
    return DealFacts(kind=kinds.get(values['stage_id']), closed_at=values['closed_at'],
                     amount_cents=int(values['amount_cents'] or 0), owner_id=values['owner_id'],
                     is_deleted=bool(values['is_deleted']))


def stored(connection: sa.Connection, lead_ids: Iterable[int]) -> dict[int, tuple[LeadFacts, DealFacts | None]]:
    """What the database holds now for these leads and their deals (one query)."""
    ids = sorted(set(lead_ids))
    if not ids:
        return {}
    kinds = _stage_kinds(connection)
    query = (sa.select(col(Lead.id), *(getattr(Lead, f) for f in LEAD_FIELDS), col(Opportunity.id),
                       *(getattr(Opportunity, f) for f in DEAL_FIELDS))
             .select_from(Lead).outerjoin(Opportunity, col(Opportunity.lead_id) == Lead.id)
             .where(col(Lead.id).in_(ids)))
    width = len(LEAD_FIELDS)
    out = {}
    for row in connection.execute(query):
        lead = _lead_facts(dict(zip(LEAD_FIELDS, row[1:1 + width], strict=True)))
        deal = None if row[1 + width] is None else _deal_facts(
            dict(zip(DEAL_FIELDS, row[2 + width:], strict=True)), kinds)
        out[row[0]] = (lead, deal)
    return out


def touched_leads(connection: sa.Connection, objects: Iterable[object]) -> set[int]:
    """Leads whose contribution a write of these ORM objects may change: touched leads, the leads
    of touched deals, and of touched ticks, step exits and moves (a move names its deal: its lead
    is read unless the deal is among the objects too). A new lead has no id yet: not listed."""
    ids: set[int] = set()
    deals: set[int] = set()
    moved: set[int] = set()
    for obj in objects:
        if isinstance(obj, Lead) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, Opportunity) and obj.lead_id is not None:
            ids.add(obj.lead_id)
            if obj.id is not None:
                deals.add(obj.id)
        elif isinstance(obj, ChecklistTick | StepExit) and obj.lead_id:
            ids.add(obj.lead_id)
        elif isinstance(obj, StageChange) and obj.opportunity_id:
            moved.add(obj.opportunity_id)
    if moved - deals:
        ids.update(connection.execute(
            sa.select(col(Opportunity.lead_id)).where(col(Opportunity.id).in_(sorted(moved - deals)))).scalars())
    return ids


def stored_exits(connection: sa.Connection, lead_ids: Iterable[int]) -> dict[int, list[tuple[int, Exit]]]:
    """Lead → [(exit id, exit)]: the step exits these leads have now."""
    return _stored_exits(connection, col(StepExit.lead_id).in_(sorted(set(lead_ids))))


@dataclass
class Changes:
    """What one transaction did to the roll-up's inputs, as core's unit of work collects it
    (core/projections.py): the leads' stored facts the first time the transaction touched them
    (None: the lead did not exist), the audit lines and leads it inserted, the step exits it
    inserted, and for leads whose exits it rewrote or deleted, their exits before."""

    before: dict[int, tuple[LeadFacts, DealFacts | None] | None] = field(default_factory=dict)
    closed_before: dict[int, ChecklistFacts] = field(default_factory=dict)
    audits: list[Mapping[str, Any]] = field(default_factory=list)
    inserted: list[Any] = field(default_factory=list)
    """Leads written with Core bulk inserts (every column an attribute, no deal yet): their facts
    are the objects' own, nothing is read back unless the ORM touched them later."""
    new_exits: set[int] = field(default_factory=set)
    exits_before: dict[int, list[tuple[int, Exit]]] = field(default_factory=dict)
    """Lead → its exits before, for the leads whose exits were rewritten or deleted."""


def inserted_facts(lead: Any) -> LeadFacts:
    return LeadFacts(*(getattr(lead, f) for f in LEAD_FIELDS))


def _exits_moved(connection: sa.Connection, changes: Changes, ids: Iterable[int],
                 before: Mapping[int, tuple[LeadFacts, DealFacts | None] | None],
                 after: Mapping[int, tuple[LeadFacts, DealFacts | None]]) -> dict[int, tuple[list[Exit], list[Exit]]]:
    """Lead → (exits to take away, exits to add). A lead's exits count under its owner while it is
    live: when that changed, all of them move (read once, at the end; those this transaction
    inserted were not counted before); otherwise only the exits it inserted are added."""
    rewritten, exits_before, new_ids = set(changes.exits_before), changes.exits_before, changes.new_exits
    moved = {i for i in ids if _exits_counted_as(before.get(i)) != _exits_counted_as(after.get(i))} | rewritten
    out: dict[int, tuple[list[Exit], list[Exit]]] = {}
    if moved:
        for lead_id, rows in stored_exits(connection, moved).items():
            old = [e for _, e in exits_before.get(lead_id, ())] if lead_id in rewritten else \
                [e for exit_id, e in rows if exit_id not in new_ids]
            out[lead_id] = (old, [e for _, e in rows])
        for lead_id in rewritten - set(out):
            out[lead_id] = ([e for _, e in exits_before.get(lead_id, ())], [])
        for lead_id in moved - set(out):
            out[lead_id] = ([], [])
    if new_ids:
        for lead_id, rows in _stored_exits(connection, col(StepExit.id).in_(sorted(new_ids))).items():
            if lead_id not in moved:
                out[lead_id] = ([], [e for _, e in rows])
    return out


def apply_changes(connection: sa.Connection, zone: ZoneInfo, changes: Changes,
                  after: Mapping[int, tuple[LeadFacts, DealFacts | None]]) -> None:
    """Add to the roll-up what one transaction changed: each touched lead's contribution after
    (`after`, read by the caller at the end) minus before, the inserted leads' and audit lines'."""
    totals: Counted = Counter()
    for a in changes.audits:
        if a['action'] in AUTOMATION_ACTIONS:
            _add(totals, audit_contributions((a['action'], a.get('reason_key'), a.get('actor_id'),
                                              a.get('subject_user_id'), a.get('created_at')), zone), 1)
    touched = set(changes.before)
    for lead in changes.inserted:
        if lead.id not in touched:
            _add(totals, contributions(inserted_facts(lead), None, zone), 1)
    if touched:
        before = changes.before
        closed_after = closed_stored(connection, after)
        exits = _exits_moved(connection, changes, touched, before, after)
        for lead_id in touched:
            old_exits, new_exits = exits.get(lead_id, ((), ()))
            lead, deal = before.get(lead_id) or (None, None)
            _add(totals, contributions(lead, deal, zone), -1)
            facts = changes.closed_before.get(lead_id, NO_CHECKLIST)
            _add(totals, checklist_contributions(lead, deal, replace(facts, exits=tuple(old_exits)), zone), -1)
            lead, deal = after.get(lead_id, (None, None))
            _add(totals, contributions(lead, deal, zone), 1)
            facts = closed_after.get(lead_id, NO_CHECKLIST)
            _add(totals, checklist_contributions(lead, deal, replace(facts, exits=tuple(new_exits)), zone), 1)
    _apply(connection, _fold(totals))


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
        table = _DAYS
        insert = postgresql.insert(table) if dialect_name == 'postgresql' else sqlite.insert(table)
        statement = _upserts[dialect_name] = insert.on_conflict_do_update(
            index_elements=['family', 'scope_id', 'day', 'dimension', 'value'],
            set_={f: table.c[f] + insert.excluded[f] for f in FIGURES})
    return statement


def assigned_since(session: OrmSession, day_start: datetime, rep_ids: Iterable[int]) -> dict[int, int] | None:
    """Per rep, the 'assigned' audit lines naming them from `day_start` on — the same count as
    `created_at >= day_start` over the audit trail, read from the 'automation' family (a few rows
    per rep and day instead of one index entry per assignment). None when the roll-up is not kept
    or `day_start` is not a midnight of its zone (its days would not line up with the count)."""
    zone = zone_of(session)
    if zone is None:
        return None
    local = day_start.astimezone(zone)
    if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
        return None
    rows = session.execute(_ASSIGNED_SINCE, {'ids': sorted(set(rep_ids)), 'day': local.date()})
    return {int(scope): int(n) for scope, n in rows}


_ASSIGNED_SINCE = (
    sa.select(_DAYS.c.scope_id, sa.func.sum(_DAYS.c.n1))
    .where(_DAYS.c.family == 'automation', _DAYS.c.scope_id.in_(sa.bindparam('ids', expanding=True)),
           _DAYS.c.day >= sa.bindparam('day'), _DAYS.c.dimension.like('assigned\t%'))
    .group_by(_DAYS.c.scope_id))
"""Built once: building the statement cost ~10× running it."""


# ----- building it -------------------------------------------------------------------------------------

def built_zone(connection: sa.Connection) -> str | None:
    row = connection.execute(sa.select(col(AppSetting.value)).where(col(AppSetting.key) == ZONE_KEY)).first()
    return row[0] if row else None


def rebuild(connection: sa.Connection, zone_name: str) -> None:
    """Recompute the whole roll-up from the leads, deals and audit trail (start-up after the
    migration, a change of time zone, or bulk writes that bypassed core's unit of work)."""
    zone = ZoneInfo(zone_name)
    totals: Counted = Counter()
    kinds = _stage_kinds(connection)
    lead_columns = [getattr(Lead, f) for f in LEAD_FIELDS]
    deal_columns = [getattr(Opportunity, f) for f in DEAL_FIELDS]
    query = (sa.select(*lead_columns, col(Opportunity.id), *deal_columns)
             .select_from(Lead).outerjoin(Opportunity, col(Opportunity.lead_id) == Lead.id)
             .where(col(Lead.is_deleted) == False))  # noqa: E712
    width = len(LEAD_FIELDS)
    closed: dict[int, DealFacts] = {}  # closed deals of live leads, by deal id: the checklist families' deals
    for row in connection.execute(query).yield_per(20_000):
        lead = _lead_facts(dict(zip(LEAD_FIELDS, row[:width], strict=True)))
        deal = None if row[width] is None else _deal_facts(dict(zip(DEAL_FIELDS, row[width + 1:], strict=True)),
                                                            kinds)
        _add(totals, contributions(lead, deal, zone), 1)
        if deal is not None and _is_closed(deal):
            closed[row[width]] = deal
    audit = sa.select(col(AuditEntry.action), col(AuditEntry.reason_key), col(AuditEntry.actor_id),
                      col(AuditEntry.subject_user_id), col(AuditEntry.created_at)
                      ).where(col(AuditEntry.action).in_(AUTOMATION_ACTIONS))
    for entry in connection.execute(audit).yield_per(20_000).tuples():
        _add(totals, audit_contributions(entry, zone), 1)
    _add_checklist(connection, totals, closed, zone)
    connection.execute(sa.delete(ReportDay))
    _apply(connection, _fold(totals))
    settings = _SETTINGS
    connection.execute(sa.delete(settings).where(settings.c.key == ZONE_KEY))
    connection.execute(sa.insert(settings).values(key=ZONE_KEY, value=zone_name))
    _zones[connection.engine] = zone_name


def _add_checklist(connection: sa.Connection, totals: Counted, closed: Mapping[int, DealFacts],
                   zone: ZoneInfo) -> None:
    """The checklist families from the raw rows: every exit of a live lead, and the moves and done
    ticks of the closed deals (`closed`, by deal id) — the same per-lead functions `apply_changes` uses."""
    exits = (sa.select(col(Lead.owner_id), col(StepExit.created_at), col(StepExit.done_ids), col(StepExit.open_ids))
             .join(Lead, col(Lead.id) == StepExit.lead_id).where(col(Lead.is_deleted) == False))  # noqa: E712
    for owner_id, at, done_ids, open_ids in connection.execute(exits).yield_per(20_000):
        _add(totals, exit_contributions(owner_id, _exit(at, done_ids, open_ids), zone), 1)
    entered: dict[int, set[int]] = {}
    for deal_id, stage in connection.execute(sa.select(col(StageChange.opportunity_id), col(StageChange.to_stage_id))
                                             .distinct()).yield_per(20_000):
        if deal_id in closed:
            entered.setdefault(deal_id, set()).add(stage)
    lead_deal = {lead_id: deal_id for lead_id, deal_id in connection.execute(
        sa.select(col(Opportunity.lead_id), col(Opportunity.id))).yield_per(20_000) if deal_id in closed}
    done: dict[int, list[tuple[int, int | None]]] = {}
    ticks = (sa.select(col(ChecklistTick.lead_id), col(ChecklistTick.item_id), col(PlaybookItem.stage_id))
             .join(PlaybookItem, col(PlaybookItem.id) == ChecklistTick.item_id)
             .where(col(ChecklistTick.done) == True))  # noqa: E712
    for lead_id, item, item_stage in connection.execute(ticks).yield_per(20_000):
        ticked_deal = lead_deal.get(lead_id)
        if ticked_deal is not None:
            done.setdefault(ticked_deal, []).append((item, item_stage))
    for deal_id, deal in closed.items():
        _add(totals, closed_checklist_contributions(deal, frozenset(entered.get(deal_id, ())),
                                                    done.get(deal_id, ()), zone), 1)


def ensure(engine: Engine, zone_name: str) -> None:
    """Build the roll-up if it was never built or was built for another time zone."""
    with engine.begin() as connection:
        if built_zone(connection) != zone_name:
            rebuild(connection, zone_name)
        _zones[engine] = zone_name


def forget(engine: Engine) -> None:
    """Drop the cached zone (after a bulk rebuild elsewhere)."""
    _zones.pop(engine, None)
