"""tests/unit/test_custom_sort.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_custom_sort import *  # noqa: F403
