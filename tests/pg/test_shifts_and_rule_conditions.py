"""tests/unit/test_shifts_and_rule_conditions.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_shifts_and_rule_conditions import *  # noqa: F403
