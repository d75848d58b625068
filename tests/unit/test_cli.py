"""The command line: `run.py api-key create`, `create-admin`, `user set-password` and `field` on a real
database file. What reads a pipe or a terminal runs run.py in a subprocess, as a user runs it; `api-key`,
`field` and an unknown command go through the same `run.main` in this process (`run_here`): their work
is the arguments and the database, and each subprocess cost ~3 s of interpreter start and imports."""

from __future__ import annotations

import io
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.desk import Desk
from core.errors import LoginFailed
from core.settings import Settings
from store.models import UserRef
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], data: Path, stdin: str = '') -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data))
    return subprocess.run([sys.executable, str(ROOT / 'run.py'), *args], cwd=ROOT, env=env, input=stdin, check=False,
                          capture_output=True, text=True, timeout=120)


RunHere = Callable[[list[str], Path], subprocess.CompletedProcess[str]]


@pytest.fixture
def run_here(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunHere:
    """`run.py ARGS` as `run_cli` runs it (only LEADDESK_DATA_DIR set, nothing on stdin; the exit code,
    stdout and stderr), but by calling `run.main()` in this process. The umask that main sets for its
    process and the environment are put back after each call."""

    def call(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
        with monkeypatch.context() as patch:
            for name in [k for k in os.environ if k.startswith(('NICEGUI_', 'LEADDESK_'))]:
                patch.delenv(name)
            patch.setenv('LEADDESK_DATA_DIR', str(data))
            patch.setenv('NICEGUI_STORAGE_PATH', str(data / 'sessions'))  # what run.py sets at import
            patch.setattr(sys, 'argv', [str(ROOT / 'run.py'), *args])
            patch.setattr(sys, 'stdin', io.StringIO(''))
            import run  # the composition root as a module: its `__main__` block does not run

            desks: list[Desk] = []
            run_build_desk = run.build_desk

            def build_desk(settings: Settings) -> Desk:  # run's own; its engine closed after, as an exit would
                desks.append(run_build_desk(settings))
                return desks[-1]

            patch.setattr(run, 'build_desk', build_desk)
            capsys.readouterr()
            umask = os.umask(0o022)
            os.umask(umask)
            try:
                code = run.main()
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 1
            finally:
                os.umask(umask)
                for desk in desks:
                    desk.ctx.engine.dispose()
            out, err = capsys.readouterr()
        return subprocess.CompletedProcess(['run.py', *args], code or 0, out, err)

    return call


def test_api_key_create_prints_a_working_key_once(tmp_path: Path, run_here: RunHere) -> None:
    done = run_here(['api-key', 'create', 'Website'], tmp_path)
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


def test_unknown_command_exits_2(tmp_path: Path, run_here: RunHere) -> None:
    done = run_here(['frobnicate'], tmp_path)
    assert done.returncode == 2 and 'unknown command: frobnicate' in done.stderr


# ----- user set-password -------------------------------------------------------------------------

def _with_rep(data: Path) -> str:
    desk = factories.make_desk(data / 'leaddesk.db')
    email = factories.user(desk).email
    desk.ctx.engine.dispose()
    return email


def _logs_in(data: Path, email: str, password: str) -> UserRef | None:
    desk = factories.make_desk(data / 'leaddesk.db')
    try:
        return desk.team.login(email, password)[0]
    except LoginFailed:
        return None
    finally:
        desk.ctx.engine.dispose()


def test_set_password_from_a_pipe_lets_the_new_one_in(tmp_path: Path) -> None:
    email = _with_rep(tmp_path)
    done = run_cli(['user', 'set-password', email.upper()], tmp_path, stdin='brand-new-pass\n')
    assert done.returncode == 0, done.stderr
    assert f'Password of {email} set' in done.stdout and 'brand-new-pass' not in done.stdout + done.stderr
    assert _logs_in(tmp_path, email, 'brand-new-pass') is not None
    assert _logs_in(tmp_path, email, factories.PASSWORD) is None


def test_set_password_temporary_forces_a_change_at_next_login(tmp_path: Path) -> None:
    email = _with_rep(tmp_path)
    assert run_cli(['user', 'set-password', email, '--temporary'], tmp_path, stdin='brand-new-pass\n').returncode == 0
    ref = _logs_in(tmp_path, email, 'brand-new-pass')
    assert ref is not None and ref.must_change_password


def test_set_password_for_an_unknown_email_exits_3_without_asking(tmp_path: Path) -> None:
    _with_rep(tmp_path)
    done = run_cli(['user', 'set-password', 'ghost@example.com'], tmp_path, stdin='brand-new-pass\n')
    assert done.returncode == 3 and "No user has the email 'ghost@example.com'" in done.stderr


def test_set_password_refuses_a_short_or_missing_password(tmp_path: Path) -> None:
    email = _with_rep(tmp_path)
    short = run_cli(['user', 'set-password', email], tmp_path, stdin='short\n')
    assert short.returncode == 1 and 'password too_short' in short.stderr
    empty = run_cli(['user', 'set-password', email], tmp_path, stdin='')
    assert empty.returncode == 1 and 'no password given' in empty.stderr
    assert _logs_in(tmp_path, email, factories.PASSWORD) is not None


def test_set_password_without_an_email_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli(['user', 'set-password'], tmp_path)
    assert done.returncode == 2 and 'usage: run.py user set-password EMAIL' in done.stderr


def _on_a_terminal(args: list[str], data: Path, answers: list[str]) -> tuple[int, str]:
    """Run the command on a pseudo-terminal (getpass reads the controlling terminal), typing each
    answer after its prompt; returns the exit code and everything the terminal showed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data))
    pid, fd = pty.fork()
    if pid == 0:  # the child: a new session whose controlling terminal is the pty
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, str(ROOT / 'run.py'), *args], env)
    shown, pending = b'', list(answers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if pending and shown.endswith(b': '):  # a prompt waits (getpass has turned echo off)
                os.write(fd, pending.pop(0).encode() + b'\n')
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors='replace')


def test_set_password_on_a_terminal_asks_twice_without_echo(tmp_path: Path) -> None:
    email = _with_rep(tmp_path)
    code, shown = _on_a_terminal(['user', 'set-password', email], tmp_path, ['typed-twice-1', 'typed-twice-1'])
    assert code == 0, shown
    assert 'New password for' in shown and 'Again:' in shown and 'typed-twice-1' not in shown
    assert _logs_in(tmp_path, email, 'typed-twice-1') is not None


def test_set_password_on_a_terminal_refuses_two_different_entries(tmp_path: Path) -> None:
    email = _with_rep(tmp_path)
    code, shown = _on_a_terminal(['user', 'set-password', email], tmp_path, ['typed-once-11', 'typed-once-22'])
    assert code == 1 and 'the two entries differ' in shown
    assert _logs_in(tmp_path, email, factories.PASSWORD) is not None


# ----- field add / field list --------------------------------------------------------------------

def test_field_add_defines_a_select_and_field_list_shows_it(tmp_path: Path, run_here: RunHere) -> None:
    done = run_here(['field', 'add', 'lead', 'product', '--type', 'single_select', '--label-zh', '意向产品',
                    '--label-en', 'Product', '--options', 'a:甲,b:乙:Plan B'], tmp_path)
    assert done.returncode == 0, done.stderr
    desk = factories.make_desk(tmp_path / 'leaddesk.db')
    [field] = desk.custom_fields.fields(None)
    assert (field.key, field.type, field.label_zh, field.label_en) == \
        ('product', 'single_select', '意向产品', 'Product')
    assert [(o.key, o.label_zh, o.label_en) for o in field.options] == [('a', '甲', '甲'), ('b', '乙', 'Plan B')]
    listed = run_here(['field', 'list'], tmp_path)
    assert listed.returncode == 0
    assert listed.stdout.splitlines() == ['lead\tproduct\tsingle_select\t意向产品\tProduct\ta:甲:甲, b:乙:Plan B']


def test_field_add_filterable_indexes_the_field_and_field_list_says_so(tmp_path: Path, run_here: RunHere) -> None:
    done = run_here(['field', 'add', 'lead', 'stores', '--type', 'number', '--label-zh', '门店数', '--filterable'],
                   tmp_path)
    assert done.returncode == 0, done.stderr
    assert run_here(['field', 'list'], tmp_path).stdout == 'lead\tstores\tnumber\t门店数\t门店数 [filterable]\n'
    refused = run_here(['field', 'add', 'lead', 'tags', '--type', 'multi', '--label-zh', '标签', '--options', 'a:甲',
                       '--filterable'], tmp_path)
    assert refused.returncode == 1 and 'filterable not_indexable' in refused.stderr
    with sqlite3.connect(tmp_path / 'leaddesk.db') as db:
        indexes = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert 'ix_leads_cf_stores' in indexes and 'ix_leads_cf_tags' not in indexes


def test_field_add_refuses_a_bad_key_and_a_taken_one(tmp_path: Path, run_here: RunHere) -> None:
    bad = run_here(['field', 'add', 'lead', 'Bad-Key', '--type', 'text', '--label-zh', '备注'], tmp_path)
    assert bad.returncode == 1 and 'key invalid_key' in bad.stderr
    assert run_here(['field', 'add', 'lead', 'stores', '--type', 'number', '--label-zh', '门店数',
                    '--required'], tmp_path).returncode == 0
    again = run_here(['field', 'add', 'lead', 'stores', '--type', 'text', '--label-zh', '门店'], tmp_path)
    assert again.returncode == 1 and 'key taken' in again.stderr
    assert run_here(['field', 'add', 'lead', 'x'], tmp_path).returncode == 2
    assert run_here(['field', 'list'], tmp_path).stdout == 'lead\tstores\tnumber\t门店数\t门店数 [required]\n'


def test_field_add_works_for_opportunities_and_customers_and_field_list_shows_all(tmp_path: Path,
                                                                                   run_here: RunHere) -> None:
    assert run_here(['field', 'add', 'lead', 'product', '--type', 'text', '--label-zh', '意向产品',
                    '--required-to-qualify'], tmp_path).returncode == 0
    deal = run_here(['field', 'add', 'opportunity', 'contract_no', '--type', 'text', '--label-zh', '合同编号',
                    '--label-en', 'Contract no.', '--required-from', 'Quotation', '--help-en', 'As signed'], tmp_path)
    assert deal.returncode == 0, deal.stderr
    assert run_here(['field', 'add', 'customer', 'stores', '--type', 'number', '--label-zh', '门店数'],
                   tmp_path).returncode == 0
    unknown_stage = run_here(['field', 'add', 'opportunity', 'x', '--type', 'text', '--label-zh', 'x',
                             '--required-from', 'Nowhere'], tmp_path)
    assert unknown_stage.returncode == 1 and 'required_stage_id invalid' in unknown_stage.stderr
    desk = factories.make_desk(tmp_path / 'leaddesk.db')
    quotation = next(s for s in desk.pipeline.stages() if s.name_en == 'Quotation')
    [field] = desk.custom_fields.fields(None, 'opportunity')
    assert (field.required_stage_id, field.help_en) == (quotation.id, 'As signed')
    listed = run_here(['field', 'list'], tmp_path).stdout.splitlines()
    assert [line.split('\t')[:2] for line in listed] == [['lead', 'product'], ['opportunity', 'contract_no'],
                                                       ['customer', 'stores']]
    assert listed[0].endswith('[required to qualify]')
    assert listed[1].endswith(f'[required from stage {quotation.id}]')
    assert run_here(['field', 'list', 'customer'], tmp_path).stdout.startswith('customer\tstores\t')


def test_dept_add_under_a_parent_and_list_shows_the_tree(tmp_path: Path, run_here: RunHere) -> None:
    assert run_here(['dept', 'add', '华东销售'], tmp_path).returncode == 0
    added = run_here(['dept', 'add', 'Shanghai', '--parent', '华东销售'], tmp_path)
    assert added.returncode == 0 and 'Shanghai' in added.stdout
    listed = run_here(['dept', 'list'], tmp_path).stdout.splitlines()
    assert [line.split('  (')[0] for line in listed] == ['Company', '  华东销售', '    Shanghai']


def test_dept_add_refuses_an_unknown_parent_or_an_empty_name(tmp_path: Path, run_here: RunHere) -> None:
    unknown = run_here(['dept', 'add', 'X', '--parent', 'nowhere'], tmp_path)
    assert unknown.returncode == 1 and 'nowhere' in unknown.stderr
    assert run_here(['dept', 'add', '  '], tmp_path).returncode == 1
    assert run_here(['dept'], tmp_path).returncode == 2
    assert run_here(['dept', 'list'], tmp_path).stdout.count('\n') == 1  # only the root
