"""Every select() the app runs. Core calls these; the UI never does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm
from sqlmodel import Session, col, func, or_, select

from .models import (
    OPEN_STATUSES,
    Account,
    Activity,
    ApiKey,
    AppSetting,
    AssignmentRule,
    AuditEntry,
    Contact,
    IdempotencyRecord,
    Lead,
    LeadRow,
    LostReason,
    Notification,
    Opportunity,
    Role,
    ScoringRule,
    Stage,
    StageChange,
    User,
    WebForm,
)

# ----- users ------------------------------------------------------------------------------------

def count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def all_users(session: Session) -> Sequence[User]:
    return session.exec(select(User).order_by(col(User.is_active).desc(), User.role, User.name)).all()


def leaves_ending(session: Session, now: datetime) -> Sequence[User]:
    """Users on leave whose return date has come (the users table is small)."""
    return session.exec(select(User).where(User.is_on_leave == True,  # noqa: E712
                                           col(User.leave_until).is_not(None), col(User.leave_until) <= now)).all()


def active_ids_with_roles(session: Session, roles: Sequence[str]) -> list[int]:
    rows = session.exec(select(User.id).where(col(User.role).in_(roles), User.is_active == True))  # noqa: E712
    return [r for r in rows if r is not None]


@dataclass(frozen=True, slots=True)
class RepLoadRow:
    user: User
    open_count: int
    assigned_today: int


def rep_loads(session: Session, day_start: datetime, *, for_update: bool = False) -> list[RepLoadRow]:
    """Every active rep with open leads (the kept counter) and leads assigned since `day_start`
    (a range over today's audit rows only)."""
    reps_query = select(User).where(User.role == Role.REP, User.is_active == True)  # noqa: E712
    if for_update:
        reps_query = reps_query.with_for_update()
    reps = session.exec(reps_query.order_by(User.id)).all()
    if not reps:
        return []
    today = dict(session.exec(
        select(AuditEntry.subject_user_id, func.count())
        .where(AuditEntry.action == 'assigned', col(AuditEntry.created_at) >= day_start)
        .group_by(AuditEntry.subject_user_id)
    ).all())
    return [RepLoadRow(user=u, open_count=u.open_leads, assigned_today=today.get(u.id, 0)) for u in reps]


# ----- leads ------------------------------------------------------------------------------------

def find_duplicate(session: Session, *, phone_norm: str | None, email: str | None,
                   company_norm: str | None, name: str | None) -> Lead | None:
    """The existing lead this arrival is the same person as: phone, email, or company + name.
    An open lead wins over a closed one, the oldest over a newer one."""
    conditions = []
    if phone_norm:
        conditions.append(Lead.phone_norm == phone_norm)
    if email:
        conditions.append(Lead.email == email)
    if company_norm and name:
        conditions.append(sa.and_(Lead.company_norm == company_norm, Lead.name == name))
    if not conditions:
        return None
    closed_last = sa.case((col(Lead.status).in_(('converted', 'disqualified')), 1), else_=0)
    return session.exec(
        select(Lead).where(or_(*conditions), Lead.is_deleted == False)  # noqa: E712
        .order_by(closed_last, Lead.id).limit(1)
    ).first()


def lead_by_external_id(session: Session, external_id: str) -> Lead | None:
    return session.exec(select(Lead).where(Lead.external_id == external_id)).first()


@dataclass(frozen=True, slots=True)
class InboxFilter:
    owner_id: int | None = None
    """Only this owner's leads (a rep's own inbox)."""
    unassigned: bool = False
    statuses: tuple[str, ...] = OPEN_STATUSES
    grade: str | None = None
    source: str | None = None
    search: str | None = None
    agenda: str | None = None
    """`due_today`, `overdue` or `my_day` (both, soonest first); needs `now` and `day_end`."""
    now: datetime | None = None
    day_end: datetime | None = None


def like_pattern(term: str) -> str:
    """`%term%` with the user's own % and _ matched literally (use with escape='\\')."""
    return '%' + term.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'


_GRADE_ORDER = sa.case((Lead.grade == 'A', 0), (Lead.grade == 'B', 1), else_=2)


def _inbox_where(f: InboxFilter) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [Lead.is_deleted == False]  # noqa: E712
    if f.owner_id is not None:
        where.append(Lead.owner_id == f.owner_id)
    if f.unassigned:
        where.append(col(Lead.owner_id).is_(None))
    if f.statuses:
        where.append(col(Lead.status).in_(f.statuses))
    if f.grade:
        where.append(Lead.grade == f.grade)
    if f.source:
        where.append(Lead.source == f.source)
    if f.search:
        term = f.search.strip()
        like = like_pattern(term)
        where.append(or_(col(Lead.name).ilike(like, escape='\\'), col(Lead.company).ilike(like, escape='\\'),
                         col(Lead.phone).ilike(like, escape='\\'), col(Lead.phone_norm).ilike(like, escape='\\'),
                         col(Lead.email).ilike(like, escape='\\')))
    if f.agenda and f.now and f.day_end:
        follow_up_overdue = col(Lead.next_follow_up_at) < f.now
        sla_late = Lead.sla_status == 'failed'
        due_today = or_(col(Lead.next_follow_up_at).between(f.now, f.day_end),
                        sa.and_(Lead.sla_status == 'due', col(Lead.sla_due_at) <= f.day_end))
        where.append({'overdue': or_(follow_up_overdue, sla_late), 'due_today': due_today}.get(
            f.agenda, or_(follow_up_overdue, sla_late, due_today)))
    return where


_SOONEST = sa.func.coalesce(Lead.next_follow_up_at, Lead.sla_due_at)


def inbox_page(session: Session, f: InboxFilter, *, offset: int, limit: int) -> tuple[list[LeadRow], int]:
    """A page of the inbox, sorted by grade then age (newest first within a grade), and the total."""
    where = _inbox_where(f)
    total = session.exec(select(func.count()).select_from(Lead).where(*where)).one()
    rows = session.exec(
        select(Lead.id, Lead.name, Lead.company, Lead.phone, Lead.source, Lead.status, Lead.grade, Lead.score,
               Lead.temperature, Lead.owner_id, User.name, Lead.created_at, Lead.next_follow_up_at,
               Lead.sla_status, Lead.sla_due_at)
        .select_from(Lead).outerjoin(User, col(User.id) == Lead.owner_id)
        .where(*where)
        .order_by(*((_SOONEST,) if f.agenda == 'my_day' else ()), _GRADE_ORDER, col(Lead.created_at).desc(),
                  col(Lead.id).desc())
        .offset(offset).limit(limit)
    ).all()
    fields = ('id', 'name', 'company', 'phone', 'source', 'status', 'grade', 'score', 'temperature',
              'owner_id', 'owner_name', 'created_at', 'next_follow_up_at', 'sla_status', 'sla_due_at')
    return [LeadRow(**dict(zip(fields, r, strict=True))) for r in rows], total


def lead_activities(session: Session, lead_id: int) -> Sequence[tuple[Activity, str | None]]:
    return session.exec(
        select(Activity, User.name).outerjoin(User, col(User.id) == Activity.user_id)
        .where(Activity.lead_id == lead_id).order_by(col(Activity.created_at).desc(), col(Activity.id).desc())
    ).all()


def lead_audit(session: Session, lead_id: int) -> Sequence[tuple[AuditEntry, str | None]]:
    return session.exec(
        select(AuditEntry, User.name).outerjoin(User, col(User.id) == AuditEntry.actor_id)
        .where(AuditEntry.lead_id == lead_id).order_by(col(AuditEntry.created_at).desc(),
                                                      col(AuditEntry.id).desc())
    ).all()


# ----- rules and settings -----------------------------------------------------------------------

def scoring_rules(session: Session) -> Sequence[ScoringRule]:
    return session.exec(select(ScoringRule).where(ScoringRule.is_active == True)  # noqa: E712
                        .order_by(ScoringRule.position, ScoringRule.id)).all()


def assignment_rules(session: Session) -> Sequence[AssignmentRule]:
    return session.exec(select(AssignmentRule).where(AssignmentRule.is_active == True)  # noqa: E712
                        .order_by(AssignmentRule.position, AssignmentRule.id)).all()


def setting(session: Session, key: str) -> str | None:
    row = session.get(AppSetting, key)
    return row.value if row else None


# ----- keys, forms, notifications ---------------------------------------------------------------

def api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def all_api_keys(session: Session) -> Sequence[ApiKey]:
    return session.exec(select(ApiKey).order_by(col(ApiKey.id).desc())).all()


def idempotency_record(session: Session, api_key_id: int, key: str) -> IdempotencyRecord | None:
    return session.exec(select(IdempotencyRecord).where(IdempotencyRecord.api_key_id == api_key_id,
                                                        IdempotencyRecord.key == key)).first()


def web_form_by_key(session: Session, key: str) -> WebForm | None:
    return session.exec(select(WebForm).where(WebForm.key == key)).first()


def all_web_forms(session: Session) -> Sequence[WebForm]:
    return session.exec(select(WebForm).order_by(WebForm.id)).all()


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


# ----- the timer: each selection walks one index over a due timestamp -------------------------------

_LIVE = OPEN_STATUSES


def leads_waiting_for_owner(session: Session, *, include_recycled: bool, limit: int) -> Sequence[Lead]:
    """Unowned pool leads the timer may assign: never owned ones, or all when redistributing."""
    query = select(Lead).where(Lead.status == 'pool', Lead.is_deleted == False)  # noqa: E712
    if not include_recycled:
        query = query.where(col(Lead.previous_owner_id).is_(None))
    return session.exec(query.order_by(Lead.created_at, Lead.id).limit(limit)).all()


def sla_due(session: Session, before: datetime, limit: int) -> Sequence[Lead]:
    return session.exec(select(Lead).where(Lead.sla_status == 'due', col(Lead.sla_due_at) <= before,
                                           col(Lead.status).in_(_LIVE))
                        .order_by(Lead.sla_due_at).limit(limit)).all()


def sla_grace_due(session: Session, before: datetime, limit: int, *, include_due: bool = False) -> list[Lead]:
    """Uncontacted leads past the grace after a breach (`include_due`: also not yet flagged, for the preview).

    Only the indexed timestamp is in SQL: SQLite would otherwise pick the status index and scan every
    breached lead ever; the timestamp is cleared whenever the lead no longer needs it."""
    statuses = ('failed', 'due') if include_due else ('failed',)
    leads = session.exec(select(Lead).where(col(Lead.sla_grace_at) <= before)
                         .order_by(Lead.sla_grace_at).limit(limit)).all()
    return [lead for lead in leads if lead.sla_status in statuses and lead.status == 'assigned']


def protection_ending(session: Session, before: datetime, limit: int) -> list[Lead]:
    """Owned open leads whose protection ends by `before` (warning and recycling both start here).
    Filtering status in SQL would make SQLite walk the status index over every open lead."""
    leads = session.exec(select(Lead).where(col(Lead.protected_until) <= before)
                         .order_by(Lead.protected_until).limit(limit)).all()
    return [lead for lead in leads if lead.status in _LIVE]


def protection_warnings(session: Session, now: datetime, before: datetime, limit: int) -> list[Lead]:
    """Open leads whose protection ends in (now, before] and whose owner was not yet warned of that end."""
    leads = session.exec(select(Lead).where(col(Lead.protected_until) > now, col(Lead.protected_until) <= before,
                                            or_(col(Lead.warned_until).is_(None),
                                                col(Lead.warned_until) != Lead.protected_until))
                         .order_by(Lead.protected_until).limit(limit)).all()
    return [lead for lead in leads if lead.status in _LIVE]


def follow_ups_due(session: Session, before: datetime, limit: int) -> Sequence[Lead]:
    return session.exec(select(Lead).where(col(Lead.follow_up_due_at) <= before)
                        .order_by(Lead.follow_up_due_at).limit(limit)).all()


def count_actions_since(session: Session, action: str, user_id: int, since: datetime, *,
                        reason_key: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.subject_user_id == user_id, col(AuditEntry.created_at) >= since)
    if reason_key is not None:
        query = query.where(AuditEntry.reason_key == reason_key)
    return session.exec(query).one()


def pool_page(session: Session, status: str, *, offset: int, limit: int) -> tuple[Sequence[Lead], int]:
    """Pool or review leads, best grade and newest first."""
    where = [Lead.status == status, Lead.is_deleted == False]  # noqa: E712
    total = session.exec(select(func.count()).select_from(Lead).where(*where)).one()
    leads = session.exec(select(Lead).where(*where).order_by(_GRADE_ORDER, col(Lead.created_at).desc(),
                                                             col(Lead.id).desc()).offset(offset).limit(limit)).all()
    return leads, total


def open_count(session: Session, owner_id: int) -> int:
    user = session.get(User, owner_id)
    return user.open_leads if user else 0


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id or 0: u.name for u in session.exec(select(User).where(col(User.id).in_(ids)))}


