"""tests/unit/test_bulk_customers.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_bulk_customers import *  # noqa: F403
