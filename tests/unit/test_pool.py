"""core/automation/pool.py: the public pool (公海) and the review queue (待复盘): claiming with its limits,
masked phones, managers assigning, sending back and reopening, and claims racing each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from core.automation.claims import Refusal
from core.automation.pool import ClaimRefused, PoolQuery, mask_phone
from core.clock import FakeClock
from core.desk import Desk
from core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from store.models import AuditEntry, Lead, Notification, Role, User, UserRef
from tests.factories import admin, lead_data, user

from .db import get, race, rows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""The fixture clock's start: Monday 17:00 Shanghai."""


# ----- helpers -----------------------------------------------------------------------------------

def capture(desk: Desk, **fields: Any) -> int:
    return desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual').lead_id


def pooled(desk: Desk, n: int, **fields: Any) -> list[int]:
    """Never-owned pool leads: captured while no rep is eligible (every active rep put on leave)."""
    boss = admin(desk)
    reps = [r for r in desk.team.reps() if not _on_leave(desk, r.id)]
    for r in reps:
        desk.team.update_user(boss, r.id, {'is_on_leave': True})
    ids = [capture(desk, **fields) for _ in range(n)]
    for r in reps:
        desk.team.update_user(boss, r.id, {'is_on_leave': False})
    assert all(lead(desk, i).status == 'pool' for i in ids)
    return ids


def _on_leave(desk: Desk, user_id: int) -> bool:
    return get(desk, User, user_id).is_on_leave


def lead(desk: Desk, lead_id: int) -> Lead:
    return get(desk, Lead, lead_id)


def claims(desk: Desk, lead_id: int) -> list[AuditEntry]:
    return rows(desk, AuditEntry, AuditEntry.action == 'assigned', AuditEntry.lead_id == lead_id,
                AuditEntry.reason_key == 'reason.claimed')


def refused(call: Callable[[], Any]) -> ClaimRefused:
    with pytest.raises(ClaimRefused) as info:
        call()
    return info.value




def recycled_from(desk: Desk, clock: FakeClock, rep: UserRef) -> int:
    """A lead `rep` owned until its protection ended a moment ago (cool-down running)."""
    lead_id = desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual', actor=rep,
                                      keep_for_actor=True).lead_id
    clock.advance(days=7)
    assert desk.automation.tick().done['recycle'] == [lead_id]
    return lead_id


def in_review(desk: Desk, clock: FakeClock, manager: UserRef, rep: UserRef) -> int:
    desk.set_policy(manager, {'review_after': 1})
    lead_id = desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual', actor=rep,
                                      keep_for_actor=True).lead_id
    clock.advance(days=7)
    assert desk.automation.tick().done['review'] == [lead_id]
    return lead_id


# ----- claiming ----------------------------------------------------------------------------------

def test_rep_claims_pool_lead(desk: Desk) -> None:
    rep = user(desk)
    [lead_id] = pooled(desk, 1)
    desk.pool.claim_lead(rep, lead_id)
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id, row.sla_status) == ('assigned', rep.id, 'due')
    assert (row.protected_until, row.protection_max_at) == (T0 + timedelta(days=7), T0 + timedelta(days=30))


def test_claim_is_audited_with_claimed_reason(desk: Desk) -> None:
    rep = user(desk)
    [lead_id] = pooled(desk, 1)
    desk.pool.claim_lead(rep, lead_id)
    [entry] = claims(desk, lead_id)
    assert (entry.actor_id, entry.subject_user_id) == (rep.id, rep.id)
    assert entry.reason_params['claimed_today'] == 1
    assert entry.reason_params['limit'] == 10


def test_claimed_lead_leaves_the_pool_listing(desk: Desk) -> None:
    rep = user(desk)
    first, second = pooled(desk, 2)
    desk.pool.claim_lead(rep, first)
    listed, total = desk.pool.pool(rep)
    assert ([r.id for r in listed], total) == ([second], 1)