def leads_by_ids(session: Session, ids: Sequence[int]) -> Sequence[Lead]:
    return session.exec(select(Lead).where(col(Lead.id).in_(list(ids))).order_by(Lead.id)).all()


# ----- pipeline and customers ------------------------------------------------------------------------

def stages(session: Session, *, include_archived: bool = False) -> Sequence[Stage]:
    query = select(Stage)
    if not include_archived:
        query = query.where(Stage.is_archived == False)  # noqa: E712
    return session.exec(query.order_by(Stage.position, Stage.id)).all()


def lost_reasons(session: Session, *, include_inactive: bool = False) -> Sequence[LostReason]:
    query = select(LostReason)
    if not include_inactive:
        query = query.where(LostReason.is_active == True)  # noqa: E712
    return session.exec(query.order_by(LostReason.position, LostReason.id)).all()


def opportunity_for_lead(session: Session, lead_id: int) -> Opportunity | None:
    return session.exec(select(Opportunity).where(Opportunity.lead_id == lead_id)).first()


def account_by_name(session: Session, name_norm: str) -> Account | None:
    return session.exec(select(Account).where(Account.name_norm == name_norm, Account.is_deleted == False)  # noqa: E712
                        .order_by(Account.id).limit(1)).first()


def has_customers(session: Session) -> bool:
    return session.exec(select(Account.id).where(Account.is_customer == True).limit(1)).first() is not None  # noqa: E712


