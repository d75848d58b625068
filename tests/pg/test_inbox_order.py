"""tests/unit/test_inbox_order.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_inbox_order import *  # noqa: F403
