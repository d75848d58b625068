"""Tables and the data models read by the UI.

Enumerations are `StrEnum`s stored as plain strings (portable across SQLite and
PostgreSQL without native enum types that migrations would have to manage).
Timestamps are aware UTC (`UTCDateTime`). Nothing is hard-deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from .types import UTCDateTime


class Role(StrEnum):
    ADMIN = 'admin'
    MANAGER = 'manager'
    MARKETING = 'marketing'
    REP = 'rep'


class LeadStatus(StrEnum):
    NEW = 'new'
    ASSIGNED = 'assigned'
    CONTACTED = 'contacted'
    QUALIFIED = 'qualified'
    CONVERTED = 'converted'
    DISQUALIFIED = 'disqualified'
    POOL = 'pool'
    REVIEW = 'review'


OPEN_STATUSES: tuple[str, ...] = (LeadStatus.ASSIGNED, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
"""Statuses that count against a rep's capacity."""

CLOSED_STATUSES: tuple[str, ...] = (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED)


class Source(StrEnum):
    WEBSITE = 'website'
    TRADE_SHOW = 'trade_show'
    PHONE = 'phone'
    ADS = 'ads'
    REFERRAL = 'referral'
    SOCIAL = 'social'
    THIRD_PARTY = 'third_party'
    IMPORT = 'import'
    MANUAL = 'manual'
    API = 'api'
    DEMO = 'demo'


class Grade(StrEnum):
    A = 'A'
    B = 'B'
    C = 'C'


class Temperature(StrEnum):
    HOT = 'hot'
    WARM = 'warm'
    COLD = 'cold'


class ActivityKind(StrEnum):
    CALL = 'call'
    WECHAT = 'wechat'
    EMAIL = 'email'
    MEETING = 'meeting'
    VISIT = 'visit'
    NOTE = 'note'
    TOUCH = 'touch'
    """A duplicate arrival: the same person reached us again through some channel."""


CONTACT_KINDS: tuple[str, ...] = (ActivityKind.CALL, ActivityKind.WECHAT, ActivityKind.EMAIL,
                                  ActivityKind.MEETING, ActivityKind.VISIT)
"""Activities that count as contact with the lead (a note or a touch does not)."""


class Strategy(StrEnum):
    ROUND_ROBIN = 'round_robin'
    LEAST_LOADED = 'least_loaded'
    GRADE_AWARE = 'grade_aware'
    REGION_MATCH = 'region_match'


class ApiScope(StrEnum):
    CAPTURE = 'capture'
    READ = 'read'
    """Read implies capture: a key that may read leads may also create them."""


class FormLanguage(StrEnum):
    """The language a hosted web form speaks to its visitors (its labels, errors, thank-you)."""

    ZH_CN = 'zh-CN'
    EN = 'en'


WEB_FORM_DEFAULT_FIELDS = ('name', 'phone', 'email', 'company', 'title', 'region', 'city', 'need', 'timeline',
                           'budget', 'message')
"""The fields a web form asks for unless its owner chose others (what every form asked before forms
had their own list)."""


def _ts(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime(), index=index, nullable=nullable)


class User(SQLModel, table=True):
    __tablename__ = 'users'

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=sa.String(254), unique=True, index=True)
    name: str = Field(sa_type=sa.String(100))
    password_hash: str = Field(sa_type=sa.String(200))
    role: str = Field(default=Role.REP, sa_type=sa.String(20))
    is_active: bool = True
    capacity: int = 30
    daily_quota: int = 20
    seniority: int = 1
    """1 junior, 2 regular, 3 senior: grade-aware assignment sends A leads to 3."""
    regions: str = Field(default='', sa_type=sa.String(500))
    """Comma-separated region names the rep covers (empty: none in particular)."""
    is_on_leave: bool = False
    leave_until: datetime | None = _ts()
    shift_start: int | None = None
    """Minutes after local midnight (team time zone) the rep's shift begins; None: no shift, always on."""
    shift_end: int | None = None
    """Minutes after local midnight the shift ends (before `shift_start`: it runs past midnight)."""
    language: str | None = Field(default=None, sa_type=sa.String(10))
    failed_logins: int = 0
    """Unused since 0020: wrong passwords are counted per address in `login_throttles`. Kept because
    dropping a column on SQLite rebuilds the users table, which nearly every table references."""
    locked_until: datetime | None = _ts()
    """Unused since 0020 (see `failed_logins`)."""
    session_version: int = 1
    """Bumped on logout-everywhere, deactivation and every password change or reset: stale browser
    sessions stop working."""
    must_change_password: bool = False
    """Set by an admin's reset (the password is a temporary one): until the user chooses a new one,
    every page sends them to the account page."""
    open_leads: int = 0
    """Leads this user owns in an open status; kept by core/projections.py (store.counters), never set by hand."""
    last_assigned_at: datetime | None = _ts()
    """Fair tie-break: among equally good reps the one who waited longest gets the lead."""
    created_at: datetime | None = _ts()
    department_id: int | None = Field(default=None, index=True)
    """The user's department (`departments.id`); None: the root one (a user created by a path that
    names none belongs to the company as a whole). No foreign key: adding or dropping one on SQLite
    rebuilds the users table, which nearly every table references; core checks the id and refuses
    to remove a department that still has members."""


class Department(SQLModel, table=True):
    """One node of the company's department tree (any depth). The root has no parent; its
    default name is `ROOT_DEPARTMENT_NAME`, shown translated."""

    __tablename__ = 'departments'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(100))
    parent_id: int | None = Field(default=None, foreign_key='departments.id', index=True)
    head_id: int | None = None
    """The department's head (a user id; core checks it names a user). No foreign key: users
    reference departments, and a cycle of keys would make creating and dropping the tables order-bound."""
    created_at: datetime | None = _ts()


ROOT_DEPARTMENT_NAME = 'Company'
"""The stored name of the root department created by migration 0036; shown through i18n (公司 / Company)."""


class Pool(SQLModel, table=True):
    """A public pool (公海): who may see and claim from it, and its own numbers. A number left None
    follows the automation policy (core/automation/policy.py), so the default pool created by
    migration 0043 behaves exactly as the one pool did before (core/automation/pools.py)."""

    __tablename__ = 'pools'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(100))
    is_default: bool = False
    department_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON())
    """Departments (and their sub-departments) whose members see and claim from it; empty: everyone."""
    protection_days: float | None = None
    warn_hours: float | None = None
    cooldown_days: float | None = None
    claim_limit: int | None = None
    """Claims per rep per day from this pool."""
    hold_limit: int | None = None
    """Open leads a rep may hold at once that were claimed from this pool; None: no limit but capacity."""
    masked: bool = True
    """Phones show as 138****5678 until claimed."""
    created_at: datetime | None = _ts()


DEFAULT_POOL_NAME = 'Public pool'
"""The stored name of the default pool created by migration 0043; shown through i18n (公海 / Public pool)."""


class RecordKind(StrEnum):
    """The three record types a user works on: a lead, an opportunity, a customer (its `accounts`
    row). One declaration for custom fields, tags, search documents, collaborators and scopes."""

    LEAD = 'lead'
    OPPORTUNITY = 'opportunity'
    CUSTOMER = 'customer'


@dataclass(frozen=True, slots=True)
class Reach:
    """Whose records a user may see: everyone's (`everyone`), those owned by `owner_ids` (core/accounts/
    reach.py resolves it once per request from the role's data scope and the department tree), and the
    records `shared` with the user by kind (collaboration). Pool leads and unowned records are governed
    by their own rules. Lists filter with `store.queries.reach_filter.visible`, single records with
    `covers` / `shares`, so the rule has one reading."""

    everyone: bool
    owner_ids: frozenset[int] = frozenset()
    shared: Mapping[RecordKind, frozenset[int]] = field(default_factory=dict)
    shared_edit: Mapping[RecordKind, frozenset[int]] = field(default_factory=dict)
    """Of `shared`, those the user may edit (collaborators with EDIT access)."""

    def covers(self, owner_id: int | None) -> bool:
        return self.everyone or (owner_id is not None and owner_id in self.owner_ids)

    def shares(self, kind: RecordKind, record_id: int | None) -> bool:
        """The record is shared with the user (beyond what their scope covers)."""
        return record_id is not None and record_id in self.shared.get(kind, frozenset())

    def sees(self, kind: RecordKind, record_id: int | None, owner_id: int | None) -> bool:
        return self.covers(owner_id) or self.shares(kind, record_id)

    def edits_shared(self, kind: RecordKind, record_id: int | None) -> bool:
        """The record is shared with the user with EDIT access (fields, stage, checklist)."""
        return record_id is not None and record_id in self.shared_edit.get(kind, frozenset())


