"""tests/unit/test_events.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_events import *  # noqa: F403
