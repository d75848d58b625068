"""The start-up warning: demo accounts with the published password, reachable from other machines."""

from __future__ import annotations

import pytest

from core.desk import Desk
from core.ops.demo_accounts import DEMO_PASSWORD, demo_logins
from core.ops.exposure import exposure_warning, is_loopback
from tests.factories import admin


def demo_accounts(desk: Desk, password: str = DEMO_PASSWORD) -> list[int]:
    boss = admin(desk)
    return [desk.team.create_user(boss, email=email, name=email.split('@')[0], password=password,
                                  role='rep' if role == 'admin' else role).id
            for email, role, _ in demo_logins()[:2]]


@pytest.mark.parametrize('host', ['0.0.0.0', '::', '192.168.1.20', 'leaddesk.example.com'])
def test_open_demo_accounts_on_a_reachable_host_are_named(desk: Desk, host: str) -> None:
    demo_accounts(desk)
    warning = exposure_warning(desk.ctx, host)
    assert warning is not None and host in warning
    assert all(email in warning for email, _, _ in demo_logins()[:2])


@pytest.mark.parametrize('host', ['127.0.0.1', 'localhost', '::1', '127.0.1.1'])
def test_loopback_needs_no_warning(desk: Desk, host: str) -> None:
    demo_accounts(desk)
    assert is_loopback(host) and exposure_warning(desk.ctx, host) is None


def test_demo_accounts_with_their_own_passwords_are_not_open(desk: Desk) -> None:
    demo_accounts(desk, password='a-real-secret-9')
    assert exposure_warning(desk.ctx, '0.0.0.0') is None


def test_deactivated_demo_accounts_are_not_open(desk: Desk) -> None:
    boss = admin(desk)
    for user_id in demo_accounts(desk):
        desk.team.update_user(boss, user_id, {'is_active': False})
    assert exposure_warning(desk.ctx, '0.0.0.0') is None