class Access(StrEnum):
    """What a collaborator may do on a shared record (docs/DESIGN.md, collaborators)."""

    READ = 'read'
    """See it, get its notifications, log activities and notes."""
    EDIT = 'edit'
    """Also edit its fields, move its stage and tick its checklist, as the owner would."""


class Collaborator(SQLModel, table=True):
    """A colleague added to a lead, opportunity or customer by its owner or a manager. Ownership
    and credit stay with the owner; a customer's collaborators also reach its deals and its leads."""

    __tablename__ = 'collaborators'
    __table_args__ = (sa.UniqueConstraint('kind', 'record_id', 'user_id', name='uq_collaborators_record_user'),
                      sa.Index('ix_collaborators_user', 'user_id', 'kind', 'record_id'))

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=sa.String(20))
    """A `RecordKind`."""
    record_id: int
    user_id: int = Field(foreign_key='users.id')
    access: str = Field(default=Access.READ, sa_type=sa.String(10))
    added_by: int | None = Field(default=None, foreign_key='users.id')
    added_at: datetime | None = _ts()


class LoginThrottle(SQLModel, table=True):
    """Wrong passwords in a row for one normalised email address, whether or not an account has it:
    counting only real accounts (and locking only them) told a guesser which addresses exist."""

    __tablename__ = 'login_throttles'

    email: str = Field(sa_type=sa.String(254), primary_key=True)
    failures: int = 0
    locked_until: datetime | None = _ts()
    last_failed_at: datetime | None = _ts(index=True)
    """A day after the last failure the row is forgotten (pruned on the next failure of anyone)."""


class SessionEnd(StrEnum):
    """Why a browser session ended (kept on the row: the sign-in history says how each one ended)."""
    LOGOUT = 'logout'
    EVERYWHERE = 'everywhere'
    """The user's "log out everywhere"."""
    PASSWORD = 'password'
    """The password changed: every other session of that user ends."""
    DEACTIVATED = 'deactivated'
    EXPIRED = 'expired'
    """Idle too long, older than the absolute limit, or a login ticket never exchanged."""


class BrowserSession(SQLModel, table=True):
    """One signed-in browser. The browser holds a random token in an HttpOnly cookie; only its
    SHA-256 is kept here, so a copy of the database signs nobody in. A row starts as a login
    ticket (`started_at` None: the password was right, the cookie not yet set) and gets a fresh
    token when the browser exchanges the ticket: a new id and a new token at every login."""

    __tablename__ = 'browser_sessions'
    __table_args__ = (
        sa.Index('ix_browser_sessions_open', 'last_seen_at', sqlite_where=sa.text('ended_at IS NULL'),
                 postgresql_where=sa.text('ended_at IS NULL')),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=sa.String(64), unique=True)
    user_id: int = Field(foreign_key='users.id', index=True)
    user_version: int
    """The user's `session_version` at login: a later bump (deactivation …) ends the session too."""
    created_at: datetime | None = _ts()
    started_at: datetime | None = _ts()
    last_seen_at: datetime | None = _ts()
    """Refreshed at most every few minutes by the pages it opens (the idle limit reads it)."""
    ended_at: datetime | None = _ts()
    ended_reason: str | None = Field(default=None, sa_type=sa.String(20))
    user_agent: str = Field(default='', sa_type=sa.String(200))
    viewing_as_id: int | None = None
    """An admin's "view as" (core/accounts/view_as.py): the user this session browses as, read-only,
    until the admin ends it. No foreign key: a plain pointer, checked when set."""


class Lead(SQLModel, table=True):
    __tablename__ = 'leads'
    __table_args__ = (
        sa.Index('ix_leads_company_name', 'company_norm', 'name'),
        sa.Index('ix_leads_sla_due', 'sla_status', 'sla_due_at'),
        sa.Index('ix_leads_sla_grace', 'sla_grace_at', sqlite_where=sa.text('sla_grace_at IS NOT NULL'),
                 postgresql_where=sa.text('sla_grace_at IS NOT NULL')),
        sa.Index('ix_leads_protected', 'protected_until'),
        sa.Index('ix_leads_follow_up_due', 'follow_up_due_at', sqlite_where=sa.text('follow_up_due_at IS NOT NULL'),
                 postgresql_where=sa.text('follow_up_due_at IS NOT NULL')),
        sa.Index('ix_leads_next_follow_up', 'next_follow_up_at', sqlite_where=sa.text('next_follow_up_at IS NOT NULL'),
                 postgresql_where=sa.text('next_follow_up_at IS NOT NULL')),
        sa.Index('ix_leads_pool_waiting', 'status', 'previous_owner_id', 'created_at'),
        sa.Index('ix_leads_owner_assigned', 'owner_id', 'assigned_at'),
        sa.Index('ix_leads_open_figures', 'status', 'owner_id', 'grade', 'next_follow_up_at', 'sla_status',
                 'last_activity_at', 'is_deleted'),
        sa.Index('ix_leads_report_cohort', 'created_at', 'source', 'region', 'industry', 'owner_id', 'status',
                 'first_contact_at', 'is_deleted'),
        sa.Index('ix_leads_report_response', 'assigned_at', 'owner_id', 'sla_status', 'first_contact_at',
                 'is_deleted'),
        sa.Index('ix_leads_deleted', 'id', sqlite_where=sa.text('is_deleted = 1'),
                 postgresql_where=sa.text('is_deleted')),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(200))
    phone: str | None = Field(default=None, sa_type=sa.String(50))
    phone_norm: str | None = Field(default=None, sa_type=sa.String(20), index=True)
    email: str | None = Field(default=None, sa_type=sa.String(254), index=True)
    company: str | None = Field(default=None, sa_type=sa.String(200))
    company_norm: str | None = Field(default=None, sa_type=sa.String(200))
    title: str | None = Field(default=None, sa_type=sa.String(100))
    wechat: str | None = Field(default=None, sa_type=sa.String(100))
    region: str | None = Field(default=None, sa_type=sa.String(100))
    city: str | None = Field(default=None, sa_type=sa.String(100))
    industry: str | None = Field(default=None, sa_type=sa.String(100))
    source: str = Field(default=Source.MANUAL, sa_type=sa.String(30))
    campaign: str | None = Field(default=None, sa_type=sa.String(200))
    message: str | None = Field(default=None, sa_type=sa.Text())
    budget: str | None = Field(default=None, sa_type=sa.String(200))
    authority: str | None = Field(default=None, sa_type=sa.String(200))
    need: str | None = Field(default=None, sa_type=sa.String(500))
    timeline: str | None = Field(default=None, sa_type=sa.String(200))
    external_id: str | None = Field(default=None, sa_type=sa.String(200))
    """The sender's own id for this lead, as sent (an API client's record id, an imported CRM id)."""
    external_key: str | None = Field(default=None, sa_type=sa.String(200), unique=True)
    """`external_id` within its scope (core/capture/intake.py `external_key`): the API key that sent it, or
    the desk's own channels (imports). Unique, so one sender's id names one lead, and another sender's
    equal id is a different lead it can neither replay, see nor touch."""
    status: str = Field(default=LeadStatus.NEW, sa_type=sa.String(20))
    owner_id: int | None = Field(default=None, foreign_key='users.id')
    score: int = 0
    grade: str = Field(default=Grade.C, sa_type=sa.String(1))
    temperature: str = Field(default=Temperature.COLD, sa_type=sa.String(10))
    score_reasons: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON())
    assignment_reason: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON())
    disqualify_reason: str | None = Field(default=None, sa_type=sa.String(500))
    touch_count: int = 0
    account_id: int | None = Field(default=None, foreign_key='accounts.id')
    """Set when the lead matches an existing customer (routed to that customer's owner)."""
    assigned_at: datetime | None = _ts()
    first_contact_at: datetime | None = _ts()
    last_activity_at: datetime | None = _ts()
    next_follow_up_at: datetime | None = _ts()
    follow_up_due_at: datetime | None = _ts()
    """When the pending follow-up reminder fires; cleared once sent (keeps the timer's query small)."""
    sla_status: str | None = Field(default=None, sa_type=sa.String(12))
    """First response: due → fulfilled / failed (None before the first assignment)."""
    sla_due_at: datetime | None = _ts()
    sla_grace_at: datetime | None = _ts()
    """Past this, an uncontacted breached lead is reassigned (cleared once handled)."""
    protected_until: datetime | None = _ts()
    protection_max_at: datetime | None = _ts()
    warned_until: datetime | None = _ts()
    """The protection end the owner was warned about (a later end re-arms the warning)."""
    recycle_count: int = 0
    previous_owner_id: int | None = Field(default=None, foreign_key='users.id')
    cooldown_until: datetime | None = _ts()
    """Until then the previous owner may not claim the lead back from the pool."""
    pooled_at: datetime | None = _ts()
    """When the lead last entered the pool or the review queue (the pool's "recycled" time)."""
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()
    version: int = 1
    """Optimistic lock: an edit names the version it started from and is refused if stale."""
    is_deleted: bool = False
    merged_into_id: int | None = Field(default=None, foreign_key='leads.id')
    """Archived by a merge: the lead that survived it (undone within 24 h)."""
    custom: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    """The admin-defined fields' values by key (`CustomField`; checked by core/custom_fields/values.py):
    one JSON object, so defining a field changes no schema. A retired field's value stays here."""
    pool_id: int | None = Field(default=None, index=True)
    """The pool (`pools.id`) the lead is in (status pool or review) or was last claimed from (its
    protection, warning and holding limit follow that pool); None: the default pool. No foreign key,
    like `User.department_id`: adding one on SQLite rebuilds the leads table; core checks the id and
    refuses to delete a pool that still holds leads."""