def customer_for(session: Session, *, phone_norm: str | None, email: str | None,
                 company_norm: str | None) -> Account | None:
    """The customer account a new lead belongs to: by company, or a contact's phone or email."""
    if company_norm:
        account = session.exec(select(Account).where(Account.name_norm == company_norm,
                                                     Account.is_customer == True)  # noqa: E712
                               .order_by(Account.id).limit(1)).first()
        if account is not None:
            return account
    conditions = []
    if phone_norm:
        conditions.append(Contact.phone_norm == phone_norm)
    if email:
        conditions.append(Contact.email == email)
    if not conditions:
        return None
    return session.exec(select(Account).join(Contact, col(Contact.account_id) == Account.id)
                        .where(or_(*conditions), Account.is_customer == True)  # noqa: E712
                        .order_by(Account.id).limit(1)).first()


@dataclass(frozen=True, slots=True)
class BoardFilter:
    owner_id: int | None = None
    close_from: date | None = None
    close_to: date | None = None
    min_cents: int | None = None
    max_cents: int | None = None


def _board_where(f: BoardFilter) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [Opportunity.is_deleted == False]  # noqa: E712
    if f.owner_id is not None:
        where.append(Opportunity.owner_id == f.owner_id)
    if f.close_from is not None:
        where.append(col(Opportunity.expected_close) >= f.close_from)
    if f.close_to is not None:
        where.append(col(Opportunity.expected_close) < f.close_to)
    if f.min_cents is not None:
        where.append(col(Opportunity.amount_cents) >= f.min_cents)
    if f.max_cents is not None:
        where.append(col(Opportunity.amount_cents) <= f.max_cents)
    return where


