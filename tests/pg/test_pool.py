"""tests/unit/test_pool.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_pool import *  # noqa: F403
