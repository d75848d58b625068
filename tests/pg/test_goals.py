"""tests/unit/test_goals.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_goals import *  # noqa: F403
