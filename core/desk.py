"""The domain object built once in run.py: every user action is a method of one of its
services, each one transaction with events published after the commit."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy.engine import Engine

from core import permissions
from core.accounts.collaborators import CollaboratorService
from core.accounts.departments import DepartmentService
from core.accounts.grants import GrantService
from core.accounts.password_reset import PasswordResetService
from core.accounts.saved_views import SavedViewService
from core.accounts.sessions import SessionService
from core.accounts.team import TeamService
from core.accounts.view_as import ViewAsService, guard, refuse_while_viewing
from core.assignment import pick as assignment
from core.assignment.rules import RulesService
from core.automation.due import TimerAction
from core.automation.policy import POLICY_KEY, Policy, load_policy
from core.automation.pool import PoolService
from core.automation.pool_admin import PoolAdminService
from core.automation.preview import Planned
from core.automation.recycle_service import RecycleRulesService
from core.automation.timer import Automation, TickReport
from core.capture import scoring, webforms
from core.capture.api_access import AccessService
from core.capture.scoring_rules import ScoringRulesService
from core.clock import Clock
from core.context import Context, audit
from core.custom_fields.admin import CustomFieldService
from core.customers.accounts import CustomerService
from core.customers.care import CareService
from core.customers.care_reports import CareReportService
from core.digests.service import DigestService
from core.errors import NotAllowed, ValidationFailed
from core.events import DeskEvents
from core.goals.attainment import GoalReports
from core.goals.board import GoalService
from core.imports.jobs import ImportService
from core.integrations.mailer import Mailer
from core.integrations.outbox import Deliverer
from core.integrations.smtp import MailService
from core.integrations.webhooks import WebhookService
from core.leads.actions import LeadService
from core.leads.bulk import BulkService
from core.leads.merge import MergeService
from core.pipeline import stages as pipeline_stages
from core.pipeline.deals import PipelineService
from core.playbooks import defaults as playbook_defaults
from core.playbooks.editor import PlaybookService
from core.reports.export import ExportService
from core.reports.panels import ReportService
from core.search.service import SearchService
from core.settings import Settings
from core.tags.admin import TagService
from core.tags.records import RecordTagService
from core.workload.departure import DepartureService
from core.workload.figures import WorkloadService
from core.workload.steering import SteeringService
from store import config_version, heartbeat, queries, report_rollup
from store import outbox as outbox_store
from store.audit_actions import AuditAction
from store.custom_indexes import ensure_custom_indexes
from store.migrate import upgrade
from store.models import AppSetting, AssignmentRule, FormLanguage, ScoringRule, UserRef, WebForm
from store.queries import departments as department_rows
from store.queries import pools as pool_rows

DEMO_STREAM = 'demo_stream'
READY_TIMEOUT = 2.0
"""Seconds the readiness probe waits for the database's write lock before answering 503 `busy`
(an import batch holds it well under a second; a probe's own timeout is typically 1–5 s)."""

log = logging.getLogger('leaddesk.desk')

GUARDED = ('leads', 'team', 'departments', 'grants', 'sessions', 'access', 'custom_fields', 'views', 'tags',
           'record_tags', 'pool', 'pipeline', 'customers', 'automation', 'recycle_rules', 'rules', 'scoring_rules',
           'workload', 'steering', 'imports', 'merges', 'search', 'bulk', 'reports', 'export', 'playbooks', 'care',
           'care_reports', 'webhooks', 'collaborators', 'pools', 'departure', 'goals', 'goal_reports',
           'mail', 'digests')
"""The desk's services a page calls with the signed-in ref: read-only for a view-as ref."""


class Desk:
    def __init__(self, engine: Engine, settings: Settings, *, clock: Clock | None = None,
                 events: DeskEvents | None = None) -> None:
        self.ctx = Context(engine=engine, clock=clock or Clock(), events=events or DeskEvents(), settings=settings)
        self.events = self.ctx.events
        self.leads = LeadService(self.ctx)
        self.team = TeamService(self.ctx)
        self.departments = DepartmentService(self.ctx)
        self.grants = GrantService(self.ctx)
        self.sessions = SessionService(self.ctx)
        self.access = AccessService(self.ctx, self.leads)
        self.custom_fields = CustomFieldService(self.ctx)
        self.views = SavedViewService(self.ctx)
        self.tags = TagService(self.ctx)
        self.record_tags = RecordTagService(self.ctx)
        self.collaborators = CollaboratorService(self.ctx)
        self.pool = PoolService(self.ctx)
        self.pools = PoolAdminService(self.ctx)
        self.pipeline = PipelineService(self.ctx)
        self.customers = CustomerService(self.ctx)
        self.automation = Automation(self.ctx)
        self.recycle_rules = RecycleRulesService(self.ctx)
        self.rules = RulesService(self.ctx)
        self.scoring_rules = ScoringRulesService(self.ctx)
        self.workload = WorkloadService(self.ctx)
        self.steering = SteeringService(self.ctx)
        self.departure = DepartureService(self.ctx)
        self.imports = ImportService(self.ctx)
        self.merges = MergeService(self.ctx)
        self.search = SearchService(self.ctx)
        self.bulk = BulkService(self.ctx, self.leads)
        self.reports = ReportService(self.ctx)
        self.export = ExportService(self.ctx, self.reports)
        self.playbooks = PlaybookService(self.ctx, self.reports)
        self.care = CareService(self.ctx)
        self.care_reports = CareReportService(self.ctx, self.reports)
        self.webhooks = WebhookService(self.ctx)
        self.outbox = Deliverer(self.ctx)
        """Delivers the webhook outbox: `start()` on the app's event loop (run.py)."""
        self.goals = GoalService(self.ctx)
        self.goal_reports = GoalReports(self.ctx, self.goals)
        self.digests = DigestService(self.ctx, self.automation.digests)
        self.mail = MailService(self.ctx)
        self.password_reset = PasswordResetService(self.ctx)
        self.mailer = Mailer(self.ctx)
        """Sends the email outbox: `start()` on the app's event loop (run.py), as `outbox`."""
        self.view_as = ViewAsService(self.ctx)
        for name in GUARDED:  # an admin's "view as" writes nothing through any of them (core/accounts/view_as.py)
            setattr(self, name, guard(getattr(self, name)))
        self.events.webhooks_changed.subscribe(lambda: outbox_store.forget(engine))  # another process's change

    def prepare(self) -> None:
        """Upgrade the schema in place and add the default rules a new database needs."""
        upgrade(self.ctx.engine)
        with self.ctx.engine.begin() as connection:  # a restored or copied database converges on its definitions
            ensure_custom_indexes(connection)
        self._ensure_defaults()
        self.imports.mark_interrupted()  # a job whose process died shows as interrupted, resumable
        report_rollup.ensure(self.ctx.engine, self.ctx.settings.timezone)  # the reports' daily roll-up
        outbox_store.forget(self.ctx.engine)  # which webhooks want which events: read at the first write

    def _ensure_defaults(self) -> None:
        now = self.ctx.now()
        with self.ctx.write() as session:
            if not queries.scoring_rules(session) and queries.setting(session, 'scoring_seeded') is None:
                for i, (kind, field, value, points, en, zh) in enumerate(scoring.DEFAULT_RULES):
                    session.add(ScoringRule(position=i, kind=kind, field=field, value=value, points=points,
                                            label_en=en, label_zh=zh))
                session.add(AppSetting(key='scoring_seeded', value='1'))
            if not queries.assignment_rules(session) and queries.setting(session, 'assignment_seeded') is None:
                for i, (name, strategy, grades, sources) in enumerate(assignment.DEFAULT_RULES):
                    session.add(AssignmentRule(position=i, name=name, strategy=strategy, match_grades=grades,
                                               match_sources=sources))
                session.add(AppSetting(key='assignment_seeded', value='1'))
            pipeline_stages.seed_defaults(session)
            department_rows.ensure_root(session)
            pool_rows.ensure_default_pool(session)
            playbook_defaults.seed(session, now)
            if not queries.all_web_forms(session):
                session.add(WebForm(key='contact', name=webforms.DEFAULT_NAMES['contact'][FormLanguage.ZH_CN],
                                    language=FormLanguage.ZH_CN, created_at=now))
            if config_version.current(session) is None:  # (from now on every change bumps it)
                config_version.bump(session.connection())

    # ----- the timer and its settings ------------------------------------------------------------

    def run_timer(self, actor: UserRef | None = None) -> TickReport:
        """The background timer and the admins' "Run now" button both come here."""
        refuse_while_viewing(actor)
        if actor is not None and actor.role != 'admin':
            raise NotAllowed()
        report = self.automation.tick()
        report.done[TimerAction.EXPIRED_UPLOADS] = self.imports.expire_drafts()  # housekeeping rides the same timer
        return report

    def preview_timer(self, actor: UserRef, hours: float = 24) -> list[Planned]:
        if not permissions.can_assign(actor):
            raise NotAllowed()
        now = self.ctx.now()
        plan = self.automation.preview(now, hours)
        with self.ctx.read() as session:  # the housekeeping that rides the same timer (`run_timer`)
            expiring = self.imports.drafts_expiring(session, now, now + timedelta(hours=hours))
        plan += [Planned(lead_id=0, lead_name=job.file_name, owner_name=None, action=TimerAction.EXPIRED_UPLOADS, at=at,
                         import_job_id=job.id) for job, at in expiring]
        return sorted(plan, key=lambda p: p.at)  # stable: the timer's own order within an instant

    def policy(self) -> Policy:
        with self.ctx.read() as session:
            return load_policy(session)

    def set_policy(self, actor: UserRef, values: dict | None) -> Policy:
        """Validate and store the automation numbers (None restores the defaults); audited."""
        refuse_while_viewing(actor)
        if not permissions.can_assign(actor):
            raise NotAllowed()
        try:
            policy = Policy.from_dict(values) if values is not None else Policy()
        except ValueError as e:
            raise ValidationFailed({'policy': 'invalid'}, detail=str(e)) from None
        now = self.ctx.now()
        with self.ctx.write() as session:
            session.merge(AppSetting(key=POLICY_KEY, value=json.dumps(policy.to_dict())))
            audit(session, AuditAction.POLICY_CHANGED, now=now, actor_id=actor.id, reason_key='reason.policy_changed',
                  restored=values is None)
        return policy

    # ----- readiness ------------------------------------------------------------------------------

    def unready(self, timeout: float = READY_TIMEOUT) -> str | None:
        """Why this server cannot take work now (None: it can). A real write, committed — a
        heartbeat row (store/heartbeat.py) — since a database that answers reads but refuses writes
        (read-only file or mount, a standby, a full disk, a lock held past `timeout` seconds) would
        fail every capture while a liveness check stays green."""
        try:
            with self.ctx.write(timeout=timeout) as session:
                heartbeat.beat(session, self.ctx.now(), timeout=timeout)
        except TimeoutError:
            return 'busy'
        except Exception as e:  # any failure to write is the answer, not an error of the probe
            text = str(getattr(e, 'orig', e)).lower()
            log.warning('readiness: the database refused a write: %s', e)
            if 'readonly' in text or 'read-only' in text or 'read only' in text:
                return 'read_only'
            if 'locked' in text or 'busy' in text or 'timeout' in text or 'canceling statement' in text:
                return 'busy'
            return 'unwritable'
        return None

    # ----- small run-time settings ----------------------------------------------------------------

    def demo_stream_on(self) -> bool:
        with self.ctx.read() as session:
            return queries.setting(session, DEMO_STREAM) == '1'

    def set_demo_stream(self, actor: UserRef | None, on: bool) -> None:
        refuse_while_viewing(actor)
        if actor is not None and not permissions.can_assign(actor):
            raise NotAllowed()
        with self.ctx.write() as session:
            session.merge(AppSetting(key=DEMO_STREAM, value='1' if on else '0'))
