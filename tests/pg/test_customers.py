"""tests/unit/test_customers.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_customers import *  # noqa: F403