sa.Index('ix_leads_inbox_order', col(Lead.grade), col(Lead.created_at).desc(), col(Lead.id).desc(),
         col(Lead.status), col(Lead.owner_id), col(Lead.is_deleted))
sa.Index('ix_leads_owner_inbox', col(Lead.owner_id), col(Lead.grade), col(Lead.created_at).desc(),
         col(Lead.id).desc(), col(Lead.status), col(Lead.is_deleted))
"""The inbox's order (grade, newest first) with what its filters test: a manager's first page walks
the first until 25 rows match instead of sorting every open lead; a rep's, the second."""
sa.Index('ix_leads_sort_created', col(Lead.created_at), col(Lead.id), col(Lead.status), col(Lead.owner_id),
         col(Lead.is_deleted))
sa.Index('ix_leads_sort_score', col(Lead.score), col(Lead.id), col(Lead.status), col(Lead.owner_id),
         col(Lead.is_deleted))
sa.Index('ix_leads_sort_name', col(Lead.name), col(Lead.id), col(Lead.status), col(Lead.owner_id),
         col(Lead.is_deleted))
sa.Index('ix_leads_sort_follow_up', col(Lead.next_follow_up_at), col(Lead.id), col(Lead.status), col(Lead.owner_id),
         col(Lead.is_deleted))
"""The inbox's other sorts (store/queries/leads.py `InboxSort`: newest and oldest, score, name, next
follow-up), each ending on the id and holding what the filters test: a manager's team view walks one
until a page matches instead of sorting every open lead (bench/inbox.py --sorts; a rep's few leads
come from the owner index and are sorted)."""
sa.Index('ix_leads_pool_recent', col(Lead.status), col(Lead.pooled_at), col(Lead.id))
sa.Index('ix_leads_pool_grade', col(Lead.status), col(Lead.grade), col(Lead.score).desc(), col(Lead.id).desc())
sa.Index('ix_leads_pool_score', col(Lead.status), col(Lead.score), col(Lead.id))
"""The public pool's three sorts (recycled time, grade, score), each led by `status`: a page walks
only pool rows in the order shown, however many leads are owned (core/automation/pool.py)."""


class Activity(SQLModel, table=True):
    __tablename__ = 'activities'
    __table_args__ = (sa.Index('ix_activities_lead', 'lead_id', 'created_at'),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key='leads.id')
    opportunity_id: int | None = Field(default=None, foreign_key='opportunities.id', index=True)
    user_id: int | None = Field(default=None, foreign_key='users.id')
    kind: str = Field(sa_type=sa.String(20))
    outcome: str | None = Field(default=None, sa_type=sa.String(200))
    note: str | None = Field(default=None, sa_type=sa.Text())
    source: str | None = Field(default=None, sa_type=sa.String(30))
    next_follow_up_at: datetime | None = _ts()
    created_at: datetime | None = _ts()


