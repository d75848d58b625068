"""tests/unit/test_email.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_email import *  # noqa: F403
