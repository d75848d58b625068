"""core/automation/policy.py and desk.set_policy: the numbers behind the timer (PRODUCT.md lifecycle 5–7),
their validation, storage round trip and the times derived from them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.automation.policy import POLICY_KEY, Policy, load_policy
from core.automation.timer import recycle_outcome
from core.automation.workhours import WorkCalendar
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from store.models import AppSetting, AuditEntry, Role
from tests.factories import admin, user

from .db import rows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Monday 17:00 Shanghai."""


def store_raw(desk: Desk, value: str) -> None:
    """What an older version (or a hand edit) may have left in the settings table."""
    with desk.ctx.write() as s:
        s.merge(AppSetting(key=POLICY_KEY, value=value))


# ----- defaults ----------------------------------------------------------------------------------

def test_defaults_match_the_product() -> None:
    p = Policy()
    assert p.sla_hours == {'A': 24.0, 'B': 72.0, 'C': 168.0}
    assert (p.protection_days, p.extension_days, p.max_protection_days) == (7.0, 3.0, 30.0)
    assert (p.warn_hours, p.cooldown_days, p.claim_limit, p.review_after) == (24.0, 3.0, 10, 3)
    assert p.redistribute_recycled is False
    assert p.calendar == WorkCalendar()


def test_default_instances_do_not_share_sla_hours() -> None:
    assert Policy().sla_hours is not Policy().sla_hours


def test_from_dict_of_nothing_gives_defaults() -> None:
    assert Policy.from_dict(None) == Policy.from_dict({}) == Policy()


def test_from_dict_missing_keys_take_defaults() -> None:
    p = Policy.from_dict({'claim_limit': 5})
    assert p.claim_limit == 5
    assert p.protection_days == Policy().protection_days


# ----- validation --------------------------------------------------------------------------------

def test_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match='unknown setting: protection_weeks'):
        Policy.from_dict({'protection_weeks': 1})


@pytest.mark.parametrize(('name', 'value'), [
    ('protection_days', 0),
    ('protection_days', 366),
    ('extension_days', -1),
    ('max_protection_days', 4000),
    ('warn_hours', -0.5),
    ('cooldown_days', 400),
    ('claim_limit', -1),
    ('claim_limit', 10_001),
    ('review_after', 0),
    ('review_after', 101),
    ('sla_grace_hours', 24 * 31),
    ('tick_seconds', 1),
    ('protection_days', float('nan')),
    ('claim_limit', float('inf')),
])
def test_out_of_range_value_is_refused(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=rf'^{name}: must be between'):
        Policy.from_dict({name: value})


@pytest.mark.parametrize('value', ['seven', None, [7], {'days': 7}])
def test_non_number_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match=r'^protection_days: not a number'):
        Policy.from_dict({'protection_days': value})


def test_numeric_strings_are_accepted() -> None:
    assert Policy.from_dict({'protection_days': '5', 'claim_limit': '4'}) == Policy(protection_days=5.0,
                                                                                  claim_limit=4)


def test_limits_are_inclusive() -> None:
    p = Policy.from_dict({'extension_days': 0, 'claim_limit': 0, 'review_after': 1, 'warn_hours': 0,
                          'cooldown_days': 365})
    assert (p.extension_days, p.claim_limit, p.review_after, p.warn_hours, p.cooldown_days) == (0, 0, 1, 0, 365)


def test_counts_are_integers() -> None:
    p = Policy.from_dict({'claim_limit': 2.0, 'review_after': '3'})
    assert (type(p.claim_limit), type(p.review_after)) == (int, int)


def test_maximum_shorter_than_protection_is_refused() -> None:
    with pytest.raises(ValueError, match=r'^max_protection_days'):
        Policy.from_dict({'protection_days': 10, 'max_protection_days': 9})


def test_maximum_shorter_than_default_protection_is_refused() -> None:
    with pytest.raises(ValueError, match=r'^max_protection_days'):
        Policy.from_dict({'max_protection_days': 5})


def test_maximum_equal_to_protection_is_allowed() -> None:
    assert Policy.from_dict({'protection_days': 10, 'max_protection_days': 10}).max_protection_days == 10


@pytest.mark.parametrize('sla', [{'A': 24, 'B': 72}, {'A': 24, 'B': 72, 'C': 168, 'D': 200}, {}])
def test_sla_hours_must_name_grades_a_b_and_c(sla: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r'^sla_hours: give hours for grades A, B and C'):
        Policy.from_dict({'sla_hours': sla})