class AuditEntry(SQLModel, table=True):
    """One line of the audit trail. The reason is an i18n key plus parameters so it
    reads in the viewer's language; `actor_id` None means the system did it."""

    __tablename__ = 'audit_entries'
    __table_args__ = (
        sa.Index('ix_audit_lead', 'lead_id', 'created_at'),
        sa.Index('ix_audit_subject', 'action', 'subject_user_id', 'created_at'),
        sa.Index('ix_audit_report', 'action', 'created_at', 'reason_key', 'actor_id', 'subject_user_id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int | None = Field(default=None, foreign_key='leads.id')
    actor_id: int | None = Field(default=None, foreign_key='users.id')
    subject_user_id: int | None = Field(default=None, foreign_key='users.id')
    """Whom the action concerns (the new owner of an assignment): counts daily quotas."""
    action: str = Field(sa_type=sa.String(40))
    reason_key: str | None = Field(default=None, sa_type=sa.String(80))
    reason_params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    created_at: datetime | None = _ts()
    """Not indexed alone: every read names the action or the lead first (the indexes above)."""


class ScoringKind(StrEnum):
    """What a scoring rule tests (core/capture/scoring.py `_matches`)."""

    PRESENT = 'present'
    """The built-in `field` has a value."""
    SOURCE_IN = 'source_in'
    """The lead's source is one of `value` (comma-separated)."""
    EQUALS = 'equals'
    """The built-in `field` equals `value`, case-insensitive."""
    HAS_TAG = 'has_tag'
    """The lead holds the tag whose key is `value`."""
    CUSTOM_PRESENT = 'custom_present'
    """The lead custom field `field` has a value."""
    CUSTOM_EQUALS = 'custom_equals'
    """The custom select `field` is (or, multi select, holds) option `value`; yes/no: `value` yes | no."""


class ScoringRule(SQLModel, table=True):
    """`kind`: a `ScoringKind`. Evaluated all together: every rule that fires adds its points."""

    __tablename__ = 'scoring_rules'

    id: int | None = Field(default=None, primary_key=True)
    position: int = 0
    kind: str = Field(sa_type=sa.String(20))
    field: str = Field(default='', sa_type=sa.String(40))
    value: str = Field(default='', sa_type=sa.String(500))
    points: int = 0
    label_en: str = Field(sa_type=sa.String(200))
    label_zh: str = Field(sa_type=sa.String(200))
    is_active: bool = True


class AssignmentRule(SQLModel, table=True):
    """Evaluated in `position` order, first match wins. Empty conditions match all."""

    __tablename__ = 'assignment_rules'

    id: int | None = Field(default=None, primary_key=True)
    position: int = 0
    name: str = Field(sa_type=sa.String(100))
    strategy: str = Field(sa_type=sa.String(20))
    match_sources: str = Field(default='', sa_type=sa.String(500))
    match_grades: str = Field(default='', sa_type=sa.String(10))
    match_regions: str = Field(default='', sa_type=sa.String(500))
    match_industries: str = Field(default='', sa_type=sa.String(500))
    min_score: int | None = None
    max_score: int | None = None
    rep_ids: str = Field(default='', sa_type=sa.String(500))
    """Comma-separated user ids the rule may pick from (empty: every rep)."""
    match_tags: str = Field(default='', sa_type=sa.String(500))
    """Comma-separated tag keys: the lead holds any of them (empty: any lead)."""
    match_custom_key: str = Field(default='', sa_type=sa.String(40))
    """A lead custom field's key (single select, multi select or yes/no); empty: no such condition."""
    match_custom_values: str = Field(default='', sa_type=sa.String(500))
    """Comma-separated option keys (or `yes` / `no`): the lead's value is (or holds) one of them."""
    department_id: int | None = None
    """The rule picks only among the reps of this department and those below it (None: any rep).
    A plain column, as `User.department_id`."""
    is_active: bool = True


class ApiKey(SQLModel, table=True):
    __tablename__ = 'api_keys'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(100))
    prefix: str = Field(sa_type=sa.String(12), index=True)
    key_hash: str = Field(sa_type=sa.String(64), unique=True)
    scope: str = Field(default=ApiScope.CAPTURE, sa_type=sa.String(20))
    is_revoked: bool = False
    created_at: datetime | None = _ts()
    last_used_at: datetime | None = _ts()


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a request carrying an Idempotency-Key, replayed on retries."""

    __tablename__ = 'idempotency_records'
    __table_args__ = (sa.UniqueConstraint('api_key_id', 'key'),)

    id: int | None = Field(default=None, primary_key=True)
    api_key_id: int = Field(foreign_key='api_keys.id')
    key: str = Field(sa_type=sa.String(200))
    lead_id: int = Field(foreign_key='leads.id')
    created: bool = True
    """Whether the first answer created the lead (201) or joined an existing one (200)."""
    created_at: datetime | None = _ts()


class WebForm(SQLModel, table=True):
    __tablename__ = 'web_forms'

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=sa.String(40), unique=True)
    name: str = Field(sa_type=sa.String(100))
    source: str = Field(default=Source.WEBSITE, sa_type=sa.String(30))
    is_active: bool = True
    created_at: datetime | None = _ts()
    language: str = Field(default=FormLanguage.ZH_CN, sa_type=sa.String(10))
    fields: list[str] = Field(default_factory=lambda: list(WEB_FORM_DEFAULT_FIELDS), sa_type=sa.JSON())
    """The lead fields the form asks for, in the order shown (core/capture/webforms.py says which may be)."""
    consent_text: str | None = Field(default=None, sa_type=sa.String(2000))
    """Set: shown above the button with a checkbox the visitor must tick."""
    thanks_text: str | None = Field(default=None, sa_type=sa.String(1000))
    """Empty: the standard thank-you in the form's language."""
    redirect_url: str | None = Field(default=None, sa_type=sa.String(500))
    """Set (http/https): a sent form answers 303 to it instead of the thank-you page."""
    allowed_origins: list[str] = Field(default_factory=list, sa_type=sa.JSON())
    """Sites (`https://host[:port]`) that may frame the form and post to it. Empty: any site."""


class Notification(SQLModel, table=True):
    __tablename__ = 'notifications'
    __table_args__ = (sa.Index('ix_notifications_user', 'user_id', 'is_read', 'created_at'),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id')
    lead_id: int | None = Field(default=None, foreign_key='leads.id')
    key: str = Field(sa_type=sa.String(80))
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    is_read: bool = False
    created_at: datetime | None = _ts()


class NotifyKind(StrEnum):
    """What a notification is about, as a user switches it on or off (core/notify.py maps each
    notification key to its kind)."""

    ASSIGNED = 'assigned'
    """A lead (or several) given to you."""
    TAKEN = 'taken'
    """Leads taken from you: reassigned, recycled, moved by a manager."""
    SLA = 'sla'
    """First response overdue, no rep to take over, protection ending."""
    POOLED = 'pooled'
    """Leads that went to the pool or the review queue (managers)."""
    FOLLOW_UP = 'follow_up'
    """Follow-ups and customer revisits due."""
    SYSTEM = 'system'
    """Imports and webhooks."""


class NotifyPrefs(SQLModel, table=True):
    """A user's notification preferences; no row: every kind on, toasts on, no quiet hours."""

    __tablename__ = 'notify_prefs'

    user_id: int = Field(foreign_key='users.id', primary_key=True)
    muted: list[str] = Field(default_factory=list, sa_type=sa.JSON())
    """`NotifyKind`s not notified (not stored, not toasted)."""
    toasts: bool = True
    quiet_start: int | None = None
    """Minutes after local midnight (team time zone) quiet hours begin: no toasts, still stored."""
    quiet_end: int | None = None
    """Minutes after local midnight quiet hours end (before `quiet_start`: they run past midnight)."""
    emailed: list[str] = Field(default_factory=list, sa_type=sa.JSON(), sa_column_kwargs={'server_default': '[]'})
    """`NotifyKind`s also sent by email (when SMTP is set up); none unless the user chooses."""


class StageKind(StrEnum):
    OPEN = 'open'
    WON = 'won'
    LOST = 'lost'


class Tier(StrEnum):
    VIP = 'vip'
    REGULAR = 'regular'
    POTENTIAL = 'potential'
    DORMANT = 'dormant'


class Stage(SQLModel, table=True):
    """A pipeline column. Stages with opportunities are archived, never deleted."""

    __tablename__ = 'stages'

    id: int | None = Field(default=None, primary_key=True)
    position: int = 0
    name_en: str = Field(sa_type=sa.String(60))
    name_zh: str = Field(sa_type=sa.String(60))
    probability: int = 0
    """Win probability in percent: weighted amount = amount × probability."""
    kind: str = Field(default=StageKind.OPEN, sa_type=sa.String(10))
    rot_days: int = 14
    """Days idle before a card turns stale (0: never)."""
    is_archived: bool = False


class Account(SQLModel, table=True):
    """A company we sell to; a customer once a deal is won."""

    __tablename__ = 'accounts'
    __table_args__ = (sa.Index('ix_accounts_dormant', 'is_customer', 'last_activity_at'),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(200))
    name_norm: str | None = Field(default=None, sa_type=sa.String(200), index=True)
    owner_id: int | None = Field(default=None, foreign_key='users.id')
    is_customer: bool = False
    tier: str = Field(default=Tier.POTENTIAL, sa_type=sa.String(12))
    lifetime_value_cents: int = Field(default=0, sa_type=sa.BigInteger())
    won_count: int = 0
    last_activity_at: datetime | None = _ts()
    created_at: datetime | None = _ts()
    version: int = 1
    is_deleted: bool = False
    custom: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    """Custom field values by key (`CustomEntity.CUSTOMER`), as `Lead.custom`."""


class Contact(SQLModel, table=True):
    __tablename__ = 'contacts'

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='accounts.id', index=True)
    lead_id: int | None = Field(default=None, foreign_key='leads.id')
    name: str = Field(sa_type=sa.String(200))
    title: str | None = Field(default=None, sa_type=sa.String(100))
    phone: str | None = Field(default=None, sa_type=sa.String(50))
    phone_norm: str | None = Field(default=None, sa_type=sa.String(20), index=True)
    email: str | None = Field(default=None, sa_type=sa.String(254), index=True)
    wechat: str | None = Field(default=None, sa_type=sa.String(100))
    created_at: datetime | None = _ts()


class Opportunity(SQLModel, table=True):
    __tablename__ = 'opportunities'
    __table_args__ = (sa.Index('ix_opportunities_board', 'stage_id', 'owner_id', 'expected_close'),
                      sa.Index('ix_opportunities_closed', 'closed_at'))

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key='leads.id', unique=True)
    """One opportunity per lead: converting twice finds the first."""
    account_id: int = Field(foreign_key='accounts.id', index=True)
    contact_id: int | None = Field(default=None, foreign_key='contacts.id')
    owner_id: int | None = Field(default=None, foreign_key='users.id', index=True)
    name: str = Field(sa_type=sa.String(200))
    stage_id: int = Field(foreign_key='stages.id')
    amount_cents: int = Field(default=0, sa_type=sa.BigInteger())
    expected_close: date | None = None
    decision_maker: str | None = Field(default=None, sa_type=sa.String(200))
    need: str | None = Field(default=None, sa_type=sa.String(500))
    budget: str | None = Field(default=None, sa_type=sa.String(200))
    timeline: str | None = Field(default=None, sa_type=sa.String(200))
    lost_reason: str | None = Field(default=None, sa_type=sa.String(40))
    lost_note: str | None = Field(default=None, sa_type=sa.String(1000))
    closed_at: datetime | None = _ts()
    stage_changed_at: datetime | None = _ts()
    last_activity_at: datetime | None = _ts()
    next_follow_up_at: datetime | None = _ts()
    follow_up_due_at: datetime | None = _ts(index=True)
    last_moved_by: int | None = Field(default=None, foreign_key='users.id')
    """Who last moved or edited the deal: named when someone else's stale move is refused."""
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()
    version: int = 1
    is_deleted: bool = False
    custom: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    """Custom field values by key (`CustomEntity.OPPORTUNITY`), as `Lead.custom`."""


