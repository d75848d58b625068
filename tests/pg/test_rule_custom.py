"""tests/unit/test_rule_custom.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_rule_custom import *  # noqa: F403
