"""tests/unit/test_conversion.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_conversion import *  # noqa: F403
