"""LeadDesk: the composition root and command line.

    python run.py [--host H] [--port P] [--demo]   serve the app
    python run.py create-admin                      create an admin (asks for the details)
    python run.py api-key create NAME [--read]      print a new API key once
    python run.py user set-password EMAIL [--temporary]   set a user's password (asks twice; or one line on stdin)
    python run.py backup -o FILE                    online copy of the SQLite database
    python run.py restore FILE                      bring a backup back (server stopped)
    python run.py import FILE [--source S] [--to-pool|--assign [EMAIL]] [--dry-run]   import leads
    python run.py export leads|opportunities|customers|activities --format csv|xlsx -o FILE [--since DATE]
    python run.py migrate-to URL                    copy the database to another (e.g. PostgreSQL) and check it
    python run.py field add lead KEY --type T --label-zh 中文 [--label-en E] [--options "a:甲,b:乙"] [--required]
                                                    [--filterable]  (an index: lists filter and sort by it fast)
    python run.py field list [lead]                 define and list custom fields (cli/fields.py)
    python run.py dept add NAME [--parent PARENT]   add a department (cli/departments.py)
    python run.py dept list                         the department tree
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import random
import sys
from pathlib import Path

# Whatever NiceGUI might persist belongs with the data, not in the working directory (read at
# import time). Browser sessions live in the database (core/accounts/sessions.py): no per-browser files.
os.environ.setdefault('NICEGUI_STORAGE_PATH', os.path.join(os.environ.get('LEADDESK_DATA_DIR', 'data'), 'sessions'))

from nicegui import app, run, ui

from cli import backup
from cli.banner import progress, ready_lines
from core.automation.cluster import Relay, TimerLeader
from core.desk import Desk
from core.errors import ValidationFailed
from core.ops import data_folder
from core.ops.exposure import exposure_warning
from core.ops.gc_tuning import tune_gc
from core.settings import Settings
from store.engine import make_engine
from store.wal import WalCheckpointer
from ui import register

log = logging.getLogger('leaddesk')


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='run.py', description='LeadDesk lead management')
    parser.add_argument('command', nargs='*',
                        help='create-admin | api-key create NAME | user set-password EMAIL | … (default: serve)')
    parser.add_argument('--host', default=None)
    parser.add_argument('--port', type=int, default=None)
    parser.add_argument('--demo', action='store_true', help='seed a demo team and stream simulated leads')
    parser.add_argument('--read', action='store_true', help='api-key: allow reading leads, not only capture')
    parser.add_argument('--temporary', action='store_true',
                        help='user set-password: the user must choose a new password at next login')
    from cli.imports import add_arguments

    add_arguments(parser)
    parser.add_argument('--format', default='csv', help='export: csv or xlsx')
    parser.add_argument('-o', '--output', default=None, help='backup, export: the file to write')
    parser.add_argument('--since', default=None, help='export: only records from this date (YYYY-MM-DD)')
    parser.add_argument('--lang', default='zh-CN', choices=('zh-CN', 'en'),
                        help="export: the custom fields' column headers and values in this language")
    args, _unknown = parser.parse_known_args(argv)
    return args


def build_desk(settings: Settings) -> Desk:
    desk = Desk(make_engine(settings.resolved_database_url()), settings)
    desk.prepare()
    return desk


def create_admin(desk: Desk) -> int:
    email = input('Email: ').strip()
    name = input('Name: ').strip()
    password = getpass.getpass('Password (8+ characters): ')
    try:
        desk.team.create_admin(email=email, name=name, password=password)
    except ValidationFailed as e:
        print('Not created: ' + ', '.join(f'{field} {code}' for field, code in e.errors.items()), file=sys.stderr)
        return 1
    print(f'Admin {email} created.')
    return 0


def start_timer(desk: Desk, settings: Settings) -> None:
    """The background timer: all time-driven rules, off the event loop. The period is the
    policy's (editable), unless LEADDESK_TICK_SECONDS pins it. On PostgreSQL every process
    ticks, but only the leader (core/automation/cluster.py) runs the rules."""
    pinned = 'LEADDESK_TICK_SECONDS' in os.environ
    leader = TimerLeader(desk.ctx.engine)
    app.on_shutdown(leader.release)

    async def tick() -> None:
        try:
            if await run.io_bound(leader.lead):
                report = await run.io_bound(desk.run_timer)
                if report.count():
                    log.info('timer: %s', report.summary())
                if expired := await run.io_bound(desk.sessions.sweep):
                    log.info('timer: %d browser sessions expired', len(expired))
            if not pinned:
                timer.interval = (await run.io_bound(desk.policy)).tick_seconds
        except Exception:
            log.exception('timer tick failed; it runs again next period')

    timer = app.timer(settings.tick_seconds if pinned else desk.policy().tick_seconds, tick, immediate=False)


def forget_browser_storage(settings: Settings) -> None:
    """Remove the per-browser files NiceGUI kept in `data/sessions/` before sessions moved to the
    database (one per visitor, never expired): nothing reads them any more."""
    folder = Path(os.environ['NICEGUI_STORAGE_PATH'])
    removed = 0
    for path in folder.glob('storage-user-*.json'):
        path.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.warning('removed %d browser-storage files from %s (sessions are kept in the database now)',
                    removed, folder)


def serve(desk: Desk, settings: Settings, args: argparse.Namespace) -> None:
    demo = args.demo or os.environ.get('LEADDESK_DEMO') == '1'
    tune_gc()
    if demo and desk.team.needs_setup():
        from cli.demo import seed

        progress('seeding the demo team and 60 days of leads')
        summary = seed(desk, now=desk.ctx.now())
        desk.set_demo_stream(None, True)
        log.warning('demo data seeded: %s', summary)
    register(desk, demo=demo)
    forget_browser_storage(settings)
    app.state.desk = desk  # the running app's domain object (tests publish through it)
    app.on_startup(lambda: desk.events.bind_loop(asyncio.get_running_loop()))
    relay = Relay(desk.ctx.engine, desk.events)  # PostgreSQL: live updates from the other processes
    app.on_startup(relay.start)
    app.on_shutdown(relay.stop)
    app.on_startup(desk.outbox.start)  # webhook deliveries, outside every request (core/integrations/outbox.py)
    app.on_shutdown(desk.outbox.stop)
    app.on_startup(desk.mailer.start)  # the email outbox, likewise (core/integrations/mailer.py)
    app.on_shutdown(desk.mailer.stop)
    start_timer(desk, settings)
    checkpointer = WalCheckpointer(desk.ctx.engine)  # SQLite: commits append, a thread copies (store/wal.py)
    app.on_startup(checkpointer.start)
    app.on_shutdown(checkpointer.stop)
    app.on_shutdown(desk.ctx.engine.dispose)  # every pooled connection closed (SQLite checkpoints its WAL)
    if demo:
        from cli.demo import stream_one

        rng = random.Random()

        async def demo_tick() -> None:
            if await run.io_bound(desk.demo_stream_on):
                await run.io_bound(stream_one, desk, rng)

        app.timer(settings.demo_stream_seconds, demo_tick, immediate=False)
    host = args.host or settings.host
    port = args.port or settings.port
    needs_setup = desk.team.needs_setup()

    def announce() -> None:
        print('\n'.join(ready_lines(host, port, demo=demo, needs_setup=needs_setup)), flush=True)

    app.on_startup(announce)
    app.state.server_lock = backup.hold_lock(settings)  # restore refuses while this process runs
    if warning := exposure_warning(desk.ctx, host):
        log.warning(warning)
    # No storage_secret: without it NiceGUI adds no session middleware and keeps no per-browser
    # storage — signing in is our own cookie (ui/session.py).
    ui.run(host=host, port=port, title='LeadDesk', reload=False, show=False, show_welcome_message=False,
           favicon='📇', language='zh-CN', fastapi_docs=False,  # the API app serves /docs (ui/api.py)
           proxy_headers=False)  # X-Forwarded-For only from LEADDESK_TRUSTED_PROXIES (ui/api.py ApiLane)


def main() -> int | None:
    simulated = bool(os.environ.get('NICEGUI_USER_SIMULATION'))
    args = parse_args([] if simulated else sys.argv[1:])
    data_folder.restrict_new_files()  # before anything is written: database, secret, sessions, uploads, backups
    settings = Settings()
    data_folder.secure(settings)
    command = args.command
    if command[:1] == ['backup']:  # before build_desk: neither migrates nor opens the database for writing
        return backup.run_backup(settings, args.output)
    if len(command) == 2 and command[0] == 'restore':
        return backup.run_restore(settings, command[1])
    if not command:
        progress('migrating the database')
    desk = build_desk(settings)
    if not command:
        progress('starting the server')
        serve(desk, settings, args)
        return None
    if command[:1] == ['field']:  # its own options (--type, --label-zh, …): read from the raw arguments
        from cli.fields import main as field_main

        argv = sys.argv[1:]
        return field_main(desk, argv[argv.index('field') + 1:])
    if command[:1] == ['dept']:  # its own options (--parent): read from the raw arguments
        from cli.departments import main as dept_main

        argv = sys.argv[1:]
        return dept_main(desk, argv[argv.index('dept') + 1:])
    if command == ['create-admin']:
        return create_admin(desk)
    if command[:2] == ['user', 'set-password']:
        from cli.users import set_password

        return set_password(desk, command[2:], temporary=args.temporary)
    if len(command) == 3 and command[:2] == ['api-key', 'create']:
        print(desk.access.create_api_key(None, name=command[2], scope='read' if args.read else 'capture'))
        return 0
    if len(command) == 2 and command[0] == 'migrate-to':
        from cli.migrate_to import run as migrate_to

        return migrate_to(settings, command[1])
    if command[0] == 'import':
        from cli.imports import main as import_main
        from ui.i18n import translate

        return import_main(desk, command[1:], args,
                           describe=lambda e: translate('en', f'err.{e.code}', e.params))
    if len(command) == 2 and command[0] == 'export' and args.output:
        from cli.export import run as run_export

        code, text = run_export(desk, command[1], args.format, args.output, args.since, language=args.lang)
        print(text, file=sys.stderr if code else sys.stdout)
        return code
    print(f'unknown command: {" ".join(command)}', file=sys.stderr)
    return 2


if __name__ in {'__main__', '__mp_main__'}:
    code = main()
    if code is not None and not os.environ.get('NICEGUI_USER_SIMULATION'):
        sys.exit(code)
