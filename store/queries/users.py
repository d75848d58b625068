"""Users, rules, settings, API keys, web forms and notifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, func, select

from .. import report_rollup
from ..audit_actions import AuditAction
from ..models import (
    CLOSED_STATUSES,
    ApiKey,
    AppSetting,
    AssignmentRule,
    AuditEntry,
    IdempotencyRecord,
    Lead,
    LoginThrottle,
    Notification,
    NotifyPrefs,
    Role,
    ScoringRule,
    User,
    WebForm,
)

# ----- users ------------------------------------------------------------------------------------

def count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def all_users(session: Session) -> Sequence[User]:
    return session.exec(select(User).order_by(col(User.is_active).desc(), col(User.role), col(User.name))).all()


def leaves_ending(session: Session, now: datetime) -> Sequence[User]:
    """Users on leave whose return date has come (the users table is small)."""
    return session.exec(select(User).where(User.is_on_leave == True,  # noqa: E712
                                           col(User.leave_until).is_not(None), col(User.leave_until) <= now)).all()


def active_ids_with_roles(session: Session, roles: Sequence[str]) -> list[int]:
    rows = session.exec(select(User.id).where(col(User.role).in_(roles), User.is_active == True))  # noqa: E712
    return [r for r in rows if r is not None]


@dataclass(slots=True)
class RepLoadRow:
    """An active rep as assignment sees them: plain values read with Core (building 20 ORM `User`
    objects per capture cost more than the query), `last_assigned_at` kept current by the batch."""
    id: int
    name: str
    role: str
    is_active: bool
    capacity: int
    daily_quota: int
    seniority: int
    regions: str
    is_on_leave: bool
    shift_start: int | None
    shift_end: int | None
    last_assigned_at: datetime | None
    open_count: int
    department_id: int | None
    assigned_today: int


_USERS = SQLModel.metadata.tables[User.__tablename__]  # = `.__table__` (undeclared in SQLModel)
_REP_COLUMNS = [_USERS.c[f] for f in ('id', 'name', 'role', 'is_active', 'capacity', 'daily_quota', 'seniority',
                                      'regions', 'is_on_leave', 'shift_start', 'shift_end', 'last_assigned_at',
                                      'open_leads', 'department_id')]
_REPS: sa.Select[*tuple[Any, ...]] = (  # 14 columns (sa.select types a list's as 1)
    sa.select(*_REP_COLUMNS).where(_USERS.c.role == Role.REP, _USERS.c.is_active == sa.true())
    .order_by(_USERS.c.id))
"""Built once (building a statement costs about as much as running this one)."""
_REPS_LOCKED = _REPS.with_for_update(key_share=True)
"""NO KEY UPDATE, in id order: the order and mode of store/locks.py `lock_users`."""


def rep_loads(session: Session, day_start: datetime, *, for_update: bool = False) -> list[RepLoadRow]:
    """Every active rep with open leads (the kept counter) and leads assigned since `day_start`:
    from the reports' roll-up (a few rows per rep, however many leads today brought), or counted
    over today's audit rows when the roll-up is not kept in the zone `day_start` is midnight of.
    `for_update` (PostgreSQL): the reps' rows locked until commit, as `lock_users` does."""
    reps = session.execute(_REPS_LOCKED if for_update else _REPS).all()  # (autoflushes, as the ORM query did)
    if not reps:
        return []
    today = _assigned_since(session, day_start, [r.id for r in reps])
    # the row's 14 columns are RepLoadRow's fields up to department_id, in order
    return [RepLoadRow(*(*r, today.get(r.id, 0))) for r in reps]


def _assigned_since(session: Session, day_start: datetime, rep_ids: list[int]) -> dict[int, int]:
    """Leads assigned to each rep since `day_start` (the audit count may name other users too)."""
    today = report_rollup.assigned_since(session, day_start, rep_ids)
    if today is None:
        # grouped by an expression: by the bare column SQLite walks ix_audit_subject over every
        # assignment ever made for its order (21 ms at 100k leads) instead of today's range of
        # ix_audit_report (0.03 ms)
        subject = (col(AuditEntry.subject_user_id) + 0).label('subject')
        rows = session.exec(
            select(subject, func.count())
            .where(AuditEntry.action == AuditAction.ASSIGNED, col(AuditEntry.created_at) >= day_start)
            .group_by(subject)
        ).all()
        today = {user_id: count for user_id, count in rows if user_id is not None}
    return today


