"""tests/unit/test_recycle_rules.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_recycle_rules import *  # noqa: F403
