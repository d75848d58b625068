"""The start-up lines on the terminal: where to open the app and, for a demo, who to log in as."""

from __future__ import annotations

from cli.banner import app_url, ready_lines
from core.ops.demo_accounts import DEMO_PASSWORD, DEMO_USERS


def test_the_url_names_localhost_for_loopback_and_every_interface() -> None:
    assert app_url('127.0.0.1', 8080) == 'http://localhost:8080'
    assert app_url('0.0.0.0', 9000) == 'http://localhost:9000'
    assert app_url('10.1.2.3', 8080) == 'http://10.1.2.3:8080'
    assert app_url('fd00::5', 8080) == 'http://[fd00::5]:8080'


def test_a_demo_prints_every_demo_login_with_the_password() -> None:
    text = '\n'.join(ready_lines('127.0.0.1', 8080, demo=True, needs_setup=False))
    assert 'http://localhost:8080' in text
    assert DEMO_PASSWORD in text
    assert all(u.email in text for u in DEMO_USERS)


def test_an_empty_team_is_told_to_create_the_first_admin_and_no_demo_login_is_printed() -> None:
    text = '\n'.join(ready_lines('127.0.0.1', 8080, demo=False, needs_setup=True))
    assert 'first admin' in text
    assert DEMO_PASSWORD not in text
