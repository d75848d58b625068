"""tests/unit/test_automation_preview.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_automation_preview import *  # noqa: F403
