"""tests/unit/test_scoped_reads.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_scoped_reads import *  # noqa: F403
