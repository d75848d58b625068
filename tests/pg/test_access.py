"""tests/unit/test_access.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_access import *  # noqa: F403
