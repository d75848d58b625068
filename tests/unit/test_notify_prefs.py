"""core/accounts/notifications.py preferences and core/notify.py honouring them: muted kinds are
not notified (capture and timer alike), toasts off, quiet hours (no toasts; still stored)."""

from __future__ import annotations

import pytest

from core.accounts.notifications import NotifySettings
from core.clock import FakeClock
from core.desk import Desk
from core.errors import ValidationFailed
from core.notify import KINDS, kind_of
from store.models import Notification, NotifyKind, NotifyPrefs, Role
from tests.factories import admin, lead_data, user

from .db import get, rows


def test_a_user_who_never_chose_gets_everything(desk: Desk) -> None:
    rep = user(desk)
    assert desk.team.notify_settings(rep) == NotifySettings()
    assert desk.team.toast_allowed(rep, NotifyKind.ASSIGNED)


def test_preferences_are_saved_per_user(desk: Desk) -> None:
    rep, other = user(desk), user(desk)
    desk.team.set_muted_kinds(rep, ['sla', 'pooled'])
    desk.team.set_toasts(rep, False)
    desk.team.set_quiet_hours(rep, 22 * 60, 7 * 60)
    saved = get(desk, NotifyPrefs, rep.id)
    assert (saved.muted, saved.toasts, saved.quiet_start, saved.quiet_end) == (['pooled', 'sla'], False, 1320, 420)
    assert desk.team.notify_settings(rep) == NotifySettings(
        muted=frozenset({NotifyKind.SLA, NotifyKind.POOLED}), toasts=False, quiet_start=1320, quiet_end=420)
    assert desk.team.notify_settings(other) == NotifySettings()


def test_unknown_kind_and_bad_quiet_hours_are_refused(desk: Desk) -> None:
    rep = user(desk)
    with pytest.raises(ValidationFailed):
        desk.team.set_muted_kinds(rep, ['everything'])
    with pytest.raises(ValidationFailed):
        desk.team.set_quiet_hours(rep, 22 * 60, None)
    with pytest.raises(ValidationFailed):
        desk.team.set_quiet_hours(rep, 60, 60)
    with pytest.raises(ValidationFailed):
        desk.team.set_quiet_hours(rep, -1, 60)
    assert desk.team.notify_settings(rep) == NotifySettings()


def test_muted_kind_is_not_notified_at_capture(desk: Desk) -> None:
    rep = user(desk)
    desk.team.set_muted_kinds(rep, ['assigned'])
    desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual')
    assert rows(desk, Notification) == []
    desk.team.set_muted_kinds(rep, [])
    desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual')
    assert [n.key for n in rows(desk, Notification)] == ['notify.assigned_to_you']


def test_muted_kind_is_not_notified_by_the_timer(desk: Desk, clock: FakeClock) -> None:
    boss = admin(desk)
    manager = user(desk, Role.MANAGER)
    desk.team.set_muted_kinds(manager, ['pooled'])
    desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual')  # no rep: the pool
    desk.automation.tick()
    assert [n.user_id for n in rows(desk, Notification, Notification.key == 'notify.pool_summary')] == [boss.id]


def test_quiet_hours_stop_toasts_in_the_team_time_zone_not_notifications(desk: Desk, clock: FakeClock) -> None:
    """The clock starts at 09:00 UTC = 17:00 Shanghai."""
    rep = user(desk)
    desk.team.set_quiet_hours(rep, 17 * 60, 8 * 60)  # 17:00 to 08:00, across midnight
    assert not desk.team.toast_allowed(rep)
    desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual')
    assert [n.user_id for n in rows(desk, Notification)] == [rep.id]  # still stored
    clock.advance(hours=15)  # 08:00 Shanghai
    assert desk.team.toast_allowed(rep)
    clock.advance(hours=-1)  # 07:00 Shanghai
    assert not desk.team.toast_allowed(rep)


def test_toasts_off_and_muted_kinds_stop_toasts(desk: Desk) -> None:
    rep = user(desk)
    desk.team.set_muted_kinds(rep, ['assigned'])
    assert not desk.team.toast_allowed(rep, NotifyKind.ASSIGNED)
    assert desk.team.toast_allowed(rep)
    desk.team.set_toasts(rep, False)
    assert not desk.team.toast_allowed(rep)


def test_quiet_hours_within_a_day() -> None:
    prefs = NotifySettings(quiet_start=12 * 60, quiet_end=14 * 60)
    assert [prefs.quiet_at(m * 60) for m in (11, 12, 13, 14)] == [False, True, True, False]


def test_every_notification_key_has_a_kind() -> None:
    assert {kind_of(key) for key in KINDS} == set(NotifyKind) - {NotifyKind.SYSTEM}
    assert kind_of('webhook.notify.gave_up') == NotifyKind.SYSTEM
