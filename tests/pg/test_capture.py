"""tests/unit/test_capture.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_capture import *  # noqa: F403