_REP = sa.select(*_REP_COLUMNS).where(_USERS.c.id == sa.bindparam('id'))
_REP_LOCK = _REP.with_for_update(key_share=True)
_REP_TRY_LOCK = _REP.with_for_update(key_share=True, skip_locked=True)
"""One rep's row, locked as `_REPS_LOCKED` locks them; `SKIP LOCKED`: nothing if another holds it."""


def lock_rep(session: Session, day_start: datetime, known: RepLoadRow, *, wait: bool) -> RepLoadRow | None:
    """PostgreSQL: lock one rep's row until commit (`FOR NO KEY UPDATE`, as `rep_loads(for_update=True)`)
    and return its values as they are now; None when another transaction holds it and `wait` is
    off (`SKIP LOCKED`: the caller picks someone else rather than queue), or the user is gone.
    `known`: the rep as read earlier unlocked; today's assignments are counted again only if its
    last assignment or open count moved since (every assignment sets `last_assigned_at`)."""
    row = session.execute(_REP_LOCK if wait else _REP_TRY_LOCK, {'id': known.id}).first()
    if row is None:
        return None
    today = known.assigned_today
    if (row.last_assigned_at, row.open_leads) != (known.last_assigned_at, known.open_count):
        today = _assigned_since(session, day_start, [known.id]).get(known.id, 0)
    return RepLoadRow(*(*row, today))


# ----- wrong passwords, per address -------------------------------------------------------------

_THROTTLES = SQLModel.metadata.tables[LoginThrottle.__tablename__]  # = `.__table__` (undeclared in SQLModel)


def login_throttle(session: Session, email: str, *, for_update: bool = False) -> LoginThrottle | None:
    """The address's count and lock. `for_update`: on PostgreSQL, attempts at one address wait for
    each other (the count cannot be outrun by sending guesses in parallel); SQLite has one writer."""
    statement = select(LoginThrottle).where(LoginThrottle.email == email)
    return session.exec(statement.with_for_update() if for_update else statement).first()


def count_login_failure(session: Session, email: str, now: datetime, forget_before: datetime) -> int:
    """One more wrong password at `email`; returns the count in a row. An upsert, so two first
    failures at once both count; a row whose last failure is older than `forget_before` starts
    again at 1."""
    insert = postgresql.insert if session.get_bind().dialect.name == 'postgresql' else sqlite.insert
    values = insert(_THROTTLES).values(email=email, failures=1, last_failed_at=now)
    statement = values.on_conflict_do_update(index_elements=['email'], set_={
        'failures': sa.case((_THROTTLES.c.last_failed_at < forget_before, 1), else_=_THROTTLES.c.failures + 1),
        'last_failed_at': now,
    }).returning(_THROTTLES.c.failures)
    session.expire_all()  # a LoginThrottle read before this must not hide the new count
    return int(session.execute(statement).scalar_one())


def lock_login(session: Session, email: str, until: datetime | None) -> None:
    session.execute(sa.update(_THROTTLES).where(_THROTTLES.c.email == email).values(locked_until=until))


def clear_login_failures(session: Session, email: str) -> None:
    session.execute(sa.delete(_THROTTLES).where(_THROTTLES.c.email == email))


def forget_login_failures(session: Session, before: datetime, now: datetime) -> None:
    """Rows whose last failure is older than `before` and whose lock is over: guesses at made-up
    addresses must not grow the table for ever (the index on last_failed_at keeps this cheap)."""
    session.execute(sa.delete(_THROTTLES).where(
        _THROTTLES.c.last_failed_at < before,
        sa.or_(_THROTTLES.c.locked_until.is_(None), _THROTTLES.c.locked_until < now)))


# ----- rules and settings -----------------------------------------------------------------------

def scoring_rules(session: Session) -> Sequence[ScoringRule]:
    return session.exec(select(ScoringRule).where(ScoringRule.is_active == True)  # noqa: E712
                        .order_by(col(ScoringRule.position), col(ScoringRule.id))).all()


def all_scoring_rules(session: Session) -> Sequence[ScoringRule]:
    """Every scoring rule, switched off ones too, in the editor's order."""
    return session.exec(select(ScoringRule).order_by(col(ScoringRule.position), col(ScoringRule.id))).all()


def rescorable_lead_ids(session: Session) -> list[int]:
    """The leads a "rescore" reaches: every lead not closed (converted, disqualified) nor deleted."""
    ids = session.exec(select(Lead.id).where(col(Lead.status).not_in(CLOSED_STATUSES),
                                             Lead.is_deleted == False)  # noqa: E712
                       .order_by(col(Lead.id))).all()
    return [i for i in ids if i is not None]


