"""tests/unit/test_bulk_deals.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_bulk_deals import *  # noqa: F403
