"""tests/unit/test_merge.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_merge import *  # noqa: F403
