"""tests/unit/test_checklist_rollup.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_checklist_rollup import *  # noqa: F403
