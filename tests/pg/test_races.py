"""tests/unit/test_races.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_races import *  # noqa: F403