class StageChange(SQLModel, table=True):
    """Every move of an opportunity: for cycle time, funnel and the card's history."""

    __tablename__ = 'stage_changes'
    __table_args__ = (sa.Index('ix_stage_changes_opportunity', 'opportunity_id', 'created_at'),
                      sa.Index('ix_stage_changes_left', 'left_at', 'to_stage_id', 'created_at', 'opportunity_id'),
                      sa.Index('ix_stage_changes_lost_from', 'opportunity_id', 'to_stage_id', 'id', 'from_stage_id'))

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key='opportunities.id')
    from_stage_id: int | None = Field(default=None, foreign_key='stages.id')
    to_stage_id: int = Field(foreign_key='stages.id')
    actor_id: int | None = Field(default=None, foreign_key='users.id')
    created_at: datetime | None = _ts(index=True)
    left_at: datetime | None = _ts()
    """When the deal left the stage this move entered (its next move); None while it is still there.
    Kept by core/projections.py (store/stage_stays.py)."""


class LostReason(SQLModel, table=True):
    __tablename__ = 'lost_reasons'

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=sa.String(40), unique=True)
    label_en: str = Field(sa_type=sa.String(100))
    label_zh: str = Field(sa_type=sa.String(100))
    position: int = 0
    is_active: bool = True


class AppSetting(SQLModel, table=True):
    """Small key/value settings changed at run time (e.g. the demo stream switch)."""

    __tablename__ = 'app_settings'

    key: str = Field(sa_type=sa.String(60), primary_key=True)
    value: str = Field(default='', sa_type=sa.String(2000))


# ----- saved views --------------------------------------------------------------------------------

class ViewPage(StrEnum):
    """The lists a saved view can open (each keeps its own filter shape: core/accounts/saved_views.py)."""

    INBOX = 'inbox'
    POOL = 'pool'
    BOARD = 'board'
    CUSTOMERS = 'customers'


class SavedView(SQLModel, table=True):
    """A list's filter (and, for the inbox, its columns) saved under a name: the user's own, or
    shared with the team by a manager."""

    __tablename__ = 'saved_views'
    __table_args__ = (sa.Index('ix_saved_views_page_owner', 'page', 'owner_id'),)

    id: int | None = Field(default=None, primary_key=True)
    page: str = Field(sa_type=sa.String(20))
    """A `ViewPage`."""
    name: str = Field(sa_type=sa.String(60))
    owner_id: int = Field(foreign_key='users.id')
    is_shared: bool = False
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    """`{"filters": {...}, "columns": [...]}` as the page's own state holds them."""
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


# ----- custom fields ------------------------------------------------------------------------------

class CustomFieldType(StrEnum):
    """What an admin-defined field holds (how core/custom_fields/values.py checks and stores it)."""

    TEXT = 'text'
    LONG_TEXT = 'long_text'
    NUMBER = 'number'
    MONEY = 'money'
    """Stored in cents, as every amount is."""
    DATE = 'date'
    """Stored as an ISO date (`2026-12-06`)."""
    SINGLE_SELECT = 'single_select'
    MULTI_SELECT = 'multi_select'
    """Stored as a list of option keys."""
    PHONE = 'phone'
    EMAIL = 'email'
    URL = 'url'
    YES_NO = 'yes_no'


CustomEntity = RecordKind
"""Which record type a custom field belongs to (the record's table has a `custom` JSON column)."""


class CustomField(SQLModel, table=True):
    """An admin-defined field: its values live in the record's `custom` JSON object under `key`."""

    __tablename__ = 'custom_fields'
    __table_args__ = (sa.UniqueConstraint('entity', 'key', name='uq_custom_fields_entity_key'),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(default=CustomEntity.LEAD, sa_type=sa.String(20))
    key: str = Field(sa_type=sa.String(40))
    """Never changes (the values are stored under it; the API and imports name it)."""
    label_zh: str = Field(sa_type=sa.String(100))
    label_en: str = Field(sa_type=sa.String(100))
    type: str = Field(sa_type=sa.String(20))
    """A `CustomFieldType`."""
    options: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON())
    """A select's choices in order: `{"key", "label_zh", "label_en"}` each (keys never change)."""
    is_required: bool = False
    """Captures must give it (the channels that can send custom values: the API and the new-lead
    dialog); an edit may not clear it. Leads only ("required at capture")."""
    is_required_to_qualify: bool = False
    """Leads: qualifying refuses while it is empty ("required at qualification")."""
    required_stage_id: int | None = Field(default=None, foreign_key='stages.id')
    """Opportunities: a deal may not enter this stage or a later one (by position; Won is later than
    every open stage) while it is empty ("required from stage X on")."""
    help_zh: str = Field(default='', sa_type=sa.String(300))
    help_en: str = Field(default='', sa_type=sa.String(300))
    """A line shown under the input (edit views, dialogs, web forms); empty: none."""
    is_retired: bool = False
    """Hidden and refused on input; the values already stored are kept."""
    is_filterable: bool = False
    """Filters and sorts on it are served by an expression index on the record's `custom` JSON
    (store/custom_indexes.py); not every type can be (`custom_indexes.INDEXABLE`)."""
    position: int = 0
    created_at: datetime | None = _ts()


# ----- tags -----------------------------------------------------------------------------------

class TagColour(StrEnum):
    """The fixed palette a tag's chip is drawn in (ui/theme.py `TAG_COLOURS` gives each its colours)."""

    GREY = 'grey'
    RED = 'red'
    ORANGE = 'orange'
    AMBER = 'amber'
    GREEN = 'green'
    TEAL = 'teal'
    BLUE = 'blue'
    INDIGO = 'indigo'
    PURPLE = 'purple'
    PINK = 'pink'


TagEntity = RecordKind
"""Which records a tag can be put on (`record_tags.entity`)."""


class Tag(SQLModel, table=True):
    """A team's tag (标签): defined by admins and managers, put on leads, opportunities and customers."""

    __tablename__ = 'tags'

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=sa.String(40), unique=True)
    """Never changes: the API, rules and imports may name a tag by it."""
    name_zh: str = Field(sa_type=sa.String(40))
    name_en: str = Field(sa_type=sa.String(40))
    colour: str = Field(default=TagColour.GREY, sa_type=sa.String(12))
    """A `TagColour`."""
    is_retired: bool = False
    """Hidden from pickers and refused on input; the records that hold it keep it."""
    position: int = 0
    created_at: datetime | None = _ts()


class RecordTag(SQLModel, table=True):
    """A tag on one record. The key (entity, record_id, tag_id) serves a record's chips; the index
    (tag_id, entity, record_id) serves a list filtered by tag (docs/BENCHMARKS.md, tags)."""

    __tablename__ = 'record_tags'
    __table_args__ = (sa.Index('ix_record_tags_tag', 'tag_id', 'entity', 'record_id'),)

    entity: str = Field(sa_type=sa.String(12), primary_key=True)
    """A `TagEntity`."""
    record_id: int = Field(primary_key=True, sa_type=sa.Integer(), sa_column_kwargs={'autoincrement': False})
    tag_id: int = Field(foreign_key='tags.id', primary_key=True, sa_type=sa.Integer(),
                        sa_column_kwargs={'autoincrement': False})
    created_at: datetime | None = _ts()


# ----- search ------------------------------------------------------------------------------------

SearchKind = RecordKind
"""What a search document stands for (its record page: /leads, /opportunities, /customers)."""


