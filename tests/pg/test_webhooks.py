"""tests/unit/test_webhooks.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_webhooks import *  # noqa: F403
