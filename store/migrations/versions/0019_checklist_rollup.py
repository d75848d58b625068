"""checklist report rolled up: step exits indexed by lead (the roll-up's flush hook reads a touched
lead's exits), and `report_days` rebuilt so it holds the checklist families (steps, entered, ticked;
store/report_rollup.py) — the checklist panel then sums a few rows a day instead of a year's exits
and ticks. A database whose roll-up was never built is left to start-up (`report_rollup.ensure`).

The rebuild is a frozen copy of `store.report_rollup.rebuild` as it stood at this revision (plain
tables and columns, no models): a migration must keep doing what it did when the app's code moves on.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 04:10:00
"""
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS: a database upgraded before migrations ran in one transaction on SQLite may hold
    # the index without this revision (the driver committed the DDL at once, then the rebuild stopped).
    op.create_index('ix_playbook_exits_lead', 'playbook_exits', ['lead_id'], if_not_exists=True)
    connection = op.get_bind()
    zone = _built_zone(connection)
    if zone is not None:
        _rebuild(connection, zone)


def downgrade() -> None:
    op.execute("DELETE FROM report_days WHERE family IN ('steps', 'entered', 'ticked')")
    op.drop_index('ix_playbook_exits_lead', table_name='playbook_exits', if_exists=True)


# ----- the roll-up's rebuild at this revision (frozen) ----------------------------------------------------

ZONE_KEY = 'report_rollup_zone'
AUTOMATION_ACTIONS = ('assigned', 'sla_breached', 'recycled', 'sent_to_review')
CONTACTED_STATUSES = ('contacted', 'qualified', 'converted')
QUALIFIED_STATUSES = ('qualified', 'converted')
FIGURES = ('n1', 'n2', 'n3', 'n4', 'n5')
LEAD_FIELDS = ('created_at', 'source', 'region', 'industry', 'owner_id', 'status', 'first_contact_at',
               'assigned_at', 'sla_status', 'is_deleted')
DEAL_FIELDS = ('stage_id', 'closed_at', 'amount_cents', 'owner_id', 'is_deleted')
_TIMES = ('created_at', 'first_contact_at', 'assigned_at', 'closed_at')

Key = tuple[str, int, date, str, str]
Figures = Iterator[tuple[Key, tuple[int, ...]]]
Counted = Counter  # [(key, figures)] -> how many times added

_app_settings = sa.table('app_settings', sa.column('key', sa.String), sa.column('value', sa.String))
_report_days = sa.table('report_days', sa.column('family', sa.String), sa.column('scope_id', sa.Integer),
                        sa.column('day', sa.Date), sa.column('dimension', sa.String), sa.column('value', sa.String),
                        *(sa.column(f, sa.BigInteger) for f in FIGURES))
_stages = sa.table('stages', sa.column('id', sa.Integer), sa.column('kind', sa.String))
_leads = sa.table('leads', sa.column('id', sa.Integer),
                  *(sa.column(f, sa.DateTime if f in _TIMES else sa.Boolean if f == 'is_deleted' else sa.String)
                    for f in LEAD_FIELDS if f != 'owner_id'), sa.column('owner_id', sa.Integer))
_deals = sa.table('opportunities', sa.column('id', sa.Integer), sa.column('lead_id', sa.Integer),
                  sa.column('stage_id', sa.Integer), sa.column('closed_at', sa.DateTime),
                  sa.column('amount_cents', sa.BigInteger), sa.column('owner_id', sa.Integer),
                  sa.column('is_deleted', sa.Boolean))
_audit = sa.table('audit_entries', sa.column('action', sa.String), sa.column('reason_key', sa.String),
                  sa.column('actor_id', sa.Integer), sa.column('subject_user_id', sa.Integer),
                  sa.column('created_at', sa.DateTime))
_exits = sa.table('playbook_exits', sa.column('lead_id', sa.Integer), sa.column('created_at', sa.DateTime),
                  sa.column('done_ids', sa.JSON), sa.column('open_ids', sa.JSON))
_moves = sa.table('stage_changes', sa.column('opportunity_id', sa.Integer), sa.column('to_stage_id', sa.Integer))
_ticks = sa.table('checklist_ticks', sa.column('lead_id', sa.Integer), sa.column('item_id', sa.Integer),
                  sa.column('done', sa.Boolean))
