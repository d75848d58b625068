"""tests/unit/test_bulk.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_bulk import *  # noqa: F403
