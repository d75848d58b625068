"""Tags (core/tags): the catalogue kept by admins and managers (define, rename, recolour, retire,
restore; audited), tags put on and taken off leads, opportunities and customers (one audited
transaction each), the lists' "any of these tags" filters, tags at capture, and the rules that test
a tag. Mirrored on PostgreSQL (tests/pg/test_tags.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.tags.catalog import TagInfo
from store.engine import read_session
from store.models import AuditEntry, Lead, LeadStatus, RecordTag, Role, ScoringRule, TagEntity, UserRef
from tests.factories import admin, lead_data, user

from .db import get, rows
from .test_conversion import make_opportunity
from .test_customers import win


def define(desk: Desk, zh: str, en: str = '', colour: str = 'blue') -> TagInfo:
    return desk.tags.define_tag(user(desk, Role.MANAGER), name_zh=zh, name_en=en, colour=colour)


def capture(desk: Desk, **fields: Any) -> int:
    return desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual').lead_id


def held(desk: Desk, entity: str, record_id: int) -> list[int]:
    with read_session(desk.ctx.engine) as session:
        return sorted(session.exec(select(RecordTag.tag_id).where(RecordTag.entity == entity,
                                                                  RecordTag.record_id == record_id)).all())


# ----- the catalogue -----------------------------------------------------------------------------

def test_a_manager_defines_a_tag_with_a_key_from_its_english_name(desk: Desk) -> None:
    tag = define(desk, '重点客户', 'Key account', 'red')
    assert (tag.key, tag.name_zh, tag.name_en, tag.colour, tag.is_retired) == (
        'key-account', '重点客户', 'Key account', 'red', False)
    line = rows(desk, AuditEntry, AuditEntry.action == 'tag_defined')[-1]
    assert line.reason_params['tag'] == '重点客户'


def test_a_tag_without_an_english_name_gets_a_numbered_key(desk: Desk) -> None:
    first, second = define(desk, '展会'), define(desk, '回访')
    assert first.name_en == '展会' and first.key.startswith('tag-') and second.key != first.key


def test_a_rep_may_not_define_tags(desk: Desk) -> None:
    with pytest.raises(NotAllowed):
        desk.tags.define_tag(user(desk), name_zh='x')


def test_two_tags_may_not_share_a_name_in_either_language(desk: Desk) -> None:
    define(desk, '重点', 'VIP')
    with pytest.raises(ValidationFailed) as e:
        define(desk, '贵宾', 'vip')
    assert e.value.errors == {'name_en': 'taken'}


def test_a_name_may_not_hold_a_separator(desk: Desk) -> None:
    with pytest.raises(ValidationFailed) as e:
        define(desk, '甲、乙')
    assert e.value.errors['name_zh'] == 'invalid_tag_name'


def test_renaming_and_recolouring_keeps_the_key_and_is_audited(desk: Desk) -> None:
    tag = define(desk, '重点', 'VIP', 'red')
    changed = desk.tags.change_tag(admin(desk), tag.id, name_zh='大客户', name_en='Big', colour='green')
    assert (changed.key, changed.name_zh, changed.name_en, changed.colour) == ('vip', '大客户', 'Big', 'green')
    assert rows(desk, AuditEntry, AuditEntry.action == 'tag_changed')[-1].reason_params['key'] == 'vip'


def test_every_palette_colour_has_its_chip_colours() -> None:
    from store.models import TagColour
    from ui.theme import TAG_COLOURS
    assert set(TAG_COLOURS) == {c.value for c in TagColour}


def test_an_unknown_colour_is_refused(desk: Desk) -> None:
    with pytest.raises(ValidationFailed) as e:
        define(desk, '重点', colour='#ff0000')
    assert e.value.errors == {'colour': 'invalid'}


def test_a_retired_tag_stays_on_its_records_and_cannot_be_put_on_again(desk: Desk) -> None:
    tag, other = define(desk, '重点', 'VIP'), define(desk, '展会', 'Fair')
    boss = user(desk, Role.MANAGER)
    lead_id = capture(desk)
    desk.record_tags.add_tag(boss, TagEntity.LEAD, lead_id, tag.id)
    desk.tags.retire_tag(boss, tag.id)
    assert held(desk, TagEntity.LEAD, lead_id) == [tag.id]
    assert [t.key for t in desk.tags.tag_set().active] == [other.key]
    with pytest.raises(ValidationFailed) as e:
        desk.record_tags.add_tag(boss, TagEntity.LEAD, capture(desk), tag.id)
    assert e.value.errors == {'tags': 'retired_tag'}
    desk.record_tags.remove_tag(boss, TagEntity.LEAD, lead_id, tag.id)  # taking it off still works
    assert held(desk, TagEntity.LEAD, lead_id) == []
    desk.tags.restore_tag(boss, tag.id)
    assert [t.key for t in desk.tags.tag_set().active] == ['vip', 'fair']


# ----- tags on records ---------------------------------------------------------------------------

def test_adding_and_removing_a_tag_on_a_lead_is_audited_on_its_trail(desk: Desk) -> None:
    tag = define(desk, '重点', 'VIP')
    rep = user(desk)
    lead_id = capture(desk)
    assert get(desk, Lead, lead_id).owner_id == rep.id
    assert desk.record_tags.add_tag(rep, TagEntity.LEAD, lead_id, tag.id) is True
    assert desk.record_tags.add_tag(rep, TagEntity.LEAD, lead_id, tag.id) is False  # already there
    assert [t.key for t in desk.record_tags.tags_of(rep, TagEntity.LEAD, lead_id)] == ['vip']
    assert desk.record_tags.remove_tag(rep, TagEntity.LEAD, lead_id, tag.id) is True
    trail = rows(desk, AuditEntry, AuditEntry.lead_id == lead_id, AuditEntry.action.in_(['tag_added', 'tag_removed']))
    assert [(a.action, a.actor_id, a.reason_key, a.reason_params['key']) for a in trail] == [
        ('tag_added', rep.id, 'reason.tag_added', 'vip'), ('tag_removed', rep.id, 'reason.tag_removed', 'vip')]


def test_a_rep_may_not_tag_another_reps_lead(desk: Desk) -> None:
    tag = define(desk, '重点')
    owner = user(desk)
    lead_id = capture(desk)
    assert get(desk, Lead, lead_id).owner_id == owner.id
    with pytest.raises(NotAllowed):
        desk.record_tags.add_tag(user(desk), TagEntity.LEAD, lead_id, tag.id)


def test_tagging_publishes_after_commit(desk: Desk) -> None:
    tag = define(desk, '重点')
    user(desk)
    lead_id = capture(desk)
    seen: list[tuple[str, int]] = []
    desk.events.record_tagged.subscribe(lambda entity, record_id: seen.append((entity, record_id)))
    desk.record_tags.add_tag(admin(desk), TagEntity.LEAD, lead_id, tag.id)
    assert seen == [('lead', lead_id)]


def test_opportunities_and_customers_take_tags(desk: Desk, clock: FakeClock) -> None:
    tag = define(desk, '重点')
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep)
    desk.record_tags.add_tag(rep, TagEntity.OPPORTUNITY, opportunity_id, tag.id)
    account_id = win(desk, rep, opportunity_id)
    desk.record_tags.add_tag(rep, TagEntity.CUSTOMER, account_id, tag.id)
    assert held(desk, TagEntity.OPPORTUNITY, opportunity_id) == [tag.id]
    assert held(desk, TagEntity.CUSTOMER, account_id) == [tag.id]
    board = desk.pipeline.board(rep, tags=[tag.id])
    assert [c.tags for col in board for c in col.cards] == [(tag.id,)]
    assert [c.id for col in desk.pipeline.board(rep, tags=[tag.id + 99]) for c in col.cards] == []
    customers, total = desk.customers.customers(rep, tags=[tag.id])
    assert (total, [c.tags for c in customers]) == (1, [(tag.id,)])
    assert desk.customers.customers(rep, tags=[tag.id + 99])[1] == 0


def test_converting_a_lead_carries_its_tags_to_the_opportunity(desk: Desk, clock: FakeClock) -> None:
    tag = define(desk, '重点')
    rep = user(desk)
    opportunity_id = make_opportunity(desk, clock, rep, tags=[tag.key])
    assert held(desk, TagEntity.OPPORTUNITY, opportunity_id) == [tag.id]


# ----- filters -----------------------------------------------------------------------------------

@pytest.fixture
def tagged(desk: Desk) -> dict[str, Any]:
    a, b = define(desk, '甲', 'A'), define(desk, '乙', 'B')
    define(desk, '丙', 'C')
    boss = user(desk, Role.MANAGER)
    user(desk)  # a rep, so captures are assigned (open)
    ids = {name: capture(desk, name=name) for name in ('both', 'only_a', 'only_b', 'none')}
    for name, tag in (('both', a), ('both', b), ('only_a', a), ('only_b', b)):
        desk.record_tags.add_tag(boss, TagEntity.LEAD, ids[name], tag.id)
    c = desk.tags.tag_set().find('C')
    assert c is not None
    return {'boss': boss, 'a': a.id, 'b': b.id, 'c': c.id, **ids}


def inbox(desk: Desk, actor: UserRef, tags: list[int]) -> set[int]:
    found, total = desk.leads.inbox(actor, tags=tags, page_size=100)
    assert total == len(found)
    return {r.id for r in found}


def test_the_inbox_keeps_the_leads_holding_any_chosen_tag(desk: Desk, tagged: dict[str, Any]) -> None:
    boss = tagged['boss']
    assert inbox(desk, boss, [tagged['a']]) == {tagged['both'], tagged['only_a']}
    assert inbox(desk, boss, [tagged['a'], tagged['b']]) == {tagged['both'], tagged['only_a'], tagged['only_b']}
    assert inbox(desk, boss, [tagged['c']]) == set()
    assert inbox(desk, boss, []) == {tagged[n] for n in ('both', 'only_a', 'only_b', 'none')}


def test_a_tag_many_leads_hold_filters_the_same(desk: Desk, tagged: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Past `DENSE_AT` holders the filter tests each lead walked (EXISTS) instead of reading the tag's
    index (IN): the same leads either way."""
    import store.queries.tags as tag_queries
    monkeypatch.setattr(tag_queries, 'DENSE_AT', 1)
    boss = tagged['boss']
    assert inbox(desk, boss, [tagged['a']]) == {tagged['both'], tagged['only_a']}
    assert inbox(desk, boss, [tagged['a'], tagged['b']]) == {tagged['both'], tagged['only_a'], tagged['only_b']}
    assert inbox(desk, user(desk), [tagged['a']]) == set()


