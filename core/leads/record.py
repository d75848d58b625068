"""The lead as capture, scoring, assignment and the clocks read and write it.

Two kinds of object are that lead: a stored `Lead` (store/models.py, through the ORM) and a
`NewLead` (core/capture/pending.py), a plain object standing in for a lead the capture batch has not yet
inserted (the ORM costs ~1 ms per object; an import of 100,000 rows spent most of its time
there). The functions both pass through take a `LeadRecord`, so they say what they touch instead
of naming the two classes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class LeadRecord(Protocol):
    """The columns of `leads` that capture (dedupe, scoring, assignment, pooling, the first-response
    and protection clocks) reads or writes, and `model_dump` for scoring's facts. `NewLead` repeats
    these declarations (it satisfies this protocol structurally); mypy checks the two agree wherever
    a `NewLead` is passed as a `LeadRecord`."""

    id: int | None
    name: str
    phone: str | None
    phone_norm: str | None
    email: str | None
    company: str | None
    company_norm: str | None
    title: str | None
    wechat: str | None
    region: str | None
    city: str | None
    industry: str | None
    source: str
    campaign: str | None
    message: str | None
    budget: str | None
    authority: str | None
    need: str | None
    timeline: str | None
    external_id: str | None
    external_key: str | None
    status: str
    owner_id: int | None
    score: int
    grade: str
    temperature: str
    score_reasons: list[dict[str, Any]]
    assignment_reason: dict[str, Any] | None
    touch_count: int
    account_id: int | None
    assigned_at: datetime | None
    sla_status: str | None
    sla_due_at: datetime | None
    sla_grace_at: datetime | None
    protected_until: datetime | None
    protection_max_at: datetime | None
    warned_until: datetime | None
    version: int
    updated_at: datetime | None
    pooled_at: datetime | None
    is_deleted: bool
    custom: dict[str, Any]

    def model_dump(self) -> dict[str, Any]: ...