SEARCH_KIND_BASE: dict[str, int] = {SearchKind.LEAD: 0, SearchKind.OPPORTUNITY: 1 << 40,
                                     SearchKind.CUSTOMER: 2 << 40}
"""A document's id is `base + record_id` (a lead's document id is the lead's id): one key per record,
each kind a contiguous range, which FTS5 (SQLite's rowid) searches within without reading the
other kinds' matches."""


class SearchDoc(SQLModel, table=True):
    """One searchable record's text, kept by core/projections.py (store/search_index.py).

    `body`: what a search matches anywhere in (lower-cased name, company, email, phone digits,
    searchable custom values; one per line) — SQLite's FTS5 trigram table `search_fts` indexes it as
    external content, PostgreSQL a GIN `gin_trgm_ops` index (both made by migration 0028, not
    modelled: `store.search_index.UNMODELLED`). `name_key`: the lower-cased name, whose prefix
    serves queries of one or two characters (a trigram needs three). `pairs`: every two-character run
    of CJK characters in `body`, space-separated (`李娜娜` → `李娜 娜娜`), for two-character CJK terms
    anywhere in the text — SQLite's FTS5 `search_pairs` (ascii tokenizer: a pair is a token),
    PostgreSQL a GIN index on `string_to_array(pairs, ' ')` (migration 0048, not modelled)."""

    __tablename__ = 'search_docs'
    __table_args__ = (sa.Index('ix_search_docs_name_key', 'name_key', 'kind',
                               postgresql_ops={'name_key': 'varchar_pattern_ops'}),)

    id: int = Field(primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                    sa_column_kwargs={'autoincrement': False})
    """`SEARCH_KIND_BASE[kind] + record_id` (SQLite: the rowid, which FTS5 maps to)."""
    kind: str = Field(sa_type=sa.String(12))
    record_id: int
    body: str = Field(sa_type=sa.Text())
    name_key: str = Field(sa_type=sa.String(200))
    pairs: str = Field(default='', sa_type=sa.Text())
    """Derived from `body` by `store.search_index.pairs` (written with it, never on its own)."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One found record as the results list shows it."""

    kind: str
    id: int
    title: str
    detail: str | None = None
    status: str | None = None
    owner_name: str | None = None
    phone: str | None = None
    in_pool: bool = False
    """A pool lead found by a rep (core checks it matched what the pool shows, and masks the phone)."""


# ----- import and merge ---------------------------------------------------------------------------

class ImportStatus(StrEnum):
    DRAFT = 'draft'
    """Uploaded, being mapped; nothing written yet."""
    RUNNING = 'running'
    DONE = 'done'
    INTERRUPTED = 'interrupted'
    """The process died (or stopped) while it ran: `resume` continues after the last committed batch."""
    FAILED = 'failed'
    CANCELLED = 'cancelled'
    EXPIRED = 'expired'
    """A draft nobody ran within LEADDESK_DRAFT_UPLOAD_DAYS: its upload was deleted."""


class ImportJob(SQLModel, table=True):
    """One file being imported. `rows_done` and the counts are committed with each batch of leads,
    so after a crash the job knows exactly which rows are in the database."""

    __tablename__ = 'import_jobs'

    id: int | None = Field(default=None, primary_key=True)
    created_by: int | None = Field(default=None, foreign_key='users.id')
    file_name: str = Field(sa_type=sa.String(255))
    file_path: str = Field(sa_type=sa.String(500))
    """Where the uploaded file is kept (under the data folder) until the job is done."""
    encoding: str | None = Field(default=None, sa_type=sa.String(20))
    sheet: str | None = Field(default=None, sa_type=sa.String(100))
    status: str = Field(default=ImportStatus.DRAFT, sa_type=sa.String(12), index=True)
    mapping: list[Any] = Field(default_factory=list, sa_type=sa.JSON())
    """One entry per column: the lead field it fills, or None (ignored)."""
    options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    total_rows: int = 0
    rows_done: int = 0
    """Data rows committed, in file order: a resume skips exactly these."""
    created_count: int = 0
    joined_count: int = 0
    skipped_count: int = 0
    failed_count: int = 0
    run_started_at: datetime | None = _ts()
    run_started_rows: int = 0
    """rows_done when this run (or resume) began: the rate counts this run only."""
    runner: str | None = Field(default=None, sa_type=sa.String(100))
    """`host:pid` of the process running it: start-up marks a job interrupted only when that process is gone."""
    error: str | None = Field(default=None, sa_type=sa.String(500))
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()
    finished_at: datetime | None = _ts()


class ImportRow(SQLModel, table=True):
    """What happened to one data row: created, joined, skipped or failed (with the reasons and,
    for failed rows, the original values so they can be fixed and imported again)."""

    __tablename__ = 'import_rows'
    __table_args__ = (sa.Index('ix_import_rows_job', 'job_id', 'outcome', 'row_number'),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key='import_jobs.id')
    row_number: int
    """The row as the spreadsheet numbers it (the header is row 1)."""
    outcome: str = Field(sa_type=sa.String(10))
    lead_id: int | None = Field(default=None, foreign_key='leads.id')
    errors: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON())
    values: list[Any] | None = Field(default=None, sa_type=sa.JSON())


class ImportTemplate(SQLModel, table=True):
    """A saved column mapping: header text → lead field, applied to the next file with those headers."""

    __tablename__ = 'import_templates'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(100), unique=True)
    mapping: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    created_by: int | None = Field(default=None, foreign_key='users.id')
    created_at: datetime | None = _ts()


class LeadMerge(SQLModel, table=True):
    """One merge of near-duplicates into a survivor, with what it takes to undo it."""

    __tablename__ = 'lead_merges'

    id: int | None = Field(default=None, primary_key=True)
    survivor_id: int = Field(foreign_key='leads.id', index=True)
    merged_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON())
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    """Fields and rows as they were before: the survivor's fields, the others' state, what moved."""
    actor_id: int | None = Field(default=None, foreign_key='users.id')
    created_at: datetime | None = _ts()
    undone_at: datetime | None = _ts()
    undone_by: int | None = Field(default=None, foreign_key='users.id')
class ChannelCost(SQLModel, table=True):
    """What marketing spent on one source in one month (channel ROI). One row per source and
    month; entering it again replaces the amount."""

    __tablename__ = 'channel_costs'
    __table_args__ = (sa.UniqueConstraint('source', 'month'),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_type=sa.String(30))
    month: date
    """The first day of the month."""
    cost_cents: int = Field(default=0, sa_type=sa.BigInteger())
    updated_by: int | None = Field(default=None, foreign_key='users.id')
    updated_at: datetime | None = _ts()


# ----- read models handed to the UI -------------------------------------------------------------

class LeadRow(SQLModel):
    """One inbox line."""

    id: int
    name: str
    company: str | None
    phone: str | None
    source: str
    status: str
    grade: str
    score: int
    temperature: str
    owner_id: int | None
    owner_name: str | None
    created_at: datetime
    next_follow_up_at: datetime | None = None
    sla_status: str | None = None
    sla_due_at: datetime | None = None
    custom: dict[str, Any] = {}
    """The lead's custom values by key (the inbox's optional custom columns)."""
    tags: list[int] = []
    """The ids of the lead's tags (chips; filled by a second read of `record_tags` for the page)."""


class UserRef(SQLModel):
    """Who is acting: enough to check permissions without holding an ORM object."""

    id: int
    name: str
    email: str
    role: str
    language: str | None = None
    must_change_password: bool = False
    """True while the password is an admin's temporary one: the UI lets this user do nothing but change it."""
    reach: Reach | None = None
    """Whose records this user may see, resolved when the session is read (core/accounts/reach.py);
    None: the role's fixed default (core/permissions.py), for refs built without a database."""
    viewed_by: int | None = None
    """Set when an admin views as this user (core/accounts/view_as.py): the admin's id. Such a ref
    reads as the user and may write nothing."""
    viewed_by_name: str = ''

    @classmethod
    def of(cls, user: User) -> UserRef:
        """The one way a `User` row becomes a `UserRef` (sessions, team and login alike)."""
        return cls(id=user.id or 0, name=user.name, email=user.email, role=user.role, language=user.language,
                   must_change_password=user.must_change_password)