def leads_by_id_for_update(session: Session, ids: Sequence[int]) -> Sequence[Lead]:
    """These leads, locked until the transaction ends (PostgreSQL; SQLite's writer lock holds anyway)."""
    return session.exec(select(Lead).where(col(Lead.id).in_(ids)).with_for_update()).all()


def assignment_rules(session: Session) -> Sequence[AssignmentRule]:
    return session.exec(select(AssignmentRule).where(AssignmentRule.is_active == True)  # noqa: E712
                        .order_by(col(AssignmentRule.position), col(AssignmentRule.id))).all()


def setting(session: Session, key: str) -> str | None:
    row = session.get(AppSetting, key)
    return row.value if row else None


# ----- keys, forms, notifications ---------------------------------------------------------------

def api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


_KEYS = SQLModel.metadata.tables[ApiKey.__tablename__]  # = `.__table__` (undeclared in SQLModel)
_KEY_IDENTITY = (sa.select(_KEYS.c.id, _KEYS.c.name, _KEYS.c.scope, _KEYS.c.is_revoked)
                 .where(_KEYS.c.key_hash == sa.bindparam('key_hash')))
"""Built once: every API request asks it, and building it cost more than the lookup."""


def api_key_identity(session: Session, key_hash: str) -> sa.Row[Any] | None:
    """(id, name, scope, is_revoked) of the key with this hash, without building an `ApiKey`."""
    return session.execute(_KEY_IDENTITY, {'key_hash': key_hash}).first()


def all_api_keys(session: Session) -> Sequence[ApiKey]:
    return session.exec(select(ApiKey).order_by(col(ApiKey.id).desc())).all()


def idempotency_record(session: Session, api_key_id: int, key: str) -> IdempotencyRecord | None:
    return session.exec(select(IdempotencyRecord).where(IdempotencyRecord.api_key_id == api_key_id,
                                                        IdempotencyRecord.key == key)).first()


def web_form_by_key(session: Session, key: str) -> WebForm | None:
    return session.exec(select(WebForm).where(WebForm.key == key)).first()


def all_web_forms(session: Session) -> Sequence[WebForm]:
    return session.exec(select(WebForm).order_by(col(WebForm.id))).all()


def unread_notifications(session: Session, user_id: int, limit: int = 20) -> Sequence[Notification]:
    return session.exec(select(Notification).where(Notification.user_id == user_id,
                                                   Notification.is_read == False)  # noqa: E712
                        .order_by(col(Notification.created_at).desc()).limit(limit)).all()


def count_unread(session: Session, user_id: int) -> int:
    return session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.is_read == False)).one()  # noqa: E712


def mark_notifications_read(session: Session, user_id: int) -> None:
    session.execute(sa.update(Notification).where(col(Notification.user_id) == user_id,
                                                  col(Notification.is_read).is_(False)).values(is_read=True))


def mark_all_notifications_read(session: Session, *, before: datetime) -> None:
    """Everyone's notifications created before `before` read (the demo seed's history)."""
    session.execute(sa.update(Notification).where(col(Notification.created_at) < before,
                                                  col(Notification.is_read).is_(False)).values(is_read=True))


def muted_kinds(session: Session, user_ids: Sequence[int]) -> dict[int, set[str]]:
    """The kinds each of these users muted (only users who muted any)."""
    if not user_ids:
        return {}
    rows = session.connection().execute(_MUTED, {'ids': list(user_ids)}).all()  # (Core: no ORM execution step)
    return {user_id: set(muted) for user_id, muted in rows if muted}


_MUTED = sa.select(col(NotifyPrefs.user_id), col(NotifyPrefs.muted)).where(
    col(NotifyPrefs.user_id).in_(sa.bindparam('ids', expanding=True)))
"""Built once (columns, no ORM object per row): every capture batch asks it before its notifications
(building the statement with its `IN` list cost ~1 ms a capture)."""


def active_with_roles(session: Session, roles: Sequence[str]) -> list[tuple[int, str, int | None]]:
    """(id, role, department) of the active users holding these roles: whose data scope a
    notification to "the managers" is checked against (core/notify.py `ManagerReach`)."""
    rows = session.exec(select(User.id, User.role, User.department_id)
                        .where(col(User.role).in_(roles), User.is_active == True))  # noqa: E712
    return [(i, r, d) for i, r, d in rows if i is not None]
