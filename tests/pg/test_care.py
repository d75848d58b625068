"""tests/unit/test_care.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_care import *  # noqa: F403
