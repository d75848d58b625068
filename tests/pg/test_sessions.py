"""tests/unit/test_sessions.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_sessions import *  # noqa: F403
