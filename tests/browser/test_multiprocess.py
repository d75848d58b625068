"""Two app processes on one PostgreSQL database, a browser on each (issue 10).

- a lead captured through process A shows in the inbox of a manager connected to process B,
  live, within a second;
- exactly one process runs the timer; SIGKILL it and the other takes over within a tick;
- 1,000 concurrent API captures split across both: every lead stored once, none assigned
  twice, no rep past capacity.

The database comes from `LEADDESK_TEST_PG_URL` (./test.sh makes sure a server answers).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import select

from core.clock import Clock
from store.engine import make_engine, read_session
from store.models import AuditEntry, Lead, Role, User, UserRef
from tests import factories
from tests.pg.server import Server as PgServer
from tests.pg.server import database_url, server_url

from .conftest import ROOT, _free_port, _wait_healthy
from .support import Server, login

pytestmark = pytest.mark.browser

TICK = 1.0
CAPACITY = 300


@dataclass
class Node:
    server: Server
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.server.log_path.read_text(errors='replace')

    def leads_timer(self) -> bool:
        return f':{self.process.pid}) now runs the timer' in self.log()


@dataclass
class Cluster:
    url: str
    nodes: list[Node]
    manager: UserRef
    reps: list[UserRef]
    api_key: str


@pytest.fixture
def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    database = PgServer(server_url())
    url = database_url(database.name)
    desk = factories.make_desk(url, clock=Clock())
    factories.admin(desk)
    manager = factories.user(desk, Role.MANAGER, name='Mia Manager')
    reps = [factories.user(desk, Role.REP, name=name, capacity=CAPACITY, daily_quota=5000)
            for name in ('Rita Rep', 'Otto Rep')]
    api_key = desk.access.create_api_key(None, name='Load')
    desk.ctx.engine.dispose()
    nodes: list[Node] = []
    for i in range(2):
        data_dir = tmp_path / f'node{i}'
        data_dir.mkdir()
        port = _free_port()
        server = Server(base_url=f'http://127.0.0.1:{port}', db_path=data_dir / 'unused.db',
                        log_path=data_dir / 'server.log')
        env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
        env.update(LEADDESK_DATA_DIR=str(data_dir), LEADDESK_DATABASE_URL=url,
                   LEADDESK_STORAGE_SECRET='browser-test-secret', LEADDESK_DEMO_STREAM_SECONDS='3600',
                   LEADDESK_TICK_SECONDS=str(TICK), LEADDESK_API_RATE_PER_MINUTE='100000', PYTHONUNBUFFERED='1')
        with server.log_path.open('wb') as log:
            process = subprocess.Popen([sys.executable, 'run.py', '--port', str(port)], cwd=ROOT, env=env,
                                       stdout=log, stderr=subprocess.STDOUT)
        nodes.append(Node(server, process))
    for node in nodes:
        _wait_healthy(node.server.base_url, node.process, node.server.log_path)
    yield Cluster(url, nodes, manager, reps, api_key)
    report = getattr(request.node, 'rep_call', None)
    for node in nodes:
        if node.process.poll() is None:
            node.process.terminate()
            try:
                node.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()
        if report is not None and report.failed:
            print(f'\n----- server log {node.server.base_url} -----\n{node.log()}')
    database.close()


def wait_for_inbox(page: Page) -> None:
    expect(page.get_by_test_id('inbox-table')).to_be_visible()
    expect(page.get_by_test_id('inbox-pager')).not_to_be_empty()


def capture(node: Node, key: str, name: str, phone: str) -> httpx.Response:
    return httpx.post(node.server.url('/api/v1/leads'), headers={'X-API-Key': key},
                      json={'name': name, 'phone': phone}, timeout=30)


def test_a_lead_captured_through_one_process_shows_live_in_a_browser_on_the_other(
        page: Page, new_context: Callable[..., BrowserContext], cluster: Cluster) -> None:
    a, b = cluster.nodes
    login(page, b.server, cluster.manager)  # manager on process B
    wait_for_inbox(page)
    other = new_context().new_page()
    login(other, a.server, cluster.manager)  # the same manager on process A, in another browser
    wait_for_inbox(other)
    table_b, table_a = page.get_by_test_id('inbox-table'), other.get_by_test_id('inbox-table')
    expect(table_b.get_by_text('Alice Across', exact=True)).to_have_count(0)

    r = capture(a, cluster.api_key, 'Alice Across', '13900001111')  # captured via process A
    assert r.status_code == 201, r.text
    expect(table_b.get_by_text('Alice Across', exact=True)).to_be_visible()  # (its latency: a benchmark, not here)
    expect(table_a.get_by_text('Alice Across', exact=True)).to_be_visible()
    expect(page).to_have_url(b.server.url('/'))  # no reload on B

    r = capture(b, cluster.api_key, 'Bob Back', '13900002222')  # and the other way round
    assert r.status_code == 201, r.text
    expect(table_a.get_by_text('Bob Back', exact=True)).to_be_visible()


def test_one_process_runs_the_timer_and_the_other_takes_over_when_it_is_killed(
        page: Page, cluster: Cluster) -> None:
    deadline = time.monotonic() + 10 * TICK
    while time.monotonic() < deadline and not any(n.leads_timer() for n in cluster.nodes):
        time.sleep(0.1)
    leaders = [n for n in cluster.nodes if n.leads_timer()]
    assert len(leaders) == 1, [n.log() for n in cluster.nodes]
    time.sleep(3 * TICK)  # several more ticks: still exactly one
    assert [n for n in cluster.nodes if n.leads_timer()] == leaders
    leader = leaders[0]
    [follower] = [n for n in cluster.nodes if n is not leader]
    login(page, follower.server, cluster.manager)
    wait_for_inbox(page)

    leader.process.send_signal(signal.SIGKILL)
    leader.process.wait()
    killed = time.monotonic()
    while time.monotonic() - killed < 5 * TICK and not follower.leads_timer():
        time.sleep(0.05)
    assert follower.leads_timer(), follower.log()  # (how soon: a benchmark, not here)

    # The new leader's timer really runs: a pool lead waiting for room is assigned on its next tick.
    engine = make_engine(cluster.url)
    with engine.begin() as c:
        c.execute(sa.update(User).where(User.role == Role.REP).values(is_on_leave=True))
    r = capture(follower, cluster.api_key, 'Waiting Wendy', '13900003333')
    assert r.status_code == 201 and r.json()['status'] == 'pool', r.text
    with engine.begin() as c:
        c.execute(sa.update(User).where(User.id == cluster.reps[0].id).values(is_on_leave=False))
    table = page.get_by_test_id('inbox-table')
    expect(table.locator('tbody tr', has_text='Waiting Wendy').get_by_text('Rita Rep')).to_be_visible(
        timeout=int(3 * TICK * 1000) + 2_000)
    engine.dispose()


def test_a_thousand_concurrent_captures_across_both_processes_assign_each_lead_once(cluster: Cluster) -> None:
    async def burst() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            gate = asyncio.Semaphore(64)

            async def one(i: int) -> httpx.Response:
                """As a careful client sends: with an idempotency key, so a request whose connection
                broke (a reset under a 1,000-request burst happened once in CI) is sent again
                without risking a second lead — the replay answers with the first lead."""
                node = cluster.nodes[i % 2]
                headers = {'X-API-Key': cluster.api_key, 'Idempotency-Key': f'burst-{i}'}
                async with gate:
                    for attempt in range(3):
                        try:
                            return await client.post(node.server.url('/api/v1/leads'), headers=headers,
                                                     json={'name': f'Burst {i}', 'phone': f'+86 139 {i:04d} 7777'})
                        except httpx.TransportError:
                            if attempt == 2:
                                raise
                    raise AssertionError('unreachable')

            return await asyncio.gather(*(one(i) for i in range(1000)))

    with ThreadPoolExecutor(1) as runner:  # its own event loop: Playwright's runs in this thread
        responses = runner.submit(asyncio.run, burst()).result()
    assert Counter(r.status_code for r in responses) == {201: 1000}
    ids = [r.json()['id'] for r in responses]
    assert len(set(ids)) == 1000
    engine = make_engine(cluster.url)
    with read_session(engine) as s:
        leads = s.exec(select(Lead)).all()
        assigned = Counter(e.lead_id for e in s.exec(select(AuditEntry).where(AuditEntry.action == 'assigned')))
        reps = {u.id: u for u in s.exec(select(User).where(User.role == Role.REP))}
    engine.dispose()
    assert len(leads) == 1000
    owners = Counter(lead.owner_id for lead in leads if lead.owner_id)
    assert max(assigned.values()) == 1, 'a lead was assigned twice'
    assert all(owners[rep.id] == CAPACITY for rep in cluster.reps), owners  # filled, never past
    assert all(reps[rep.id].open_leads == owners[rep.id] for rep in cluster.reps)
    assert sum(1 for lead in leads if lead.status == 'pool') == 1000 - 2 * CAPACITY
    served = Counter(re.search(r'127\.0\.0\.1:(\d+)', str(r.request.url)).group(1) for r in responses)  # type: ignore[union-attr]
    assert sorted(served.values()) == [500, 500]