@pytest.mark.parametrize('hours', [0, -1, 24 * 365 + 1, float('nan')])
def test_sla_hours_out_of_range_are_refused(hours: float) -> None:
    with pytest.raises(ValueError, match=r'^sla_hours: must be between'):
        Policy.from_dict({'sla_hours': {'A': hours, 'B': 72, 'C': 168}})


def test_sla_hours_not_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match=r'^sla_hours: not a number'):
        Policy.from_dict({'sla_hours': {'A': 'a day', 'B': 72, 'C': 168}})


def test_bad_calendar_is_refused() -> None:
    with pytest.raises(ValueError):
        Policy.from_dict({'calendar': {'tz': 'Mars/Olympus'}})
    with pytest.raises(ValueError):
        Policy.from_dict({'calendar': {'holidays': ['not a date']}})
    with pytest.raises(ValueError):
        Policy.from_dict({'calendar': {'start': '18:00', 'end': '09:00'}})


@pytest.mark.parametrize('sla', [[24, 72, 168], 24])
def test_sla_hours_that_are_not_a_mapping_are_refused(sla: Any) -> None:
    with pytest.raises(ValueError, match=r'^sla_hours'):
        Policy.from_dict({'sla_hours': sla})


@pytest.mark.parametrize('value', ['false', 'no', '0', 'off'])
def test_redistribute_recycled_false_words_do_not_turn_it_on(value: str) -> None:
    try:
        p = Policy.from_dict({'redistribute_recycled': value})
    except ValueError:
        return  # refusing is fine too
    assert p.redistribute_recycled is False


def test_redistribute_recycled_takes_booleans() -> None:
    assert Policy.from_dict({'redistribute_recycled': True}).redistribute_recycled is True
    assert Policy.from_dict({'redistribute_recycled': False}).redistribute_recycled is False


# ----- round trip --------------------------------------------------------------------------------

def test_round_trip_of_defaults() -> None:
    assert Policy.from_dict(Policy().to_dict()) == Policy()


def test_round_trip_through_json_keeps_every_setting() -> None:
    p = Policy(sla_hours={'A': 12.0, 'B': 36.0, 'C': 100.0}, sla_grace_hours=8.0, protection_days=5.0,
               extension_days=2.0, max_protection_days=20.0, warn_hours=12.0, cooldown_days=1.5, claim_limit=4,
               review_after=2, redistribute_recycled=True, tick_seconds=60.0,
               calendar=WorkCalendar(tz='Europe/Berlin', weekdays=frozenset({0, 1, 2, 3}),
                                     holidays=frozenset({date(2026, 4, 3)}),
                                     extra_workdays=frozenset({date(2026, 4, 11)})))
    assert Policy.from_dict(json.loads(json.dumps(p.to_dict()))) == p


def test_to_dict_is_plain_json() -> None:
    data = Policy().to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data['calendar'] == WorkCalendar().to_dict()


# ----- derived times -----------------------------------------------------------------------------

def test_sla_due_counts_nominal_hours_in_working_time() -> None:
    assert Policy().sla_due('A', T0) == T0 + timedelta(days=1)  # Monday 17:00 → Tuesday 17:00 Shanghai


def test_sla_due_for_unknown_grade_uses_grade_c() -> None:
    assert Policy().sla_due('Z', T0) == Policy().sla_due('C', T0)


def test_sla_grace_counts_working_hours() -> None:
    assert Policy().sla_grace(T0) == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)  # 1 + 9 + 9 + 5 h: Thu 14:00


def test_protection_window() -> None:
    assert Policy().protection(T0) == (T0 + timedelta(days=7), T0 + timedelta(days=30))


def test_extension_only_moves_later() -> None:
    p = Policy()
    end, cap = T0 + timedelta(days=7), T0 + timedelta(days=30)
    assert p.extended(end, cap, T0 + timedelta(days=1)) == end
    assert p.extended(end, cap, T0 + timedelta(days=5)) == T0 + timedelta(days=8)


def test_extension_capped_at_maximum() -> None:
    end, cap = T0 + timedelta(days=7), T0 + timedelta(days=9)
    assert Policy().extended(end, cap, T0 + timedelta(days=8)) == cap


def test_extension_of_unprotected_lead_stays_none() -> None:
    assert Policy().extended(None, None, T0) is None


def test_cooldown_and_warning_times() -> None:
    p = Policy.from_dict({'cooldown_days': 2, 'warn_hours': 6})
    assert p.cooldown(T0) == T0 + timedelta(days=2)
    assert p.warn_from(T0) == T0 - timedelta(hours=6)