class ReportDay(SQLModel, table=True):
    """The reports' daily roll-up: per team-local day, scope (0: the team, else one owner), family
    (cohort | closed | sla | automation | steps | entered | ticked), dimension and value, up to five
    summed figures. Kept in the same transaction as every lead, deal, audit, tick, step exit and move
    write by store.report_rollup; never set by hand. Values are '' for none and '=' + the value otherwise."""

    __tablename__ = 'report_days'
    __table_args__ = (sa.UniqueConstraint('family', 'scope_id', 'day', 'dimension', 'value',
                                          name='uq_report_days_key'),)

    id: int | None = Field(default=None, primary_key=True)
    family: str = Field(sa_type=sa.String(12))
    scope_id: int = 0
    day: date
    dimension: str = Field(sa_type=sa.String(80))
    value: str = Field(sa_type=sa.String(220))
    n1: int = Field(default=0, sa_type=sa.BigInteger())
    n2: int = Field(default=0, sa_type=sa.BigInteger())
    n3: int = Field(default=0, sa_type=sa.BigInteger())
    n4: int = Field(default=0, sa_type=sa.BigInteger())
    n5: int = Field(default=0, sa_type=sa.BigInteger())


# ----- playbooks: what to do and say at each step (issue 11) --------------------------------------

PLAYBOOK_LEAD_STATUSES: tuple[str, ...] = (LeadStatus.ASSIGNED, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
"""The lead statuses a playbook can be written for (the open ones a rep works)."""


class PlaybookItem(SQLModel, table=True):
    """One action of a step's checklist. A step is a lead status (`lead_status`) or an opportunity
    stage (`stage_id`), exactly one of them. Archived, never deleted: ticks and the report keep it."""

    __tablename__ = 'playbook_items'
    __table_args__ = (sa.Index('ix_playbook_items_step', 'lead_status', 'stage_id', 'is_archived', 'position'),)

    id: int | None = Field(default=None, primary_key=True)
    lead_status: str | None = Field(default=None, sa_type=sa.String(20))
    stage_id: int | None = Field(default=None, foreign_key='stages.id')
    position: int = 0
    text_en: str = Field(sa_type=sa.String(300))
    text_zh: str = Field(sa_type=sa.String(300))
    deadline_hours: int | None = None
    """Working hours (the team calendar) after the step began by which it should be done; None: no deadline."""
    is_required: bool = False
    """A required item blocks leaving the step while open; any other open item only warns."""
    is_archived: bool = False
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


class TalkTrack(SQLModel, table=True):
    """A suggested opening line or question for a step, in both languages, for one grade or all ('')."""

    __tablename__ = 'talk_tracks'
    __table_args__ = (sa.Index('ix_talk_tracks_step', 'lead_status', 'stage_id', 'is_archived', 'position'),)

    id: int | None = Field(default=None, primary_key=True)
    lead_status: str | None = Field(default=None, sa_type=sa.String(20))
    stage_id: int | None = Field(default=None, foreign_key='stages.id')
    position: int = 0
    kind: str = Field(default='question', sa_type=sa.String(10))
    """opening | question"""
    grade: str = Field(default='', sa_type=sa.String(1))
    text_en: str = Field(sa_type=sa.String(1000))
    text_zh: str = Field(sa_type=sa.String(1000))
    is_archived: bool = False
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


class ChecklistTick(SQLModel, table=True):
    """Whether one checklist item is done for one lead (and the deal it became): the current state,
    one row per item and lead; every tick and untick is also a line in the audit trail."""

    __tablename__ = 'checklist_ticks'
    __table_args__ = (sa.UniqueConstraint('item_id', 'lead_id', name='uq_checklist_ticks_item_lead'),
                      sa.Index('ix_checklist_ticks_lead', 'lead_id', 'done', 'item_id'))

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key='playbook_items.id')
    lead_id: int = Field(foreign_key='leads.id')
    opportunity_id: int | None = Field(default=None, foreign_key='opportunities.id')
    done: bool = True
    activity_id: int | None = Field(default=None, foreign_key='activities.id')
    """The activity it was ticked with, when ticked in the log-activity form."""
    updated_by: int | None = Field(default=None, foreign_key='users.id')
    updated_at: datetime | None = _ts()


class StepExit(SQLModel, table=True):
    """A lead or deal moving forward out of a playbook step: which items were done and which were
    left open (skipped). What the checklist report counts."""

    __tablename__ = 'playbook_exits'
    __table_args__ = (sa.Index('ix_playbook_exits_time', 'created_at', 'lead_id'),
                      sa.Index('ix_playbook_exits_lead', 'lead_id'))

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key='leads.id')
    opportunity_id: int | None = Field(default=None, foreign_key='opportunities.id')
    lead_status: str | None = Field(default=None, sa_type=sa.String(20))
    stage_id: int | None = Field(default=None, foreign_key='stages.id')
    done_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON())
    open_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON())
    actor_id: int | None = Field(default=None, foreign_key='users.id')
    created_at: datetime | None = _ts()


# ----- customer care (客户回访) ------------------------------------------------------------------------

class CareKind(StrEnum):
    REVISIT = 'revisit'
    """The tier's regular revisit (VIP every 30 days, …)."""
    WAKE_UP = 'wake_up'
    """A one-off call to a customer that just went dormant."""


class CareSchedule(SQLModel, table=True):
    """When an account's next care task is due: one row per account under a care plan. The timer
    walks `due_at` (indexed) and clears it when it opens the task, so a tick with nothing due is one
    index probe and a second tick never opens the same task twice. `since_at` is what the interval
    counts from (the last revisit, else when the plan started), so a tier or interval change can
    move the due date without losing where the rhythm stands."""

    __tablename__ = 'care_schedules'

    account_id: int = Field(foreign_key='accounts.id', primary_key=True)
    kind: str = Field(default=CareKind.REVISIT, sa_type=sa.String(12))
    due_at: datetime | None = _ts(index=True)
    """None: a task is open, or the tier's plan is off."""
    since_at: datetime | None = _ts()


class CareTask(SQLModel, table=True):
    """A revisit (or wake-up) the account's owner has to do; closed by recording a revisit.
    `open_account_id` is the account id while the task is open and None once closed: its unique
    constraint makes a second open task for one account impossible, whoever writes it."""

    __tablename__ = 'care_tasks'
    __table_args__ = (sa.Index('ix_care_tasks_owner_open', 'owner_id', 'open_account_id', 'due_at'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='accounts.id', index=True)
    owner_id: int | None = Field(default=None, foreign_key='users.id')
    kind: str = Field(default=CareKind.REVISIT, sa_type=sa.String(12))
    tier: str = Field(sa_type=sa.String(12))
    """The account's tier when the task opened."""
    due_at: datetime | None = _ts()
    open_account_id: int | None = Field(default=None, unique=True)
    created_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    revisit_id: int | None = Field(default=None, foreign_key='revisits.id')


class Revisit(SQLModel, table=True):
    """One revisit of a customer: satisfaction (1–5) and/or NPS (0–10) and notes. Tier and owner are
    kept as they were then, so NPS by tier and by owner read history, not today's labels."""

    __tablename__ = 'revisits'
    __table_args__ = (sa.Index('ix_revisits_account', 'account_id', 'created_at'),
                      sa.Index('ix_revisits_report', 'created_at', 'owner_id', 'tier', 'nps', 'satisfaction'))

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='accounts.id')
    user_id: int | None = Field(default=None, foreign_key='users.id')
    """Who recorded it."""
    owner_id: int | None = Field(default=None, foreign_key='users.id')
    tier: str = Field(sa_type=sa.String(12))
    satisfaction: int | None = None
    nps: int | None = None
    note: str | None = Field(default=None, sa_type=sa.Text())
    created_at: datetime | None = _ts()


# ----- outbound notifications (webhooks) ----------------------------------------------------------

class WebhookFormat(StrEnum):
    JSON = 'json'
    """Generic JSON, HMAC-SHA256 signed with the webhook's secret."""
    WECOM_MARKDOWN = 'wecom_markdown'
    WECOM_TEXT = 'wecom_text'
    DINGTALK_MARKDOWN = 'dingtalk_markdown'
    DINGTALK_TEXT = 'dingtalk_text'


