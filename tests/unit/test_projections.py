"""Every write path reaches the projections through core's unit of work (core/projections.py):
after each kind of write — single and batched capture, an import, the timer (SLA breach, recycle),
merge, convert, reassign, a claim from the pool, pipeline moves (won, lost), a checklist tick — the
kept open-lead counters, report roll-up and stage stays equal a rebuild from the raw rows, and a
webhook subscribed to every event got exactly the events the write stood for."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from core import projections
from core.capture import intake as capture_path
from core.clock import FakeClock
from core.desk import Desk
from core.leads.bulk import BulkAction, BulkKind, Selection
from store import config_version, counters, report_rollup, search_index, stage_stays
from store.audit_actions import AuditAction, WebhookEvent
from store.models import Lead, LeadStatus, ReportDay, Role, SearchDoc, StageChange, User, WebhookDelivery
from store.queries import search
from tests import factories

from .db import get
from .test_conversion import make_opportunity, qualified_lead
from .test_import import csv_bytes, run_import
from .test_playbooks import _items, move, stage

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai


def derived(connection: sa.Connection) -> tuple[dict, set, dict, set]:
    """The four kept projections as the database holds them (the search index: its documents, and
    on SQLite what FTS5 finds for each document's lines — the index itself, not only its content)."""
    users = dict(connection.execute(sa.select(User.id, User.open_leads)).all())
    days = ReportDay.__table__  # type: ignore[attr-defined]
    rollup = {tuple(r) for r in connection.execute(sa.select(days)).all() if any(r[-5:])}
    stays = dict(connection.execute(sa.select(StageChange.id, StageChange.left_at)).all())
    docs = {tuple(r) for r in connection.execute(sa.select(SearchDoc.__table__)).all()}  # type: ignore[attr-defined]
    return users, {r[1:] for r in rollup}, stays, docs


def fts_agrees(connection: sa.Connection) -> None:
    """SQLite: FTS5's own check of the index against its content (`search_docs`), and each document
    found by each of its lines."""
    if connection.dialect.name != 'sqlite':
        return
    connection.exec_driver_sql("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
    for doc_id, body in connection.execute(sa.select(SearchDoc.id, SearchDoc.body)).all():
        for line in {x for x in body.split('\n') if len(x) >= 3}:
            hits = connection.exec_driver_sql('SELECT rowid FROM search_fts WHERE search_fts MATCH ?',
                                              (search.fts_phrase(line),)).scalars().all()
            assert doc_id in hits, (doc_id, line)
    connection.exec_driver_sql("INSERT INTO search_pairs(search_pairs, rank) VALUES ('integrity-check', 1)")
    for doc_id, pairs in connection.execute(sa.select(SearchDoc.id, SearchDoc.pairs)).all():
        for pair in set(pairs.split()):
            hits = connection.exec_driver_sql('SELECT rowid FROM search_pairs WHERE search_pairs MATCH ?',
                                              (search.fts_phrase(pair),)).scalars().all()
            assert doc_id in hits, (doc_id, pair)


def assert_rebuild_agrees(desk: Desk) -> None:
    """Rebuild every projection from the raw rows (in a transaction rolled back) and compare."""
    with desk.ctx.engine.connect() as connection, connection.begin() as transaction:
        kept = derived(connection)
        fts_agrees(connection)
        counters.recount_open_leads(connection)
        report_rollup.rebuild(connection, desk.ctx.settings.timezone)
        stage_stays.recompute(connection)
        search_index.rebuild(connection)
        rebuilt = derived(connection)
        fts_agrees(connection)
        transaction.rollback()
    assert kept[0] == rebuilt[0], 'open-lead counters'
    assert kept[1] == rebuilt[1], 'report roll-up'
    assert kept[2] == rebuilt[2], 'stage stays'
    assert kept[3] == rebuilt[3], 'search documents'


class Outbox:
    """The deliveries a webhook subscribed to every event got since the last look."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        admin = factories.admin(desk)
        desk.webhooks.set_allow_private(admin, True)
        desk.webhooks.save(admin, None, {'name': 'All', 'url': 'http://127.0.0.1:9/all', 'format': 'json',
                                         'events': list(WebhookEvent), 'secret': 's', 'language': 'en'})
        self.seen = 0

    def new(self) -> list[tuple[str, int | None]]:
        with Session(self.desk.ctx.engine) as s:
            found = s.exec(select(WebhookDelivery).where(WebhookDelivery.id > self.seen)
                           .order_by(WebhookDelivery.id)).all()
        if found:
            self.seen = found[-1].id or 0
        return [(d.event, (d.payload.get('lead') or {}).get('id')) for d in found]


@pytest.fixture
def world(desk: Desk, clock: FakeClock) -> tuple[Desk, FakeClock, Outbox, object, list]:
    clock._now = START
    manager = factories.user(desk, Role.MANAGER, name='Boss')
    reps = [factories.user(desk, Role.REP, name=f'Rep {i}', capacity=100) for i in range(2)]
    outbox = Outbox(desk)
    assert_rebuild_agrees(desk)
    return desk, clock, outbox, manager, reps


def events(found: list[tuple[str, int | None]]) -> list[str]:
    return [e for e, _ in found]


def test_every_write_path_keeps_every_projection(world: tuple, clock: FakeClock) -> None:
    desk, clock, outbox, manager, (ann, bo) = world

    # capture: one lead, through the single path
    one = desk.leads.capture_lead(factories.lead_data(), channel='api', default_source='api').lead_id
    assert outbox.new() == [(WebhookEvent.LEAD_CAPTURED, one), (WebhookEvent.LEAD_ASSIGNED, one)]
    assert_rebuild_agrees(desk)

    # capture: a batch as the API lane writes it (one by one: each its own events) and as core's import
    # path writes it (no per-row events), sharing one transaction with an ORM edit of another lead
    now = desk.ctx.now()
    with desk.ctx.write() as session:
        results, _told = capture_path.capture_rows(
            session, [factories.lead_data(), factories.lead_data()], default_source='api', region='CN',
            config=desk.ctx.capture_config.load(session), now=now,
            day_start=desk.ctx.day_start(now), actor_id=None, channel='api', one_by_one=True)
        lead = session.get(Lead, one)
        lead.region = 'East'
        session.add(lead)
    batch = [r.lead_id for r in results]
    assert sorted(outbox.new()) == sorted([(WebhookEvent.LEAD_CAPTURED, i) for i in batch]
                                          + [(WebhookEvent.LEAD_ASSIGNED, i) for i in batch])
    assert_rebuild_agrees(desk)

    with desk.ctx.write() as session:
        capture_path.capture_rows(session, [factories.lead_data(), factories.lead_data(status='x')],
                                  default_source='import', region='CN', config=desk.ctx.capture_config.load(session),
                                  now=now, day_start=desk.ctx.day_start(now), actor_id=None, channel='import',
                                  to_pool=True)
    assert outbox.new() == []
    assert_rebuild_agrees(desk)

    # an import: its rows are no events, the job's end is one
    data = csv_bytes([['name', 'phone'], ['Imp One', '13900001111'], ['Imp Two', '13900002222']], 'utf-8')
    run_import(desk, 'leads.csv', data)
    assert events(outbox.new()) == [WebhookEvent.IMPORT_DONE]
    assert_rebuild_agrees(desk)

    # a duplicate capture touches the existing lead (no new lead, no event)
    dup = factories.lead_data()
    first = desk.leads.capture_lead(dup, channel='api', default_source='api').lead_id
    outbox.new()
    again = desk.leads.capture_lead(dict(dup, company='Acme'), channel='api', default_source='api')
    assert again.lead_id == first and outbox.new() == []
    assert_rebuild_agrees(desk)

    # an edit of searched fields and of a searchable custom field; the field retired and restored (its
    # values leave and re-enter every document holding one)
    admin = factories.admin(desk)
    desk.custom_fields.define_field(admin, entity='lead', key='agent', type='text', label_zh='代理', label_en='Agent')
    desk.leads.update_lead(manager, first, version=get(desk, Lead, first).version,
                           changes={'name': '王芳', 'company': '深圳华为', 'custom': {'agent': '渠道张三'}})
    assert outbox.new() == []
    assert_rebuild_agrees(desk)
    desk.custom_fields.retire_field(admin, entity='lead', key='agent')
    assert_rebuild_agrees(desk)
    desk.custom_fields.restore_field(admin, entity='lead', key='agent')
    assert_rebuild_agrees(desk)

    # reassign, then to the pool and claimed from it
    owner = get(desk, Lead, one).owner_id
    target = bo if owner == ann.id else ann
    desk.steering.reassign(manager, [one], to_rep_id=target.id)
    assert outbox.new() == [(WebhookEvent.LEAD_ASSIGNED, one)]
    assert_rebuild_agrees(desk)
    desk.steering.reassign(manager, [one], to_rep_id=None)
    assert outbox.new() == [(WebhookEvent.LEAD_POOLED, one)]
    assert_rebuild_agrees(desk)
    desk.pool.claim_lead(ann, one)
    assert outbox.new() == [(WebhookEvent.LEAD_ASSIGNED, one)]
    assert get(desk, Lead, one).owner_id == ann.id
    assert_rebuild_agrees(desk)

    # qualify, convert, a checklist tick, stage moves: won, reopened, lost
    qualified = qualified_lead(desk, clock, ann)
    assert outbox.new() == [(WebhookEvent.LEAD_CAPTURED, qualified), (WebhookEvent.LEAD_ASSIGNED, qualified),
                            (WebhookEvent.LEAD_QUALIFIED, qualified)]  # (captured for the rep, worked, qualified)
    assert_rebuild_agrees(desk)
    deal = desk.pipeline.convert_lead(ann, qualified, amount='5000', expected_close=date(2026, 6, 30))
    assert outbox.new() == [(WebhookEvent.LEAD_CONVERTED, qualified)]
    assert_rebuild_agrees(desk)
    needs = stage(desk, 'Needs confirmed')
    item = _items(desk, f'stage:{needs.id}')[0]
    desk.playbooks.tick(ann, item.id or 0, done=True, opportunity_id=deal)
    move(desk, ann, deal, 'Needs confirmed')
    assert outbox.new() == []
    assert_rebuild_agrees(desk)
    move(desk, ann, deal, 'Won', won_amount='5000', close_date=date(2026, 3, 2))
    assert outbox.new() == [(WebhookEvent.OPPORTUNITY_WON, qualified)]
    assert_rebuild_agrees(desk)
    move(desk, manager, deal, 'Needs confirmed')  # reopened: no event
    assert outbox.new() == []
    desk.playbooks.tick(ann, item.id or 0, done=False, opportunity_id=deal)
    assert_rebuild_agrees(desk)
    move(desk, ann, deal, 'Lost', lost_reason='price')
    assert outbox.new() == [(WebhookEvent.OPPORTUNITY_LOST, qualified)]
    assert_rebuild_agrees(desk)
    other = make_opportunity(desk, clock, bo)
    outbox.new()
    move(desk, bo, other, 'Lost', lost_reason='price')
    assert events(outbox.new()) == [WebhookEvent.OPPORTUNITY_LOST]
    assert_rebuild_agrees(desk)

    # merge two leads, then undo it
    a = desk.leads.capture_lead(factories.lead_data(company='Same Co'), channel='api', default_source='api').lead_id
    b = desk.leads.capture_lead(factories.lead_data(company='Same Co'), channel='api', default_source='api').lead_id
    outbox.new()
    merge_id = desk.merges.merge(manager, [a, b])
    assert outbox.new() == []
    assert_rebuild_agrees(desk)
    desk.merges.undo(manager, merge_id)
    assert_rebuild_agrees(desk)

    # the timer: first-response deadlines missed (breach, reassigned), then protection over (recycled)
    hot = desk.leads.capture_lead(factories.lead_data(budget='500k', authority='CTO', need='CRM', timeline='Q2'),
                                  channel='manual', default_source='manual').lead_id  # grade A: due in a day
    found = []
    for _ in range(10):  # a day at a time: waiting pool leads placed, deadlines missed, leads reassigned
        clock.advance(days=1)
        desk.automation.tick()
        found += outbox.new()
        assert_rebuild_agrees(desk)
    clock.advance(days=40)
    desk.automation.tick()
    desk.automation.tick()
    found += outbox.new()
    assert_rebuild_agrees(desk)
    assert (WebhookEvent.LEAD_SLA_BREACHED, hot) in found
    assert {WebhookEvent.LEAD_ASSIGNED, WebhookEvent.LEAD_RECYCLED} <= set(events(found))
    with Session(desk.ctx.engine) as s:
        assert s.exec(select(Lead).where(Lead.status == LeadStatus.POOL)).first() is not None


def test_bulk_edits_and_their_undo_keep_every_projection(world: tuple) -> None:
    desk, _clock, outbox, manager, (_ann, bo) = world
    ids = [desk.leads.capture_lead(factories.lead_data(), channel='api', default_source='api').lead_id
           for _ in range(4)]
    outbox.new()
    selection = Selection(ids=tuple(ids))
    steps = [(BulkAction(BulkKind.REASSIGN, rep_id=bo.id), WebhookEvent.LEAD_ASSIGNED),
             (BulkAction(BulkKind.REASSIGN), WebhookEvent.LEAD_ASSIGNED),
             (BulkAction(BulkKind.DISQUALIFY, reason='list bought'), WebhookEvent.LEAD_DISQUALIFIED),
             (BulkAction(BulkKind.POOL), None),
             (BulkAction(BulkKind.SET_FIELD, field='budget', value='500k'), None)]
    for action, event in steps:
        done = desk.bulk.apply(manager, selection, action)
        assert done.batch_id is not None and done.changed > 0
        changed = [lead_id for e, lead_id in outbox.new() if e == event]
        assert len(changed) == (done.changed if event else 0)
        assert_rebuild_agrees(desk)
        desk.bulk.undo(manager, done.batch_id)
        assert outbox.new() == []
        assert_rebuild_agrees(desk)


def test_a_rolled_back_transaction_leaves_no_projection_behind(world: tuple) -> None:
    desk, _clock, outbox, _manager, _reps = world
    with pytest.raises(RuntimeError), desk.ctx.write() as session:
        now = desk.ctx.now()
        capture_path.capture_rows(session, [factories.lead_data()], default_source='api', region='CN',
                                  config=desk.ctx.capture_config.load(session), now=now,
                                  day_start=desk.ctx.day_start(now), actor_id=None, channel='api', one_by_one=True)
        session.flush()
        raise RuntimeError('the action failed after writing')
    assert outbox.new() == []
    assert_rebuild_agrees(desk)


def test_a_configuration_change_bumps_the_token_once_at_the_end(desk: Desk) -> None:
    with desk.ctx.read() as session:
        before = config_version.current(session)
    manager = factories.user(desk, Role.MANAGER)
    desk.set_policy(manager, {'sla_hours': {'A': 48, 'B': 72, 'C': 168}})
    with desk.ctx.read() as session:
        after = config_version.current(session)
    assert before is not None and after is not None and after != before


def test_writes_outside_the_unit_of_work_are_refused_for_bulk_captures(desk: Desk) -> None:
    with Session(desk.ctx.engine) as session, pytest.raises(TypeError):
        projections.changes(session)


def test_every_audit_action_that_is_an_event_names_a_webhook_event() -> None:
    for action, names in projections.WEBHOOK_EVENTS.items():
        assert isinstance(action, AuditAction) and all(isinstance(n, WebhookEvent) for n in names)
    assert {e for names in projections.WEBHOOK_EVENTS.values() for e in names} | set(
        projections.STATUS_EVENTS.values()) | projections.SENT_DIRECTLY == set(WebhookEvent)