def test_claim_limit_refuses_claim_beyond_daily_limit(desk: Desk) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    desk.set_policy(manager, {'claim_limit': 2})
    ids = pooled(desk, 3)
    desk.pool.claim_lead(rep, ids[0])
    desk.pool.claim_lead(rep, ids[1])
    error = refused(lambda: desk.pool.claim_lead(rep, ids[2]))
    assert (error.code, error.reason, error.params) == ('claim.claim_limit', 'claim_limit', {'limit': 2})
    assert (lead(desk, ids[2]).status, lead(desk, ids[2]).owner_id) == ('pool', None)


def test_claim_limit_counts_per_local_day(desk: Desk, clock: FakeClock) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    desk.set_policy(manager, {'claim_limit': 1})
    ids = pooled(desk, 2)
    desk.pool.claim_lead(rep, ids[0])
    clock.advance(hours=6, minutes=59)  # 23:59 Shanghai: still the same day
    assert refused(lambda: desk.pool.claim_lead(rep, ids[1])).code == 'claim.claim_limit'
    clock.advance(minutes=1)  # midnight Shanghai
    desk.pool.claim_lead(rep, ids[1])
    assert lead(desk, ids[1]).owner_id == rep.id


def test_claim_limit_is_per_rep(desk: Desk) -> None:
    manager, a, b = user(desk, Role.MANAGER), user(desk), user(desk)
    desk.set_policy(manager, {'claim_limit': 1})
    ids = pooled(desk, 2)
    desk.pool.claim_lead(a, ids[0])
    desk.pool.claim_lead(b, ids[1])
    assert (lead(desk, ids[0]).owner_id, lead(desk, ids[1]).owner_id) == (a.id, b.id)


def test_claim_limit_ignores_manager_assignments(desk: Desk) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    desk.set_policy(manager, {'claim_limit': 1})
    ids = pooled(desk, 3)
    desk.pool.assign_from_pool(manager, ids[:2], rep_id=rep.id)
    desk.pool.claim_lead(rep, ids[2])
    assert lead(desk, ids[2]).owner_id == rep.id


def test_claim_limit_zero_refuses_every_claim(desk: Desk) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    desk.set_policy(manager, {'claim_limit': 0})
    [lead_id] = pooled(desk, 1)
    assert refused(lambda: desk.pool.claim_lead(rep, lead_id)).code == 'claim.claim_limit'


def test_claim_refused_at_capacity(desk: Desk) -> None:
    rep = user(desk, capacity=1)
    first, second = pooled(desk, 2)
    desk.pool.claim_lead(rep, first)
    error = refused(lambda: desk.pool.claim_lead(rep, second))
    assert (error.code, error.params) == ('claim.at_capacity', {'capacity': 1})
    assert lead(desk, second).status == 'pool'


def test_closed_leads_do_not_count_against_claim_capacity(desk: Desk) -> None:
    rep = user(desk, capacity=1)
    first, second = pooled(desk, 2)
    desk.pool.claim_lead(rep, first)
    desk.leads.disqualify_lead(rep, first, reason='no budget')
    desk.pool.claim_lead(rep, second)
    assert lead(desk, second).owner_id == rep.id