def board_totals(session: Session, f: BoardFilter) -> dict[int, tuple[int, int]]:
    """Per stage: (count, total amount in cents), aggregated in SQL."""
    rows = session.exec(select(Opportunity.stage_id, func.count(), func.coalesce(func.sum(Opportunity.amount_cents), 0))
                        .where(*_board_where(f)).group_by(Opportunity.stage_id)).all()
    return {stage_id: (count, int(total)) for stage_id, count, total in rows}


def board_cards(session: Session, f: BoardFilter, stage_id: int, limit: int, *, newest_closed: bool = False
                ) -> Sequence[tuple[Opportunity, str | None, str | None]]:
    """The first `limit` cards of a column with account and owner names: soonest expected close first,
    or, for Won and Lost (`newest_closed`), the most recently closed first."""
    owner = sa.orm.aliased(User)
    order = (col(Opportunity.closed_at).desc(), col(Opportunity.id).desc()) if newest_closed else \
        (col(Opportunity.expected_close).is_(None), Opportunity.expected_close, Opportunity.id)
    return session.exec(
        select(Opportunity, Account.name, owner.name)
        .join(Account, col(Account.id) == Opportunity.account_id)
        .outerjoin(owner, owner.id == Opportunity.owner_id)
        .where(Opportunity.stage_id == stage_id, *_board_where(f))
        .order_by(*order).limit(limit)).all()


