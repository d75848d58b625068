"""tests/unit/test_report_custom.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_report_custom import *  # noqa: F403
