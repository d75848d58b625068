"""API group commit (core/capture/group_commit.py): captures that arrive together share one transaction,
and each is still its own lead, answer, audit trail, notification and event.

A batch of a known size is formed by holding the queue (`CaptureQueue.held`, its public seam)
while the requests arrive in real threads, then letting go: they wait for the same commit."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from core.capture.api_access import KeyInfo
from core.capture.clean import validate
from core.capture.group_commit import Pending
from core.capture.intake import CaptureResult
from core.desk import Desk
from core.errors import ValidationFailed
from store.models import Activity, AuditEntry, IdempotencyRecord, Lead, Notification, User
from tests.factories import lead_data, user

from .db import get, race, rows


def api_key(desk: Desk, name: str = 'Website') -> KeyInfo:
    info = desk.access.check_api_key(desk.access.create_api_key(None, name=name))
    assert info is not None
    return info


def together(desk: Desk, *calls: Callable[[], Any], queued: int | None = None) -> list[Any]:
    """Run the calls in threads while the queue is held; let go once `queued` (all) wait in it, so
    they go as one batch. Each call's result or exception."""
    queue = desk.access.captures
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            results[i] = call()
        except Exception as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    with queue.held():
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while queue.waiting < (len(calls) if queued is None else queued):  # (a sync, not a timing)
            assert time.monotonic() < deadline, f'only {queue.waiting} of {len(calls)} arrived'
            time.sleep(0.005)
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return results


def capture(desk: Desk, key: KeyInfo, data: dict[str, Any], idempotency_key: str | None = None) -> Callable[[], Any]:
    return lambda: desk.access.capture_via_api(key, data, idempotency_key)


def test_captures_arriving_together_share_one_transaction_each_its_own_lead(desk: Desk) -> None:
    reps = [user(desk), user(desk)]
    key = api_key(desk)
    captured: list[int] = []
    told: list[int] = []
    desk.events.lead_captured.subscribe(lambda lead_id, _owner: captured.append(lead_id))
    desk.events.notified.subscribe(told.append)
    answers = together(desk, *(capture(desk, key, lead_data()) for _ in range(20)))

    assert all(isinstance(a, tuple) and a[1] is False and a[0].created for a in answers), answers
    ids = [a[0].lead_id for a in answers]
    assert len(set(ids)) == 20
    assert desk.access.captures.batch_sizes == Counter({20: 1})  # one transaction for all twenty
    leads = rows(desk, Lead)
    assert sorted(lead.id for lead in leads) == sorted(ids)
    assert all(lead.source == 'api' and lead.status == 'assigned' and lead.owner_id in {r.id for r in reps}
               for lead in leads)
    assert {a[0].lead_id: a[0].owner_id for a in answers} == {lead.id: lead.owner_id for lead in leads}
    # each audited as a single API capture: captured, then assigned by a rule, once each
    trail = Counter((e.lead_id, e.action) for e in rows(desk, AuditEntry) if e.lead_id)
    assert trail == Counter({(i, action): 1 for i in ids for action in ('captured', 'assigned')})
    assert {e.reason_params['channel'] for e in rows(desk, AuditEntry) if e.action == 'captured'} == {'api'}
    # each owner told of each lead (not an import's "N leads"), and events once per lead
    notes = rows(desk, Notification)
    assert sorted((n.lead_id, n.user_id, n.key) for n in notes) == \
        sorted((lead.id, lead.owner_id, 'notify.assigned_to_you') for lead in leads)
    assert sorted(captured) == sorted(ids)
    assert Counter(told) == Counter({r.id: 1 for r in reps if any(lead.owner_id == r.id for lead in leads)})
    assert sum(get(desk, User, r.id).open_leads for r in reps) == 20


def test_many_threads_at_once_all_get_their_own_lead(desk: Desk) -> None:
    user(desk)
    key = api_key(desk)
    answers = race(*(capture(desk, key, lead_data()) for _ in range(16)))
    assert all(isinstance(a, tuple) and a[0].created for a in answers), answers
    assert len({a[0].lead_id for a in answers}) == 16 == len(rows(desk, Lead))
    sizes = desk.access.captures.batch_sizes
    assert sum(size * n for size, n in sizes.items()) == 16  # every capture in exactly one batch


def test_one_request_at_a_time_is_a_batch_of_one(desk: Desk) -> None:
    key = api_key(desk)
    for _ in range(3):
        desk.access.capture_via_api(key, lead_data(), None)
    assert desk.access.captures.batch_sizes == Counter({1: 3})


def test_same_phone_together_gives_one_lead_and_one_join(desk: Desk) -> None:
    user(desk)
    key = api_key(desk)
    first, second = together(desk, capture(desk, key, lead_data(phone='13812345678')),
                             capture(desk, key, lead_data(phone='+86 138 1234 5678', source='ads')))
    results = sorted([first[0], second[0]], key=lambda r: not r.created)
    assert [r.created for r in results] == [True, False]
    assert results[1].duplicate_of == results[0].lead_id
    [lead] = rows(desk, Lead)
    assert (lead.id, lead.touch_count) == (results[0].lead_id, 1)
    assert [a.kind for a in rows(desk, Activity)] == ['touch']


