"""tests/unit/test_department_rules.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_department_rules import *  # noqa: F403
