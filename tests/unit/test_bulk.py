"""Bulk edit of leads (core/leads/bulk.py): preview counts, each action, permission limits, audit
lines with the batch, undo (stale leads skipped, refused after 24 hours)."""

from __future__ import annotations

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import InvalidState, NotAllowed, ValidationFailed
from core.leads.bulk import BulkAction, BulkKind, Selection, Skip
from store.models import AuditEntry, BulkBatch, Lead, LeadStatus, Role, ScoringRule, TagEntity, User, UserRef
from tests import factories
from tests.unit.db import get, rows
from tests.unit.test_tags import define, held


def capture(desk: Desk, **data: str) -> int:
    return desk.leads.capture_lead(factories.lead_data(**data), channel='manual', default_source='manual').lead_id


def assign(desk: Desk, manager: UserRef, rep: UserRef, n: int, **data: str) -> list[int]:
    ids = [capture(desk, **data) for _ in range(n)]
    for lead_id in ids:
        desk.leads.assign_lead(manager, lead_id, rep_id=rep.id)
    return ids


@pytest.fixture
def team(desk: Desk) -> tuple[UserRef, UserRef, UserRef]:
    return factories.user(desk, Role.MANAGER), factories.user(desk, Role.REP), factories.user(desk, Role.REP)


def bulk_lines(desk: Desk, batch_id: int) -> list[AuditEntry]:
    return [e for e in rows(desk, AuditEntry) if (e.reason_key or '').startswith('reason.bulk.')
            and e.reason_params.get('batch') == batch_id]


def test_preview_counts_changes_and_skips_with_reasons(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = assign(desk, manager, rep, 3)
    desk.leads.disqualify_lead(manager, ids[0], reason='spam')
    action = BulkAction(BulkKind.DISQUALIFY, reason='duplicate list')
    preview = desk.bulk.preview(manager, Selection(ids=(*ids, 999_999)), action)
    assert (preview.selected, preview.change) == (4, 2)
    assert preview.skipped == {Skip.UNCHANGED: 1, Skip.NOT_ALLOWED: 1}
    assert all(get(desk, Lead, i).status != LeadStatus.DISQUALIFIED for i in ids[1:])  # a preview writes nothing


def test_disqualify_writes_one_audit_line_per_lead_with_the_batch(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = assign(desk, manager, rep, 3)
    result = desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.DISQUALIFY, reason='bad data'))
    assert result.changed == 3 and result.batch_id is not None
    for lead_id in ids:
        lead = get(desk, Lead, lead_id)
        assert (lead.status, lead.disqualify_reason) == (LeadStatus.DISQUALIFIED, 'bad data')
    lines = bulk_lines(desk, result.batch_id)
    assert sorted(e.lead_id for e in lines) == ids
    assert {(e.action, e.reason_key, e.actor_id) for e in lines} == {('status', 'reason.bulk.disqualify', manager.id)}
    assert get(desk, User, rep.id).open_leads == 0


def test_disqualify_needs_a_reason(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = assign(desk, manager, rep, 1)
    with pytest.raises(ValidationFailed):
        desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.DISQUALIFY, reason='  '))


def test_set_a_builtin_field_skips_invalid_and_unchanged(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = assign(desk, manager, rep, 3)
    desk.bulk.apply(manager, Selection(ids=(ids[0],)), BulkAction(BulkKind.SET_FIELD, field='industry', value='SaaS'))
    result = desk.bulk.apply(manager, Selection(ids=tuple(ids)),
                             BulkAction(BulkKind.SET_FIELD, field='industry', value='SaaS'))
    assert (result.changed, result.skipped) == (2, {Skip.UNCHANGED: 1})
    assert [get(desk, Lead, i).industry for i in ids] == ['SaaS'] * 3
    bad = desk.bulk.preview(manager, Selection(ids=tuple(ids)),
                            BulkAction(BulkKind.SET_FIELD, field='email', value='not an email'))
    assert (bad.change, bad.skipped) == (0, {Skip.INVALID: 3})
    with pytest.raises(ValidationFailed):  # not an editable field
        desk.bulk.preview(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.SET_FIELD, field='status', value='x'))