def stage_history(session: Session, opportunity_id: int) -> Sequence[tuple[StageChange, str | None]]:
    return session.exec(select(StageChange, User.name).outerjoin(User, col(User.id) == StageChange.actor_id)
                        .where(StageChange.opportunity_id == opportunity_id)
                        .order_by(col(StageChange.created_at).desc(), col(StageChange.id).desc())).all()


def opportunity_activities(session: Session, lead_id: int) -> Sequence[tuple[Activity, str | None]]:
    """The lead's whole history and the deal's: one timeline."""
    return lead_activities(session, lead_id)


def count_in_stage(session: Session, stage_id: int) -> int:
    return session.exec(select(func.count()).select_from(Opportunity).where(Opportunity.stage_id == stage_id)).one()


def customers_page(session: Session, *, owner_id: int | None, tier: str | None, search: str | None,
                   offset: int, limit: int) -> tuple[Sequence[tuple[Account, str | None]], int]:
    where = [Account.is_customer == True, Account.is_deleted == False]  # noqa: E712
    if owner_id is not None:
        where.append(Account.owner_id == owner_id)
    if tier:
        where.append(Account.tier == tier)
    if search:
        where.append(col(Account.name).ilike(like_pattern(search), escape='\\'))
    total = session.exec(select(func.count()).select_from(Account).where(*where)).one()
    rows = session.exec(select(Account, User.name).outerjoin(User, col(User.id) == Account.owner_id)
                        .where(*where).order_by(col(Account.lifetime_value_cents).desc(), Account.id)
                        .offset(offset).limit(limit)).all()
    return rows, total


def all_customers(session: Session) -> Sequence[Account]:
    return session.exec(select(Account).where(Account.is_customer == True)).all()  # noqa: E712


def account_contacts(session: Session, account_id: int) -> Sequence[Contact]:
    return session.exec(select(Contact).where(Contact.account_id == account_id).order_by(Contact.id)).all()


def account_opportunities(session: Session, account_id: int) -> Sequence[Opportunity]:
    return session.exec(select(Opportunity).where(Opportunity.account_id == account_id)
                        .order_by(col(Opportunity.created_at).desc())).all()


def dormant_candidates(session: Session, before: datetime, limit: int) -> Sequence[Account]:
    return session.exec(select(Account).where(Account.is_customer == True,  # noqa: E712
                                              col(Account.last_activity_at) < before,
                                              Account.tier != 'dormant')
                        .order_by(Account.last_activity_at).limit(limit)).all()


def opportunity_follow_ups_due(session: Session, before: datetime, limit: int) -> Sequence[Opportunity]:
    return session.exec(select(Opportunity).where(col(Opportunity.follow_up_due_at) <= before)
                        .order_by(Opportunity.follow_up_due_at).limit(limit)).all()


# ----- assignment rules editor ------------------------------------------------------------------

