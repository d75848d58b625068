"""One declaration of each report figure: what it counts, on which date, by which dimension.

Every figure is answered two ways: from the daily roll-up (`report_days`, kept by
store/report_rollup.py's `contributions()` and read by store/report_days.py) for ranges that end
now or later without a lead filter, and from the raw rows (store/reporting.py,
store/playbooks.py) otherwise. Both sides read the counting rules below — the status sets, stage
kinds, SLA outcomes and audit actions — from here, never as literals of their own; and
tests/unit/test_report_figures.py checks, one property test per figure in `FIGURES`, that both
answers agree on random leads, deals, moves, audit lines and ranges.

It lives in store (not core) because the roll-up's rebuild and the raw queries are store code, which
must not import core; core (its projection step, the report panels) reads it from here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .audit_actions import AuditAction

CONTACTED_STATUSES = ('contacted', 'qualified', 'converted')
"""A cohort lead counts as contacted with one of these statuses (or a first contact by then)."""
QUALIFIED_STATUSES = ('qualified', 'converted')
"""A cohort lead counts as qualified with one of these statuses (a converted lead has a deal too)."""
WON, LOST = 'won', 'lost'
"""Stage kinds of a closed deal; any other kind is open."""
CLOSED_KINDS = (WON, LOST)
SLA_MET, SLA_MISSED = 'fulfilled', 'failed'
"""A lead's first-response outcome; any other value is still running (or none)."""
AUTOMATION_ACTIONS = (AuditAction.ASSIGNED, AuditAction.SLA_BREACHED, AuditAction.RECYCLED,
                      AuditAction.SENT_TO_REVIEW)
"""The audit lines the automation panel counts."""
DIMENSIONS = ('source', 'region', 'industry', 'owner_id')
"""What the conversion and win-rate panels break down by (a deal's owner for the closed figures)."""
FUNNEL_STEPS = ('captured', 'contacted', 'qualified', 'opportunity', 'won')
"""The cohort's steps, each included in the one before."""


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    family: str
    """The roll-up family (`report_days.family`) that holds it."""
    date_basis: str
    """The timestamp that puts a row on a team-local day and in a range."""
    counts: tuple[str, ...]
    """The numbers, in the family's column order (n1, n2, …)."""
    dimensions: tuple[str, ...]
    """What it is broken down by."""
    raw: str
    """The raw-row reader(s) answering it when the roll-up cannot."""
    rollup: str
    """The roll-up reader."""


FIGURES = (
    Figure('cohort', 'cohort', 'lead created_at', FUNNEL_STEPS, DIMENSIONS,
           raw='reporting.cohort_figures + cohort_deals', rollup='report_days.cohort_by_dimension'),
    Figure('cohort_grade', 'cohort', 'lead created_at', FUNNEL_STEPS, ('owner_id', 'grade'),
           raw='reporting.cohort_by_owner_grade', rollup='report_days.cohort_by_owner_grade'),
    Figure('cohort_days', 'cohort', 'lead created_at', ('captured', 'opportunity'), ('day',),
           raw='reporting.captured_by_day + converted_by_day', rollup='report_days.cohort_by_day'),
    Figure('closed', 'closed', 'deal closed_at', ('won', 'lost', 'won_cents'), DIMENSIONS,
           raw='reporting.closed_figures', rollup='report_days.closed_by_dimension'),
    Figure('sla', 'sla', 'lead assigned_at', ('met', 'missed', 'assigned'), ('owner_id',),
           raw='reporting.sla_outcomes', rollup='report_days.sla_by_owner'),
    Figure('automation', 'automation', 'audit created_at', ('count',),
           ('action', 'reason_key', 'by_system', 'subject_user_id'),
           raw='reporting.automation_counts', rollup='report_days.automation_counts'),
    Figure('checklist', 'steps, entered, ticked, closed', 'step exit created_at; deal closed_at',
           ('exits', 'skipped', 'closed', 'won'), ('item', 'stage'),
           raw='playbooks.exit_counts + closed_totals + closed_by_stage_entered + closed_with_done',
           rollup='report_days.checklist'),
)
"""Every report figure the roll-up answers; the other panels are read from the rows only."""
