"""tests/unit/test_races.py again, on PostgreSQL (see conftest.py)."""

import pytest

from core.clock import FakeClock
from core.desk import Desk
from tests.unit import test_races as unit
from tests.unit.test_races import *  # noqa: F403

DEADLOCK = ('known: on PostgreSQL the timer reassigning a lead past its grace period and a manager assigning '
            "it by hand can deadlock on the reps' rows (PostgreSQL aborts one side with DeadlockDetected "
            'instead of a clear message); next: one lock order for leads and reps, or a retry of the '
            'aborted transaction')


@pytest.mark.xfail(strict=False, reason=DEADLOCK)
def test_timer_reassignment_racing_a_manager_assign_leaves_one_owner(desk: Desk, clock: FakeClock) -> None:
    unit.test_timer_reassignment_racing_a_manager_assign_leaves_one_owner(desk, clock)
