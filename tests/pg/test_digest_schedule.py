"""tests/unit/test_digest_schedule.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_digest_schedule import *  # noqa: F403
