"""Plans that move leads between reps: evening out load (rebalance) and handing over a leaving
rep's leads. Pure: the caller passes each rep's load and the leads that may move; nothing here
reads the database or the clock, so a plan is the same every time for the same inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

_GRADE_ORDER = {'A': 0, 'B': 1, 'C': 2}


@dataclass(frozen=True, slots=True)
class RepSlot:
    id: int
    name: str
    open_count: int
    capacity: int
    available: bool
    """May receive leads: active and not on leave."""

    @property
    def load(self) -> float:
        return self.open_count / self.capacity if self.capacity > 0 else float('inf') if self.open_count else 0.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A lead that may move, with what decides which moves first."""

    lead_id: int
    name: str
    grade: str
    owner_id: int
    last_activity_at: datetime | None


@dataclass(frozen=True, slots=True)
class Move:
    lead_id: int
    lead_name: str
    grade: str
    from_id: int
    to_id: int | None
    """None: to the pool."""


@dataclass(frozen=True, slots=True)
class Plan:
    moves: list[Move]
    before: dict[int, int]
    """Open leads per rep now."""
    after: dict[int, int]
    """Open leads per rep once the plan is applied."""
    names: dict[int, str] = field(default_factory=dict)
    held_back: int = 0
    """Leads that would have moved but had activity in the last 24 h (rebalance) — kept where they are."""

    @property
    def to_pool(self) -> int:
        return sum(1 for m in self.moves if m.to_id is None)

    def losers(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for m in self.moves:
            out[m.from_id] = out.get(m.from_id, 0) + 1
        return out

    def gainers(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for m in self.moves:
            if m.to_id is not None:
                out[m.to_id] = out.get(m.to_id, 0) + 1
        return out


def move_order(c: Candidate) -> tuple[int, datetime | None, int]:
    """Leads nobody has worked move first, then the least recently worked; ties by id."""
    return (0 if c.last_activity_at is None else 1, c.last_activity_at, c.lead_id)


def _ratio(count: int, capacity: int) -> float:
    return count / capacity if capacity > 0 else float('inf') if count else 0.0


def plan_rebalance(reps: Sequence[RepSlot], movable: Mapping[int, Sequence[Candidate]], *,
                   held_back: int = 0) -> Plan:
    """Move one lead at a time from the most loaded rep (relative to capacity) to the least loaded
    one with room, while the move does not leave the giver below the taker. Only available reps
    give or take; nobody is filled past capacity; ties go to the lower id."""
    counts = {r.id: r.open_count for r in reps}
    caps = {r.id: r.capacity for r in reps}
    queues = {r.id: sorted(movable.get(r.id, ()), key=move_order) for r in reps if r.available}
    takers = [r.id for r in reps if r.available and r.capacity > 0]
    moves: list[Move] = []
    while True:
        givers = [rid for rid, q in queues.items() if q]
        if not givers:
            break
        giver = max(givers, key=lambda rid: (_ratio(counts[rid], caps[rid]), -rid))
        room = [rid for rid in takers if rid != giver and counts[rid] < caps[rid]]
        if not room:
            break
        taker = min(room, key=lambda rid: (_ratio(counts[rid], caps[rid]), rid))
        if _ratio(counts[giver] - 1, caps[giver]) < _ratio(counts[taker] + 1, caps[taker]):
            break  # the most loaded giver cannot improve on the least loaded taker: balanced
        lead = queues[giver].pop(0)
        moves.append(Move(lead.lead_id, lead.name, lead.grade, giver, taker))
        counts[giver] -= 1
        counts[taker] += 1
    return Plan(moves=moves, before={r.id: r.open_count for r in reps}, after=counts,
                names={r.id: r.name for r in reps}, held_back=held_back)


def plan_handover(leaving: int, reps: Sequence[RepSlot], leads: Sequence[Candidate]) -> Plan:
    """A rep goes on leave: every open lead of theirs goes to the least loaded available rep with
    room (A leads placed first, so they get the best choice); what nobody has room for goes to the
    pool, where it can be claimed, rather than waiting for someone who is away."""
    counts = {r.id: r.open_count for r in reps}
    caps = {r.id: r.capacity for r in reps}
    takers = [r.id for r in reps if r.available and r.capacity > 0 and r.id != leaving]
    moves: list[Move] = []
    for lead in sorted(leads, key=lambda c: (_GRADE_ORDER.get(c.grade, 3), *move_order(c))):
        room = [rid for rid in takers if counts[rid] < caps[rid]]
        taker = min(room, key=lambda rid: (_ratio(counts[rid], caps[rid]), rid)) if room else None
        moves.append(Move(lead.lead_id, lead.name, lead.grade, leaving, taker))
        if leaving in counts:
            counts[leaving] -= 1
        if taker is not None:
            counts[taker] += 1
    return Plan(moves=moves, before={r.id: r.open_count for r in reps}, after=counts,
                names={r.id: r.name for r in reps})
