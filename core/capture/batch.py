"""What the captures of one transaction share (`Batch`): a single capture is a batch of one, an
import or an API group commit a batch of many, and every one runs the same path (core/capture/intake.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from core.assignment.writes import Team
from core.automation.sla_clocks import PolicyTimes
from core.capture.config import Config
from core.capture.pending import Writes
from core.capture.twins import TwinIndex
from core.leads.record import LeadRecord
from store import queries
from store.models import ScoringKind, User

if TYPE_CHECKING:
    from core.capture.clean import CleanLead


class Batch:
    """What captures in one transaction share: the scoring rules, the policy and the team's loads
    (`Team`) read once and kept current in memory, the dedupe index of the arrivals' possible twins
    (`TwinIndex`), and the pending writes (`Writes`: new leads, audit lines and touches inserted
    together by `finish`). A single capture is a batch of one, so every channel runs this one path.

    `one_by_one` (a single capture, an API group commit): each new owner is told of their lead.
    Otherwise (an import) each rep is told once per batch how many leads they got. Managers hear
    of leads no rep could take in the timer's summary, one per tick (core/automation/timer.py)."""

    def __init__(self, session: Session, day_start: datetime, arrivals: Sequence[CleanLead], *,
                 config: Config, now: datetime, one_by_one: bool) -> None:
        self.twins = TwinIndex(session, arrivals)
        """The existing leads these arrivals could join, read in one query; new ones are added."""
        self.writes = Writes(session, len(arrivals), webhook_events=one_by_one)
        self.rules = config.scoring
        self.tags = config.tags
        self.needs_tags = any(r.kind == ScoringKind.HAS_TAG for r in config.scoring)
        """A scoring rule tests tags: a touched lead's are read to re-score it."""
        self.policy = PolicyTimes(config.policy)
        self.team = Team(session, day_start, rules=config.rules, now=now, calendar=config.policy.calendar,
                         lock_picked=True)  # (PostgreSQL: each rep's row when a lead lands on them, not all)
        self.one_by_one = one_by_one
        self.assigned: Counter[int] = Counter()
        self._each: list[tuple[list[int], int, str]] = []
        """One-by-one notices: (rep ids; lead id; lead name)."""
        self.external_keys: set[str] = set()
        """Scoped external ids this batch's pending leads hold (the table's unique index cannot see them yet)."""
        self.has_customers = queries.has_customers(session)
        """No customer yet (a new team importing its list): no lead can be a returning customer."""
        self._users = self.team.users
        """The active reps by id: a pick or a result names its rep without asking the session."""

    def user(self, session: Session, user_id: int) -> User | queries.RepLoadRow | None:
        return self._users.get(user_id) or session.get(User, user_id)

    def external_key_taken(self, session: Session, key: str) -> bool:
        """Whether a lead (stored, or pending in this batch) holds this scoped external id."""
        return key in self.external_keys or queries.lead_by_external_key(session, key) is not None

    def told(self, rep_id: int, lead: LeadRecord, now: datetime) -> None:
        """A new owner to tell (now, or in the batch's count)."""
        if rep_id in self.team.reps:
            self.team.took(rep_id, now)
        if self.one_by_one:
            self._each.append(([rep_id], lead.id or 0, lead.name))
        else:
            self.assigned[rep_id] += 1

    def finish(self, session: Session, now: datetime) -> list[int]:
        """Write what is pending with the notifications (written last: they name the new leads);
        returns who was told. The caller publishes after commit."""
        told = self.tell(session, now)
        self.writes.flush()
        return told

    def tell(self, session: Session, now: datetime) -> list[int]:
        """The batch's notifications, handed to its writes; returns who was told."""
        told: list[int] = []
        add = self.writes.notify
        for rep_ids, lead_id, name in self._each:
            told += add(rep_ids, 'notify.assigned_to_you', now=now, lead_id=lead_id, lead=name)
        for rep_id, count in sorted(self.assigned.items()):
            told += add([rep_id], 'notify.assigned_many', now=now, count=count)
        self._each.clear()
        self.assigned.clear()
        return list(dict.fromkeys(told))
