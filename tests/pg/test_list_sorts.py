"""tests/unit/test_list_sorts.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_list_sorts import *  # noqa: F403