def all_assignment_rules(session: Session) -> Sequence[AssignmentRule]:
    """Every assignment rule, switched off ones too, in evaluation order."""
    return session.exec(select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id)).all()


# ----- team workload ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OwnerLeadFigures:
    """One rep's open leads by grade and what is due on them, summed in SQL."""

    by_grade: dict[str, int]
    due_today: int
    overdue: int
    sla_failed: int


def workload_open_leads(session: Session, *, now: datetime, day_end: datetime) -> dict[int, OwnerLeadFigures]:
    """Per owner: open leads by grade, follow-ups due later today (now ≤ next_follow_up_at < day_end),
    overdue follow-ups (before now) and failed first responses — one GROUP BY over open leads."""
    follow_up = col(Lead.next_follow_up_at)
    rows = session.exec(
        select(Lead.owner_id, Lead.grade, func.count(),
               func.sum(sa.case((sa.and_(follow_up >= now, follow_up < day_end), 1), else_=0)),
               func.sum(sa.case((follow_up < now, 1), else_=0)),
               func.sum(sa.case((Lead.sla_status == 'failed', 1), else_=0)))
        .where(col(Lead.owner_id).is_not(None), col(Lead.status).in_(OPEN_STATUSES),
               Lead.is_deleted == False)  # noqa: E712
        .group_by(Lead.owner_id, Lead.grade)
    ).all()
    out: dict[int, OwnerLeadFigures] = {}
    for owner_id, grade, count, due, late, failed in rows:
        prev = out.get(owner_id) or OwnerLeadFigures(by_grade={}, due_today=0, overdue=0, sla_failed=0)
        prev.by_grade[grade] = prev.by_grade.get(grade, 0) + count
        out[owner_id] = OwnerLeadFigures(by_grade=prev.by_grade, due_today=prev.due_today + int(due or 0),
                                         overdue=prev.overdue + int(late or 0),
                                         sla_failed=prev.sla_failed + int(failed or 0))
    return out


def workload_assigned_since(session: Session, since: datetime) -> dict[int, int]:
    """Per owner: leads they still own that were assigned to them at or after `since`."""
    rows = session.exec(
        select(Lead.owner_id, func.count())
        .where(col(Lead.owner_id).is_not(None), col(Lead.assigned_at) >= since,
               Lead.is_deleted == False)  # noqa: E712
        .group_by(Lead.owner_id)
    ).all()
    return {owner_id: count for owner_id, count in rows}


def workload_first_responses(session: Session, since: datetime) -> Sequence[tuple[int, datetime, datetime]]:
    """(owner_id, assigned_at, first_contact_at) of leads assigned since `since` and contacted
    after that assignment: a bounded window (the median is not portable SQL)."""
    return session.exec(
        select(Lead.owner_id, Lead.assigned_at, Lead.first_contact_at)
        .where(col(Lead.owner_id).is_not(None), col(Lead.assigned_at) >= since,
               col(Lead.first_contact_at).is_not(None),
               col(Lead.first_contact_at) >= col(Lead.assigned_at), Lead.is_deleted == False)  # noqa: E712
    ).all()  # type: ignore[return-value]


def workload_open_opportunities(session: Session) -> dict[int, tuple[int, int, int]]:
    """Per owner: (count, amount in cents, probability-weighted amount in cents) of open deals."""
    rows = session.exec(
        select(Opportunity.owner_id, func.count(), func.coalesce(func.sum(Opportunity.amount_cents), 0),
               func.coalesce(func.sum(Opportunity.amount_cents * Stage.probability), 0))
        .join(Stage, col(Stage.id) == Opportunity.stage_id)
        .where(col(Opportunity.owner_id).is_not(None), Stage.kind == 'open',
               Opportunity.is_deleted == False)  # noqa: E712
        .group_by(Opportunity.owner_id)
    ).all()
    return {owner_id: (count, int(amount), int(weighted) // 100) for owner_id, count, amount, weighted in rows}


def active_reps(session: Session) -> Sequence[User]:
    return session.exec(select(User).where(User.role == Role.REP, User.is_active == True)  # noqa: E712
                        .order_by(User.name, User.id)).all()
