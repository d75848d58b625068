"""tests/unit/test_import.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_import import *  # noqa: F403
