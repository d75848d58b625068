"""tests/unit/test_reports.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_reports import *  # noqa: F403
