"""tests/unit/test_steering.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_steering import *  # noqa: F403
