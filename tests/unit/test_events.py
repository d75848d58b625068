"""desk.events: subscribers hear about committed work only."""

from __future__ import annotations

from typing import Any

import pytest

from core.desk import Desk
from core.errors import ValidationFailed
from store.engine import read_session
from store.models import Lead
from tests.factories import lead_data, user


def test_lead_captured_fires_with_lead_and_owner_after_commit(desk: Desk) -> None:
    rep = user(desk)
    heard: list[tuple[int, int | None, Any]] = []

    def on_captured(lead_id: int, owner_id: int | None) -> None:
        with read_session(desk.ctx.engine) as session:  # a new session sees only committed rows
            lead = session.get(Lead, lead_id)
            heard.append((lead_id, owner_id, lead and (lead.name, lead.owner_id, lead.status)))

    desk.events.lead_captured.subscribe(on_captured)
    result = desk.leads.capture_lead(lead_data(name='Event Person'), channel='manual', default_source='manual')
    assert heard == [(result.lead_id, rep.id, ('Event Person', rep.id, 'assigned'))]


def test_lead_captured_reports_no_owner_for_pool_lead(desk: Desk) -> None:
    heard: list[tuple[int, int | None]] = []
    desk.events.lead_captured.subscribe(lambda lead_id, owner_id: heard.append((lead_id, owner_id)))
    result = desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual')
    assert heard == [(result.lead_id, None)]


def test_duplicate_fires_touched_not_captured(desk: Desk) -> None:
    captured: list[int] = []
    touched: list[int] = []
    desk.events.lead_captured.subscribe(lambda lead_id, _owner: captured.append(lead_id))
    desk.events.lead_touched.subscribe(lambda lead_id, _owner: touched.append(lead_id))
    first = desk.leads.capture_lead(lead_data(phone='13812345678'), channel='manual', default_source='manual')
    desk.leads.capture_lead(lead_data(phone='138 1234 5678'), channel='manual', default_source='manual')
    assert (captured, touched) == ([first.lead_id], [first.lead_id])


def test_failed_capture_fires_nothing(desk: Desk) -> None:
    heard: list[int] = []
    desk.events.lead_captured.subscribe(lambda lead_id, _owner: heard.append(lead_id))
    with pytest.raises(ValidationFailed):
        desk.leads.capture_lead({'name': ''}, channel='manual', default_source='manual')
    assert heard == []
