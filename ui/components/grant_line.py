""""Why can I see this?": one muted line on a lead, opportunity or customer page naming the grant that
lets the reader see the record (core/accounts/grants.py decides; this only words it).

Its own component so every record page shows the same line and the collaborators' work can add its
access levels in one place (`grant_text`)."""

from __future__ import annotations

from nicegui import ui

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


class GrantLine:
    """The line of one record page. The grant is read with the page's other reads, before anything is
    drawn, and again with each reload: filled in after the page showed, the line pushed everything
    below it down just as the reader tapped a button there (a phone wraps it onto its own line)."""

    def __init__(self, desk: Desk, user: UserRef, kind: RecordKind, record_id: int, grant: Grant | None) -> None:
        self.desk, self.user, self.kind, self.record_id = desk, user, kind, record_id
        self.grant = grant

    @staticmethod
    def read(desk: Desk, user: UserRef, kind: RecordKind, record_id: int) -> Grant | None:
        """The grant, None when none applies (the record left the reader's scope meanwhile: the page's
        own read says so). Blocking: call it through `run.io_bound`."""
        try:
            return desk.grants.why(user, kind, record_id)
        except DomainError:
            return None

    def read_again(self) -> Grant | None:
        """This record's grant now: a page's reload reads it in the same worker call as the record,
        so the two agree. Blocking."""
        return self.read(self.desk, self.user, self.kind, self.record_id)

    def render(self) -> None:
        if self.grant is not None:
            tid(ui.label(grant_text(self.grant)).classes('ld-muted text-xs'), 'why-visible').tooltip(t('grant.title'))
