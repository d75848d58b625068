"""tests/unit/test_capture_queue.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_capture_queue import *  # noqa: F403
