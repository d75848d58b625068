"""tests/unit/test_automation.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_automation import *  # noqa: F403
