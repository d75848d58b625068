"""tests/unit/test_pools.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_pools import *  # noqa: F403
