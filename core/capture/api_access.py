"""Ways in from outside: API keys (stored hashed, scoped, revocable), idempotent API
capture, and the hosted web forms (their settings and their captures)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core import permissions
from core.accounts import auth
from core.capture import webforms
from core.capture.clean import FIELD_LIMITS, TAGS, validate
from core.capture.external_ids import api_scope, external_key
from core.capture.group_commit import CaptureQueue, Consent, Pending, record_consent
from core.capture.intake import CaptureResult
from core.context import Context, audit
from core.custom_fields.values import FIELD as CUSTOM
from core.custom_fields.values import CustomFields
from core.errors import NotAllowed, NotFound, ValidationFailed, check_id
from core.leads.actions import LeadService
from core.leads.normalize import clean_text
from core.tags.catalog import NO_TAGS
from core.tags.records import current_tags
from store import capture_writes, queries
from store.audit_actions import AuditAction
from store.models import ApiKey, ApiScope, FormLanguage, Lead, Source, User, UserRef, WebForm


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: int
    name: str
    scope: str


class AccessService:
    def __init__(self, ctx: Context, leads: LeadService) -> None:
        self.ctx = ctx
        self.leads = leads
        self.captures = CaptureQueue(ctx, self._capture_alone)
        """The API captures waiting for their shared transaction (group commit)."""
        self.form_captures = CaptureQueue(ctx, self._capture_form_alone, channel='web_form')
        """The web-form captures, likewise (their own queue: the audit trail names the channel)."""

    # ----- API keys -------------------------------------------------------------------------------

    def create_api_key(self, actor: UserRef | None, *, name: str, scope: str = ApiScope.CAPTURE) -> str:
        """Returns the raw key, shown once. `actor` None is the CLI (whoever runs the server). A key acts
        for no user: a read key reads the whole company's leads, so only a user whose data scope is
        everything may create one (a department-scoped marketer could otherwise read past their scope
        through it); capture keys read nothing."""
        if actor is not None and not permissions.can_manage_integrations(actor):
            raise NotAllowed()
        label = clean_text(name, max_length=100)
        if not label:
            raise ValidationFailed({'name': 'required'})
        if scope not in ApiScope.__members__.values():
            raise ValidationFailed({'scope': 'invalid'})
        if actor is not None and scope == ApiScope.READ and not permissions.sees_all_leads(actor):
            raise NotAllowed()  # a read key is company-wide: only someone whose data scope is everything grants it
        raw = auth.new_api_key()
        with self.ctx.write() as session:
            session.add(ApiKey(name=label, prefix=raw[:10], key_hash=auth.hash_api_key(raw), scope=scope,
                               created_at=self.ctx.now()))
        return raw

    def revoke_api_key(self, actor: UserRef, key_id: int) -> None:
        if not permissions.can_manage_integrations(actor):
            raise NotAllowed()
        with self.ctx.write() as session:
            key = session.get(ApiKey, key_id)
            if key is None:
                raise NotFound()
            key.is_revoked = True
            session.add(key)

    def api_keys(self, actor: UserRef) -> list[ApiKey]:
        if not permissions.can_manage_integrations(actor):
            raise NotAllowed()
        with self.ctx.read() as session:
            return list(queries.all_api_keys(session))

    def check_api_key(self, raw: str | None) -> KeyInfo | None:
        """The key's identity, or None when missing, unknown or revoked."""
        if not raw or len(raw) > 200:
            return None
        with self.ctx.read() as session:
            key = queries.api_key_identity(session, auth.hash_api_key(raw))
            if key is None or key.is_revoked:
                return None
            return KeyInfo(id=key.id, name=key.name, scope=key.scope)

    def capture_via_api(self, key: KeyInfo, data: Mapping[str, Any],
                        idempotency_key: str | None) -> tuple[CaptureResult, bool]:
        """Capture, replaying the first answer for a repeated external_id or Idempotency-Key — this
        key's own: an external_id is scoped to the key that sent it (another key's equal id is
        another lead, which this key can neither replay, see nor touch).

        The capture itself goes through the group commit (core/capture/group_commit.py): captures arriving
        together share one transaction, each still its own lead, audit trail and answer. A retry
        that lands in the same batch as its first try is answered as a replay once that one
        committed — as if it had arrived just after. Returns (result, replayed)."""
        raw = data.get('external_id')
        external_id = clean_text(raw, max_length=FIELD_LIMITS['external_id'] + 1) if isinstance(raw, str) else None
        tokens = [t for t in (idempotency_key and idempotency_key[:200],
                              external_id and f'external:{external_id}'[:200]) if t]
        scope = api_scope(key.id)
        recent = self.ctx.capture_config.recent(self.ctx.engine)  # no query per capture; one batch behind at most
        fields = recent.custom if recent is not None else self.leads.custom_fields()
        tags = (recent.tags if recent is not None else current_tags(self.ctx)) if data.get(TAGS) is not None \
            else NO_TAGS
        while True:
            replay = self._replay(key, tokens, external_id and external_key(scope, external_id))
            if replay is not None:
                return replay, True
            try:
                clean = validate(data, default_source=Source.API, region=self.ctx.settings.default_region,
                                 external_scope=scope, custom_fields=fields, require_custom=True, tags=tags)
            except ValidationFailed:
                if recent is None:
                    raise
                recent, fields = None, self.leads.custom_fields()  # maybe a field defined since: check afresh
                tags = current_tags(self.ctx) if tags is not NO_TAGS else NO_TAGS
                continue
            result = self.captures.submit(Pending(api_key_id=key.id, clean=clean, data=data, tokens=tuple(tokens)))
            if result is not None:
                return result, False

    def _capture_alone(self, item: Pending) -> CaptureResult:
        """The single path (its own transactions), for a capture whose shared batch failed."""
        assert item.api_key_id is not None  # the API's queue: every capture has its key
        result = self.leads.capture_lead(item.data, channel='api', default_source=Source.API,
                                         external_scope=api_scope(item.api_key_id), require_custom=True)
        if item.tokens:
            with self.ctx.write() as session:  # a concurrent retry's record stands: both name the same lead
                capture_writes.insert_idempotency_records(session, item.records(result, self.ctx.now()))
        return result

    def _replay(self, key: KeyInfo, tokens: list[str], scoped_id: str | None) -> CaptureResult | None:
        """The first answer to one of this key's tokens, or to the lead holding this key's external id
        (`scoped_id`: `external_key` in the key's scope; a record may be missing when the first
        capture's batch failed and it ran alone)."""
        if not tokens and not scoped_id:
            return None  # nothing to replay: no read transaction
        with self.ctx.read() as session:
            lead: Lead | None = None
            created = True
            for token in tokens:
                record = queries.idempotency_record(session, key.id, token)
                if record is not None:
                    lead, created = session.get(Lead, record.lead_id), record.created
                    break
            if lead is None and scoped_id:
                lead = queries.lead_by_external_key(session, scoped_id)
            if lead is None:
                return None
            owner = session.get(User, lead.owner_id) if lead.owner_id else None
            return CaptureResult(lead_id=lead.id or 0, created=created, status=lead.status, score=lead.score,
                                 grade=lead.grade, owner_id=lead.owner_id, owner_name=owner.name if owner else None)

    def lead_for_api(self, key: KeyInfo, lead_id: int) -> Lead:
        if key.scope != ApiScope.READ:
            raise NotAllowed()
        with self.ctx.read() as session:
            lead = session.get(Lead, check_id(lead_id))
            if lead is None or lead.is_deleted:
                raise NotFound()
            return lead

    # ----- web forms ------------------------------------------------------------------------------

    def web_form(self, key: str) -> WebForm | None:
        if not key or len(key) > 40:
            return None
        with self.ctx.read() as session:
            form = queries.web_form_by_key(session, key)
            return form if form and form.is_active else None

    def form_custom_fields(self, form: WebForm) -> CustomFields:
        """The custom lead fields as a form reads them: the capture configuration's recent copy (no
        query per visitor), unless the form names one that copy does not know (defined since)."""
        recent = self.ctx.capture_config.recent(self.ctx.engine)
        if recent is not None and all(webforms.custom_key(f) in recent.custom.active
                                      for f in form.fields if webforms.custom_key(f) is not None):
            return recent.custom
        return self.leads.custom_fields()

    def web_forms(self, actor: UserRef) -> list[WebForm]:
        if not permissions.can_manage_web_forms(actor):
            raise NotAllowed()
        with self.ctx.read() as session:
            return list(queries.all_web_forms(session))

    def create_web_form(self, actor: UserRef | None, *, name: str | None = None, source: str = Source.WEBSITE,
                        language: str = FormLanguage.ZH_CN) -> WebForm:
        """A new form with the default fields, in the desk's language unless told (its name too,
        unless given); audited. `actor` None: set-up code and tests."""
        if actor is not None and not permissions.can_manage_web_forms(actor):
            raise NotAllowed()
        if name is None:
            name = webforms.DEFAULT_NAMES['new'].get(language, webforms.DEFAULT_NAMES['new'][FormLanguage.ZH_CN])
        clean = webforms.clean_settings({'name': name, 'source': source, 'language': language,
                                         'fields': webforms.DEFAULT_FIELDS})
        now = self.ctx.now()
        with self.ctx.write() as session:
            form = WebForm(key=secrets.token_urlsafe(9), created_at=now, **clean)
            session.add(form)
            session.flush()
            audit(session, AuditAction.WEB_FORM_SAVED, now=now, actor_id=actor.id if actor else None,
                  reason_key='reason.web_form_saved', name=form.name, form_id=form.id)
            return form

    def update_web_form(self, actor: UserRef, form_id: int, values: Mapping[str, Any]) -> WebForm:
        """Change what a form asks, its language and who may embed it (`webforms.clean_settings`
        says what is valid; a name LeadDesk gave follows a new language); audited. The next visitor
        sees it: forms are read per request, never cached."""
        if not permissions.can_manage_web_forms(actor):
            raise NotAllowed()
        clean = webforms.clean_settings(values, self.leads.custom_fields())
        now = self.ctx.now()
        with self.ctx.write() as session:
            form = session.get(WebForm, check_id(form_id))
            if form is None:
                raise NotFound()
            if clean['language'] != form.language:  # our own name follows the language (the page's title)
                clean['name'] = webforms.renamed_for(clean['name'], form.language, clean['language'])
            for name, value in clean.items():
                setattr(form, name, value)
            session.add(form)
            audit(session, AuditAction.WEB_FORM_SAVED, now=now, actor_id=actor.id, reason_key='reason.web_form_saved',
                  name=form.name, form_id=form.id)
            session.flush()
            return form

    def capture_via_form(self, form: WebForm, data: Mapping[str, Any]) -> CaptureResult:
        """A visitor's submission: only the fields the form asks for are read (a crafted post
        cannot set the source, a campaign, an external id or a custom field the form does not
        show; custom values go through the same type check as the API's), the source is the form's, and a form
        with a consent text needs the box ticked (`consent`; the lead's audit trail keeps the text
        agreed to); then the API's path — validate, and the group commit (dedupe, score, assign,
        audit, notify, publish)."""
        asked: dict[str, Any] = {f: data[f] for f in form.fields if f in webforms.FORM_FIELDS and f in data}
        fields = self.form_custom_fields(form)
        custom, early = webforms.posted_custom(form.fields, fields, data)
        if custom:
            asked[CUSTOM] = custom
        refused = {webforms.CONSENT: 'consent_required'} \
            if form.consent_text and not str(data.get(webforms.CONSENT) or '').strip() else {}
        try:
            clean = validate(asked, default_source=form.source, region=self.ctx.settings.default_region,
                             custom_fields=fields)
        except ValidationFailed as e:
            raise ValidationFailed({**e.errors, **early, **refused}) from None
        if early or refused:  # every error at once, so the visitor fixes them in one go
            raise ValidationFailed({**early, **refused})
        consent: Consent | None = {'form': form.name, 'text': form.consent_text} if form.consent_text else None
        result = self.form_captures.submit(Pending(api_key_id=None, clean=clean, data=asked, consent=consent))
        assert result is not None  # no tokens: never a replay
        return result

    def _capture_form_alone(self, item: Pending) -> CaptureResult:
        """The single path for a form capture whose shared batch failed (the consent line in a
        second transaction: this path is the rare fallback)."""
        result = self.leads.capture_lead(item.data, channel='web_form', default_source=item.clean.source)
        if item.consent:
            with self.ctx.write() as session:
                record_consent(session, result.lead_id, item.consent, self.ctx.now())
        return result
