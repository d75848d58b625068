"""tests/unit/test_rules.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_rules import *  # noqa: F403
