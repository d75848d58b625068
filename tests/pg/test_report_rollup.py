"""tests/unit/test_report_rollup.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_report_rollup import *  # noqa: F403