_items = sa.table('playbook_items', sa.column('id', sa.Integer), sa.column('stage_id', sa.Integer))


def _built_zone(connection: sa.Connection) -> str | None:
    row = connection.execute(sa.select(_app_settings.c.value).where(_app_settings.c.key == ZONE_KEY)).first()
    return row[0] if row else None


def _encode(value: Any) -> str:
    return '' if value is None else f'={value}'


def _day(moment: datetime, zone: ZoneInfo) -> date:
    # stored as naive UTC (store.types.UTCDateTime)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone).date()


def _is_closed(deal: dict[str, Any] | None) -> bool:
    return deal is not None and not deal['is_deleted'] and deal['kind'] in ('won', 'lost') \
        and deal['closed_at'] is not None


def _contributions(lead: dict[str, Any], deal: dict[str, Any] | None, zone: ZoneInfo) -> Figures:
    if lead['is_deleted']:
        return
    owner = lead['owner_id']
    scopes = (0, owner) if owner else (0,)
    values = {'source': _encode(lead['source']), 'region': _encode(lead['region']),
              'industry': _encode(lead['industry']), 'owner_id': _encode(owner)}
    live_deal = deal if deal is not None and not deal['is_deleted'] else None
    if lead['created_at'] is not None:
        day = _day(lead['created_at'], zone)
        won = live_deal is not None and live_deal['kind'] == 'won' and live_deal['closed_at'] is not None
        figures = (1, int(lead['first_contact_at'] is not None or lead['status'] in CONTACTED_STATUSES),
                   int(lead['status'] in QUALIFIED_STATUSES), int(live_deal is not None), int(won))
        for scope in scopes:
            for dimension, value in values.items():
                yield ('cohort', scope, day, dimension, value), figures
    if owner and lead['assigned_at'] is not None:
        figures = (int(lead['sla_status'] == 'fulfilled'), int(lead['sla_status'] == 'failed'), 1)
        for scope in scopes:
            yield ('sla', scope, _day(lead['assigned_at'], zone), 'owner_id', values['owner_id']), figures
    if live_deal is not None and live_deal['kind'] in ('won', 'lost') and live_deal['closed_at'] is not None:
        won = live_deal['kind'] == 'won'
        figures = (int(won), int(not won), int(live_deal['amount_cents'] or 0) if won else 0)
        day = _day(live_deal['closed_at'], zone)
        deal_values = values | {'owner_id': _encode(live_deal['owner_id'])}
        for scope in (0, live_deal['owner_id']) if live_deal['owner_id'] else (0,):
            for dimension, value in deal_values.items():
                yield ('closed', scope, day, dimension, value), figures


def _audit_contributions(entry: tuple[str, str | None, int | None, int | None, datetime | None],
                         zone: ZoneInfo) -> Figures:
    action, reason_key, actor_id, subject, created_at = entry
    if action not in AUTOMATION_ACTIONS or created_at is None:
        return
    dimension = f'{action}\t{reason_key or ""}\t{int(actor_id is None)}'
    for scope in (0, subject) if subject else (0,):
        yield ('automation', scope, _day(created_at, zone), dimension, _encode(subject)), (1,)


def _exit_contributions(owner_id: int | None, created_at: datetime | None, done_ids: Any, open_ids: Any,
                        zone: ZoneInfo) -> Figures:
    if created_at is None:
        return
    day, opened = _day(created_at, zone), {int(i) for i in open_ids or ()}
    for scope in (0, owner_id) if owner_id else (0,):
        for item in {int(i) for i in done_ids or ()} | opened:
            yield ('steps', scope, day, str(item), ''), (1, int(item in opened))


def _closed_checklist_contributions(deal: dict[str, Any], entered: frozenset[int],
                                    done: Iterable[tuple[int, int | None]], zone: ZoneInfo) -> Figures:
    if not _is_closed(deal):
        return
    figures = (1, int(deal['kind'] == 'won'))
    day = _day(deal['closed_at'], zone)
    items = [item for item, stage in done if stage is None or stage in entered]
    for scope in (0, deal['owner_id']) if deal['owner_id'] else (0,):
        for stage in entered:
            yield ('entered', scope, day, str(stage), ''), figures
        for item in items:
            yield ('ticked', scope, day, str(item), ''), figures


