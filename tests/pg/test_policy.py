"""tests/unit/test_policy.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_policy import *  # noqa: F403
