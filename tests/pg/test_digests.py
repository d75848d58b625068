"""tests/unit/test_digests.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_digests import *  # noqa: F403
