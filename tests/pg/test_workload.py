"""tests/unit/test_workload.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_workload import *  # noqa: F403
