"""tests/unit/test_departure.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_departure import *  # noqa: F403
