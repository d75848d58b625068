"""tests/unit/test_counters.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_counters import *  # noqa: F403