def _add(counts: Counted, items: Iterable[tuple[Key, tuple[int, ...]]]) -> None:
    for item in items:
        counts[item] += 1


def _rebuild(connection: sa.Connection, zone_name: str) -> None:
    """Recompute the whole roll-up from the leads, deals, audit trail, step exits, moves and ticks."""
    zone = ZoneInfo(zone_name)
    totals: Counted = Counter()
    kinds = dict(connection.execute(sa.select(_stages.c.id, _stages.c.kind)).all())
    query = (sa.select(*(_leads.c[f] for f in LEAD_FIELDS), _deals.c.id, *(_deals.c[f] for f in DEAL_FIELDS))
             .select_from(_leads).outerjoin(_deals, _deals.c.lead_id == _leads.c.id)
             .where(_leads.c.is_deleted == sa.false()))
    width = len(LEAD_FIELDS)
    closed: dict[int, dict[str, Any]] = {}  # closed deals of live leads, by deal id
    for row in connection.execute(query):
        lead = dict(zip(LEAD_FIELDS, row[:width], strict=True))
        lead['is_deleted'] = bool(lead['is_deleted'])
        deal = None
        if row[width] is not None:
            deal = dict(zip(DEAL_FIELDS, row[width + 1:], strict=True))
            deal['kind'] = kinds.get(deal['stage_id'])
            deal['is_deleted'] = bool(deal['is_deleted'])
        _add(totals, _contributions(lead, deal, zone))
        if _is_closed(deal):
            closed[row[width]] = deal
    audit = sa.select(_audit.c.action, _audit.c.reason_key, _audit.c.actor_id, _audit.c.subject_user_id,
                      _audit.c.created_at).where(_audit.c.action.in_(AUTOMATION_ACTIONS))
    for entry in connection.execute(audit):
        _add(totals, _audit_contributions(tuple(entry), zone))
    exits = (sa.select(_leads.c.owner_id, _exits.c.created_at, _exits.c.done_ids, _exits.c.open_ids)
             .join(_leads, _leads.c.id == _exits.c.lead_id).where(_leads.c.is_deleted == sa.false()))
    for owner_id, at, done_ids, open_ids in connection.execute(exits):
        _add(totals, _exit_contributions(owner_id, at, done_ids, open_ids, zone))
    entered: dict[int, set[int]] = {}
    for deal_id, stage in connection.execute(sa.select(_moves.c.opportunity_id, _moves.c.to_stage_id).distinct()):
        if deal_id in closed:
            entered.setdefault(deal_id, set()).add(stage)
    lead_deal = {lead_id: deal_id for lead_id, deal_id in connection.execute(sa.select(_deals.c.lead_id, _deals.c.id))
                 if deal_id in closed}
    done: dict[int, list[tuple[int, int | None]]] = {}
    ticks = (sa.select(_ticks.c.lead_id, _ticks.c.item_id, _items.c.stage_id)
             .join(_items, _items.c.id == _ticks.c.item_id).where(_ticks.c.done == sa.true()))
    for lead_id, item, stage in connection.execute(ticks):
        deal_id = lead_deal.get(lead_id)
        if deal_id is not None:
            done.setdefault(deal_id, []).append((item, stage))
    for deal_id, deal in closed.items():
        _add(totals, _closed_checklist_contributions(deal, frozenset(entered.get(deal_id, ())),
                                                     done.get(deal_id, ()), zone))
    folded: dict[Key, list[int]] = {}
    for (key, figures), n in totals.items():
        total = folded.setdefault(key, [0] * 5)
        for i, value in enumerate(figures):
            total[i] += n * value
    connection.execute(sa.delete(_report_days))
    rows = [{'family': k[0], 'scope_id': k[1], 'day': k[2], 'dimension': k[3], 'value': k[4],
             **dict(zip(FIGURES, v, strict=True))} for k, v in sorted(folded.items()) if any(v)]
    if rows:
        connection.execute(sa.insert(_report_days), rows)
    connection.execute(sa.delete(_app_settings).where(_app_settings.c.key == ZONE_KEY))
    connection.execute(sa.insert(_app_settings).values(key=ZONE_KEY, value=zone_name))
