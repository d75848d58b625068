"""tests/unit/test_departments.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_departments import *  # noqa: F403