def test_same_idempotency_key_together_names_one_lead_with_one_record(desk: Desk) -> None:
    key = api_key(desk)
    data = lead_data()
    answers = together(desk, capture(desk, key, data, 'req-1'), capture(desk, key, dict(data), 'req-1'))
    assert answers[0][0] == answers[1][0]  # the same answer (the retry is a replay of the first)
    assert sorted(a[1] for a in answers) == [False, True]
    [lead] = rows(desk, Lead)
    assert lead.id == answers[0][0].lead_id and lead.touch_count == 0
    assert [(r.api_key_id, r.key, r.lead_id) for r in rows(desk, IdempotencyRecord)] == [(key.id, 'req-1', lead.id)]
    assert rows(desk, Activity) == []


def test_same_external_id_from_two_keys_together_gives_each_key_its_own_lead(desk: Desk) -> None:
    """An external id is scoped to the key that sent it: two keys' equal ids in one batch are two
    leads, neither a replay of the other; each key's retry replays its own."""
    a, b = api_key(desk, 'A'), api_key(desk, 'B')
    data_a, data_b = lead_data(external_id='crm-9'), lead_data(external_id='crm-9')
    answers = together(desk, capture(desk, a, data_a), capture(desk, b, data_b))
    assert answers[0][0].lead_id != answers[1][0].lead_id
    assert [x[1] for x in answers] == [False, False]
    assert sorted((lead.name, lead.external_id) for lead in rows(desk, Lead)) == \
        sorted([(data_a['name'], 'crm-9'), (data_b['name'], 'crm-9')])
    again = [capture(desk, b, dict(data_b))(), capture(desk, a, dict(data_a))()]  # (replays never queue)
    assert [(x[0].lead_id, x[1]) for x in again] == [(answers[1][0].lead_id, True), (answers[0][0].lead_id, True)]
    assert len(rows(desk, Lead)) == 2


def test_invalid_capture_is_refused_before_the_queue(desk: Desk) -> None:
    key = api_key(desk)
    with pytest.raises(ValidationFailed):
        desk.access.capture_via_api(key, {'name': 'No contact'}, None)
    assert desk.access.captures.batch_sizes == Counter()
    assert rows(desk, Lead) == []


def test_one_arrival_breaking_the_shared_write_does_not_fail_the_others(desk: Desk) -> None:
    """An arrival whose write fails breaks the batch's transaction; each arrival then runs alone.
    The breaking one is handed to the queue directly (its public seam): a lone surrogate that no
    database can encode (validation strips those now) and raw fields that fail alone too."""
    user(desk)
    key = api_key(desk)
    good = [lead_data() for _ in range(4)]
    broken = replace(validate(lead_data(), default_source='api'), name='Bad \ud800')
    bad = Pending(api_key_id=key.id, clean=broken, data={'name': 'Bad \ud800'}, tokens=('k-bad',))
    answers = together(desk, *(capture(desk, key, data, f'k{i}') for i, data in enumerate(good)),
                       lambda: desk.access.captures.submit(bad))
    assert isinstance(answers[4], ValidationFailed) and answers[4].errors == {'phone': 'phone_or_email'}
    assert all(isinstance(a, tuple) and a[0].created for a in answers[:4]), answers
    assert desk.access.captures.batch_sizes == Counter({5: 1}) and desk.access.captures.fallbacks == 1
    leads = rows(desk, Lead)
    assert sorted(lead.name for lead in leads) == sorted(d['name'] for d in good)
    assert sorted((r.key, r.lead_id) for r in rows(desk, IdempotencyRecord)) == \
        sorted((f'k{i}', a[0].lead_id) for i, a in enumerate(answers[:4]))
    trail = Counter(e.action for e in rows(desk, AuditEntry) if e.lead_id)
    assert trail == Counter({'captured': 4, 'assigned': 4})


def test_a_lone_surrogate_is_dropped_not_a_server_error(desk: Desk) -> None:
    """JSON may carry "\\ud800"; it used to reach the database and fail the write (a 500)."""
    user(desk)
    key = api_key(desk)
    result, _ = desk.access.capture_via_api(key, lead_data(name='Zhou \ud800Jie', company='Acme\udfff'), None)
    lead = get(desk, Lead, result.lead_id)
    assert lead.name == 'Zhou Jie' and lead.company == 'Acme'


def test_a_replayed_answer_after_the_batch_matches_the_first(desk: Desk) -> None:
    key = api_key(desk)
    answers = together(desk, *(capture(desk, key, lead_data(), f'r{i}') for i in range(3)))
    for i, (result, _) in enumerate(answers):
        again, replayed = desk.access.capture_via_api(key, lead_data(), f'r{i}')
        assert replayed and isinstance(again, CaptureResult) and again.lead_id == result.lead_id
