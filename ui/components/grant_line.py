""""Why can I see this?": one muted line on a lead, opportunity or customer page naming the grant that
lets the reader see the record (core/accounts/grants.py decides; this only words it).

Its own component so every record page shows the same line and the collaborators' work can add its
access levels in one place (`grant_text`)."""

from __future__ import annotations

from nicegui import run, ui

from core.accounts.grants import Grant, GrantKind
from core.desk import Desk
from core.errors import DomainError
from store.models import RecordKind, UserRef

from ..format import label
from ..i18n import t
from ..marks import tid


def grant_text(grant: Grant) -> str:
    """The grant in the reader's language."""
    if grant.kind == GrantKind.EVERYTHING:
        return t('grant.everything', role=label('role', grant.role))
    if grant.kind in (GrantKind.DEPARTMENT, GrantKind.DEPARTMENT_BELOW):
        return t(f'grant.{grant.kind}', department=grant.department or t('dept.root_default'))
    if grant.kind == GrantKind.SHARED:
        return t('grant.shared_edit' if grant.edit else 'grant.shared_read')
    return t('grant.own')


def grant_line(desk: Desk, user: UserRef, kind: RecordKind, record_id: int) -> ui.label:
    """The line, filled once the grant is read (off the event loop); hidden when none applies (the
    record left the reader's scope meanwhile: the page's own read says so)."""
    line = tid(ui.label('').classes('ld-muted text-xs'), 'why-visible')
    line.tooltip(t('grant.title'))

    async def load() -> None:
        try:
            grant = await run.io_bound(desk.grants.why, user, kind, record_id)
        except DomainError:
            grant = None
        if line.is_deleted:
            return
        if grant is None:
            line.set_visibility(False)
        else:
            line.set_text(grant_text(grant))

    ui.timer(0, load, once=True)
    return line