class DeliveryStatus(StrEnum):
    PENDING = 'pending'
    """Waiting for its first or next attempt (`next_attempt_at`)."""
    DELIVERED = 'delivered'
    FAILED = 'failed'
    """Given up after the maximum age: still listed, can be sent again by hand."""
    CANCELLED = 'cancelled'
    """Its webhook was switched off or removed before it went out."""


class Webhook(SQLModel, table=True):
    """Where domain events go: a URL, the events it wants, how they are written and signed."""

    __tablename__ = 'webhooks'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(100))
    url: str = Field(sa_type=sa.String(1000))
    format: str = Field(default=WebhookFormat.JSON, sa_type=sa.String(20))
    secret: str = Field(default='', sa_type=sa.String(200))
    """JSON: the HMAC key; DingTalk: the robot's 加签 secret (SEC…); '' = unsigned."""
    events: list[str] = Field(default_factory=list, sa_type=sa.JSON())
    language: str = Field(default='zh-CN', sa_type=sa.String(8))
    """The language of the chat robots' messages."""
    is_enabled: bool = True
    is_deleted: bool = False
    created_by: int | None = Field(default=None, foreign_key='users.id')
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


class WebhookDelivery(SQLModel, table=True):
    """The outbox and the delivery log in one: a row is written in the same transaction as the
    domain change it reports (store/outbox.py), stays `pending` until a receiver accepts it, and
    then records how it went."""

    __tablename__ = 'webhook_deliveries'
    __table_args__ = (sa.Index('ix_webhook_deliveries_due', 'status', 'next_attempt_at'),
                      sa.Index('ix_webhook_deliveries_log', 'webhook_id', 'created_at'))

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key='webhooks.id')
    event: str = Field(sa_type=sa.String(40))
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    """The event's facts as they were when it happened (names, grade, stage…), ids included."""
    status: str = Field(default=DeliveryStatus.PENDING, sa_type=sa.String(10))
    attempts: int = 0
    next_attempt_at: datetime | None = _ts()
    last_attempt_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts()
    response_status: int | None = None
    response_excerpt: str | None = Field(default=None, sa_type=sa.String(500))
    error: str | None = Field(default=None, sa_type=sa.String(300))
    created_at: datetime | None = _ts()


class EmailKind(StrEnum):
    """What an email is: the kind decides its subject and body (core/integrations/email_render.py)."""

    TEST = 'test'
    """The settings page's "send test" button."""
    NOTIFICATION = 'notification'
    """A notification the user chose to get by email (its key and params, as the bell has them)."""
    PASSWORD_RESET = 'password_reset'
    """A link to set a new password (its token is wiped once the message is sent or given up)."""
    DIGEST = 'digest'
    """A daily or weekly digest (`params['digest']`: its content as stored when sent)."""


class EmailMessage(SQLModel, table=True):
    """The email outbox: a row written in the transaction that decided to send it, sent by the
    outbox loop (core/integrations/mailer.py) with the same lease, backoff and giving up as webhook
    deliveries. The body is rendered when it is sent, in `language`."""

    __tablename__ = 'email_messages'
    __table_args__ = (sa.Index('ix_email_messages_due', 'status', 'next_attempt_at'),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key='users.id')
    to_address: str = Field(sa_type=sa.String(254))
    language: str = Field(sa_type=sa.String(10))
    kind: str = Field(sa_type=sa.String(20))
    key: str = Field(default='', sa_type=sa.String(80))
    """The notification key (`EmailKind.NOTIFICATION`)."""
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    lead_id: int | None = None
    status: str = Field(default=DeliveryStatus.PENDING, sa_type=sa.String(10))
    attempts: int = 0
    next_attempt_at: datetime | None = _ts()
    last_attempt_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts()
    error: str | None = Field(default=None, sa_type=sa.String(300))
    created_at: datetime | None = _ts()


class PasswordResetToken(SQLModel, table=True):
    """A password reset asked for by email: only the token's SHA-256 is kept; one use, one hour."""

    __tablename__ = 'password_reset_tokens'

    token_hash: str = Field(sa_type=sa.String(64), primary_key=True)
    user_id: int = Field(foreign_key='users.id', index=True)
    expires_at: datetime = _ts(nullable=False)
    used_at: datetime | None = _ts()


class GoalMetric(StrEnum):
    """What a monthly goal counts; each is read from a declared report figure (core/goals/board.py)."""

    CONTACTED = 'contacted'
    """Leads captured in the month and contacted (the cohort figure's `contacted`)."""
    OPPORTUNITIES = 'opportunities'
    """Leads captured in the month that became opportunities (the cohort figure's `opportunity`)."""
    WON_CENTS = 'won_cents'
    """Amount of deals won in the month, in cents (the closed figure's `won_cents`)."""


class Goal(SQLModel, table=True):
    """One monthly goal: per rep (`user_id`), per department (`department_id`: its subtree's reps
    summed) or for the whole team (both None). Quarters and years are the sums of their months,
    never stored."""

    __tablename__ = 'goals'
    __table_args__ = (sa.Index('ix_goals_month', 'month', 'metric'),)

    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(sa_type=sa.Date())
    """The first day of the team-local month."""
    user_id: int | None = Field(default=None, foreign_key='users.id')
    department_id: int | None = None
    """A plain column, as `User.department_id` (core checks the id)."""
    metric: str = Field(sa_type=sa.String(20))
    target: int = Field(sa_type=sa.BigInteger())
    stretch: int | None = Field(default=None, sa_type=sa.BigInteger())
    updated_by: int | None = Field(default=None, foreign_key='users.id')
    updated_at: datetime | None = _ts()


class BulkBatch(SQLModel, table=True):
    """One bulk edit of leads or customers (core/leads/bulk.py): who did what to which records, and
    each record's values before it, so the batch can be undone within 24 hours (a record changed
    since is skipped)."""

    __tablename__ = 'bulk_batches'

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key='users.id', index=True)
    entity: str = Field(default=TagEntity.LEAD, sa_type=sa.String(20),
                        sa_column_kwargs={'server_default': TagEntity.LEAD.value})
    """`TagEntity`: which records the batch changed (its snapshot's ids are theirs)."""
    action: str = Field(sa_type=sa.String(20))
    """`core.leads.bulk_plan.BulkKind`: what was done (set_field, tag_add, reassign, …)."""
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    """What was applied (the field and value, the rep, the reason), for the list of recent batches."""
    changed: int = 0
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    """By lead id: {'v': the version the batch left, 'before': {column: value before}}."""
    created_at: datetime | None = _ts(index=True)
    undone_at: datetime | None = _ts()
    undone_by: int | None = Field(default=None, foreign_key='users.id')


class DigestRecord(SQLModel, table=True):
    """One digest of one user for one period (core/digests): written when the rep adds their own lines
    or when it falls due, and sent once — the unique key makes a second tick, a restart or a second
    process find the row, and `sent_at` is set by a conditional update only one of them wins. The
    content is the digest as composed when sent (JSON of core/digests/content.py `Digest`), so its
    history reads the same later however the records change."""

    __tablename__ = 'digests'
    __table_args__ = (sa.UniqueConstraint('user_id', 'kind', 'day', name='uq_digests_user_kind_day'),
                      sa.Index('ix_digests_user_sent', 'user_id', 'sent_at'))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id')
    kind: str = Field(sa_type=sa.String(10))
    day: date = Field(sa_type=sa.Date())
    """Daily: the working day covered; weekly: the Monday of the week."""
    own_lines: list[str] = Field(default_factory=list, sa_type=sa.JSON())
    content: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON())
    sent_at: datetime | None = _ts()
    created_at: datetime | None = _ts()


class DigestPrefs(SQLModel, table=True):
    """A user's own digest settings over the team's (core/digests/settings.py): None keeps the team's."""

    __tablename__ = 'digest_prefs'

    user_id: int = Field(foreign_key='users.id', primary_key=True)
    kinds: list[str] | None = Field(default=None, sa_type=sa.JSON())
    channels: list[str] | None = Field(default=None, sa_type=sa.JSON())
    send_time: str | None = Field(default=None, sa_type=sa.String(5))
    """'HH:MM' on the team's wall clock."""
