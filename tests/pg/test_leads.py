"""tests/unit/test_leads.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_leads import *  # noqa: F403