def test_previous_owner_cannot_claim_during_cooldown(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = recycled_from(desk, clock, rep)
    until = lead(desk, lead_id).cooldown_until
    assert until == clock.now() + timedelta(days=3)
    clock.advance(days=3, seconds=-1)
    error = refused(lambda: desk.pool.claim_lead(rep, lead_id))
    assert (error.code, error.params) == ('claim.cooldown', {'until': until.isoformat()})
    assert lead(desk, lead_id).status == 'pool'


def test_previous_owner_may_claim_once_cooldown_ends(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = recycled_from(desk, clock, rep)
    clock.advance(days=3)
    desk.pool.claim_lead(rep, lead_id)
    assert (lead(desk, lead_id).owner_id, lead(desk, lead_id).status) == (rep.id, 'assigned')


def test_other_rep_may_claim_during_cooldown(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    lead_id = recycled_from(desk, clock, rep)
    desk.pool.claim_lead(other, lead_id)
    assert lead(desk, lead_id).owner_id == other.id


@pytest.mark.parametrize('role', [Role.MANAGER, Role.ADMIN, Role.MARKETING])
def test_only_reps_claim(desk: Desk, role: str) -> None:
    actor = admin(desk) if role == Role.ADMIN else user(desk, role)
    [lead_id] = pooled(desk, 1)
    with pytest.raises(NotAllowed):
        desk.pool.claim_lead(actor, lead_id)
    assert lead(desk, lead_id).status == 'pool'


def test_deactivated_rep_cannot_claim(desk: Desk) -> None:
    rep = user(desk)
    [lead_id] = pooled(desk, 1)
    desk.team.update_user(admin(desk), rep.id, {'is_active': False})
    with pytest.raises(NotAllowed):
        desk.pool.claim_lead(rep, lead_id)


def test_second_claim_of_same_lead_is_already_claimed(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    [lead_id] = pooled(desk, 1)
    desk.pool.claim_lead(a, lead_id)
    assert refused(lambda: desk.pool.claim_lead(b, lead_id)).code == 'claim.already_claimed'
    assert lead(desk, lead_id).owner_id == a.id
    assert len(claims(desk, lead_id)) == 1


def test_owned_lead_cannot_be_claimed(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    lead_id = desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual', actor=a,
                                      keep_for_actor=True).lead_id
    assert refused(lambda: desk.pool.claim_lead(b, lead_id)).code == 'claim.already_claimed'
    assert lead(desk, lead_id).owner_id == a.id


def test_review_lead_cannot_be_claimed(desk: Desk, clock: FakeClock) -> None:
    manager, rep, other = user(desk, Role.MANAGER), user(desk), user(desk)
    lead_id = in_review(desk, clock, manager, rep)
    assert refused(lambda: desk.pool.claim_lead(other, lead_id)).code == 'claim.already_claimed'


def test_claim_of_unknown_lead_is_not_found(desk: Desk) -> None:
    rep = user(desk)
    with pytest.raises(NotFound):
        desk.pool.claim_lead(rep, 999_999)


# ----- the pool listing and masked phones -----------------------------------------------------------

@pytest.mark.parametrize(('phone', 'masked'), [
    ('13812345678', '138****5678'),
    ('+86 138 1234 5678', '138****5678'),
    ('138-1234-5678', '138****5678'),
    ('02161234567', '021****4567'),
    ('12345', '****'),
    ('', ''),
    (None, ''),
])
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_pool_rows_show_masked_phone_only(desk: Desk) -> None:
    rep = user(desk)
    [lead_id] = pooled(desk, 1, phone='13812345678')
    [row], total = desk.pool.pool(rep)
    assert (row.id, row.phone_masked, total) == (lead_id, '138****5678', 1)
    assert not hasattr(row, 'phone')
    assert '12345678' not in repr(row)


def test_pool_rows_name_previous_owner_and_recycle_count(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    lead_id = recycled_from(desk, clock, rep)
    [row], _ = desk.pool.pool(other)
    assert (row.id, row.status, row.previous_owner_name, row.recycle_count) == (lead_id, 'pool', rep.name, 1)


def test_pool_pages(desk: Desk) -> None:
    rep = user(desk)
    pooled(desk, 5)
    page, total = desk.pool.pool(rep, page=2, page_size=2)
    assert (len(page), total) == (2, 5)


def test_review_queue_lists_review_leads_for_managers(desk: Desk, clock: FakeClock) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    lead_id = in_review(desk, clock, manager, rep)
    assert [r.id for r in desk.pool.pool(manager, review=True)[0]] == [lead_id]
    assert desk.pool.pool(manager)[0] == []


def test_review_queue_is_not_for_reps(desk: Desk) -> None:
    rep = user(desk)
    with pytest.raises(NotAllowed):
        desk.pool.pool(rep, review=True)


# ----- managers: assign from pool, send back, reopen ---------------------------------------------------

def test_assign_from_pool_moves_leads_in_bulk(desk: Desk) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    ids = pooled(desk, 3)
    assert desk.pool.assign_from_pool(manager, ids, rep_id=rep.id) == 3
    assert [(lead(desk, i).owner_id, lead(desk, i).status) for i in ids] == [(rep.id, 'assigned')] * 3


def test_assign_from_pool_is_audited_as_manual_assignment(desk: Desk) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    [lead_id] = pooled(desk, 1)
    desk.pool.assign_from_pool(manager, [lead_id], rep_id=rep.id)
    entry = rows(desk, AuditEntry, AuditEntry.action == 'assigned', AuditEntry.lead_id == lead_id)[-1]
    assert (entry.actor_id, entry.subject_user_id, entry.reason_key) == (manager.id, rep.id, 'reason.assigned.manual')


def test_assign_from_pool_tells_rep_once(desk: Desk) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    desk.pool.assign_from_pool(manager, pooled(desk, 3), rep_id=rep.id)
    [note] = rows(desk, Notification, Notification.key == 'notify.assigned_many')
    assert (note.user_id, note.params) == (rep.id, {'count': 3})


def test_assign_from_pool_skips_owned_and_repeated_leads(desk: Desk) -> None:
    manager, rep, other = user(desk, Role.MANAGER), user(desk), user(desk)
    ids = pooled(desk, 2)
    owned = desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual', actor=other,
                                    keep_for_actor=True).lead_id
    assert desk.pool.assign_from_pool(manager, [ids[0], owned, ids[1], ids[0]], rep_id=rep.id) == 2
    assert lead(desk, owned).owner_id == other.id


def test_assign_from_pool_takes_review_leads(desk: Desk, clock: FakeClock) -> None:
    manager, rep, other = user(desk, Role.MANAGER), user(desk), user(desk)
    lead_id = in_review(desk, clock, manager, rep)
    assert desk.pool.assign_from_pool(manager, [lead_id], rep_id=other.id) == 1
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id, row.protected_until) == ('assigned', other.id, clock.now() + timedelta(days=7))


def test_assign_from_pool_rejects_a_non_rep_target(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    ids = pooled(desk, 1)
    with pytest.raises(ValidationFailed):
        desk.pool.assign_from_pool(manager, ids, rep_id=manager.id)
    assert lead(desk, ids[0]).status == 'pool'


def test_send_back_moves_review_lead_to_pool(desk: Desk, clock: FakeClock) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    lead_id = in_review(desk, clock, manager, rep)
    desk.pool.send_back(manager, lead_id)
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id, row.cooldown_until) == ('pool', None, None)
    entry = rows(desk, AuditEntry, AuditEntry.lead_id == lead_id)[-1]
    assert (entry.action, entry.actor_id, entry.reason_key) == ('status', manager.id, 'reason.sent_back')


def test_sent_back_lead_waits_to_be_claimed(desk: Desk, clock: FakeClock) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    lead_id = in_review(desk, clock, manager, rep)
    desk.pool.send_back(manager, lead_id)
    assert desk.automation.tick().count() == 0
    desk.pool.claim_lead(rep, lead_id)  # no cool-down after a manager's decision
    assert lead(desk, lead_id).owner_id == rep.id


def test_send_back_refuses_lead_not_in_review(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    [lead_id] = pooled(desk, 1)
    with pytest.raises(InvalidState):
        desk.pool.send_back(manager, lead_id)


def test_reopen_moves_disqualified_lead_to_pool(desk: Desk) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    lead_id = capture(desk)
    desk.leads.disqualify_lead(rep, lead_id, reason='wrong number')
    desk.pool.reopen(manager, lead_id)
    row = lead(desk, lead_id)
    assert (row.status, row.owner_id) == ('pool', None)
    entry = rows(desk, AuditEntry, AuditEntry.lead_id == lead_id)[-1]
    assert (entry.action, entry.actor_id, entry.reason_key) == ('status', manager.id, 'reason.reopened')


def test_reopen_refuses_open_lead(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    user(desk)
    lead_id = capture(desk)
    with pytest.raises(InvalidState):
        desk.pool.reopen(manager, lead_id)


def test_reopened_previously_owned_lead_waits_in_pool(desk: Desk) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    lead_id = capture(desk)
    desk.leads.disqualify_lead(rep, lead_id, reason='wrong number')
    desk.pool.reopen(manager, lead_id)
    assert desk.automation.tick().done['assign'] == []
    assert (lead(desk, lead_id).status, lead(desk, lead_id).previous_owner_id) == ('pool', rep.id)


@pytest.mark.parametrize('action', ['assign_from_pool', 'send_back', 'reopen'])
def test_reps_cannot_manage_the_pool(desk: Desk, clock: FakeClock, action: str) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    lead_id = in_review(desk, clock, manager, rep)
    calls: dict[str, Callable[[], Any]] = {
        'assign_from_pool': lambda: desk.pool.assign_from_pool(rep, [lead_id], rep_id=rep.id),
        'send_back': lambda: desk.pool.send_back(rep, lead_id),
        'reopen': lambda: desk.pool.reopen(rep, lead_id),
    }
    with pytest.raises(NotAllowed):
        calls[action]()
    assert lead(desk, lead_id).status == 'review'


def test_manual_reassignment_resets_the_clocks(desk: Desk, clock: FakeClock) -> None:
    manager, a, b = user(desk, Role.MANAGER), user(desk), user(desk)
    lead_id = desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual', actor=a,
                                      keep_for_actor=True).lead_id
    desk.leads.log_activity(a, lead_id, kind='call')
    now = clock.advance(days=5)
    desk.leads.assign_lead(manager, lead_id, rep_id=b.id)
    row = lead(desk, lead_id)
    assert (row.owner_id, row.status, row.sla_status) == (b.id, 'assigned', 'due')
    assert (row.protected_until, row.protection_max_at) == (now + timedelta(days=7), now + timedelta(days=30))


# ----- concurrency -------------------------------------------------------------------------------

def test_two_reps_claiming_same_lead_at_once_one_wins(desk: Desk) -> None:
    a, b = user(desk), user(desk)
    for lead_id in pooled(desk, 5):
        results = race(partial(desk.pool.claim_lead, a, lead_id), partial(desk.pool.claim_lead, b, lead_id))
        winners = [rep for rep, result in zip((a, b), results, strict=True) if result is None]
        losers = [result for result in results if result is not None]
        assert len(winners) == 1
        assert [(type(e), e.code) for e in losers] == [(ClaimRefused, 'claim.already_claimed')]
        assert lead(desk, lead_id).owner_id == winners[0].id
        assert [e.subject_user_id for e in claims(desk, lead_id)] == [winners[0].id]


def test_concurrent_claims_by_one_rep_respect_the_daily_limit(desk: Desk) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    desk.set_policy(manager, {'claim_limit': 2})
    ids = pooled(desk, 5)
    results = race(*(partial(desk.pool.claim_lead, rep, i) for i in ids))
    assert sum(r is None for r in results) == 2
    assert {e.code for e in results if e is not None} == {'claim.claim_limit'}
    assert sum(lead(desk, i).owner_id == rep.id for i in ids) == 2


def test_concurrent_claims_respect_capacity(desk: Desk) -> None:
    rep = user(desk, capacity=1)
    ids = pooled(desk, 4)
    results = race(*(partial(desk.pool.claim_lead, rep, i) for i in ids))
    assert sum(r is None for r in results) == 1
    assert {e.code for e in results if e is not None} == {'claim.at_capacity'}


# ----- paging, search, filters and sorts (server-side) -------------------------------------------------

def test_pool_pages_cover_every_lead_once(desk: Desk) -> None:
    rep = user(desk)
    ids = pooled(desk, 7)
    pages = [desk.pool.pool(rep, page=n, page_size=3) for n in (1, 2, 3, 4)]
    assert [len(rows) for rows, _ in pages] == [3, 3, 1, 0]
    assert {total for _, total in pages} == {7}
    assert sorted(r.id for rows, _ in pages for r in rows) == sorted(ids)


def test_pool_sorts_by_recycled_time(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    ids = []
    for _ in range(3):
        ids += pooled(desk, 1)
        clock.advance(minutes=5)
    newest = [r.id for r in desk.pool.pool(rep, query=PoolQuery(sort='recent'))[0]]
    oldest = [r.id for r in desk.pool.pool(rep, query=PoolQuery(sort='oldest'))[0]]
    assert newest == ids[::-1] and oldest == ids
    assert [r.pooled_at for r in desk.pool.pool(rep)[0]] == [T0 + timedelta(minutes=m) for m in (10, 5, 0)]


def test_recycling_stamps_the_pooled_time(desk: Desk, clock: FakeClock) -> None:
    rep = user(desk)
    lead_id = recycled_from(desk, clock, rep)
    assert lead(desk, lead_id).pooled_at == clock.now()


def rich(desk: Desk, n: int) -> list[int]:
    """Pool leads with every qualifying field set: a better score (and grade) than bare ones."""
    return [i for k in range(n) for i in pooled(desk, 1, company=f'Acme {k}', email=f'a{k}@acme.test', title='CTO',
                                                 budget='1m', need='CRM', timeline='now')]


def test_pool_sorts_by_score_and_by_grade(desk: Desk) -> None:
    rep = user(desk)
    pooled(desk, 2)
    rich(desk, 2)
    by_score = desk.pool.pool(rep, query=PoolQuery(sort='score'))[0]
    by_grade = desk.pool.pool(rep, query=PoolQuery(sort='grade'))[0]
    assert [r.score for r in by_score] == sorted((r.score for r in by_score), reverse=True)
    assert by_score[0].score > by_score[-1].score
    assert [(r.grade, -r.score) for r in by_grade] == sorted((r.grade, -r.score) for r in by_grade)


@pytest.mark.parametrize(('field', 'value', 'query'), [
    ('region', 'East', PoolQuery(region='East')),
    ('industry', 'Retail', PoolQuery(industry='Retail')),
])
def test_pool_filters_by_region_and_industry(desk: Desk, field: str, value: str, query: PoolQuery) -> None:
    rep = user(desk)
    wanted = pooled(desk, 2, **{field: value})
    pooled(desk, 3, **{field: 'Other'})
    pooled(desk, 1)
    rows, total = desk.pool.pool(rep, query=query)
    assert (sorted(r.id for r in rows), total) == (sorted(wanted), 2)
    assert desk.pool.choices(rep)[field] == sorted([value, 'Other'])


def test_pool_filters_by_grade(desk: Desk) -> None:
    rep = user(desk)
    pooled(desk, 2)
    rich(desk, 2)
    every = desk.pool.pool(rep)[0]
    for grade in {r.grade for r in every}:
        rows, total = desk.pool.pool(rep, query=PoolQuery(grade=grade))
        assert {r.id for r in rows} == {r.id for r in every if r.grade == grade} and total == len(rows)
    assert desk.pool.pool(rep, query=PoolQuery(grade='Z'))[1] == 4  # an unknown grade filters nothing


def test_pool_filters_by_times_recycled(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    once = recycled_from(desk, clock, rep)
    fresh = pooled(desk, 2)  # (after the tick, which hands never-owned pool leads to reps)
    assert [r.id for r in desk.pool.pool(other, query=PoolQuery(recycled=1))[0]] == [once]
    assert sorted(r.id for r in desk.pool.pool(other, query=PoolQuery(recycled=0))[0]) == sorted(fresh)
    assert desk.pool.pool(other, query=PoolQuery(recycled=3))[0] == []


def test_pool_search_matches_name_and_company(desk: Desk) -> None:
    rep = user(desk)
    [by_name] = pooled(desk, 1, name='Zhang Wei')
    [by_company] = pooled(desk, 1, name='Li Na', company='Zhangjiang Labs')
    pooled(desk, 2, name='Someone', company='Else')
    rows, total = desk.pool.pool(rep, query=PoolQuery(search='zhang'))
    assert (sorted(r.id for r in rows), total) == (sorted([by_name, by_company]), 2)
    assert desk.pool.pool(rep, query=PoolQuery(search='50%_'))[1] == 0  # wildcards are literal


def test_pool_search_never_reveals_a_masked_phone(desk: Desk) -> None:
    """A pool row shows 138****5678: searching the hidden digits (or the email) finds nothing, or a
    rep could test a full number against the pool before claiming."""
    rep = user(desk)
    [lead_id] = pooled(desk, 1, name='Hidden', phone='13812345678', email='hidden@example.test')
    for term in ('13812345678', '1381234', '12345678', '1234', '8123', 'hidden@example', '+86'):
        assert desk.pool.pool(rep, query=PoolQuery(search=term)) == ([], 0), term
    assert [r.id for r in desk.pool.pool(rep, query=PoolQuery(search='5678'))[0]] == [lead_id]  # shown digits


def test_review_queue_searches_and_filters_too(desk: Desk, clock: FakeClock) -> None:
    manager, rep = user(desk, Role.MANAGER), user(desk)
    lead_id = in_review(desk, clock, manager, rep)
    name = lead(desk, lead_id).name
    assert [r.id for r in desk.pool.pool(manager, review=True, query=PoolQuery(search=name))[0]] == [lead_id]
    assert desk.pool.pool(manager, review=True, query=PoolQuery(recycled=0))[1] == 0


# ----- Claim shown only where it can succeed: one rule for the listing and the claim -------------------

def test_managers_see_no_claim_and_no_reason(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    pooled(desk, 1)
    [row], _ = desk.pool.pool(manager)
    assert (row.claimable, row.refusal) == (False, None)


def test_listing_names_the_cooldown_with_its_end(desk: Desk, clock: FakeClock) -> None:
    rep, other = user(desk), user(desk)
    lead_id = recycled_from(desk, clock, rep)
    [row], _ = desk.pool.pool(rep)
    assert (row.claimable, row.refusal) == (False, Refusal('cooldown', {'until': (clock.now() + timedelta(days=3))
                                                                         .isoformat()}))
    assert desk.pool.pool(other)[0][0].claimable and row.id == lead_id


def _claim_or_refusal(desk: Desk, rep: UserRef, lead_id: int) -> Refusal | None:
    try:
        desk.pool.claim_lead(rep, lead_id)
    except ClaimRefused as e:
        return Refusal(e.reason, dict(e.params))
    return None


@pytest.mark.parametrize('setup', ['free', 'claim_limit', 'at_capacity', 'cooldown'])
def test_listing_says_exactly_what_the_claim_does(desk: Desk, clock: FakeClock, setup: str) -> None:
    """Before every claim the row's verdict (Claim, or the reason) equals the claim's outcome."""
    manager = user(desk, Role.MANAGER)
    rep = user(desk, capacity=3 if setup == 'at_capacity' else 50)
    if setup == 'claim_limit':
        desk.set_policy(manager, {'claim_limit': 2})
    if setup == 'cooldown':
        recycled_from(desk, clock, rep)
    pooled(desk, 4)
    outcomes = []
    while rows := desk.pool.pool(rep)[0]:
        for row in rows:
            assert row.claimable == (row.refusal is None)
        row = next((r for r in rows if r.claimable), rows[0])
        outcome = _claim_or_refusal(desk, rep, row.id)
        assert outcome == row.refusal, (setup, row)
        outcomes.append(outcome)
        if outcome is not None:
            break
    assert (outcomes[-1] is None) == (setup == 'free')
    assert len(outcomes) == {'free': 4, 'claim_limit': 3, 'at_capacity': 4, 'cooldown': 5}[setup]