def test_set_a_custom_field(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    desk.custom_fields.define_field(factories.admin(desk), entity='lead', key='product', type='single_select',
                                    label_zh='意向产品', label_en='Product',
                                    options=[{'key': 'a', 'label_zh': '甲', 'label_en': 'A'}])
    ids = assign(desk, manager, rep, 2)
    result = desk.bulk.apply(manager, Selection(ids=tuple(ids)),
                             BulkAction(BulkKind.SET_FIELD, field='custom.product', value='a'))
    assert result.changed == 2
    assert [get(desk, Lead, i).custom for i in ids] == [{'product': 'a'}] * 2
    wrong = desk.bulk.preview(manager, Selection(ids=tuple(ids)),
                              BulkAction(BulkKind.SET_FIELD, field='custom.product', value='zzz'))
    assert wrong.skipped == {Skip.INVALID: 2}


def test_a_rep_edits_only_own_leads_and_may_not_reassign(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    mine = assign(desk, manager, rep, 2)
    theirs = assign(desk, manager, other, 1)
    result = desk.bulk.apply(rep, Selection(ids=(*mine, *theirs)),
                             BulkAction(BulkKind.SET_FIELD, field='city', value='杭州'))
    assert (result.changed, result.skipped) == (2, {Skip.NOT_ALLOWED: 1})
    assert get(desk, Lead, theirs[0]).city != '杭州'
    for kind in (BulkKind.REASSIGN, BulkKind.POOL):
        with pytest.raises(NotAllowed):
            desk.bulk.preview(rep, Selection(ids=tuple(mine)), BulkAction(kind, rep_id=other.id))


def test_reassign_to_a_rep_is_audited_and_tells_the_rep_once(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    ids = assign(desk, manager, rep, 3)
    result = desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.REASSIGN, rep_id=other.id))
    assert result.changed == 3 and result.batch_id
    assert {get(desk, Lead, i).owner_id for i in ids} == {other.id}
    lines = bulk_lines(desk, result.batch_id)
    assert {(e.action, e.subject_user_id, e.reason_params['previous_owner_id']) for e in lines} == {
        ('assigned', other.id, rep.id)}
    assert (get(desk, User, rep.id).open_leads, get(desk, User, other.id).open_leads) == (0, 3)


def test_reassign_through_the_rules_moves_leads_off_their_owner(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    ids = assign(desk, manager, rep, 2)
    result = desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.REASSIGN))
    assert result.changed == 2
    assert {get(desk, Lead, i).owner_id for i in ids} == {other.id}


def test_move_to_pool_releases_owned_leads(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = assign(desk, manager, rep, 2)
    result = desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.POOL))
    assert result.changed == 2
    for lead_id in ids:
        lead = get(desk, Lead, lead_id)
        assert (lead.status, lead.owner_id, lead.previous_owner_id) == (LeadStatus.POOL, None, rep.id)
    again = desk.bulk.preview(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.POOL))
    assert again.skipped == {Skip.UNCHANGED: 2}


def test_all_matching_the_filter(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    assign(desk, manager, rep, 2, source='website')
    assign(desk, manager, rep, 1, source='ads')
    selection = Selection(filters={'source': 'website'})
    assert desk.bulk.preview(manager, selection, BulkAction(BulkKind.POOL)).change == 2


def test_all_matching_a_search_counts_exactly_up_to_the_cap_and_refuses_beyond(
        desk: Desk, team: tuple[UserRef, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """A searched inbox's total stops at SEARCH_COUNT_CAP ("2,000+"); "select all matching" reads
    the matches themselves, up to BULK_MAX + 1, so it takes exactly what was counted or refuses
    (BULK_MAX is not above the cap, so a capped total is always refused)."""
    from core.leads import bulk as bulk_module
    from store.queries import leads as lead_queries

    assert bulk_module.BULK_MAX <= lead_queries.SEARCH_COUNT_CAP
    monkeypatch.setattr(lead_queries, 'SEARCH_COUNT_CAP', 4)
    monkeypatch.setattr(bulk_module, 'BULK_MAX', 4)
    manager, rep, _ = team
    assign(desk, manager, rep, 3, company='华为技术有限公司')
    assign(desk, manager, rep, 1, company='别的公司')
    few = Selection(filters={'search': '华为'})
    assert desk.leads.inbox(manager, search='华为')[1] == 3
    assert desk.bulk.preview(manager, few, BulkAction(BulkKind.POOL)).change == 3
    assign(desk, manager, rep, 3, company='华为技术有限公司')
    assert desk.leads.inbox(manager, search='华为')[1] == 5  # "4+"
    with pytest.raises(ValidationFailed) as refused:
        desk.bulk.preview(manager, few, BulkAction(BulkKind.POOL))
    assert refused.value.errors == {'leads': 'too_many'}


def test_undo_restores_values_and_skips_leads_changed_since(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    ids = assign(desk, manager, rep, 3)
    done = desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.REASSIGN, rep_id=other.id))
    assert done.batch_id is not None
    desk.leads.update_lead(manager, ids[0], version=get(desk, Lead, ids[0]).version, changes={'city': '苏州'})
    undone = desk.bulk.undo(manager, done.batch_id)
    assert (undone.restored, undone.stale) == (2, 1)
    assert [get(desk, Lead, i).owner_id for i in ids] == [other.id, rep.id, rep.id]
    assert [get(desk, Lead, i).status for i in ids[1:]] == [LeadStatus.ASSIGNED] * 2
    assert (get(desk, User, rep.id).open_leads, get(desk, User, other.id).open_leads) == (2, 1)
    undo_lines = [e for e in rows(desk, AuditEntry) if e.action == 'bulk_undone']
    assert sorted(e.lead_id for e in undo_lines) == ids[1:]
    assert get(desk, BulkBatch, done.batch_id).undone_by == manager.id
    with pytest.raises(InvalidState):
        desk.bulk.undo(manager, done.batch_id)


def test_undo_is_refused_after_24_hours(desk: Desk, clock: FakeClock, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = assign(desk, manager, rep, 1)
    done = desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.DISQUALIFY, reason='x'))
    assert done.batch_id is not None
    assert [b.can_undo for b in desk.bulk.recent(manager)] == [True]
    clock.advance(hours=24, minutes=1)
    assert desk.bulk.recent(manager) == []
    with pytest.raises(InvalidState) as refused:
        desk.bulk.undo(manager, done.batch_id)
    assert refused.value.code == 'bulk_too_old'
    assert get(desk, Lead, ids[0]).status == LeadStatus.DISQUALIFIED


def test_only_the_author_undoes(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = assign(desk, manager, rep, 1)
    done = desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.POOL))
    assert done.batch_id is not None
    with pytest.raises(NotAllowed):
        desk.bulk.undo(factories.user(desk, Role.MANAGER), done.batch_id)


