"""desk.team: the inbox columns each user chose (remembered per user, not configuration)."""

from __future__ import annotations

import pytest

from core.accounts.views import INBOX_DEFAULT
from core.desk import Desk
from core.errors import ValidationFailed
from store import config_version
from store.models import Role
from tests.factories import user


def test_inbox_columns_default_until_chosen_then_per_user(desk: Desk) -> None:
    a, b = user(desk), user(desk, Role.MANAGER)
    assert desk.team.inbox_columns(a) == list(INBOX_DEFAULT)
    assert desk.team.set_inbox_columns(a, ['created', 'name']) == ['name', 'created']
    assert desk.team.inbox_columns(a) == ['name', 'created']
    assert desk.team.inbox_columns(b) == list(INBOX_DEFAULT)


@pytest.mark.parametrize('columns', [[], ['name', 'password']])
def test_inbox_columns_refuse_none_or_unknown(desk: Desk, columns: list[str]) -> None:
    with pytest.raises(ValidationFailed):
        desk.team.set_inbox_columns(user(desk), columns)


def test_a_column_choice_is_not_a_configuration_change(desk: Desk) -> None:
    """Capture re-reads rules and policy when the configuration token moves: a view choice must not move it."""
    rep = user(desk)
    with desk.ctx.read() as session:
        before = config_version.current(session)
    desk.team.set_inbox_columns(rep, ['name'])
    with desk.ctx.read() as session:
        assert config_version.current(session) == before
