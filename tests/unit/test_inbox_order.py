"""The inbox's order and its capped count, for a manager's team view (the order index walk) and a
rep's own view (the owner index): the same order either way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.desk import Desk
from store.models import Lead, Role
from store.queries import leads as lead_queries
from tests import factories


def test_team_view_and_rep_view_share_the_order(desk: Desk) -> None:
    manager = factories.user(desk, Role.MANAGER)
    rep = factories.user(desk, Role.REP)
    now = desk.ctx.now()
    spec = [('C', 1), ('A', 5), ('B', 2), ('A', 1), ('C', 9), ('B', 7)]  # (grade, days ago)
    with desk.ctx.write() as s:
        for i, (grade, days) in enumerate(spec):
            s.add(Lead(name=f'L{i} {grade}{days}', grade=grade, owner_id=rep.id, status='assigned',
                       created_at=now - timedelta(days=days)))
        s.add(Lead(name='closed', grade='A', owner_id=rep.id, status='converted', created_at=now))
        s.add(Lead(name='pooled B0', grade='B', status='pool', created_at=now))
    expected_rep = ['L3 A1', 'L1 A5', 'L2 B2', 'L5 B7', 'L0 C1', 'L4 C9']
    rows, total = desk.leads.inbox(rep)
    assert [r.name for r in rows] == expected_rep and total == 6
    rows, total = desk.leads.inbox(manager)  # the team view leaves pool leads out unless asked
    assert [r.name for r in rows] == expected_rep and total == 6
    rows, total = desk.leads.inbox(manager, include_pool=True)  # asked: in the same order
    assert [r.name for r in rows] == ['L3 A1', 'L1 A5', 'pooled B0', 'L2 B2', 'L5 B7', 'L0 C1', 'L4 C9']
    assert total == 7
    rows, _ = desk.leads.inbox(manager, include_pool=True, page=2, page_size=3)
    assert [r.name for r in rows] == ['L2 B2', 'L5 B7', 'L0 C1']
    rows, _ = desk.leads.inbox(manager, status='converted')
    assert [r.name for r in rows] == ['closed']


def test_the_count_stops_at_the_cap(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lead_queries, 'COUNT_CAP', 3)
    manager = factories.user(desk, Role.MANAGER)
    with desk.ctx.write() as s:
        for i in range(5):
            s.add(Lead(name=f'L{i}', grade='B', status='pool', created_at=desk.ctx.now()))
    rows, total = desk.leads.inbox(manager, include_pool=True, page_size=2)
    assert total == 4  # "3+": more than the cap, not counted further
    assert len(rows) == 2
