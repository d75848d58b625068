"""tests/unit/test_team.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_team import *  # noqa: F403
