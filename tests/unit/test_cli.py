"""The command line: `run.py api-key create` and `run.py create-admin` on a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], data: Path, stdin: str = '') -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data))
    return subprocess.run([sys.executable, str(ROOT / 'run.py'), *args], cwd=ROOT, env=env, input=stdin, check=False,
                          capture_output=True, text=True, timeout=120)


def test_api_key_create_prints_a_working_key_once(tmp_path: Path) -> None:
    done = run_cli(['api-key', 'create', 'Website'], tmp_path)
    assert done.returncode == 0, done.stderr
    raw = done.stdout.strip().splitlines()[-1]
    desk = factories.make_desk(tmp_path / 'leaddesk.db')
    key = desk.access.check_api_key(raw)
    assert key is not None and key.name == 'Website' and key.scope == 'capture'


def test_create_admin_adds_an_admin_who_can_log_in(tmp_path: Path) -> None:
    done = run_cli(['create-admin'], tmp_path, stdin='boss@example.com\nBoss\nvery-secret-1\n')
    assert done.returncode == 0, done.stderr
    desk = factories.make_desk(tmp_path / 'leaddesk.db')
    user, _ = desk.team.login('boss@example.com', 'very-secret-1')
    assert user.role == 'admin'


def test_create_admin_refuses_a_short_password(tmp_path: Path) -> None:
    done = run_cli(['create-admin'], tmp_path, stdin='boss@example.com\nBoss\nshort\n')
    assert done.returncode == 1 and 'password too_short' in done.stderr


def test_unknown_command_exits_2(tmp_path: Path) -> None:
    assert run_cli(['frobnicate'], tmp_path).returncode == 2
