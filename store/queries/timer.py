"""The timer's selections: each walks one index over a due timestamp."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_, select

from ..audit_actions import AuditAction
from ..models import OPEN_STATUSES, Account, AuditEntry, Lead, TagEntity, User
from .leads import CustomTest, custom_condition
from .tags import tagged

# ----- the timer: each selection walks one index over a due timestamp -------------------------------

_LIVE = OPEN_STATUSES

_Q = TypeVar('_Q')
"""A select (of one column or several)."""


def _claimed(session: Session, query: _Q, lock: bool) -> _Q:
    """The tick's own rows (`lock`): on PostgreSQL `FOR UPDATE SKIP LOCKED`, so a lead a user is
    writing right now (or another tick, e.g. "Run now" beside the leader's) is left for the next
    tick instead of being decided on a stale read. SQLite has one writer: unchanged."""
    if lock and session.get_bind().dialect.name == 'postgresql':
        return cast(_Q, cast(Any, query).with_for_update(skip_locked=True)
                    .execution_options(populate_existing=True))
    return query


def leads_waiting_for_owner(session: Session, *, include_recycled: bool, limit: int,
                            lock: bool = False) -> Sequence[Lead]:
    """Unowned pool leads the timer may assign: never owned ones, or all when redistributing."""
    query = select(Lead).where(Lead.status == 'pool', Lead.is_deleted == False)  # noqa: E712
    if not include_recycled:
        query = query.where(col(Lead.previous_owner_id).is_(None))
    return session.exec(_claimed(session, query.order_by(col(Lead.created_at), col(Lead.id)).limit(limit), lock)).all()


def sla_due(session: Session, before: datetime, limit: int, *, lock: bool = False) -> Sequence[Lead]:
    return session.exec(_claimed(session, select(Lead).where(Lead.sla_status == 'due', col(Lead.sla_due_at) <= before,
                                                              col(Lead.status).in_(_LIVE))
                                 .order_by(col(Lead.sla_due_at)).limit(limit), lock)).all()


def sla_grace_due(session: Session, before: datetime, limit: int, *, include_due: bool = False,
                  lock: bool = False) -> list[Lead]:
    """Uncontacted leads past the grace after a breach (`include_due`: also not yet flagged, for the preview).

    Only the indexed timestamp is in SQL: SQLite would otherwise pick the status index and scan every
    breached lead ever; the timestamp is cleared whenever the lead no longer needs it."""
    statuses = ('failed', 'due') if include_due else ('failed',)
    leads = session.exec(_claimed(session, select(Lead).where(col(Lead.sla_grace_at) <= before)
                                  .order_by(col(Lead.sla_grace_at)).limit(limit), lock)).all()
    return [lead for lead in leads if lead.sla_status in statuses and lead.status == 'assigned']


@dataclass(frozen=True, slots=True)
class KeepTest:
    """One recycle rule as SQL tests it (core/automation/recycle_rules.py builds these from the rules
    checked against the definitions): a lead matches when it passes every part that is set."""

    custom: tuple[CustomTest, ...] = ()
    """Any of these (a field "is one of" options: one test per option)."""
    grades: tuple[str, ...] = ()
    tag_ids: tuple[int, ...] = ()
    """Any of these tags."""
    tiers: tuple[str, ...] = ()
    """The linked customer (`account_id`) is of one of these tiers."""
    delay: timedelta | None = None
    """How much later than `protected_until` the protection ends; None: never (kept out of the pool)."""
    matches_nothing: bool = False
    """A broken rule (its field, option or tag is gone): it stays in the list, so later rules keep
    their places, and matches no lead."""


def _matches(rule: KeepTest, dialect: str) -> sa.ColumnElement[bool]:
    if rule.matches_nothing:
        return sa.false()
    parts: list[sa.ColumnElement[bool]] = []
    if rule.custom:
        parts.append(or_(*(custom_condition(t, dialect) for t in rule.custom)))
    if rule.grades:
        parts.append(col(Lead.grade).in_(rule.grades))
    if rule.tag_ids:
        parts.append(tagged(TagEntity.LEAD, Lead.id, rule.tag_ids, dense=True))
    if rule.tiers:
        parts.append(col(Lead.account_id).in_(select(Account.id).where(col(Account.tier).in_(rule.tiers))))
    return sa.and_(*parts) if parts else sa.false()


def _moment(value: datetime | None) -> Any:
    return sa.null() if value is None else sa.literal(value, Lead.__table__.c.protected_until.type)  # type: ignore[attr-defined]


def _by_rule(rules: Sequence[KeepTest], dialect: str, moment: datetime) -> sa.ColumnElement[Any]:
    """`moment` moved back by the first matching rule's delay (NULL for "never"): a lead whose
    `protected_until` is at or before it has its end (`protected_until` + delay) at or before `moment`.
    The delay is applied to the bound moment, not to the column, so no date arithmetic runs in SQL
    and both databases compare the same stored values."""
    if not rules:
        return _moment(moment)
    return sa.case(*((_matches(r, dialect), _moment(None if r.delay is None else moment - r.delay)) for r in rules),
                   else_=_moment(moment))


def _rule_index(rules: Sequence[KeepTest], dialect: str) -> sa.ColumnElement[Any]:
    """The position of the first rule a lead matches, or NULL."""
    if not rules:
        return sa.null()
    return sa.case(*((_matches(r, dialect), sa.literal(i)) for i, r in enumerate(rules)), else_=sa.null())


def _longest(rules: Sequence[KeepTest]) -> timedelta:
    return max((r.delay for r in rules if r.delay is not None), default=timedelta(0))


def protection_ending(session: Session, before: datetime, limit: int, *, rules: Sequence[KeepTest] = (),
                      lock: bool = False) -> list[tuple[Lead, int | None]]:
    """Owned open leads whose protection ends by `before`, as the recycle rules move it, each with the
    index of the rule that applied (warning and recycling both start here). Filtering status in SQL
    would make SQLite walk the status index over every open lead.

    A lead a rule keeps ("never") stays out of every tick without its dates being rewritten; it is
    still walked over by the index range (protected_until <= before), which costs one row read per
    kept lead per tick (docs/DESIGN.md, recycle rules)."""
    dialect = session.get_bind().dialect.name
    query = select(Lead, _rule_index(rules, dialect)).where(col(Lead.protected_until) <= before)
    if rules:
        query = query.where(col(Lead.protected_until) <= _by_rule(rules, dialect, before))
    query = query.order_by(col(Lead.protected_until)).limit(limit)
    found: Sequence[Any] = session.exec(_claimed(session, query, lock)).all()
    return [(lead, index) for lead, index in found if lead.status in _LIVE]


def protection_warnings(session: Session, now: datetime, before: datetime, limit: int, *,
                        rules: Sequence[KeepTest] = (), lock: bool = False) -> list[tuple[Lead, int | None]]:
    """Open leads whose protection ends in (now, before] (as the recycle rules move it) and whose owner
    was not yet warned of that end (`warned_until` holds the `protected_until` the warning was for),
    each with the index of the rule that applied."""
    dialect = session.get_bind().dialect.name
    query = select(Lead, _rule_index(rules, dialect)).where(
        col(Lead.protected_until) > now - _longest(rules), col(Lead.protected_until) <= before,
        or_(col(Lead.warned_until).is_(None), col(Lead.warned_until) != Lead.protected_until))
    if rules:
        query = query.where(col(Lead.protected_until) > _by_rule(rules, dialect, now),
                            col(Lead.protected_until) <= _by_rule(rules, dialect, before))
    query = query.order_by(col(Lead.protected_until)).limit(limit)
    found: Sequence[Any] = session.exec(_claimed(session, query, lock)).all()
    return [(lead, index) for lead, index in found if lead.status in _LIVE]


def recycle_rule_of(session: Session, lead_id: int, rules: Sequence[KeepTest]) -> int | None:
    """The index of the first recycle rule one lead matches now (the lead page's "kept by rule")."""
    if not rules:
        return None
    dialect = session.get_bind().dialect.name
    return session.exec(select(_rule_index(rules, dialect)).where(Lead.id == lead_id)).first()


def follow_ups_due(session: Session, before: datetime, limit: int, *, lock: bool = False) -> Sequence[Lead]:
    return session.exec(_claimed(session, select(Lead).where(col(Lead.follow_up_due_at) <= before)
                                 .order_by(col(Lead.follow_up_due_at)).limit(limit), lock)).all()


def count_actions_since(session: Session, action: AuditAction, user_id: int, since: datetime, *,
                        reason_key: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.subject_user_id == user_id, col(AuditEntry.created_at) >= since)
    if reason_key is not None:
        query = query.where(AuditEntry.reason_key == reason_key)
    return session.exec(query).one()


def count_audited(session: Session, reasons: Sequence[tuple[AuditAction, str]], since: datetime,
                  until: datetime) -> int:
    """Audit lines of these (action, reason key) pairs written in (since, until]: `ix_audit_report`."""
    return sum(session.exec(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == action, col(AuditEntry.created_at) > since, col(AuditEntry.created_at) <= until,
        AuditEntry.reason_key == reason_key)).one() for action, reason_key in reasons)


def open_count(session: Session, owner_id: int) -> int:
    user = session.get(User, owner_id)
    return user.open_leads if user else 0


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id or 0: u.name for u in session.exec(select(User).where(col(User.id).in_(ids)))}


def leads_by_ids(session: Session, ids: Sequence[int]) -> Sequence[Lead]:
    return session.exec(select(Lead).where(col(Lead.id).in_(list(ids))).order_by(col(Lead.id))).all()
