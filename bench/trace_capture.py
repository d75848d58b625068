"""Trace one API capture through the code: which functions of core/ and store/ it passes, in order,
nested by call depth. A map for a newcomer (and a check that the layout says what the code does):

    python bench/trace_capture.py              # the call tree, to depth 12
    python bench/trace_capture.py --depth 20   # deeper

It builds a desk on a temporary SQLite file (the migrations, a rep, an API key), then traces exactly
one `AccessService.capture_via_api` call — the route `POST /api/v1/leads` hands its body to, after
reading the key and the body in ui/api.py. A function called several times in a row at the same
place is printed once with its count. Nothing is timed (the profiler hook slows every call).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.desk import Desk  # noqa: E402
from core.settings import Settings  # noqa: E402
from store.engine import make_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Role  # noqa: E402

PACKAGES = ('core', 'store')


def _where(frame: FrameType) -> str | None:
    """'core/capture/intake.py capture_all' for a function of ours, else None."""
    try:
        path = Path(frame.f_code.co_filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    if path.parts[0] not in PACKAGES:
        return None
    name = getattr(frame.f_code, 'co_qualname', frame.f_code.co_name)
    return None if name.startswith('<') else f'{path.as_posix()}  {name}'


class Tracer:
    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.depth = 0
        self.lines: list[list[Any]] = []  # [depth, text, count]
        self.stack: list[bool] = []

    def __call__(self, frame: FrameType, event: str, _arg: object) -> None:
        if event == 'call':
            where = _where(frame)
            self.stack.append(where is not None)
            if where is None:
                return
            if self.depth < self.max_depth:
                last = self.lines[-1] if self.lines else None
                if last and last[0] == self.depth and last[1] == where:
                    last[2] += 1
                else:
                    self.lines.append([self.depth, where, 1])
            self.depth += 1
        elif event == 'return' and self.stack:
            if self.stack.pop():
                self.depth -= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--depth', type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='leaddesk-trace-') as folder:
        url = f'sqlite:///{folder}/trace.db'
        engine = make_engine(url)
        upgrade(engine)
        desk = Desk(engine, Settings(database_url=url, storage_secret='trace'))
        desk.prepare()
        admin = desk.team.create_first_admin(email='admin@example.com', name='Admin', password='correct-horse-9')
        desk.team.create_user(admin, email='rep@example.com', name='Rep', password='correct-horse-9', role=Role.REP)
        key = desk.access.check_api_key(desk.access.create_api_key(admin, name='trace'))
        assert key is not None
        body = {'name': 'Zhang Wei', 'phone': '+86 139 0000 1234', 'company': 'Tengda', 'source': 'website'}
        desk.access.capture_via_api(key, dict(body), None)  # warm: first-use caches are not the path
        body = {'name': 'Li Na', 'phone': '+86 138 0000 5678', 'company': 'Huaxin', 'source': 'website'}
        tracer = Tracer(args.depth)
        threading.setprofile(tracer)
        sys.setprofile(tracer)
        try:
            result, _replayed = desk.access.capture_via_api(key, body, None)
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]
        engine.dispose()
    for depth, where, count in tracer.lines:
        print(f"{'  ' * depth}{where}{f'  ×{count}' if count > 1 else ''}")
    print(f'\nlead {result.lead_id}: created {result.created}, {result.status}, owner {result.owner_name}',
          file=sys.stderr)


if __name__ == '__main__':
    main()
