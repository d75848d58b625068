"""Schemathesis against the running app's /openapi.json: generated requests, valid and
invalid, over real HTTP. No answer is a 5xx, and every 4xx carries a message.

The server is run.py in a subprocess (as in test_crash), with a read-scoped key so every
operation is reachable; the rate limit is lifted so generation is not throttled.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests import factories
from tests.unit.test_crash import ROOT, App

EXAMPLES = 60


@pytest.fixture(scope='module')
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, str]]:
    data = tmp_path_factory.mktemp('fuzz') / 'data'
    desk = factories.make_desk(data / 'leaddesk.db')
    factories.user(desk, 'rep', capacity=10_000, daily_quota=10_000)
    desk.ctx.engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    done = subprocess.run([sys.executable, 'run.py', 'api-key', 'create', 'fuzz', '--read'], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=120, env={**env, 'LEADDESK_DATA_DIR': str(data)})
    app = App(Path(data))
    app.start()
    yield app, done.stdout.strip().splitlines()[-1]
    app.stop()


@pytest.mark.parametrize('mode', [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_fails_with_5xx_and_explains_every_4xx(server: tuple[App, str], mode: GenerationMode) -> None:
    """Every operation in the published schema, with data that fits it and data that does not.
    (Schemathesis' own pytest plugin does not run under pytest 9, so its strategies drive
    Hypothesis here directly.)"""
    app, key = server
    schema = schemathesis.openapi.from_url(app.url + '/openapi.json')
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f'{o.method.upper()} {o.path}' for o in operations} >= {'POST /api/v1/leads', 'GET /api/v1/leads/{lead_id}'}
    seen: dict[int, int] = {}
    skipped: list[str] = []

    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy(generation_mode=mode))
        def probe(case: schemathesis.Case) -> None:
            response = case.call_and_validate(base_url=app.url, headers={'X-API-Key': key},
                                              checks=[not_a_server_error], timeout=10)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            if 400 <= response.status_code < 500:
                body = response.json()
                assert isinstance(body, dict) and body.get('detail'), f'{response.status_code} without a message'

        try:
            probe()
        except Unsatisfiable:
            skipped.append(f'{operation.method.upper()} {operation.path}')  # nothing to vary (e.g. /health)
    print(mode, 'answers:', seen, 'nothing to generate:', skipped)
    assert set(skipped) <= {'GET /health', 'GET /ready'}
    assert sum(seen.values()) >= EXAMPLES and all(code < 500 for code in seen), seen