def test_inbox_rows_carry_their_tags(desk: Desk, tagged: dict[str, Any]) -> None:
    found, _ = desk.leads.inbox(tagged['boss'], page_size=100)
    assert {r.id: r.tags for r in found}[tagged['both']] == [tagged['a'], tagged['b']]


def test_an_unknown_tag_in_the_filter_is_refused(desk: Desk, tagged: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as e:
        desk.leads.inbox(tagged['boss'], tags=[999])
    assert e.value.errors == {'tags': 'unknown_tag'}


def test_a_reps_tag_filter_stays_within_own_leads(desk: Desk, tagged: dict[str, Any]) -> None:
    other = user(desk)
    assert inbox(desk, other, [tagged['a']]) == set()


def test_the_pool_filters_by_tag(desk: Desk, clock: FakeClock) -> None:
    from core.automation.pool import PoolQuery
    tag = define(desk, '重点')
    boss = user(desk, Role.MANAGER)
    first, second = capture(desk), capture(desk)  # no rep: both wait in the pool
    assert get(desk, Lead, first).status == LeadStatus.POOL
    desk.record_tags.add_tag(boss, TagEntity.LEAD, first, tag.id)
    found, total = desk.pool.pool(boss, query=PoolQuery(tags=(tag.id,)))
    assert (total, [(r.id, r.tags) for r in found]) == (1, [(first, (tag.id,))])
    assert desk.pool.pool(boss)[1] == 2 and second


# ----- capture -------------------------------------------------------------------------------------

def test_a_capture_names_tags_by_key_or_name_in_either_language(desk: Desk) -> None:
    a, b = define(desk, '重点', 'VIP'), define(desk, '展会', 'Fair')
    lead_id = capture(desk, tags=['vip', '展会', 'FAIR'])
    assert held(desk, TagEntity.LEAD, lead_id) == sorted([a.id, b.id])


def test_a_capture_with_an_unknown_tag_is_refused_naming_it(desk: Desk) -> None:
    define(desk, '重点', 'VIP')
    with pytest.raises(ValidationFailed) as e:
        capture(desk, tags=['vip', 'nope'])
    assert (e.value.errors, e.value.detail) == ({'tags': 'unknown_tag'}, 'nope')
    assert rows(desk, Lead) == []


def test_a_duplicate_arrival_adds_the_tags_its_twin_lacks(desk: Desk) -> None:
    a, b = define(desk, '重点', 'VIP'), define(desk, '展会', 'Fair')
    lead_id = capture(desk, phone='+86 139 0000 1111', tags=['vip'])
    again = desk.leads.capture_lead(lead_data(phone='+86 139 0000 1111', tags=['vip', 'fair']), channel='manual',
                                    default_source='manual')
    assert again.lead_id == lead_id and not again.created
    assert sorted(held(desk, TagEntity.LEAD, lead_id)) == sorted([a.id, b.id])


# ----- rules ---------------------------------------------------------------------------------------

def test_a_has_tag_scoring_rule_follows_the_tags(desk: Desk) -> None:
    tag = define(desk, '重点', 'VIP')
    with desk.ctx.write() as session:
        session.add(ScoringRule(kind='has_tag', value='vip', points=30, label_en='VIP', label_zh='重点'))
    lead_id = capture(desk, tags=['vip'])
    base = get(desk, Lead, capture(desk)).score
    assert get(desk, Lead, lead_id).score == base + 30
    desk.record_tags.remove_tag(admin(desk), TagEntity.LEAD, lead_id, tag.id)
    assert get(desk, Lead, lead_id).score == base
    desk.record_tags.add_tag(admin(desk), TagEntity.LEAD, lead_id, tag.id)
    lead = get(desk, Lead, lead_id)
    desk.leads.update_lead(admin(desk), lead_id, version=lead.version, changes={'title': 'CEO'})
    assert get(desk, Lead, lead_id).score == base + 30 + 5  # an edit keeps the tag's points


def test_an_assignment_rule_with_a_tag_takes_only_leads_holding_it(desk: Desk) -> None:
    define(desk, '重点', 'VIP')
    boss = user(desk, Role.MANAGER)
    senior, other = user(desk), user(desk)
    for rule in desk.rules.rules(boss):  # only ours: the default rules off
        desk.rules.save_rule(boss, rule.id, name=rule.name, strategy=rule.strategy, is_active=False)
    desk.rules.save_rule(boss, None, name='VIP to senior', strategy='least_loaded', match_tags=['重点'],
                         rep_ids=[senior.id], position=0)
    assert desk.rules.rules(boss)[-1].match_tags == ['vip']
    assert get(desk, Lead, capture(desk, tags=['vip'])).owner_id == senior.id
    assert get(desk, Lead, capture(desk)).status == LeadStatus.POOL
    assert desk.rules.test_rule(boss, source='website', grade='B', tags=['vip']).rep_id == senior.id
    assert other


def test_an_assignment_rule_refuses_an_unknown_tag(desk: Desk) -> None:
    boss = user(desk, Role.MANAGER)
    with pytest.raises(ValidationFailed) as e:
        desk.rules.save_rule(boss, None, name='x', strategy='least_loaded', match_tags=['nope'])
    assert e.value.errors == {'match_tags': 'unknown_tag'}


def test_a_merge_gives_the_survivor_every_tag_and_undo_takes_them_back(desk: Desk) -> None:
    a, b = define(desk, '甲', 'A'), define(desk, '乙', 'B')
    boss = user(desk, Role.MANAGER)
    first = capture(desk, name='Wang', company='Acme', tags=['a'])
    second = capture(desk, name='Li', company='Beta', tags=['b'])
    merge_id = desk.merges.merge(boss, [first, second])
    survivor = next(i for i in (first, second) if not get(desk, Lead, i).is_deleted)
    assert sorted(held(desk, TagEntity.LEAD, survivor)) == sorted([a.id, b.id])
    desk.merges.undo(boss, merge_id)
    assert len(held(desk, TagEntity.LEAD, survivor)) == 1
