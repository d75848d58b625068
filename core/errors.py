"""Errors a user can be shown. Each carries an i18n key (`err.<code>`) and parameters,
so the UI and the API say the same thing in the reader's language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = 'domain'

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or self.code
        self.params = params
        super().__init__(f'{self.code} {params}' if params else self.code)


class NotFound(DomainError):
    code = 'not_found'


MAX_ID = 2**63 - 1
"""The largest row id SQLite (and PostgreSQL's bigint) can hold."""


def check_id(value: int) -> int:
    """An id from a URL or a request: beyond the database's integer range it cannot name a
    row, and handing it to the driver raises OverflowError (a 500), so it is NotFound here."""
    if not 1 <= value <= MAX_ID:
        raise NotFound()
    return value


class NotAllowed(DomainError):
    code = 'not_allowed'


class StaleEdit(DomainError):
    """Someone saved the record after this edit started: nothing was overwritten."""

    code = 'stale_edit'


class InvalidState(DomainError):
    code = 'invalid_state'


class ValidationFailed(DomainError):
    """Field errors: `errors` maps field name to an error code (`err.field.<code>`)."""

    code = 'validation'

    def __init__(self, errors: dict[str, str], *, detail: str = '') -> None:
        super().__init__(fields=', '.join(sorted(errors)))
        self.errors = errors
        self.detail = detail
        """A sentence for the field (e.g. which setting is out of range and what the range is)."""


class LoginFailed(DomainError):
    code = 'login_failed'


class LockedOut(DomainError):
    code = 'locked_out'