# ----- tags ----------------------------------------------------------------------------------------

def test_add_a_tag_previews_who_has_it_audits_each_lead_and_undo_restores_the_sets(
        desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    vip, fair = define(desk, '重点', 'VIP'), define(desk, '展会', 'Fair')
    ids = assign(desk, manager, rep, 3)
    desk.record_tags.add_tag(manager, TagEntity.LEAD, ids[0], vip.id)
    desk.record_tags.add_tag(manager, TagEntity.LEAD, ids[1], fair.id)
    action = BulkAction(BulkKind.TAG_ADD, tag_id=vip.id)
    preview = desk.bulk.preview(manager, Selection(ids=tuple(ids)), action)
    assert (preview.change, preview.skipped) == (2, {Skip.UNCHANGED: 1})
    assert held(desk, TagEntity.LEAD, ids[2]) == []  # a preview writes nothing
    done = desk.bulk.apply(manager, Selection(ids=tuple(ids)), action)
    assert done.changed == 2 and done.batch_id is not None
    assert [held(desk, TagEntity.LEAD, i) for i in ids] == [[vip.id], sorted([vip.id, fair.id]), [vip.id]]
    lines = bulk_lines(desk, done.batch_id)
    assert sorted(e.lead_id for e in lines) == ids[1:]
    assert {(e.action, e.reason_params['key']) for e in lines} == {('tag_added', 'vip')}
    undone = desk.bulk.undo(manager, done.batch_id)
    assert (undone.restored, undone.stale) == (2, 0)
    assert [held(desk, TagEntity.LEAD, i) for i in ids] == [[vip.id], [fair.id], []]


def test_remove_a_tag_skips_leads_without_it_and_the_score_follows(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    vip = define(desk, '重点', 'VIP')
    with desk.ctx.write() as session:
        session.add(ScoringRule(kind='has_tag', value='vip', points=30, label_en='VIP', label_zh='重点'))
    ids = assign(desk, manager, rep, 3)
    for lead_id in ids[:2]:
        desk.record_tags.add_tag(manager, TagEntity.LEAD, lead_id, vip.id)
    scores = [get(desk, Lead, i).score for i in ids]
    assert scores[0] == scores[2] + 30
    action = BulkAction(BulkKind.TAG_REMOVE, tag_id=vip.id)
    done = desk.bulk.apply(manager, Selection(ids=tuple(ids)), action)
    assert (done.changed, done.skipped) == (2, {Skip.UNCHANGED: 1})
    assert [held(desk, TagEntity.LEAD, i) for i in ids] == [[], [], []]
    assert [get(desk, Lead, i).score for i in ids] == [scores[2]] * 3
    assert done.batch_id is not None
    assert {e.action for e in bulk_lines(desk, done.batch_id)} == {'tag_removed'}
    # a lead tagged again one by one since the batch: left as it is by the undo
    desk.record_tags.add_tag(manager, TagEntity.LEAD, ids[0], vip.id)
    desk.record_tags.remove_tag(manager, TagEntity.LEAD, ids[0], vip.id)
    undone = desk.bulk.undo(manager, done.batch_id)
    assert (undone.restored, undone.stale) == (1, 1)
    assert [held(desk, TagEntity.LEAD, i) for i in ids] == [[], [vip.id], []]
    assert get(desk, Lead, ids[1]).score == scores[1]


def test_a_set_field_keeps_the_points_of_a_has_tag_rule(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    vip = define(desk, '重点', 'VIP')
    with desk.ctx.write() as session:
        session.add(ScoringRule(kind='has_tag', value='vip', points=30, label_en='VIP', label_zh='重点'))
    ids = assign(desk, manager, rep, 1)
    desk.record_tags.add_tag(manager, TagEntity.LEAD, ids[0], vip.id)
    before = get(desk, Lead, ids[0]).score
    desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.SET_FIELD, field='city', value='杭州'))
    assert get(desk, Lead, ids[0]).score == before


def test_a_rep_tags_only_own_leads_and_no_unknown_or_retired_tag(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, other = team
    vip, old = define(desk, '重点', 'VIP'), define(desk, '旧', 'Old')
    mine, theirs = assign(desk, manager, rep, 1), assign(desk, manager, other, 1)
    done = desk.bulk.apply(rep, Selection(ids=(*mine, *theirs)), BulkAction(BulkKind.TAG_ADD, tag_id=vip.id))
    assert (done.changed, done.skipped) == (1, {Skip.NOT_ALLOWED: 1})
    assert (held(desk, TagEntity.LEAD, mine[0]), held(desk, TagEntity.LEAD, theirs[0])) == ([vip.id], [])
    desk.tags.retire_tag(manager, old.id)
    for action in (BulkAction(BulkKind.TAG_ADD, tag_id=old.id), BulkAction(BulkKind.TAG_ADD, tag_id=999_999),
                   BulkAction(BulkKind.TAG_ADD)):
        with pytest.raises(ValidationFailed):
            desk.bulk.preview(manager, Selection(ids=tuple(mine)), action)
    # a retired tag may still come off
    assert desk.bulk.preview(manager, Selection(ids=tuple(mine)), BulkAction(BulkKind.TAG_REMOVE, tag_id=old.id)
                             ).skipped == {Skip.UNCHANGED: 1}


# ----- the pool ------------------------------------------------------------------------------------

def test_pool_leads_through_the_rules_and_back_by_undo(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    ids = assign(desk, manager, rep, 2)
    pooled = desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.POOL))
    assert pooled.changed == 2
    done = desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.REASSIGN))
    assert done.changed == 2 and done.batch_id is not None
    assert all(get(desk, Lead, i).status == LeadStatus.ASSIGNED and get(desk, Lead, i).owner_id for i in ids)
    assert {(e.action, e.reason_key) for e in bulk_lines(desk, done.batch_id)} == {
        ('assigned', 'reason.bulk.reassign')}
    undone = desk.bulk.undo(manager, done.batch_id)
    assert undone.restored == 2
    assert [(get(desk, Lead, i).status, get(desk, Lead, i).owner_id) for i in ids] == [(LeadStatus.POOL, None)] * 2


def test_a_rep_may_not_tag_or_hand_out_pool_leads(desk: Desk, team: tuple[UserRef, ...]) -> None:
    manager, rep, _ = team
    vip = define(desk, '重点', 'VIP')
    ids = assign(desk, manager, rep, 1)
    desk.bulk.apply(manager, Selection(ids=tuple(ids)), BulkAction(BulkKind.POOL))
    tagged = desk.bulk.preview(rep, Selection(ids=tuple(ids)), BulkAction(BulkKind.TAG_ADD, tag_id=vip.id))
    assert (tagged.change, tagged.skipped) == (0, {Skip.NOT_ALLOWED: 1})  # as one by one: not theirs
    with pytest.raises(NotAllowed):
        desk.bulk.preview(rep, Selection(ids=tuple(ids)), BulkAction(BulkKind.REASSIGN, rep_id=rep.id))
    assert desk.bulk.preview(manager, Selection(ids=tuple(ids)),
                             BulkAction(BulkKind.TAG_ADD, tag_id=vip.id)).change == 1
