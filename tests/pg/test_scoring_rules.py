"""tests/unit/test_scoring_rules.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_scoring_rules import *  # noqa: F403
