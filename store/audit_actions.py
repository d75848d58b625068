"""The audit trail's actions and the webhook events, as enums: the one spelling of each.

`audit_entries.action` holds the `AuditAction` value (a plain string column, unchanged), and a
webhook's `events` and a delivery's `event` hold `WebhookEvent` values. Both are `StrEnum`s, so a
member is its string everywhere a string was (SQL parameters, JSON payloads, comparisons) and the
rows stay byte-identical; what the enum adds is that a misspelt action fails at import time (an
unknown attribute) instead of silently writing a line that no projection recognises.

Which action is which webhook event, and which count as automation figures, is the domain's
decision: core/projections.py."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    """What an audit line records (`audit_entries.action`)."""

    # capture and assignment
    CAPTURED = 'captured'
    TOUCHED = 'touched'
    FILLED = 'filled'
    CONSENTED = 'consented'
    ASSIGNED = 'assigned'
    POOLED = 'pooled'
    REASSIGNED = 'reassigned'
    REBALANCED = 'rebalanced'
    HANDED_OVER = 'handed_over'
    # an admin's "view as" (read-only)
    VIEW_AS_STARTED = 'view_as_started'
    VIEW_AS_ENDED = 'view_as_ended'
    # the timer
    SLA_BREACHED = 'sla_breached'
    SLA_NO_REP = 'sla_no_rep'
    WARNED = 'warned'
    RECYCLED = 'recycled'
    SENT_TO_REVIEW = 'sent_to_review'
    REMINDED = 'reminded'
    LEAVE_ENDED = 'leave_ended'
    # working a lead
    EDITED = 'edited'
    STATUS = 'status'
    ACTIVITY = 'activity'
    CHECKLIST = 'checklist'
    CHECKLIST_SKIPPED = 'checklist_skipped'
    MERGED = 'merged'
    MERGED_INTO = 'merged_into'
    MERGE_UNDONE = 'merge_undone'
    BULK_UNDONE = 'bulk_undone'
    """A bulk edit undone (core/leads/bulk.py): the lead's values before it put back."""
    # pipeline
    CONVERTED = 'converted'
    STAGE = 'stage'
    STAGE_SAVED = 'stage_saved'
    OPPORTUNITY_EDITED = 'opportunity_edited'
    # customers and care
    DORMANT = 'dormant'
    REVISIT = 'revisit'
    CARE_DUE = 'care_due'
    CARE_PLAN_CHANGED = 'care_plan_changed'
    TIER_RULES_CHANGED = 'tier_rules_changed'
    CUSTOMER_EDITED = 'customer_edited'
    """A customer's custom values (the changed keys as `custom.<key>`)."""
    # imports
    IMPORT_STARTED = 'import_started'
    IMPORT_RESUMED = 'import_resumed'
    IMPORT_INTERRUPTED = 'import_interrupted'
    IMPORT_EXPIRED = 'import_expired'
    IMPORT_DONE = 'import_done'
    # configuration
    POLICY_CHANGED = 'policy_changed'
    RULE_SAVED = 'rule_saved'
    RULES_REORDERED = 'rules_reordered'
    SCORING_RULE_SAVED = 'scoring_rule_saved'
    SCORING_RULE_DELETED = 'scoring_rule_deleted'
    SCORING_RULES_REORDERED = 'scoring_rules_reordered'
    LEADS_RESCORED = 'leads_rescored'
    WEB_FORM_SAVED = 'web_form_saved'
    PLAYBOOK_CHANGED = 'playbook_changed'
    CHANNEL_COST = 'channel_cost'
    WEBHOOK_POLICY = 'webhook_policy'
    WEBHOOK_SAVED = 'webhook_saved'
    WEBHOOK_DELETED = 'webhook_deleted'
    WEBHOOK_GAVE_UP = 'webhook_gave_up'
    GOAL_SET = 'goal_set'
    DIGEST_SENT = 'digest_sent'
    DIGEST_LINES = 'digest_lines'
    DIGEST_SETTINGS = 'digest_settings'
    """A manager set (or cleared) a monthly goal."""
    SMTP_SETTINGS = 'smtp_settings'
    """An admin changed the SMTP settings (never the password itself: only whether one is stored)."""
    EMAIL_GAVE_UP = 'email_gave_up'
    CUSTOM_FIELD_DEFINED = 'custom_field_defined'
    CUSTOM_FIELD_CHANGED = 'custom_field_changed'
    """Its labels or its options' labels (or new options); never its key or type."""
    CUSTOM_FIELD_RETIRED = 'custom_field_retired'
    CUSTOM_FIELD_RESTORED = 'custom_field_restored'
    TAG_DEFINED = 'tag_defined'
    TAG_CHANGED = 'tag_changed'
    """Its names or its colour; never its key."""
    TAG_RETIRED = 'tag_retired'
    TAG_RESTORED = 'tag_restored'
    # tags on records
    TAG_ADDED = 'tag_added'
    TAG_REMOVED = 'tag_removed'
    # collaborators on records (a lead, a deal, a customer)
    COLLABORATOR_ADDED = 'collaborator_added'
    COLLABORATOR_REMOVED = 'collaborator_removed'
    # passwords (who and when; never the password itself)
    PASSWORD_CHANGED = 'password_changed'
    """The user changed their own password (current one given)."""
    PASSWORD_RESET = 'password_reset'
    """An admin gave the user a temporary password; they must change it at next login."""
    PASSWORD_SET_CONSOLE = 'password_set_console'
    """Someone with the server's console set it with `run.py user set-password` (actor None)."""
    PASSWORD_RESET_MAILED = 'password_reset_mailed'
    """Someone asked for a reset link for the address: it went to the account's email."""
    PASSWORD_RESET_BY_LINK = 'password_reset_by_link'
    """The user set a new password through the link emailed to them."""
    LOGIN_LOCKED = 'login_locked'
    """Wrong passwords locked an existing account's address for a while."""


class WebhookEvent(StrEnum):
    """What a webhook may subscribe to (`test` is the settings page's button, never subscribed)."""

    LEAD_CAPTURED = 'lead.captured'
    LEAD_ASSIGNED = 'lead.assigned'
    LEAD_POOLED = 'lead.pooled'
    LEAD_SLA_BREACHED = 'lead.sla_breached'
    LEAD_RECYCLED = 'lead.recycled'
    LEAD_QUALIFIED = 'lead.qualified'
    LEAD_DISQUALIFIED = 'lead.disqualified'
    LEAD_CONVERTED = 'lead.converted'
    OPPORTUNITY_WON = 'opportunity.won'
    OPPORTUNITY_LOST = 'opportunity.lost'
    CUSTOMER_DORMANT = 'customer.dormant'
    IMPORT_DONE = 'import.done'
    DIGEST_SENT = 'digest.sent'
    """A digest sent to the group robots (its Markdown card; core/digests/schedule.py)."""