@pytest.mark.parametrize(('count', 'review_after', 'outcome'), [
    (0, 3, 'recycle'), (1, 3, 'recycle'), (2, 3, 'review'), (5, 3, 'review'), (0, 1, 'review'),
])
def test_recycle_outcome(count: int, review_after: int, outcome: str) -> None:
    assert recycle_outcome(count, Policy(review_after=review_after)) == outcome


# ----- desk.set_policy ---------------------------------------------------------------------------

def test_desk_policy_defaults_when_nothing_stored(desk: Desk) -> None:
    assert desk.policy() == Policy()


def test_set_policy_stores_and_returns_policy(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    returned = desk.set_policy(manager, {'claim_limit': 2, 'protection_days': 5})
    assert returned == desk.policy() == Policy(claim_limit=2, protection_days=5.0)


def test_set_policy_replaces_the_whole_policy(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    desk.set_policy(manager, {'claim_limit': 2})
    desk.set_policy(manager, {'protection_days': 5})
    assert (desk.policy().claim_limit, desk.policy().protection_days) == (10, 5.0)


def test_set_policy_none_restores_defaults(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    desk.set_policy(manager, {'claim_limit': 2, 'calendar': {'holidays': ['2026-05-01']}})
    assert desk.set_policy(manager, None) == Policy()
    assert desk.policy() == Policy()


def test_set_policy_is_audited(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    desk.set_policy(manager, {'claim_limit': 2})
    desk.set_policy(manager, None)
    entries = rows(desk, AuditEntry, AuditEntry.action == 'policy_changed')
    assert [(e.actor_id, e.reason_key, e.reason_params) for e in entries] == [
        (manager.id, 'reason.policy_changed', {'restored': False}),
        (manager.id, 'reason.policy_changed', {'restored': True}),
    ]
    assert {e.created_at for e in entries} == {T0}


def test_admin_may_set_policy(desk: Desk) -> None:
    assert desk.set_policy(admin(desk), {'review_after': 2}).review_after == 2


@pytest.mark.parametrize('role', [Role.REP, Role.MARKETING])
def test_others_cannot_set_policy(desk: Desk, role: str) -> None:
    actor = user(desk, role)
    with pytest.raises(NotAllowed):
        desk.set_policy(actor, {'claim_limit': 1})
    with pytest.raises(NotAllowed):
        desk.set_policy(actor, None)
    assert desk.policy() == Policy()
    assert rows(desk, AuditEntry, AuditEntry.action == 'policy_changed') == []


@pytest.mark.parametrize('values', [
    {'claim_limit': -1}, {'nope': 1}, {'protection_days': 10, 'max_protection_days': 5},
    {'sla_hours': {'A': 1}}, {'calendar': {'weekdays': [7]}},
])
def test_invalid_values_raise_validation_failed_and_store_nothing(desk: Desk, values: dict[str, Any]) -> None:
    manager = user(desk, Role.MANAGER)
    desk.set_policy(manager, {'claim_limit': 3})
    with pytest.raises(ValidationFailed) as info:
        desk.set_policy(manager, values)
    assert info.value.errors == {'policy': 'invalid'}
    assert info.value.detail
    assert desk.policy().claim_limit == 3
    assert len(rows(desk, AuditEntry, AuditEntry.action == 'policy_changed')) == 1


def test_validation_detail_names_the_field(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    with pytest.raises(ValidationFailed) as info:
        desk.set_policy(manager, {'cooldown_days': 1000})
    assert info.value.detail.startswith('cooldown_days')


def test_set_policy_with_sla_hours_list_raises_validation_failed(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    with pytest.raises(ValidationFailed):
        desk.set_policy(manager, {'sla_hours': [24, 72, 168]})


def test_stored_policy_that_no_longer_validates_falls_back_to_defaults(desk: Desk) -> None:
    store_raw(desk, json.dumps({'claim_limit': -5}))
    assert desk.policy() == Policy()
    store_raw(desk, 'not json at all')
    assert desk.policy() == Policy()


def test_stored_policy_with_malformed_sla_hours_falls_back_to_defaults(desk: Desk) -> None:
    store_raw(desk, json.dumps({'sla_hours': 24}))
    assert desk.policy() == Policy()


def test_load_policy_reads_what_set_policy_stored(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    stored = desk.set_policy(manager, {'calendar': {'tz': 'Europe/Berlin', 'start': '08:30', 'end': '17:00'}})
    with desk.ctx.read() as s:
        assert load_policy(s) == stored
    assert stored.calendar.tz == 'Europe/Berlin'
